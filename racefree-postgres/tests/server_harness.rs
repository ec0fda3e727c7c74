//! The throwaway-server harness the other tests stand on: it listens on
//! 127.0.0.1 only, keeps committed data across `pg_ctl stop -m immediate` and a
//! restart (with `fsync=on`), stops its process and removes its directory on
//! drop, and fails loudly (never skips) when the binaries are missing.
//! One test function, run in order, because the last step changes `$PG_BIN`.

mod common;

use common::{client, PgOptions, PgServer};
use std::time::Duration;

fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| !s.contains(") Z "))
            .unwrap_or(false)
}

#[test]
fn harness_listens_locally_survives_immediate_stop_and_cleans_up() {
    let mut srv = PgServer::start_with(PgOptions {
        durable: true,
        ..PgOptions::default()
    });
    let dir = srv.dir().to_path_buf();
    let mut c = client(&srv);
    let listen: String = c.query_one("SHOW listen_addresses", &[]).unwrap().get(0);
    assert_eq!(listen, "127.0.0.1");
    let fsync: String = c.query_one("SHOW fsync", &[]).unwrap().get(0);
    assert_eq!(fsync, "on");
    let pid: i32 = c
        .query_one(
            "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'",
            &[],
        )
        .unwrap()
        .get(0);
    c.batch_execute("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)")
        .unwrap();
    drop(c);

    srv.stop_immediate();
    assert!(!srv.is_running());
    srv.restart();
    let mut c = client(&srv);
    let v: i32 = c.query_one("SELECT v FROM kept", &[]).unwrap().get(0);
    assert_eq!(v, 42, "a committed row was lost across the immediate stop");
    let pid2: i32 = c
        .query_one(
            "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'",
            &[],
        )
        .unwrap()
        .get(0);
    drop(c);
    assert!(
        !alive(pid as u32),
        "a backend of the stopped server survived"
    );

    drop(srv);
    assert!(!dir.exists(), "the temporary directory was left behind");
    // Bounded: the postmaster's children exit right after it.
    let mut gone = false;
    for _ in 0..200 {
        if !alive(pid2 as u32) {
            gone = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    assert!(gone, "a server process outlived the drop");

    // A missing binary is a failure with a clear message, not a skip.
    std::env::set_var("PG_BIN", "/nonexistent/pg/bin");
    let r = std::panic::catch_unwind(PgServer::start);
    std::env::remove_var("PG_BIN");
    let msg = r.expect_err("start must fail without binaries");
    let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("apt-get install -y postgresql"), "{msg}");
}
