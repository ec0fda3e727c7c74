//! Faults against a real PostgreSQL 15 server:
//!
//! 1. a client process killed (SIGKILL) while it holds seats: they come back
//!    when the lease ends (server clock), and what it confirmed stays booked;
//! 2. the server stopped with `pg_ctl stop -m immediate` (no checkpoint) during
//!    load, with `fsync=on`, and started again on the same directory: every
//!    confirmed ticket is still booked under its token, no seat is booked twice,
//!    the coupon counter kept every acknowledged step, and every call that was in
//!    flight when the connection died is resolved by repeating it with its
//!    request id;
//! 3. a connection cut by `pg_terminate_backend` from another session: inside a
//!    transaction (its hold rolls back with it) and while a call waits on a row
//!    lock (repeated with its request id, it acts once).

mod common;

use common::{client, server, unique, wait_until, waits_on_lock, PgOptions, PgServer};
use racefree_conformance::support::{
    kill_and_reap, report_and_await_kill, run_as_fault_child, spawn_fault_child,
};
use racefree_postgres::postgres::Client;
use racefree_postgres::{Error, Hold, PgBoundedCounter, PgSeatPool, RequestId, Table, Ticket};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Fault 1 (the killed client: [`child_holder`]).
#[test]
fn client_killed_mid_hold_loses_its_hold_not_its_tickets() {
    if run_as_fault_child(child_holder) {
        return;
    }
    let srv = server();
    let mut c = client(&srv);
    let t = unique("crash");
    let pool = PgSeatPool::create(&mut c, &t, 4).unwrap();
    let (child, report) = spawn_fault_child(
        "client_killed_mid_hold_loses_its_hold_not_its_tickets",
        &format!("{}|{}", srv.conn_str(), t.name()),
    );
    let (held, mut booked) = (report.held, report.booked);
    assert_eq!((held.len(), booked.len()), (2, 1), "child did not report");
    // Its rows, read directly (not `available()`, which would depend on how
    // fast this runs against the lease): two holds and one booking.
    let rows = c
        .query(
            &format!(
                "SELECT seat, booked FROM t.{} WHERE token IS NOT NULL ORDER BY seat",
                t.name()
            ),
            &[],
        )
        .unwrap();
    let mut rows: Vec<(usize, bool)> = rows
        .iter()
        .map(|r| (r.get::<_, i32>(0) as usize, r.get(1)))
        .collect();
    rows.sort_unstable();
    let mut want: Vec<(usize, bool)> = held.iter().map(|&id| (id, false)).collect();
    want.push((booked[0].0, true));
    want.sort_unstable();
    assert_eq!(rows, want);
    kill_and_reap(child);

    // Its holds come back after the lease (server clock); its ticket does not.
    assert!(
        wait_until(Duration::from_secs(30), || pool.available(&mut c).unwrap()
            == 3),
        "the dead client's holds never came back"
    );
    for id in &held {
        let h = pool.try_reserve_seat(&mut c, *id).unwrap();
        assert!(h.is_some(), "held seat {id} not free after the lease");
    }
    let (id, token) = booked.pop().unwrap();
    assert!(pool.try_reserve_seat(&mut c, id).unwrap().is_none());
    pool.cancel(&mut c, Ticket::from_parts(id, token)).unwrap();
}

/// The client fault 1 kills; `spec` is `CONNSTR|TABLE`.
fn child_holder(spec: &str) {
    /// Long enough that the child's own reserve-then-confirm fits in it on a
    /// loaded machine; the parent waits (bounded) for it to run out.
    const CHILD_LEASE: Duration = Duration::from_secs(2);
    let (conn, table) = spec.split_once('|').unwrap();
    let mut c = racefree_postgres::connect(conn).unwrap();
    let pool = PgSeatPool::open(&mut c, &Table::new("t", table).unwrap())
        .unwrap()
        .with_lease(CHILD_LEASE)
        .unwrap();
    let booked = pool.try_reserve(&mut c).unwrap().unwrap();
    let ticket = pool.confirm(&mut c, booked).unwrap().remove(0);
    let h = pool.try_reserve_many(&mut c, 2).unwrap().unwrap();
    report_and_await_kill((ticket.id(), ticket.token()), h.ids());
}

