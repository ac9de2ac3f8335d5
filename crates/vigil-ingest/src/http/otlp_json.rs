//! OTLP/JSON (protobuf JSON mapping) into the prost structs: lowerCamelCase keys (snake_case also
//! accepted), 64-bit integers as strings or numbers, enums as numbers or names, `traceId`/`spanId`
//! as hex, `bytesValue` as base64. A malformed log record is rejected alone; a malformed
//! structure around the records fails the request.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use super::otlp_proto::{
    AnyValue, ArrayValue, ExportLogsServiceRequest, InstrumentationScope, KeyValue, KeyValueList, LogRecord, Resource,
    ResourceLogs, ScopeLogs, any_value,
};

/// A decoded request and the log records rejected from it: (reason, the record's JSON).
#[derive(Debug)]
pub(super) struct JsonRequest {
    pub request: ExportLogsServiceRequest,
    pub rejected: Vec<(String, Vec<u8>)>,
}

type Result<T> = std::result::Result<T, String>;

/// Decodes an OTLP/JSON `ExportLogsServiceRequest`.
pub(super) fn decode(body: &[u8]) -> Result<JsonRequest> {
    let value: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let root = object(&value, "request")?;
    let mut rejected = Vec::new();
    let mut request = ExportLogsServiceRequest::default();
    for resource_logs in array(root, "resourceLogs", "resource_logs")? {
        let resource_logs = object(resource_logs, "resourceLogs[]")?;
        let resource = match get(resource_logs, "resource", "resource") {
            Some(resource) => Some(Resource {
                attributes: key_values(object(resource, "resource")?)?,
                dropped_attributes_count: 0,
            }),
            None => None,
        };
        let mut scopes = Vec::new();
        for scope_logs in array(resource_logs, "scopeLogs", "scope_logs")? {
            let scope_logs = object(scope_logs, "scopeLogs[]")?;
            let scope = match get(scope_logs, "scope", "scope") {
                Some(scope) => {
                    let scope = object(scope, "scope")?;
                    Some(InstrumentationScope {
                        name: string(scope, "name", "name")?,
                        version: string(scope, "version", "version")?,
                        attributes: key_values(scope)?,
                        dropped_attributes_count: 0,
                    })
                }
                None => None,
            };
            let mut log_records = Vec::new();
            for record in array(scope_logs, "logRecords", "log_records")? {
                match log_record(record) {
                    Ok(record) => log_records.push(record),
                    Err(reason) => {
                        rejected.push((reason, serde_json::to_vec(record).unwrap_or_default()));
                    }
                }
            }
            scopes.push(ScopeLogs {
                scope,
                log_records,
                schema_url: string(scope_logs, "schemaUrl", "schema_url")?,
            });
        }
        request.resource_logs.push(ResourceLogs {
            resource,
            scope_logs: scopes,
            schema_url: string(resource_logs, "schemaUrl", "schema_url")?,
        });
    }
    Ok(JsonRequest { request, rejected })
}

/// A field by its JSON name or its proto name; `null` counts as absent.
fn get<'a>(object: &'a Map<String, Value>, camel: &str, snake: &str) -> Option<&'a Value> {
    object.get(camel).or_else(|| object.get(snake)).filter(|v| !v.is_null())
}

fn object<'a>(value: &'a Value, what: &str) -> Result<&'a Map<String, Value>> {
    value.as_object().ok_or_else(|| format!("{what} is not an object"))
}

fn array<'a>(object: &'a Map<String, Value>, camel: &str, snake: &str) -> Result<&'a [Value]> {
    match get(object, camel, snake) {
        None => Ok(&[]),
        Some(Value::Array(values)) => Ok(values),
        Some(_) => Err(format!("{camel} is not an array")),
    }
}

fn string(object: &Map<String, Value>, camel: &str, snake: &str) -> Result<String> {
    match get(object, camel, snake) {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(format!("{camel} is not a string")),
    }
}

fn u64_field(object: &Map<String, Value>, camel: &str, snake: &str) -> Result<u64> {
    match get(object, camel, snake) {
        None => Some(0),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    }
    .ok_or_else(|| format!("{camel} is not an unsigned integer"))
}

fn i64_of(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn f64_of(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            other => other.trim().parse().ok(),
        },
        _ => None,
    }
}

/// `SeverityNumber` as a number or as its enum name (`SEVERITY_NUMBER_WARN2`).
fn severity(value: Option<&Value>) -> Result<i32> {
    const LEVELS: [&str; 6] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];
    let Some(value) = value else {
        return Ok(0);
    };
    if let Some(n) = i64_of(value) {
        return i32::try_from(n).map_err(|_| "severityNumber out of range".to_owned());
    }
    let name = value
        .as_str()
        .and_then(|s| s.strip_prefix("SEVERITY_NUMBER_"))
        .ok_or("severityNumber is not a number or a SeverityNumber name")?;
    if name == "UNSPECIFIED" {
        return Ok(0);
    }
    let (level, step) = match name.as_bytes().last() {
        Some(d @ b'2'..=b'4') => (&name[..name.len() - 1], i32::from(d - b'1')),
        _ => (name, 0),
    };
    let index = LEVELS
        .iter()
        .position(|l| *l == level)
        .ok_or_else(|| format!("unknown severity {name}"))?;
    Ok(index as i32 * 4 + 1 + step)
}

