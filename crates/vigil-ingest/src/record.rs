//! [`Record`]: one received message, as framed by an input, plus its compact binary encoding.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::Arc;

use jiff::Timestamp;

use vigil_api_types::access::DEFAULT_TENANT;

use crate::IngestError;

/// What [`Record::data`] holds; tells the parser which decoder to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecordFormat {
    /// One syslog message (RFC 3164 or RFC 5424 text, framing removed).
    Syslog,
    /// One JSON object document.
    Json,
    /// One plain text message.
    Text,
}

impl RecordFormat {
    /// A stable lower-case name (`syslog`, `json`, `text`).
    pub fn as_str(self) -> &'static str {
        match self {
            RecordFormat::Syslog => "syslog",
            RecordFormat::Json => "json",
            RecordFormat::Text => "text",
        }
    }

    fn to_byte(self) -> u8 {
        match self {
            RecordFormat::Syslog => 1,
            RecordFormat::Json => 2,
            RecordFormat::Text => 3,
        }
    }

    fn from_byte(byte: u8) -> Option<RecordFormat> {
        match byte {
            1 => Some(RecordFormat::Syslog),
            2 => Some(RecordFormat::Json),
            3 => Some(RecordFormat::Text),
            _ => None,
        }
    }
}

/// One message received by an input, before parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Name of the input (listener) that received it, e.g. `syslog-tcp`.
    pub input: Arc<str>,
    /// The tenant the record belongs to: the one its sender's credential (or its listener) is bound
    /// to, never a value the record itself names.
    pub tenant: Arc<str>,
    /// How `data` is encoded.
    pub format: RecordFormat,
    /// When the input received it.
    pub received: Timestamp,
    /// The sender's address, when known.
    pub peer: Option<SocketAddr>,
    /// Small metadata from the protocol envelope, e.g. `("index", "logs-win")`, `("sourcetype", ..)`,
    /// `("host", ..)`, `("time", RFC 3339)`, `("tls_client", CN)`. Keys may repeat.
    pub attrs: Vec<(String, String)>,
    /// The message itself.
    pub data: Vec<u8>,
}

/// The default tenant's name, shared (cloning it costs no allocation).
pub fn default_tenant() -> Arc<str> {
    static DEFAULT: std::sync::OnceLock<Arc<str>> = std::sync::OnceLock::new();
    Arc::clone(DEFAULT.get_or_init(|| Arc::from(DEFAULT_TENANT)))
}

/// First byte of [`Record::encode`]'s output. Version 1 (before tenants) decodes into the
/// default tenant.
const VERSION: u8 = 2;
const VERSION_UNTENANTED: u8 = 1;
const PEER_NONE: u8 = 0;
const PEER_V4: u8 = 4;
const PEER_V6: u8 = 6;

impl Record {
    /// A record received now, without peer or attributes.
    pub fn new(input: Arc<str>, format: RecordFormat, data: Vec<u8>) -> Record {
        Record {
            input,
            tenant: default_tenant(),
            format,
            received: Timestamp::now(),
            peer: None,
            attrs: Vec::new(),
            data,
        }
    }

    /// The first value of attribute `key`.
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Compact binary form: a version byte, then the fields (lengths as LEB128 varints).
    pub fn encode(&self) -> Vec<u8> {
        let attrs_len: usize = self.attrs.iter().map(|(k, v)| k.len() + v.len() + 4).sum();
        let mut out = Vec::with_capacity(48 + self.input.len() + attrs_len + self.data.len());
        out.push(VERSION);
        out.push(self.format.to_byte());
        put_bytes(&mut out, self.input.as_bytes());
        put_bytes(&mut out, self.tenant.as_bytes());
        let nanos = self.received.as_nanosecond();
        // Zigzag keeps timestamps before 1970 short too.
        put_varint(&mut out, ((nanos << 1) ^ (nanos >> 127)) as u128);
        match self.peer {
            None => out.push(PEER_NONE),
            Some(SocketAddr::V4(addr)) => {
                out.push(PEER_V4);
                out.extend_from_slice(&addr.ip().octets());
                out.extend_from_slice(&addr.port().to_be_bytes());
            }
            Some(SocketAddr::V6(addr)) => {
                out.push(PEER_V6);
                out.extend_from_slice(&addr.ip().octets());
                out.extend_from_slice(&addr.port().to_be_bytes());
                out.extend_from_slice(&addr.flowinfo().to_be_bytes());
                out.extend_from_slice(&addr.scope_id().to_be_bytes());
            }
        }
        put_varint(&mut out, self.attrs.len() as u128);
        for (key, value) in &self.attrs {
            put_bytes(&mut out, key.as_bytes());
            put_bytes(&mut out, value.as_bytes());
        }
        put_bytes(&mut out, &self.data);
        out
    }

