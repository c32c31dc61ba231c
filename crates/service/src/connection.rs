//! What the server knows about the connection a request arrived on.

use std::net::SocketAddr;

/// Inserted into each request's extensions by the server that accepted the connection, so
/// that authorization can see `aws:SourceIp` and `aws:SecureTransport`. A request without it
/// (the service embedded elsewhere) counts as plain HTTP from an unknown peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionInfo {
    pub peer: SocketAddr,
    /// Whether the connection is TLS.
    pub secure: bool,
}
