//! Finding input files and reading them as events.

use std::{
    fs::File,
    io::{BufRead, BufReader, Read},
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::{Context, bail};
use vigil_event::{Event, Raw};
use vigil_parse::{
    Format, Origin, ParseError,
    evtx::{EvtxOptions, read_evtx_file},
    json,
    normalize::FieldMap,
};

/// One input file and its format.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// The path as given on the command line or walked from a given directory.
    pub path: PathBuf,
    pub format: Format,
    pub size: u64,
}

/// Files that were passed over, with why.
#[derive(Debug, Default)]
pub struct Skipped {
    pub files: Vec<(PathBuf, String)>,
}

/// Expands inputs into files with formats. Unrecognised files inside directories are skipped
/// (and listed); an unrecognised file named explicitly is an error.
pub fn collect(inputs: &[PathBuf], forced: Option<Format>) -> anyhow::Result<(Vec<InputFile>, Skipped)> {
    let mut files = Vec::new();
    let mut skipped = Skipped::default();
    for input in inputs {
        if !input.exists() {
            bail!("input {} does not exist", input.display());
        }
        if input.is_file() {
            match classify(input, forced)? {
                Some(f) => files.push(f),
                None => bail!(
                    "cannot tell the format of {}: pass --format (evtx, ndjson, syslog, cef, eve, zeek, auditd)",
                    input.display()
                ),
            }
            continue;
        }
        for entry in walkdir::WalkDir::new(input).follow_links(true).sort_by_file_name() {
            let entry = entry.with_context(|| format!("walking {}", input.display()))?;
            if !entry.file_type().is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy();
            if name.starts_with('.') {
                continue;
            }
            match classify(entry.path(), forced)? {
                Some(f) => files.push(f),
                None => skipped.files.push((entry.into_path(), "format not recognised".into())),
            }
        }
    }
    Ok((files, skipped))
}

fn classify(path: &Path, forced: Option<Format>) -> anyhow::Result<Option<InputFile>> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    let format = match forced {
        Some(f) => Some(f),
        None => {
            let mut head = vec![0u8; 4096];
            let n = File::open(path)
                .and_then(|mut f| f.read(&mut head))
                .with_context(|| format!("reading {}", path.display()))?;
            head.truncate(n);
            let name = path.to_string_lossy();
            // Rule files and documentation next to logs are not logs.
            let lower = name.to_ascii_lowercase();
            if [".yml", ".yaml", ".md", ".txt", ".zip", ".gz", ".7z", ".pdf", ".png"]
                .iter()
                .any(|e| lower.ends_with(e))
            {
                None
            } else {
                Format::detect(&name, &head)
            }
        }
    };
    Ok(format.map(|format| InputFile {
        path: path.to_path_buf(),
        format,
        size,
    }))
}

/// How to turn records into events.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub field_maps: Arc<Vec<FieldMap>>,
}

/// Reads one file, handing every event or parse error to `sink`; `progress` gets bytes read.
pub fn read_file(
    file: &InputFile,
    options: &ReadOptions,
    sink: &mut dyn FnMut(Result<Event, ParseError>),
    progress: &dyn Fn(u64),
) -> anyhow::Result<()> {
    let shown = file.path.to_string_lossy();
    let origin = Origin::file(file.format.name(), &shown);
    if file.format == Format::Evtx {
        let options = EvtxOptions {
            threads: 1,
            keep_raw: false,
        };
        match read_evtx_file(&file.path, &origin, options, sink) {
            Ok(_) => {}
            Err(e) => sink(Err(e)),
        }
        progress(file.size);
        return Ok(());
    }
    let handle = File::open(&file.path).with_context(|| format!("opening {}", file.path.display()))?;
    let mut reader = BufReader::with_capacity(1 << 20, handle);
    let mut line = Vec::with_capacity(4096);
    let mut offset = 0u64;
    let mut since_report = 0u64;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .with_context(|| format!("reading {}", file.path.display()))?;
        if n == 0 {
            break;
        }
        if !line.iter().all(u8::is_ascii_whitespace) {
            sink(parse_record(file.format, &line, &origin, offset, options));
        }
        offset += n as u64;
        since_report += n as u64;
        if since_report > (1 << 20) {
            progress(since_report);
            since_report = 0;
        }
    }
    progress(since_report);
    Ok(())
}

fn parse_record(
    format: Format,
    line: &[u8],
    origin: &Origin,
    offset: u64,
    options: &ReadOptions,
) -> Result<Event, ParseError> {
    if format == Format::Ndjson && !options.field_maps.is_empty() {
        let value = json::parse_object(vigil_parse::format_trim(line), origin, offset)?;
        if let Some(map) = options.field_maps.iter().find(|m| m.applies(&value)) {
            let mapped = map.apply(&value);
            let raw = Raw::JsonText(String::from_utf8_lossy(line).trim_end().into());
            return Ok(Event::new(
                origin.source(offset),
                mapped.time,
                mapped.logsource,
                mapped.fields,
                raw,
            ));
        }
        let raw = Raw::JsonText(String::from_utf8_lossy(line).trim_end().into());
        return Ok(json::from_value(value, raw, origin, offset));
    }
    vigil_parse::parse_line(format, line, origin, offset)
}
