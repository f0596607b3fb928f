//! One generic table sheet: header, text or number cells, and the touches every sheet gets.

use rust_xlsxwriter::{Format, Workbook, Worksheet};

use crate::SheetError;

/// Widest column, in characters: longer texts wrap in the cell instead.
const MAX_WIDTH: usize = 60;
/// Excel's row limit, header included.
const MAX_ROWS: usize = 1_048_576;

#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Written as a string with the text format: never turned into a number or a formula.
    Text(String),
    Number(f64),
    Empty,
}

impl Cell {
    pub fn text(v: impl Into<String>) -> Cell {
        Cell::Text(v.into())
    }

    pub fn opt(v: Option<&str>) -> Cell {
        v.map_or(Cell::Empty, Cell::text)
    }

    fn width(&self) -> usize {
        match self {
            Cell::Text(t) => t.chars().count(),
            Cell::Number(n) => n.to_string().len(),
            Cell::Empty => 0,
        }
    }
}

/// A sheet: its name (at most 31 characters), header and rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// The workbook of the given sheets, as the bytes of an `.xlsx` file.
pub fn workbook(tables: &[Table]) -> Result<Vec<u8>, SheetError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold().set_num_format("@");
    let text = Format::new().set_num_format("@");
    for table in tables {
        if table.rows.len() + 1 > MAX_ROWS {
            return Err(SheetError(format!(
                "{} rows do not fit in one sheet (Excel's limit is {})",
                table.rows.len(),
                MAX_ROWS - 1
            )));
        }
        let sheet = book.add_worksheet();
        sheet.set_name(&table.name)?;
        write_table(sheet, table, &bold, &text)?;
    }
    Ok(book.save_to_buffer()?)
}

fn write_table(
    sheet: &mut Worksheet,
    table: &Table,
    bold: &Format,
    text: &Format,
) -> Result<(), SheetError> {
    let mut widths: Vec<usize> = table.headers.iter().map(|h| h.chars().count()).collect();
    for (col, header) in table.headers.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, header, bold)?;
    }
    for (i, row) in table.rows.iter().enumerate() {
        let r = (i + 1) as u32;
        for (col, cell) in row.iter().enumerate() {
            let c = col as u16;
            match cell {
                Cell::Text(t) => {
                    sheet.write_string_with_format(r, c, t, text)?;
                }
                Cell::Number(n) => {
                    sheet.write_number(r, c, *n)?;
                }
                Cell::Empty => {}
            }
            if let Some(w) = widths.get_mut(col) {
                *w = (*w).max(cell.width());
            }
        }
    }
    for (col, w) in widths.iter().enumerate() {
        sheet.set_column_width(col as u16, (w.min(&MAX_WIDTH) + 2) as f64)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    if !table.headers.is_empty() {
        let last_col = (table.headers.len() - 1) as u16;
        sheet.autofilter(0, 0, table.rows.len() as u32, last_col)?;
    }
    Ok(())
}
