//! Finding input files and reading them as events.

use std::{
    fs::File,
    io::{BufRead, BufReader, Read},
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::{Context, bail};
use vigil_event::Event;
use vigil_parse::{
    Format, Origin, ParseError,
    evtx::{EvtxOptions, read_evtx_file},
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

/// A unit of work: a batch of lines of one file, or a whole EVTX file.
#[derive(Debug)]
pub enum Work {
    Lines {
        file: usize,
        lines: Vec<(u64, Vec<u8>)>,
        bytes: u64,
    },
    Evtx {
        file: usize,
    },
    /// The file could not be read from this point on.
    Failed {
        file: usize,
        offset: u64,
        reason: String,
    },
}

/// Lines per batch, and bytes: enough to amortize scheduling, small enough to bound memory.
const BATCH_LINES: usize = 4096;
const BATCH_BYTES: u64 = 2 << 20;

/// Cuts the input files, in order, into [`Work`] units. Runs on one thread; parsing and
/// detection of the units run in parallel elsewhere.
pub struct WorkIter<'a> {
    files: &'a [InputFile],
    next: usize,
    open: Option<(usize, BufReader<File>, u64)>,
}

impl<'a> WorkIter<'a> {
    pub fn new(files: &'a [InputFile]) -> Self {
        WorkIter {
            files,
            next: 0,
            open: None,
        }
    }
}

impl Iterator for WorkIter<'_> {
    type Item = Work;

    fn next(&mut self) -> Option<Work> {
        loop {
            if let Some((file, reader, offset)) = self.open.as_mut() {
                let file = *file;
                let mut lines = Vec::new();
                let mut bytes = 0u64;
                while lines.len() < BATCH_LINES && bytes < BATCH_BYTES {
                    let mut line = Vec::new();
                    match reader.read_until(b'\n', &mut line) {
                        Ok(0) => break,
                        Ok(n) => {
                            if !line.iter().all(u8::is_ascii_whitespace) {
                                lines.push((*offset, line));
                            }
                            *offset += n as u64;
                            bytes += n as u64;
                        }
                        Err(e) => {
                            let at = *offset;
                            self.open = None;
                            return Some(Work::Failed {
                                file,
                                offset: at,
                                reason: e.to_string(),
                            });
                        }
                    }
                }
                if bytes == 0 {
                    self.open = None;
                    continue;
                }
                return Some(Work::Lines { file, lines, bytes });
            }
            let file = self.next;
            let input = self.files.get(file)?;
            self.next += 1;
            if input.format == Format::Evtx {
                return Some(Work::Evtx { file });
            }
            match File::open(&input.path) {
                Ok(f) => self.open = Some((file, BufReader::with_capacity(1 << 20, f), 0)),
                Err(e) => {
                    return Some(Work::Failed {
                        file,
                        offset: 0,
                        reason: e.to_string(),
                    });
                }
            }
        }
    }
}

/// Parses one unit of work, handing every event or parse error to `sink`.
pub fn read_work(
    work: Work,
    files: &[InputFile],
    options: &ReadOptions,
    sink: &mut dyn FnMut(Result<Event, ParseError>),
) -> u64 {
    match work {
        Work::Evtx { file } => {
            let input = &files[file];
            let origin = Origin::file(input.format.name(), &input.path.to_string_lossy());
            let evtx = EvtxOptions {
                threads: 1,
                keep_raw: false,
            };
            if let Err(e) = read_evtx_file(&input.path, &origin, evtx, sink) {
                sink(Err(e));
            }
            input.size
        }
        Work::Lines { file, lines, bytes } => {
            let input = &files[file];
            let origin = Origin::file(input.format.name(), &input.path.to_string_lossy());
            for (offset, line) in lines {
                sink(vigil_parse::parse_line_with(
                    input.format,
                    &line,
                    &origin,
                    offset,
                    &options.field_maps,
                ));
            }
            bytes
        }
        Work::Failed { file, offset, reason } => {
            let input = &files[file];
            let origin = Origin::file(input.format.name(), &input.path.to_string_lossy());
            sink(Err(origin.error(offset, vigil_parse::ErrorKind::Io(reason))));
            0
        }
    }
}
