//! Tables and CSV whose every cell is escaped: the only way to add a cell is through these types,
//! so a new column cannot forget it.

use std::{fmt, io::Write};

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use super::{csv_cell, escape};

/// A terminal table (comfy-table, condensed UTF-8 borders, wrapped to the terminal's width) whose
/// header and cells are [`escape`]d.
#[derive(Debug)]
pub struct SafeTable {
    table: Table,
}

impl SafeTable {
    pub fn new<S: AsRef<str>>(header: &[S]) -> SafeTable {
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(header.iter().map(|h| escape(h.as_ref()).into_owned()));
        SafeTable { table }
    }

    /// Wraps to this many columns (when there is no terminal to measure).
    pub fn set_width(&mut self, width: u16) -> &mut SafeTable {
        self.table.set_width(width);
        self
    }

    pub fn add_row<I, S>(&mut self, cells: I) -> &mut SafeTable
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let row: Vec<String> = cells.into_iter().map(|c| escape(c.as_ref()).into_owned()).collect();
        self.table.add_row(row);
        self
    }
}

impl fmt::Display for SafeTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.table.fmt(f)
    }
}

/// A CSV writer whose header and cells go through [`csv_cell`]: escaped, and neutralised against
/// spreadsheet formula injection. Fields are quoted as RFC 4180 needs (separators, quotes, line
/// breaks), so the `'` a neutralised cell starts with stays with its cell.
pub struct SafeCsv<W: Write> {
    pub(super) writer: csv::Writer<W>,
}

impl<W: Write> fmt::Debug for SafeCsv<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SafeCsv").finish_non_exhaustive()
    }
}

impl<W: Write> SafeCsv<W> {
    pub fn new(out: W) -> SafeCsv<W> {
        SafeCsv {
            writer: csv::Writer::from_writer(out),
        }
    }

    pub fn write_row<I, S>(&mut self, cells: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.writer
            .write_record(cells.into_iter().map(|c| csv_cell(c.as_ref()).into_owned()))
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}