/// Connects, retrying (bounded) while the server is down or restarting.
fn reconnect(conn: &str) -> Client {
    for _ in 0..600 {
        if let Ok(c) = racefree_postgres::connect(conn) {
            return c;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("server did not come back");
}

/// Repeats `f` with the same request id on a fresh connection until it gets
/// an answer (bounded): the outcome of a call cut off mid-flight is read from
/// its request id, never guessed.
fn resolve<T>(
    conn: &str,
    c: &mut Client,
    resolved: &mut usize,
    mut f: impl FnMut(&mut Client) -> Result<T, Error>,
) -> T {
    for _ in 0..50 {
        match f(c) {
            Ok(v) => return v,
            Err(Error::ConnectionLost { request_id, .. }) => {
                assert!(request_id.is_some(), "an acting call lost its request id");
                *resolved += 1;
                *c = reconnect(conn);
            }
            Err(Error::Unreachable(_)) => *c = reconnect(conn),
            Err(e) => panic!("unexpected error under the restart: {e}"),
        }
    }
    panic!("call never resolved");
}

/// Fault 2.
#[test]
fn server_stopped_immediately_and_restarted_keeps_every_confirmed_ticket() {
    let mut srv = PgServer::start_with(PgOptions {
        durable: true,
        ..PgOptions::default()
    });
    let conn = srv.conn_str();
    let mut c = client(&srv);
    let t = unique("durable");
    let pool = PgSeatPool::create(&mut c, &t, 64).unwrap();
    let coupons = PgBoundedCounter::create(&mut c, &unique("coupons"), 0, 1_000_000).unwrap();
    drop(c);

    let stop = AtomicBool::new(false);
    let (tickets, adds, resolved) = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|w| {
                let (conn, pool, coupons, stop) = (&conn, &pool, &coupons, &stop);
                s.spawn(move || {
                    let mut c = reconnect(conn);
                    let mut mine: Vec<Ticket> = Vec::new();
                    let (mut adds, mut resolved) = (0u64, 0usize);
                    let mut i = 0;
                    // Bounded: at most 400 bookings per worker.
                    while !stop.load(Ordering::Relaxed) && i < 400 {
                        i += 1;
                        let rid = RequestId::from_string(format!("w{w}-r{i}")).unwrap();
                        let hold = resolve(conn, &mut c, &mut resolved, |c| {
                            pool.try_reserve_with(c, &rid)
                        });
                        let Some(hold) = hold else {
                            // Full: give back half of ours, all at once.
                            let half: Vec<Ticket> = mine.drain(..mine.len() / 2).collect();
                            let pairs: Vec<(usize, String)> =
                                half.iter().map(|t| (t.id(), t.token().into())).collect();
                            let crid = RequestId::from_string(format!("w{w}-c{i}")).unwrap();
                            resolve(conn, &mut c, &mut resolved, |c| {
                                let ts = pairs
                                    .iter()
                                    .map(|(id, tok)| Ticket::from_parts(*id, tok.clone()))
                                    .collect();
                                pool.cancel_many_with(c, ts, &crid)
                            });
                            continue;
                        };
                        let (ids, token) = (hold.ids().to_vec(), hold.token().to_string());
                        let frid = RequestId::from_string(format!("w{w}-f{i}")).unwrap();
                        let ts = resolve(conn, &mut c, &mut resolved, |c| {
                            pool.confirm_with(
                                c,
                                Hold::from_parts(ids.clone(), token.clone()),
                                &frid,
                            )
                        });
                        mine.extend(ts);
                        let arid = RequestId::from_string(format!("w{w}-a{i}")).unwrap();
                        let r = resolve(conn, &mut c, &mut resolved, |c| {
                            coupons.try_add_with(c, 1, &arid)
                        });
                        assert!(r.is_ok());
                        adds += 1;
                    }
                    (mine, adds, resolved)
                })
            })
            .collect();
        // Let load build up (bounded polling on the counter), then stop the
        // server hard, restart it, let the load run on, stop.
        let mut watch = reconnect(&conn);
        assert!(wait_until(Duration::from_secs(30), || coupons
            .get(&mut watch)
            .unwrap()
            >= 40));
        drop(watch);
        srv.stop_immediate();
        std::thread::sleep(Duration::from_millis(300));
        srv.restart();
        let mut watch = reconnect(&conn);
        let before = coupons.get(&mut watch).unwrap();
        assert!(wait_until(Duration::from_secs(30), || coupons
            .get(&mut watch)
            .unwrap()
            >= before + 40));
        stop.store(true, Ordering::Relaxed);
        let mut tickets = Vec::new();
        let (mut adds, mut resolved) = (0, 0);
        for w in workers {
            let (t, a, r) = w.join().unwrap();
            tickets.extend(t);
            adds += a;
            resolved += r;
        }
        (tickets, adds, resolved)
    });

    let mut c = reconnect(&conn);
    // Every confirmed ticket is booked under its own token; no seat twice.
    let rows = c
        .query(
            &format!("SELECT seat, token FROM t.{} WHERE booked", t.name()),
            &[],
        )
        .unwrap();
    let booked: HashMap<i32, String> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let mut seen = HashSet::new();
    for tk in &tickets {
        assert!(seen.insert(tk.id()), "seat {} confirmed twice", tk.id());
        assert_eq!(
            booked.get(&(tk.id() as i32)).map(String::as_str),
            Some(tk.token()),
            "confirmed seat {} lost or booked under another token",
            tk.id()
        );
    }
    assert_eq!(
        booked.len(),
        tickets.len(),
        "a booking nobody holds a ticket for"
    );
    // Every acknowledged coupon step is there, once.
    assert_eq!(coupons.get(&mut c).unwrap(), adds);
    println!(
        "restart under load: {} tickets kept, {adds} coupon steps, {resolved} in-flight calls resolved by request id",
        tickets.len()
    );
    assert!(resolved >= 1, "the stop cut no call in flight");
}

