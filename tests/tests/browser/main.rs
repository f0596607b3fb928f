//! The console in a real browser: headless Chromium over WebDriver against `serve` and both
//! simulators, at an office width and a phone's.

mod console_browser;
mod sso_browser;
