//! The record families delivery pushes: one module each.
//!
//! * [`annual`] — annual SKP 2022 (`rw-skp22`, `skp22/save`; no delete at BKN);
//! * [`periodic`] — monthly and quarterly evaluations (`rw-kinerjaperiodik`,
//!   `kinerjaperiodik/save`, `kinerjaperiodik/delete`).

pub mod annual;
pub mod periodic;

pub use annual::Annual;
pub use periodic::Periodic;
