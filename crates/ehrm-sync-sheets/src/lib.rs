//! Excel workbooks for HR officers, who open reports in Excel: a CSV opened there turns an
//! 18-digit NIP into `1.98507E+17` (Excel keeps 15 significant digits). Here every text cell —
//! NIPs and ids among them — has the text number format (`@`), so it stays exact even when
//! edited, and is never read as a formula. Each sheet has a bold, frozen header row, an
//! autofilter and column widths that fit.
//!
//! The adapter of core's [`Workbooks`] port: tables in ([`Table`], built by core and the
//! console), bytes out. Used by the edges that write files (the command, the local runtime,
//! the Lambda functions, the console's downloads).

mod table;

use ehrm_sync_core::ports::{Table, WorkbookError, Workbooks};

pub use table::workbook;

/// Writes `.xlsx` files with `rust_xlsxwriter`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Xlsx;

impl Workbooks for Xlsx {
    fn workbook(&self, tables: &[Table]) -> Result<Vec<u8>, WorkbookError> {
        workbook(tables)
    }
}

pub(crate) fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> WorkbookError {
    WorkbookError(e.to_string())
}
