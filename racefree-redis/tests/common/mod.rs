//! Helpers shared by the integration tests: a real `redis-server` per test and
//! bounded polling.
#![allow(dead_code)] // each test binary uses a different subset

use racefree_conformance::server::RedisServer;
#[allow(unused_imports)]
pub use racefree_conformance::server::ServerOptions;
use racefree_conformance::support::fresh_name;
#[allow(unused_imports)]
pub use racefree_conformance::support::wait_until;
use racefree_redis::redis;

/// A fresh server on 127.0.0.1 (killed when the returned value drops).
pub fn server() -> RedisServer {
    RedisServer::start()
}

/// A name no other test in this process uses.
pub fn unique(prefix: &str) -> String {
    fresh_name(prefix, '-')
}

/// A plain client connection, for poking at keys directly.
pub fn raw(url: &str) -> redis::Connection {
    redis::Client::open(url)
        .and_then(|c| c.get_connection())
        .expect("connect to the test server")
}

/// Checks that the `(previous, previous + n)` ranges a counter handed out
/// tile `0..end` with no overlap and no gap (no value handed out twice);
/// returns `end`.
pub fn assert_tiles(mut ranges: Vec<(u64, u64)>) -> u64 {
    ranges.sort_unstable();
    let mut next = 0;
    for (lo, hi) in &ranges {
        assert_eq!(*lo, next, "a value was handed out twice or skipped");
        next = *hi;
    }
    next
}
