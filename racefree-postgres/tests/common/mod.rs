//! Helpers shared by the integration tests: a real PostgreSQL server per test
//! binary (or per test), fresh table names, and bounded polling.
#![allow(dead_code)] // each test binary uses a different subset

#[allow(unused_imports)]
pub use racefree_conformance::postgres_server::PgOptions;
pub use racefree_conformance::postgres_server::PgServer;
use racefree_postgres::postgres::Client;
use racefree_postgres::Table;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A fresh server on 127.0.0.1 (stopped when the returned value drops).
pub fn server() -> PgServer {
    PgServer::start()
}

/// A new connection to `srv` as the superuser.
pub fn client(srv: &PgServer) -> Client {
    racefree_postgres::connect(&srv.conn_str()).expect("connect to the test server")
}

/// A table name no other test in this process uses, in schema `t`.
pub fn unique(prefix: &str) -> Table {
    static N: AtomicU64 = AtomicU64::new(0);
    Table::new(
        "t",
        &format!("{prefix}_{}", N.fetch_add(1, Ordering::Relaxed)),
    )
    .unwrap()
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