    /// Inverse of [`Record::encode`]. Never panics; any malformed input is an error.
    pub fn decode(bytes: &[u8]) -> Result<Record, IngestError> {
        let mut r = Reader { bytes, pos: 0 };
        let version = r.u8()?;
        if version != VERSION && version != VERSION_UNTENANTED {
            return Err(IngestError::Decode("unknown version"));
        }
        let format = RecordFormat::from_byte(r.u8()?).ok_or(IngestError::Decode("bad format"))?;
        let input: Arc<str> = Arc::from(r.str()?);
        let tenant: Arc<str> = if version == VERSION {
            Arc::from(r.str()?)
        } else {
            default_tenant()
        };
        let zigzag = r.varint()?;
        let nanos = ((zigzag >> 1) as i128) ^ -((zigzag & 1) as i128);
        let received = Timestamp::from_nanosecond(nanos).map_err(|_| IngestError::Decode("bad timestamp"))?;
        let peer = match r.u8()? {
            PEER_NONE => None,
            PEER_V4 => {
                let ip: [u8; 4] = r.array()?;
                let port = u16::from_be_bytes(r.array()?);
                Some(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(ip), port)))
            }
            PEER_V6 => {
                let ip: [u8; 16] = r.array()?;
                let port = u16::from_be_bytes(r.array()?);
                let flowinfo = u32::from_be_bytes(r.array()?);
                let scope_id = u32::from_be_bytes(r.array()?);
                Some(SocketAddr::V6(SocketAddrV6::new(
                    Ipv6Addr::from(ip),
                    port,
                    flowinfo,
                    scope_id,
                )))
            }
            _ => return Err(IngestError::Decode("bad peer tag")),
        };
        let count = r.len()?;
        // Every attribute takes at least two bytes: do not trust `count` for allocation.
        let mut attrs = Vec::with_capacity(count.min(r.remaining() / 2));
        for _ in 0..count {
            let key = r.str()?.to_owned();
            let value = r.str()?.to_owned();
            attrs.push((key, value));
        }
        let data = r.bytes()?.to_vec();
        if r.remaining() != 0 {
            return Err(IngestError::Decode("trailing bytes"));
        }
        Ok(Record {
            input,
            tenant,
            format,
            received,
            peer,
            attrs,
            data,
        })
    }
}

