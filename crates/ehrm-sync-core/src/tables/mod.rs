//! What the workbooks HR officers open show, as tables of cells (the sheets crate writes them
//! through the [`Workbooks`](crate::ports::Workbooks) port): a reconciliation run's findings,
//! the records that need a person. A readiness run's sheets are the readiness check's own
//! (`readiness::report`).

mod findings;
mod records;

pub use findings::{FindingLine, RunFacts, findings_tables};
pub use records::{RECORD_HEADERS, RecordLine, records_tables};
