//! Writing tables as sheets: header, text or number cells, and the touches every sheet gets.

use rust_xlsxwriter::{Format, Workbook, Worksheet};

use ehrm_sync_core::ports::{Cell, Table, WorkbookError};

use crate::xlsx_error;

/// Widest column, in characters: longer texts wrap in the cell instead.
const MAX_WIDTH: usize = 60;
/// Excel's row limit, header included.
const MAX_ROWS: usize = 1_048_576;

/// The workbook of the given sheets, as the bytes of an `.xlsx` file.
pub fn workbook(tables: &[Table]) -> Result<Vec<u8>, WorkbookError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold().set_num_format("@");
    let text = Format::new().set_num_format("@");
    let formats = Formats {
        bold,
        text,
        day: Format::new().set_num_format("dd-mm-yyyy"),
        moment: Format::new().set_num_format("dd-mm-yyyy hh:mm"),
    };
    for table in tables {
        if table.rows.len() + 1 > MAX_ROWS {
            return Err(WorkbookError(format!(
                "{} rows do not fit in one sheet (Excel's limit is {})",
                table.rows.len(),
                MAX_ROWS - 1
            )));
        }
        let sheet = book.add_worksheet();
        sheet.set_name(&table.name).map_err(xlsx_error)?;
        write_table(sheet, table, &formats)?;
    }
    book.save_to_buffer().map_err(xlsx_error)
}

struct Formats {
    bold: Format,
    text: Format,
    day: Format,
    moment: Format,
}

fn write_table(sheet: &mut Worksheet, table: &Table, f: &Formats) -> Result<(), WorkbookError> {
    let mut widths: Vec<usize> = table.headers.iter().map(|h| h.chars().count()).collect();
    for (col, header) in table.headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, header, &f.bold)
            .map_err(xlsx_error)?;
    }
    for (i, row) in table.rows.iter().enumerate() {
        let r = (i + 1) as u32;
        for (col, cell) in row.iter().enumerate() {
            let c = col as u16;
            match cell {
                Cell::Text(t) => {
                    sheet
                        .write_string_with_format(r, c, t, &f.text)
                        .map_err(xlsx_error)?;
                }
                Cell::Day(_) | Cell::Moment(_) => {
                    let format = if matches!(cell, Cell::Day(_)) {
                        &f.day
                    } else {
                        &f.moment
                    };
                    if let Some(serial) = cell.serial() {
                        sheet
                            .write_number_with_format(r, c, serial, format)
                            .map_err(xlsx_error)?;
                    }
                }
                Cell::Number(n) => {
                    sheet.write_number(r, c, *n).map_err(xlsx_error)?;
                }
                Cell::Empty => {}
            }
            if let Some(w) = widths.get_mut(col) {
                *w = (*w).max(cell.width());
            }
        }
    }
    for (col, w) in widths.iter().enumerate() {
        sheet
            .set_column_width(col as u16, (w.min(&MAX_WIDTH) + 2) as f64)
            .map_err(xlsx_error)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    if !table.headers.is_empty() {
        let last_col = (table.headers.len() - 1) as u16;
        sheet
            .autofilter(0, 0, table.rows.len() as u32, last_col)
            .map_err(xlsx_error)?;
    }
    Ok(())
}
