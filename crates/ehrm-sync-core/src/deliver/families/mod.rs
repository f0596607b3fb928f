//! The record families delivery pushes: one module each.
//!
//! * [`annual`] — annual SKP 2022 (`rw-skp22`, `skp22/save`; no delete at BKN);
//! * [`periodic`] — monthly and quarterly evaluations (`rw-kinerjaperiodik`,
//!   `kinerjaperiodik/save`, `kinerjaperiodik/delete`);
//! * [`jabatan`] — riwayat jabatan (`rw-jabatan`, `jabatan/save`, `jabatan/delete`), followed
//!   by its SK document and the data-utama refresh (`deliver::jabatan`).

pub mod annual;
pub mod jabatan;
pub mod periodic;

pub use annual::Annual;
pub use jabatan::Jabatan;
pub use periodic::Periodic;
