//! Loopback helpers: every simulator and runtime of the kit listens on 127.0.0.1 only.

use std::net::SocketAddr;

/// 127.0.0.1 on a port the system picks.
pub fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}
