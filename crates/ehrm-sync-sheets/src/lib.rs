//! Excel workbooks for HR officers, who open reports in Excel: a CSV opened there turns an
//! 18-digit NIP into `1.98507E+17` (Excel keeps 15 significant digits). Here every NIP and id
//! column is a text cell with the text number format (`@`), so it stays exact even when edited.
//! Each table sheet has a bold, frozen header row, an autofilter and column widths that fit.
//!
//! * [`findings_workbook`] — a reconciliation run's findings (the report's columns, Indonesian
//!   headers, optionally the follow-up marks) and a summary sheet (scope, dates, counts by data
//!   set × kind × priority);
//! * [`records_workbook`] — sync records that need a person (failed, dead, needs_action).
//!
//! Pure: rows in, bytes out. Depends on the domain only.

mod findings;
mod records;
mod table;

pub use findings::{FindingLine, RunFacts, findings_workbook};
pub use records::{RECORD_HEADERS, RecordLine, records_workbook};
pub use table::{Cell, Table, workbook};

/// The workbook could not be written (a limit of the format, e.g. over 1,048,576 rows).
#[derive(Debug, thiserror::Error)]
#[error("the Excel file could not be written: {0}")]
pub struct SheetError(String);

impl From<rust_xlsxwriter::XlsxError> for SheetError {
    fn from(e: rust_xlsxwriter::XlsxError) -> Self {
        SheetError(e.to_string())
    }
}
