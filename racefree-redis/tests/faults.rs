//! Faults against a real `redis-server`:
//!
//! 1. a client process killed (SIGKILL) while it holds a seat: the seat comes
//!    back when the lease ends, and what it had confirmed stays booked;
//! 2. the server itself killed (SIGKILL) with `--appendonly yes --appendfsync
//!    always` and restarted on the same directory: every confirmed ticket is
//!    still booked, nothing is booked twice, counters kept every acknowledged
//!    step;
//! 3. a call whose reply is lost to a client-side timeout, retried with the same
//!    request id (by hand and automatically): it acts once — on the blocking
//!    and (feature `tokio`) the async client.

mod common;

use common::{raw, server, wait_until, ServerOptions};
use racefree_conformance::harness::prepared_together;
use racefree_conformance::server::RedisServer;
use racefree_conformance::support::{
    kill_and_reap, report_and_await_kill, run_as_fault_child, spawn_fault_child,
};
use racefree_redis::redis;
use racefree_redis::{
    Config, Error, RedisBoundedCounter, RedisCounter, RedisSeatPool, RequestId, Ticket,
};
use std::collections::HashSet;
use std::time::Duration;

/// Fault 1; the killed client is [`child_holder`].
#[test]
fn client_killed_mid_hold_loses_its_hold_not_its_tickets() {
    if run_as_fault_child(child_holder) {
        return;
    }
    let srv = server();
    let pool = RedisSeatPool::create(srv.url(), "crash", 4).unwrap();
    let (child, report) = spawn_fault_child(
        "client_killed_mid_hold_loses_its_hold_not_its_tickets",
        &format!("{} crash", srv.url()),
    );
    let (held, mut booked) = (report.held, report.booked);
    assert_eq!((held.len(), booked.len()), (2, 1), "child did not report");
    assert_eq!(pool.available().unwrap(), 1);
    kill_and_reap(child);

    // Its holds come back after the lease (server clock); its ticket does not.
    assert!(
        wait_until(Duration::from_secs(20), || pool.available().unwrap() == 3),
        "the dead client's holds never came back"
    );
    for id in &held {
        let h = pool.try_reserve_seat(*id).unwrap();
        assert!(h.is_some(), "held seat {id} did not return");
    }
    let (id, token) = booked.pop().unwrap();
    assert!(pool.try_reserve_seat(id).unwrap().is_none(), "ticket lost");
    pool.cancel(Ticket::from_parts(id, token)).unwrap();
    assert_eq!(pool.available().unwrap(), 4);
}

/// The client fault 1 kills; `spec` is `URL POOL`.
fn child_holder(spec: &str) {
    const CHILD_LEASE: Duration = Duration::from_millis(400);
    let (url, name) = spec.split_once(' ').expect("URL POOL");
    let pool = RedisSeatPool::open(url, name)
        .unwrap()
        .with_config(Config::default().lease(CHILD_LEASE));
    let ticket = pool.try_reserve().unwrap().unwrap().confirm().unwrap();
    let group = pool.try_reserve_many(2).unwrap().unwrap();
    report_and_await_kill((ticket.id(), ticket.token()), group.ids());
}

