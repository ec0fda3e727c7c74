//! Helpers shared by the integration tests: a real PostgreSQL server per test
//! binary (or per test), fresh table names, and bounded polling.
#![allow(dead_code)] // each test binary uses a different subset

#[allow(unused_imports)]
pub use racefree_conformance::postgres_server::PgOptions;
pub use racefree_conformance::postgres_server::PgServer;
use racefree_conformance::support::fresh_name;
#[allow(unused_imports)]
pub use racefree_conformance::support::wait_until;
use racefree_postgres::postgres::Client;
use racefree_postgres::Table;

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
    Table::new("t", &fresh_name(prefix, '_')).unwrap()
}

/// Whether backend `pid` is waiting on a lock right now, read from
/// `pg_stat_activity` on `admin`.
pub fn waits_on_lock(admin: &mut Client, pid: i32) -> bool {
    admin
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'",
            &[&pid],
        )
        .unwrap()
        .get::<_, i64>(0)
        == 1
}
