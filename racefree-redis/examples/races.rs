//! The check-then-act races across machines, on a real Redis server: the naive
//! GET / check / SET pattern that many services use, and racefree-redis (one Lua
//! script per operation), under the same concurrent clients.
//!
//! ```text
//! cargo run --release -p racefree-redis --example races             # ~ a few seconds
//! cargo run --release -p racefree-redis --example races -- --quick  # fewer rounds
//! ```
//!
//! It starts its own `redis-server` on 127.0.0.1 (a free port, a temporary
//! directory) and stops it at the end. Each client is a thread with its own
//! connection. The naive versions are here ONLY to show the bug; their gap
//! between GET and SET is widened with `yield_now()` so the race shows on a
//! 2-core machine. Nothing is simulated: every anomaly printed happened on the
//! server.
//!
//! Exit status: 0 when racefree-redis shows zero anomalies, 1 otherwise.

use racefree_conformance::harness::together;
use racefree_conformance::server::RedisServer;
use racefree_redis::redis::{self, Commands};
use racefree_redis::{RedisBoundedCounter, RedisSeatPool};
use std::collections::HashSet;
use std::process::ExitCode;
use std::time::Instant;

const CLIENTS: usize = 8;

fn main() -> ExitCode {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 5 } else { 20 };
    let srv = RedisServer::start();
    let url = srv.url();
    println!(
        "racefree-redis races: {CLIENTS} clients (threads, one connection each) against \
         redis-server on {url}, {rounds} rounds per row\n"
    );
    let start = Instant::now();
    let rows = [
        seats(&url, rounds),
        coupons(&url, rounds),
        overdraft(&url, rounds),
    ];
    println!(
        "{:<44} {:>10} {:>12}   what went wrong",
        "scenario / implementation", "granted", "anomalies"
    );
    let mut bad = 0;
    for (title, naive, safe, what) in &rows {
        println!("{title}");
        println!(
            "  {:<42} {:>10} {:>12}   {}",
            "naive GET / check / SET", naive.0, naive.1, what
        );
        println!(
            "  {:<42} {:>10} {:>12}",
            "racefree-redis (one script per call)", safe.0, safe.1
        );
        bad += safe.1;
    }
    println!("\ntotal {:.1} s", start.elapsed().as_secs_f64());
    if bad == 0 {
        println!("racefree-redis: 0 anomalies.");
        ExitCode::SUCCESS
    } else {
        println!("racefree-redis: {bad} anomalies — a bug; please report it.");
        ExitCode::FAILURE
    }
}

/// (granted: seats sold, coupons issued, withdrawals paid; anomalies)
type Tally = (u64, u64);
type Row = (&'static str, Tally, Tally, &'static str);

fn conn(url: &str) -> redis::Connection {
    redis::Client::open(url)
        .and_then(|c| c.get_connection())
        .expect("connect to the demo server")
}

/// Runs `work(client)` on `CLIENTS` threads started together; returns their results.
fn clients<T: Send>(work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    together(CLIENTS, work)
}

/// Each client opens its own handle with `open`, then makes `tries` attempts to
/// take something with `take`; returns how many were granted, over all clients.
fn granted<H>(
    tries: usize,
    open: impl Fn() -> H + Sync,
    take: impl Fn(&mut H) -> bool + Sync,
) -> u64 {
    clients(|_| {
        let mut handle = open();
        (0..tries)
            .map(|_| u64::from(take(&mut handle)))
            .sum::<u64>()
    })
    .iter()
    .sum()
}

/// The naive GET / check / SET on the number at `key` (0 when unset): when
/// `grant(n)` says `Some(new)`, yields (the gap between check and act), SETs
/// `new` and returns `true`.
fn get_check_set(
    con: &mut redis::Connection,
    key: &str,
    grant: impl Fn(u64) -> Option<u64>,
) -> bool {
    let n: Option<u64> = con.get(key).unwrap();
    let Some(new) = grant(n.unwrap_or(0)) else {
        return false;
    };
    std::thread::yield_now();
    let _: () = con.set(key, new).unwrap();
    true
}

/// One scenario's row: `round(r)` runs round `r` of the naive and the racefree
/// version and returns each one's (granted, anomalies); the row sums them.
fn row(
    title: &'static str,
    what: &'static str,
    rounds: usize,
    mut round: impl FnMut(usize) -> (Tally, Tally),
) -> Row {
    let (mut naive, mut safe) = ((0, 0), (0, 0));
    for r in 0..rounds {
        let (n, s) = round(r);
        naive = (naive.0 + n.0, naive.1 + n.1);
        safe = (safe.0 + s.0, safe.1 + s.1);
    }
    (title, naive, safe, what)
}