/// Fault 2.
#[test]
fn server_killed_and_restarted_keeps_every_confirmed_ticket() {
    let opts = ServerOptions {
        append_only: true,
        ..ServerOptions::default()
    };
    let srv = RedisServer::start_with(opts);
    let (url, port) = (srv.url(), srv.port());
    RedisSeatPool::create(url.as_str(), "aof", 30).unwrap();
    RedisCounter::create(url.as_str(), "aof-ids", 0).unwrap();
    RedisBoundedCounter::create(url.as_str(), "aof-stock", 50, 50).unwrap();

    // 4 clients book and hold concurrently; every acknowledged step is recorded.
    type Acked = (Vec<(usize, String)>, Vec<u64>, u64);
    let per_client: Vec<Acked> = prepared_together(
        4,
        |_| {
            (
                RedisSeatPool::open(url.as_str(), "aof").unwrap(),
                RedisCounter::open(url.as_str(), "aof-ids").unwrap(),
                RedisBoundedCounter::open(url.as_str(), "aof-stock").unwrap(),
            )
        },
        |t, (pool, ids, stock)| {
            let (mut tickets, mut got, mut taken) = (Vec::new(), Vec::new(), 0);
            for i in 0..12 {
                match pool.try_reserve().unwrap() {
                    Some(h) if (t + i) % 3 != 0 => {
                        let tk = h.confirm().unwrap();
                        tickets.push((tk.id(), tk.token().to_string()));
                    }
                    Some(h) => std::mem::forget(h), // held at the crash
                    None => {}
                }
                got.push(ids.increment().unwrap());
                if stock.try_sub(1).unwrap().is_ok() {
                    taken += 1;
                }
            }
            (tickets, got, taken)
        },
    );
    let tickets: Vec<(usize, String)> = per_client.iter().flat_map(|c| c.0.clone()).collect();
    let increments: usize = per_client.iter().map(|c| c.1.len()).sum();
    let taken: u64 = per_client.iter().map(|c| c.2).sum();
    let distinct: HashSet<usize> = tickets.iter().map(|t| t.0).collect();
    assert_eq!(
        distinct.len(),
        tickets.len(),
        "double booking before the crash"
    );
    assert!(!tickets.is_empty());

    let dir = srv.kill(); // SIGKILL: no shutdown, no final save
    let srv = RedisServer::start_with(ServerOptions {
        append_only: true,
        dir: Some(dir.clone()),
        port: Some(port),
        ..ServerOptions::default()
    });
    let pool = RedisSeatPool::open(srv.url(), "aof").unwrap();
    assert_eq!(pool.capacity(), 30);
    // Every confirmed ticket is still booked under its own token: cancelling each
    // succeeds exactly once.
    for (id, _) in &tickets {
        assert!(
            pool.try_reserve_seat(*id).unwrap().is_none(),
            "ticket {id} lost"
        );
    }
    let ids = RedisCounter::open(srv.url(), "aof-ids").unwrap();
    assert_eq!(
        ids.get().unwrap(),
        increments as u64,
        "acknowledged increments lost"
    );
    let stock = RedisBoundedCounter::open(srv.url(), "aof-stock").unwrap();
    assert_eq!(stock.get().unwrap(), 50 - taken);
    let holds_at_crash = 30 - tickets.len() - pool.available().unwrap();
    println!(
        "after restart: {} tickets kept, {holds_at_crash} holds still leased, {increments} increments kept",
        tickets.len()
    );
    for (id, token) in &tickets {
        pool.cancel(Ticket::from_parts(*id, token.clone())).unwrap();
        assert!(matches!(
            pool.cancel(Ticket::from_parts(*id, token.clone())),
            Err(Error::NotBooked { .. })
        ));
    }
    assert_eq!(pool.available().unwrap(), 30 - holds_at_crash);
    drop(srv);
    let _ = std::fs::remove_dir_all(dir);
}

