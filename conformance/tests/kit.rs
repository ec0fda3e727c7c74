//! The conformance kit's own checks: the server harness starts, answers, dies
//! cleanly and restarts on its data; the checker accepts and rejects.

use racefree_conformance::checker::check;
use racefree_conformance::history::History;
use racefree_conformance::models::{SeatModel, SeatOp, SeatRet};
use racefree_conformance::server::{RedisServer, ServerOptions};
use std::net::TcpStream;

#[test]
fn server_starts_answers_and_is_gone_after_drop() {
    let srv = RedisServer::start();
    assert!(srv.url().starts_with("redis://127.0.0.1:"));
    assert!(srv.raw_command("PING").unwrap().starts_with("+PONG"));
    let (port, dir) = (srv.port(), srv.dir().to_path_buf());
    assert!(dir.is_dir());
    drop(srv);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "still listening"
    );
    assert!(!dir.exists(), "temporary directory left behind");
}

#[test]
fn server_killed_restarts_on_its_append_only_file() {
    let srv = RedisServer::start_with(ServerOptions {
        append_only: true,
        ..ServerOptions::default()
    });
    assert!(srv.raw_command("SET k v").unwrap().starts_with("+OK"));
    let port = srv.port();
    let dir = srv.kill();
    let srv = RedisServer::start_with(ServerOptions {
        append_only: true,
        dir: Some(dir.clone()),
        port: Some(port),
        ..ServerOptions::default()
    });
    assert!(srv.raw_command("GET k").unwrap().contains("v"));
    drop(srv);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn seat_model_catches_a_double_booking() {
    let m = SeatModel::new(1, 0);
    let bad = History::handmade(vec![
        (0, SeatOp::Reserve, SeatRet::Reserve(Some(0)), 0, 1),
        (1, SeatOp::Reserve, SeatRet::Reserve(Some(0)), 2, 3),
    ]);
    assert!(check(&m, &bad).is_err());
    let good = History::handmade(vec![
        (0, SeatOp::Reserve, SeatRet::Reserve(Some(0)), 0, 1),
        (1, SeatOp::Reserve, SeatRet::Reserve(None), 2, 3),
    ]);
    assert!(check(&m, &good).is_ok());
}