/// Seats sold more than once in `sold`: sales beyond the distinct seats.
fn sold_twice(sold: &[usize]) -> u64 {
    (sold.len() - sold.iter().collect::<HashSet<_>>().len()) as u64
}

/// 10 seats, every client buys until sold out. Anomaly: a seat sold twice.
fn seats(url: &str, rounds: usize) -> Row {
    const SEATS: usize = 10;
    row(
        "1. last seats (10 per round)",
        "seats sold twice",
        rounds,
        |r| {
            // Naive: `seat:i` is "free" until someone SETs it.
            let key = |i: usize| format!("naive:{r}:seat:{i}");
            let sold: Vec<usize> = clients(|c| {
                let mut con = conn(url);
                let mut mine = Vec::new();
                for i in (0..SEATS).map(|k| (k + c) % SEATS) {
                    let owner: Option<String> = con.get(key(i)).unwrap();
                    if owner.is_none() {
                        std::thread::yield_now(); // the gap between check and act
                        let _: () = con.set(key(i), c).unwrap();
                        mine.push(i);
                    }
                }
                mine
            })
            .concat();
            let naive = (sold.len() as u64, sold_twice(&sold));

            let name = format!("seats-{r}");
            RedisSeatPool::create(url, &name, SEATS).unwrap();
            let sold: Vec<usize> = clients(|_| {
                let pool = RedisSeatPool::open(url, &name).unwrap();
                let mut mine = Vec::new();
                while let Some(hold) = pool.try_reserve().unwrap() {
                    mine.push(hold.confirm().unwrap().id());
                }
                mine
            })
            .concat();
            // Unsold seats would be a bug too.
            let safe = (
                sold.len() as u64,
                sold_twice(&sold) + (SEATS - sold.len()) as u64,
            );
            (naive, safe)
        },
    )
}

/// "First 100 customers get a coupon": anomaly = coupons issued past 100.
fn coupons(url: &str, rounds: usize) -> Row {
    const LIMIT: u64 = 100;
    const TRIES: usize = LIMIT as usize / CLIENTS + 5;
    row(
        "2. first-100 coupons",
        "coupons over the limit",
        rounds,
        |r| {
            let key = format!("naive:{r}:coupons");
            let issued = granted(
                TRIES,
                || conn(url),
                |con| get_check_set(con, &key, |n| (n < LIMIT).then_some(n + 1)),
            );
            let naive = (issued, issued.saturating_sub(LIMIT));

            let name = format!("coupons-{r}");
            RedisBoundedCounter::create(url, &name, 0, LIMIT).unwrap();
            let issued = granted(
                TRIES,
                || RedisBoundedCounter::open(url, &name).unwrap(),
                |c| c.try_add(1).unwrap().is_ok(),
            );
            (naive, (issued, issued.abs_diff(LIMIT)))
        },
    )
}

/// A balance of 100, withdrawals of 30: anomaly = money paid out beyond 100.
fn overdraft(url: &str, rounds: usize) -> Row {
    const BALANCE: u64 = 100;
    const AMOUNT: u64 = 30;
    let title = "3. overdraft (balance 100, withdrawals of 30)";
    row(title, "withdrawals paid beyond the balance", rounds, |r| {
        let key = format!("naive:{r}:balance");
        let _: () = conn(url).set(&key, BALANCE).unwrap();
        let paid = AMOUNT
            * granted(
                2,
                || conn(url),
                |con| get_check_set(con, &key, |b| b.checked_sub(AMOUNT)),
            );
        let naive = (paid / AMOUNT, paid.saturating_sub(BALANCE) / AMOUNT);

        let name = format!("acct-{r}");
        let acct = RedisBoundedCounter::create(url, &name, BALANCE, BALANCE).unwrap();
        let paid = AMOUNT
            * granted(
                2,
                || RedisBoundedCounter::open(url, &name).unwrap(),
                |a| a.try_sub(AMOUNT).unwrap().is_ok(),
            );
        // Anomalies: paid beyond the balance, or a balance that does not add up.
        let safe = (
            paid / AMOUNT,
            paid.saturating_sub(BALANCE) / AMOUNT
                + u64::from(acct.get().unwrap() != BALANCE - paid),
        );
        (naive, safe)
    })
}