/// Fault 3. The server is frozen (`DEBUG SLEEP`) while a call is on the wire;
/// the client's read timeout fires first, so its reply is lost although the
/// server runs the call when it wakes. Retrying with the same request id must
/// not act a second time.
#[test]
fn call_retried_after_a_timeout_acts_once() {
    let srv = debug_server();
    let url = srv.url();
    let counter = RedisCounter::create(url.as_str(), "t-ids", 100).unwrap();
    let pool = RedisSeatPool::create(url.as_str(), "t-pool", 3).unwrap();
    let impatient = Config::default()
        .timeout(Duration::from_millis(300))
        .retries(0);
    let impatient_counter = RedisCounter::open(url.as_str(), "t-ids")
        .unwrap()
        .with_config(impatient.clone());
    let impatient_pool = RedisSeatPool::open(url.as_str(), "t-pool")
        .unwrap()
        .with_config(impatient);

    // Warm connections, so that the frozen calls are sent and lose only their
    // replies (a fresh connection would time out in its handshake, unsent).
    impatient_counter.get().unwrap();
    impatient_pool.available().unwrap();

    // By hand: the caller sees a timeout, then retries with its request id.
    let rid = RequestId::new();
    let first = frozen(&url, || impatient_counter.add_with(5, &rid));
    let lost = matches!(first, Err(Error::Timeout(_)));
    println!("first add: {first:?} (reply lost: {lost})");
    if lost {
        assert!(first.unwrap_err().to_string().contains("same request id"));
    }
    // Whether the server ran the first call (its reply lost) or never got it,
    // the retry must leave exactly one addition.
    let before_retry = counter.get().unwrap();
    println!("value before the retry: {before_retry} (105 = the lost call acted)");
    assert!(before_retry == 100 || before_retry == 105);
    assert_eq!(
        counter.add_with(5, &rid).unwrap(),
        100,
        "the retry acted again"
    );
    assert_eq!(counter.get().unwrap(), 105);

    let rid = RequestId::new();
    let first = frozen(&url, || {
        impatient_pool.try_reserve_with(&rid).map(|h| {
            h.map(|h| {
                let id = h.id();
                std::mem::forget(h);
                id
            })
        })
    });
    println!("first reserve: {first:?}");
    let again = pool.try_reserve_with(&rid).unwrap().expect("a seat");
    if let Ok(Some(id)) = first {
        assert_eq!(again.id(), id);
    }
    assert_eq!(pool.available().unwrap(), 2, "the retry took a second seat");
    pool.cancel(again.confirm().unwrap()).unwrap();

    // Automatically: a handle that retries on timeouts, with one request id.
    let patient = RedisCounter::open(url.as_str(), "t-ids")
        .unwrap()
        .with_config(
            Config::default()
                .timeout(Duration::from_millis(300))
                .retries(20),
        );
    let before = patient.get().unwrap();
    let prev = frozen(&url, || patient.add(7)).unwrap();
    assert_eq!(prev, before);
    assert_eq!(
        counter.get().unwrap(),
        before + 7,
        "an automatic retry acted twice"
    );
}

/// A server that takes `DEBUG SLEEP` (from 127.0.0.1).
fn debug_server() -> RedisServer {
    RedisServer::start_with(ServerOptions {
        extra_args: vec!["--enable-debug-command".into(), "local".into()],
        ..ServerOptions::default()
    })
}

/// Runs `f` while the server sleeps for 1.5 s (`DEBUG SLEEP` sent on its own
/// connection first; the pause before `f` only makes it likely that the server is
/// already asleep — the assertions hold either way).
fn frozen<T>(url: &str, f: impl FnOnce() -> T) -> T {
    let mut admin = raw(url);
    std::thread::scope(|s| {
        let sleeper = s.spawn(move || {
            let _: redis::RedisResult<()> = redis::cmd("DEBUG")
                .arg("SLEEP")
                .arg("1.5")
                .query(&mut admin);
        });
        std::thread::sleep(Duration::from_millis(150));
        let out = f();
        sleeper.join().unwrap();
        out
    })
}

/// Fault 3 on the async client (feature `tokio`): a reply lost to the response
/// timeout, then the same request id again, by hand and by the handle's own
/// retries (each on a fresh multiplexed connection): one addition each.
#[cfg(feature = "tokio")]
#[test]
fn async_call_retried_after_a_timeout_acts_once() {
    use racefree_redis::aio::AsyncRedisCounter;
    let srv = debug_server();
    let url = srv.url();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let quick = Duration::from_millis(300);
    let counter = rt.block_on(AsyncRedisCounter::create(url.as_str(), "at-ids", 100));
    let counter = counter.unwrap();
    let impatient = counter
        .clone()
        .with_config(Config::default().timeout(quick).retries(0));
    rt.block_on(impatient.get()).unwrap(); // a warm connection: only the reply is lost

    let rid = RequestId::new();
    let first = frozen(&url, || rt.block_on(impatient.add_with(5, &rid)));
    println!("first async add: {first:?}");
    let before_retry = rt.block_on(counter.get()).unwrap();
    assert!(before_retry == 100 || before_retry == 105);
    let again = rt.block_on(impatient.add_with(5, &rid));
    assert_eq!(again.unwrap(), 100, "the retry acted again");
    assert_eq!(rt.block_on(counter.get()).unwrap(), 105);

    let patient = counter.with_config(Config::default().timeout(quick).retries(20));
    let before = rt.block_on(patient.get()).unwrap();
    let prev = frozen(&url, || rt.block_on(patient.add(7))).unwrap();
    assert_eq!(prev, before);
    assert_eq!(
        rt.block_on(patient.get()).unwrap(),
        before + 7,
        "an automatic retry acted twice"
    );
}