fn put_varint(out: &mut Vec<u8>, mut value: u128) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u128);
    out.extend_from_slice(bytes);
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], IngestError> {
        if n > self.remaining() {
            return Err(IngestError::Decode("truncated"));
        }
        let slice = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }

    fn u8(&mut self) -> Result<u8, IngestError> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], IngestError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn varint(&mut self) -> Result<u128, IngestError> {
        let mut value: u128 = 0;
        for shift in (0..128).step_by(7) {
            let byte = self.u8()?;
            let bits = u128::from(byte & 0x7f);
            if shift == 126 && bits > 0b11 {
                return Err(IngestError::Decode("varint overflow"));
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(IngestError::Decode("varint too long"))
    }

    fn len(&mut self) -> Result<usize, IngestError> {
        usize::try_from(self.varint()?).map_err(|_| IngestError::Decode("length overflow"))
    }

    fn bytes(&mut self) -> Result<&'a [u8], IngestError> {
        let n = self.len()?;
        self.take(n)
    }

    fn str(&mut self) -> Result<&'a str, IngestError> {
        std::str::from_utf8(self.bytes()?).map_err(|_| IngestError::Decode("not utf-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn arb_peer() -> impl Strategy<Value = Option<SocketAddr>> {
        prop_oneof![
            Just(None),
            (any::<[u8; 4]>(), any::<u16>()).prop_map(|(ip, port)| Some(SocketAddr::from((Ipv4Addr::from(ip), port)))),
            (any::<[u8; 16]>(), any::<u16>(), any::<u32>(), any::<u32>()).prop_map(|(ip, port, flow, scope)| Some(
                SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(ip), port, flow, scope))
            )),
        ]
    }

    fn arb_record() -> impl Strategy<Value = Record> {
        (
            ".{0,20}",
            "[a-z0-9_-]{1,8}",
            prop_oneof![
                Just(RecordFormat::Syslog),
                Just(RecordFormat::Json),
                Just(RecordFormat::Text)
            ],
            Timestamp::MIN.as_nanosecond()..=Timestamp::MAX.as_nanosecond(),
            arb_peer(),
            proptest::collection::vec((".{0,10}", ".{0,30}"), 0..5),
            proptest::collection::vec(any::<u8>(), 0..300),
        )
            .prop_map(|(input, tenant, format, nanos, peer, attrs, data)| Record {
                input: Arc::from(input.as_str()),
                tenant: Arc::from(tenant.as_str()),
                format,
                received: Timestamp::from_nanosecond(nanos).expect("in range"),
                peer,
                attrs,
                data,
            })
    }

    proptest! {
        #[test]
        fn encode_decode_round_trip(record in arb_record()) {
            let bytes = record.encode();
            prop_assert_eq!(bytes[0], VERSION);
            prop_assert_eq!(Record::decode(&bytes).expect("decodes"), record);
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = Record::decode(&bytes);
        }

        #[test]
        fn every_strict_prefix_fails(record in arb_record()) {
            let bytes = record.encode();
            for end in 0..bytes.len() {
                prop_assert!(Record::decode(&bytes[..end]).is_err());
            }
        }
    }

    #[test]
    fn trailing_bytes_and_unknown_version_are_errors() {
        let record = Record::new(Arc::from("t"), RecordFormat::Text, b"x".to_vec());
        let mut bytes = record.encode();
        bytes.push(0);
        assert!(Record::decode(&bytes).is_err());
        let mut bytes = record.encode();
        bytes[0] = 3;
        assert!(Record::decode(&bytes).is_err());
    }

    /// Records spooled before tenants existed (version 1: no tenant after the input) belong to the
    /// default tenant.
    #[test]
    fn version_one_records_decode_into_the_default_tenant() {
        let mut record = Record::new(Arc::from("syslog-udp"), RecordFormat::Syslog, b"<13>hi".to_vec());
        record.attrs.push(("host".into(), "h1".into()));
        let mut v1 = vec![VERSION_UNTENANTED, RecordFormat::Syslog.to_byte()];
        put_bytes(&mut v1, b"syslog-udp");
        let nanos = record.received.as_nanosecond();
        put_varint(&mut v1, ((nanos << 1) ^ (nanos >> 127)) as u128);
        v1.push(PEER_NONE);
        put_varint(&mut v1, 1);
        put_bytes(&mut v1, b"host");
        put_bytes(&mut v1, b"h1");
        put_bytes(&mut v1, b"<13>hi");
        let decoded = Record::decode(&v1).expect("a version 1 record decodes");
        assert_eq!(&*decoded.tenant, DEFAULT_TENANT);
        assert_eq!(decoded, record);
        record.tenant = Arc::from("acme");
        assert_eq!(&*Record::decode(&record.encode()).expect("decodes").tenant, "acme");
    }

    #[test]
    fn huge_attr_count_does_not_allocate() {
        // version, format, empty input, empty tenant, time 0, no peer, then an attr count of 2^63.
        let mut bytes = vec![VERSION, 3, 0, 0, 0, PEER_NONE];
        put_varint(&mut bytes, 1 << 63);
        assert!(Record::decode(&bytes).is_err());
    }
}
