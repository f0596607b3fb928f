//! The console's cases (`tests/src/console/cases.rs`) on the embedded SQLite store, called in
//! process as `ehrm-sync serve` calls them.

ehrm_sync_tests::console_cases!(ehrm_sync_tests::console::ConsoleFixture::sqlite());
