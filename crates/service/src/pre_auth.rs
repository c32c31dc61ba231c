//! Bounds on work done before a request is authenticated.
//!
//! An S3 request is authenticated from its head alone (the signature covers the declared
//! payload hash, checked while the body streams), but an IAM request's signature covers its
//! form body, which must be read before the signature can be checked. Anyone who knows an
//! access key ID (every presigned URL carries one) can start such a read, so it is bounded:
//!
//! - in time: the whole body must arrive within [`PreAuthLimits::body_deadline`] (else
//!   `RequestTimeout`), however steadily it trickles;
//! - in number: at most [`PreAuthLimits::max_in_flight`] such reads at once in the whole
//!   service, at most [`PreAuthLimits::max_in_flight_per_key`] for one access key ID and at
//!   most [`PreAuthLimits::max_in_flight_per_connection`] on one connection (peer address);
//!   past any of them the request is answered `ServiceUnavailable` at once, without reading
//!   its body.
//!
//! A request whose access key is unknown or inactive is refused before it gets here, before
//! any body byte is read.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Default: how long an unauthenticated body may take to arrive in full.
pub const DEFAULT_AUTH_BODY_DEADLINE: Duration = Duration::from_secs(10);

/// The bounds of [`PreAuthGate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreAuthLimits {
    /// How long the whole body of a request read before authentication may take.
    pub body_deadline: Duration,
    /// Such reads in flight at once, in the whole service.
    pub max_in_flight: usize,
    /// Such reads in flight at once for one access key ID.
    pub max_in_flight_per_key: usize,
    /// Such reads in flight at once on one connection.
    pub max_in_flight_per_connection: usize,
}

impl PreAuthLimits {
    /// The limits for a server that serves at most `max_requests` requests at once:
    /// unauthenticated reads may take a quarter of them (at least one), one access key ID
    /// half of that (at least one), one connection one.
    pub fn for_max_requests(max_requests: usize, body_deadline: Duration) -> Self {
        let max_in_flight = (max_requests / 4).max(1);
        Self {
            body_deadline,
            max_in_flight,
            max_in_flight_per_key: (max_in_flight / 2).max(1),
            max_in_flight_per_connection: 1,
        }
    }
}

impl Default for PreAuthLimits {
    /// [`PreAuthLimits::for_max_requests`] of 1024 with a 10 s deadline.
    fn default() -> Self {
        Self::for_max_requests(1024, DEFAULT_AUTH_BODY_DEADLINE)
    }
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_key: HashMap<String, usize>,
    by_connection: HashMap<SocketAddr, usize>,
}

/// Counts the reads before authentication in flight; see the module docs.
#[derive(Debug)]
pub struct PreAuthGate {
    limits: PreAuthLimits,
    counts: Arc<Mutex<Counts>>,
}

/// Which bound refused a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreAuthRefusal {
    Total,
    AccessKey,
    Connection,
}

/// One read in flight; released when dropped.
#[derive(Debug)]
pub struct PreAuthPermit {
    counts: Arc<Mutex<Counts>>,
    key: String,
    connection: Option<SocketAddr>,
}

fn decrement<K: std::hash::Hash + Eq>(map: &mut HashMap<K, usize>, key: &K) {
    if let Some(n) = map.get_mut(key) {
        *n -= 1;
        if *n == 0 {
            map.remove(key);
        }
    }
}

impl Drop for PreAuthPermit {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.total -= 1;
        decrement(&mut counts.by_key, &self.key);
        if let Some(connection) = &self.connection {
            decrement(&mut counts.by_connection, connection);
        }
    }
}

impl PreAuthGate {
    pub fn new(limits: PreAuthLimits) -> Self {
        Self {
            limits,
            counts: Arc::default(),
        }
    }

    pub fn limits(&self) -> &PreAuthLimits {
        &self.limits
    }

    /// Admits one read for `access_key_id` on `connection` (`None` when the embedding server
    /// does not say), or names the bound it would break.
    pub fn admit(
        &self,
        access_key_id: &str,
        connection: Option<SocketAddr>,
    ) -> Result<PreAuthPermit, PreAuthRefusal> {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if counts.total >= self.limits.max_in_flight {
            return Err(PreAuthRefusal::Total);
        }
        if counts.by_key.get(access_key_id).copied().unwrap_or(0)
            >= self.limits.max_in_flight_per_key
        {
            return Err(PreAuthRefusal::AccessKey);
        }
        if let Some(c) = &connection {
            if counts.by_connection.get(c).copied().unwrap_or(0)
                >= self.limits.max_in_flight_per_connection
            {
                return Err(PreAuthRefusal::Connection);
            }
            *counts.by_connection.entry(*c).or_default() += 1;
        }
        counts.total += 1;
        *counts.by_key.entry(access_key_id.to_owned()).or_default() += 1;
        Ok(PreAuthPermit {
            counts: Arc::clone(&self.counts),
            key: access_key_id.to_owned(),
            connection,
        })
    }

    /// Reads in flight now.
    pub fn in_flight(&self) -> usize {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(total: usize, per_key: usize) -> PreAuthGate {
        PreAuthGate::new(PreAuthLimits {
            body_deadline: DEFAULT_AUTH_BODY_DEADLINE,
            max_in_flight: total,
            max_in_flight_per_key: per_key,
            max_in_flight_per_connection: 1,
        })
    }

    fn peer(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn each_bound_refuses_and_dropping_releases() {
        let g = gate(3, 2);
        let a1 = g.admit("AKIAA", Some(peer(1))).unwrap();
        assert_eq!(
            g.admit("AKIAB", Some(peer(1))).unwrap_err(),
            PreAuthRefusal::Connection
        );
        let a2 = g.admit("AKIAA", Some(peer(2))).unwrap();
        assert_eq!(
            g.admit("AKIAA", Some(peer(3))).unwrap_err(),
            PreAuthRefusal::AccessKey
        );
        let b = g.admit("AKIAB", None).unwrap();
        assert_eq!(
            g.admit("AKIAC", Some(peer(4))).unwrap_err(),
            PreAuthRefusal::Total
        );
        assert_eq!(g.in_flight(), 3);
        drop((a1, a2, b));
        assert_eq!(g.in_flight(), 0);
        let counts = g.counts.lock().unwrap();
        assert!(counts.by_key.is_empty() && counts.by_connection.is_empty());
    }

    #[test]
    fn shares_of_max_requests() {
        let five = PreAuthLimits::for_max_requests(5, DEFAULT_AUTH_BODY_DEADLINE);
        assert_eq!((five.max_in_flight, five.max_in_flight_per_key), (1, 1));
        let default = PreAuthLimits::default();
        assert_eq!(
            (default.max_in_flight, default.max_in_flight_per_key),
            (256, 128)
        );
        assert_eq!(default.body_deadline, Duration::from_secs(10));
    }
}
