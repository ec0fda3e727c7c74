//! Helpers shared by the integration tests: a real `redis-server` per test and
//! bounded polling.
#![allow(dead_code)] // each test binary uses a different subset

use racefree_conformance::server::RedisServer;
#[allow(unused_imports)]
pub use racefree_conformance::server::ServerOptions;
use racefree_redis::redis;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A fresh server on 127.0.0.1 (killed when the returned value drops).
pub fn server() -> RedisServer {
    RedisServer::start()
}

/// A name no other test in this process uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!("{prefix}-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// A plain client connection, for poking at keys directly.
pub fn raw(url: &str) -> redis::Connection {
    redis::Client::open(url)
        .and_then(|c| c.get_connection())
        .expect("connect to the test server")
}

/// Polls `cond` every 20 ms, at most `limit` in total (and at most 1000 times);
/// returns whether it became true. Waiting is bounded; nothing asserts speed.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    for _ in 0..1000 {
        if cond() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}