fn hex_field(object: &Map<String, Value>, camel: &str, snake: &str) -> Result<Vec<u8>> {
    match get(object, camel, snake) {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => hex::decode(s).map_err(|_| format!("{camel} is not hex")),
        Some(_) => Err(format!("{camel} is not a string")),
    }
}

fn key_values(object: &Map<String, Value>) -> Result<Vec<KeyValue>> {
    array(object, "attributes", "attributes")?
        .iter()
        .map(key_value)
        .collect()
}

fn key_value(value: &Value) -> Result<KeyValue> {
    let kv = object(value, "attribute")?;
    Ok(KeyValue {
        key: string(kv, "key", "key")?,
        value: get(kv, "value", "value").map(any_value).transpose()?,
    })
}

fn any_value(value: &Value) -> Result<AnyValue> {
    use any_value::Value as V;
    let wrapper = object(value, "AnyValue")?;
    let Some((kind, inner)) = wrapper.iter().find(|(_, v)| !v.is_null()) else {
        return Ok(AnyValue { value: None });
    };
    let bad = || format!("bad AnyValue {kind}");
    let value = match kind.as_str() {
        "stringValue" | "string_value" => V::StringValue(inner.as_str().ok_or_else(bad)?.to_owned()),
        "boolValue" | "bool_value" => V::BoolValue(inner.as_bool().ok_or_else(bad)?),
        "intValue" | "int_value" => V::IntValue(i64_of(inner).ok_or_else(bad)?),
        "doubleValue" | "double_value" => V::DoubleValue(f64_of(inner).ok_or_else(bad)?),
        "arrayValue" | "array_value" => V::ArrayValue(ArrayValue {
            values: array(object(inner, kind)?, "values", "values")?
                .iter()
                .map(any_value)
                .collect::<Result<_>>()?,
        }),
        "kvlistValue" | "kvlist_value" => V::KvlistValue(KeyValueList {
            values: array(object(inner, kind)?, "values", "values")?
                .iter()
                .map(key_value)
                .collect::<Result<_>>()?,
        }),
        "bytesValue" | "bytes_value" => {
            V::BytesValue(STANDARD.decode(inner.as_str().ok_or_else(bad)?).map_err(|_| bad())?)
        }
        _ => return Err(bad()),
    };
    Ok(AnyValue { value: Some(value) })
}

fn log_record(value: &Value) -> Result<LogRecord> {
    let record = object(value, "logRecord")?;
    Ok(LogRecord {
        time_unix_nano: u64_field(record, "timeUnixNano", "time_unix_nano")?,
        observed_time_unix_nano: u64_field(record, "observedTimeUnixNano", "observed_time_unix_nano")?,
        severity_number: severity(get(record, "severityNumber", "severity_number"))?,
        severity_text: string(record, "severityText", "severity_text")?,
        body: get(record, "body", "body").map(any_value).transpose()?,
        attributes: key_values(record)?,
        dropped_attributes_count: u32::try_from(u64_field(
            record,
            "droppedAttributesCount",
            "dropped_attributes_count",
        )?)
        .map_err(|_| "droppedAttributesCount out of range".to_owned())?,
        flags: u32::try_from(u64_field(record, "flags", "flags")?).map_err(|_| "flags out of range".to_owned())?,
        trace_id: hex_field(record, "traceId", "trace_id")?,
        span_id: hex_field(record, "spanId", "span_id")?,
        event_name: string(record, "eventName", "event_name")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_names_and_numbers() {
        let s = |v: Value| severity(Some(&v));
        assert_eq!(s(Value::from(9)), Ok(9));
        assert_eq!(s(Value::from("SEVERITY_NUMBER_INFO")), Ok(9));
        assert_eq!(s(Value::from("SEVERITY_NUMBER_WARN2")), Ok(14));
        assert_eq!(s(Value::from("SEVERITY_NUMBER_FATAL4")), Ok(24));
        assert_eq!(s(Value::from("SEVERITY_NUMBER_TRACE")), Ok(1));
        assert!(s(Value::from("LOUD")).is_err());
    }

    #[test]
    fn one_bad_record_is_rejected_alone() {
        let body = br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[
            {"timeUnixNano":"1700000000000000000","body":{"stringValue":"ok"},"traceId":"0102030405060708090a0b0c0d0e0f10"},
            {"timeUnixNano":"soon"},
            {"body":{"intValue":"42"},"severityNumber":"SEVERITY_NUMBER_ERROR"}
        ]}]}]}"#;
        let decoded = decode(body).expect("decodes");
        let records = &decoded.request.resource_logs[0].scope_logs[0].log_records;
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].time_unix_nano, 1_700_000_000_000_000_000);
        assert_eq!(records[0].trace_id.len(), 16);
        assert_eq!(records[1].severity_number, 17);
        assert_eq!(decoded.rejected.len(), 1);
        assert!(decode(br#"{"resourceLogs":{}}"#).is_err());
        assert!(decode(b"[").is_err());
    }
}