/// Fault 3.
#[test]
fn connection_terminated_mid_transaction() {
    let srv = server();
    let conn = srv.conn_str();
    let mut admin = client(&srv);
    let pool = PgSeatPool::create(&mut admin, &unique("term"), 2).unwrap();

    // (a) Inside a transaction: the hold goes with the rolled-back transaction.
    let mut a = client(&srv);
    let pid: i32 = a.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
    let mut tx = a.transaction().unwrap();
    let h = pool.try_reserve_seat(&mut tx, 0).unwrap().expect("free");
    assert_eq!(h.id(), 0);
    let killed: bool = admin
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .unwrap()
        .get(0);
    assert!(killed);
    let rid = RequestId::new();
    let e = pool.confirm_with(&mut tx, h, &rid).unwrap_err();
    assert!(
        matches!(&e, Error::ConnectionLost { request_id: Some(r), .. } if r == rid.as_str()),
        "{e}"
    );
    drop(tx);
    assert_eq!(
        pool.available(&mut admin).unwrap(),
        2,
        "the hold outlived its transaction"
    );

    // (b) Autocommit, cut while waiting for a row lock: the repeat with the same
    // request id acts exactly once.
    let mut locker = client(&srv);
    let mut ltx = locker.transaction().unwrap();
    let blocker = pool.try_reserve_seat(&mut ltx, 1).unwrap().expect("free");
    let mut b = client(&srv);
    let bpid: i32 = b.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
    let rid = RequestId::from_string("seat-1-for-b").unwrap();
    let e = std::thread::scope(|s| {
        let waiter = s.spawn(|| pool.try_reserve_seat_with(&mut b, 1, &rid));
        // Bounded wait until b's statement is waiting on the lock.
        assert!(wait_until(Duration::from_secs(20), || waits_on_lock(
            &mut admin, bpid
        )));
        admin
            .execute("SELECT pg_terminate_backend($1)", &[&bpid])
            .unwrap();
        waiter.join().unwrap()
    });
    let e = e.unwrap_err();
    assert!(
        matches!(&e, Error::ConnectionLost { request_id: Some(r), .. } if r == rid.as_str()),
        "{e}"
    );
    // The blocker gives up; b repeats with its id on a new connection: it
    // gets the seat (the cut call never committed), and a second repeat
    // returns the same hold rather than a new act.
    let _ = blocker;
    ltx.rollback().unwrap();
    let mut b2 = reconnect(&conn);
    let got = pool
        .try_reserve_seat_with(&mut b2, 1, &rid)
        .unwrap()
        .expect("seat 1 free after the blocker rolled back");
    let again = pool
        .try_reserve_seat_with(&mut b2, 1, &rid)
        .unwrap()
        .expect("the stored answer");
    assert_eq!(got, again);
    assert_eq!(pool.available(&mut admin).unwrap(), 1);
}
