//! Windows event log files (EVTX), read with the `evtx` crate and flattened by [`crate::windows`].

use std::{fs::File, io::Read, ops::ControlFlow, path::Path};

use evtx::{EvtxParser, ParserSettings};
use vigil_event::{Event, Raw};

use crate::{ErrorKind, Origin, ParseError, windows};

/// How to read EVTX files.
#[derive(Debug, Clone, Copy)]
pub struct EvtxOptions {
    /// Threads the `evtx` crate may use inside one file (1 when files are read in parallel).
    pub threads: usize,
    /// Keep each record's rendered JSON as the event's [`Raw`] (costs memory; off for hunting).
    pub keep_raw: bool,
}

impl Default for EvtxOptions {
    fn default() -> Self {
        EvtxOptions {
            threads: 1,
            keep_raw: true,
        }
    }
}

/// What reading one file produced, besides the events and errors handed to the sink.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct EvtxSummary {
    pub records: u64,
    pub errors: u64,
}

/// Reads every record of an EVTX file, handing each event or per-record error to `sink`.
///
/// A file that is not an EVTX file at all (bad header, unreadable) is one error, returned.
pub fn read_evtx_file(
    path: &Path,
    origin: &Origin,
    options: EvtxOptions,
    sink: &mut dyn FnMut(Result<Event, ParseError>),
) -> Result<EvtxSummary, ParseError> {
    read_evtx_file_until(path, origin, options, &mut |r| {
        sink(r);
        ControlFlow::Continue(())
    })
}

/// [`read_evtx_file`] whose sink can stop the reading early (`ControlFlow::Break`): the summary
/// then counts the records read so far.
pub fn read_evtx_file_until(
    path: &Path,
    origin: &Origin,
    options: EvtxOptions,
    sink: &mut dyn FnMut(Result<Event, ParseError>) -> ControlFlow<()>,
) -> Result<EvtxSummary, ParseError> {
    let mut file = File::open(path).map_err(|e| origin.error(0, ErrorKind::Evtx(format!("cannot open: {e}"))))?;
    let mut magic = [0u8; 8];
    let is_evtx = file.read_exact(&mut magic).is_ok() && &magic == b"ElfFile\0";
    if !is_evtx {
        return Err(origin.error(
            0,
            ErrorKind::Evtx("not an EVTX file (missing `ElfFile` signature)".into()),
        ));
    }
    let parser = EvtxParser::from_path(path).map_err(|e| origin.error(0, ErrorKind::Evtx(e.to_string())))?;
    Ok(drain(parser, origin, options, sink))
}

/// Reads EVTX records from memory (used by the fuzz target and tests); errors go to the sink.
pub fn read_evtx_bytes(data: Vec<u8>, origin: &Origin, sink: &mut dyn FnMut(Result<Event, ParseError>)) -> EvtxSummary {
    match EvtxParser::from_buffer(data) {
        Ok(parser) => drain(parser, origin, EvtxOptions::default(), &mut |r| {
            sink(r);
            ControlFlow::Continue(())
        }),
        Err(e) => {
            sink(Err(origin.error(0, ErrorKind::Evtx(e.to_string()))));
            EvtxSummary { records: 0, errors: 1 }
        }
    }
}

fn drain<T: Read + std::io::Seek>(
    parser: EvtxParser<T>,
    origin: &Origin,
    options: EvtxOptions,
    sink: &mut dyn FnMut(Result<Event, ParseError>) -> ControlFlow<()>,
) -> EvtxSummary {
    let settings = ParserSettings::new().num_threads(options.threads.max(1));
    let mut parser = parser.with_configuration(settings);
    let mut summary = EvtxSummary::default();
    let mut last_id = 0u64;
    for record in parser.records_json_value() {
        let flow = match record {
            Ok(rec) => {
                summary.records += 1;
                last_id = rec.event_record_id;
                match windows::flatten(&rec.data) {
                    Some(flat) => {
                        let time = flat.time.or(Some(rec.timestamp));
                        let raw = if options.keep_raw {
                            Raw::Json(Box::new(rec.data))
                        } else {
                            Raw::None
                        };
                        sink(Ok(Event::new(
                            origin.source(rec.event_record_id),
                            time,
                            flat.logsource,
                            flat.fields,
                            raw,
                        )))
                    }
                    None => {
                        summary.errors += 1;
                        sink(Err(origin.error(
                            rec.event_record_id,
                            ErrorKind::Evtx("record has no Event/System element".into()),
                        )))
                    }
                }
            }
            Err(e) => {
                summary.errors += 1;
                // The crate's error names the chunk/offset; the offset here is the last good record id.
                sink(Err(origin.error(last_id, ErrorKind::Evtx(e.to_string()))))
            }
        };
        if flow.is_break() {
            break;
        }
    }
    summary
}
