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

use racefree_conformance::server::RedisServer;
use racefree_redis::redis::{self, Commands};
use racefree_redis::{RedisBoundedCounter, RedisSeatPool};
use std::collections::HashSet;
use std::process::ExitCode;
use std::sync::Barrier;
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
    let barrier = Barrier::new(CLIENTS);
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let (work, barrier) = (&work, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    work(c)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// 10 seats, every client buys until sold out. Anomaly: a seat sold twice.
fn seats(url: &str, rounds: usize) -> Row {
    const SEATS: usize = 10;
    let (mut naive, mut safe) = ((0, 0), (0, 0));
    for r in 0..rounds {
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
        naive.0 += sold.len() as u64;
        naive.1 += (sold.len() - sold.iter().collect::<HashSet<_>>().len()) as u64;

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
        safe.0 += sold.len() as u64;
        safe.1 += (sold.len() - sold.iter().collect::<HashSet<_>>().len()) as u64
            + (SEATS - sold.len()) as u64; // unsold seats would be a bug too
    }
    (
        "1. last seats (10 per round)",
        naive,
        safe,
        "seats sold twice",
    )
}

/// "First 100 customers get a coupon": anomaly = coupons issued past 100.
fn coupons(url: &str, rounds: usize) -> Row {
    const LIMIT: u64 = 100;
    let (mut naive, mut safe) = ((0, 0), (0, 0));
    for r in 0..rounds {
        let key = format!("naive:{r}:coupons");
        let issued: u64 = clients(|_| {
            let mut con = conn(url);
            let mut mine = 0;
            for _ in 0..(LIMIT as usize / CLIENTS + 5) {
                let n: Option<u64> = con.get(&key).unwrap();
                let n = n.unwrap_or(0);
                if n < LIMIT {
                    std::thread::yield_now();
                    let _: () = con.set(&key, n + 1).unwrap();
                    mine += 1;
                }
            }
            mine
        })
        .iter()
        .sum();
        naive.0 += issued;
        naive.1 += issued.saturating_sub(LIMIT);

        let name = format!("coupons-{r}");
        RedisBoundedCounter::create(url, &name, 0, LIMIT).unwrap();
        let issued: u64 = clients(|_| {
            let c = RedisBoundedCounter::open(url, &name).unwrap();
            let mut mine = 0;
            for _ in 0..(LIMIT as usize / CLIENTS + 5) {
                if c.try_add(1).unwrap().is_ok() {
                    mine += 1;
                }
            }
            mine
        })
        .iter()
        .sum();
        safe.0 += issued;
        safe.1 += issued.abs_diff(LIMIT);
    }
    (
        "2. first-100 coupons",
        naive,
        safe,
        "coupons over the limit",
    )
}

/// A balance of 100, withdrawals of 30: anomaly = money paid out beyond 100.
fn overdraft(url: &str, rounds: usize) -> Row {
    const BALANCE: u64 = 100;
    const AMOUNT: u64 = 30;
    let (mut naive, mut safe) = ((0, 0), (0, 0));
    for r in 0..rounds {
        let key = format!("naive:{r}:balance");
        let _: () = conn(url).set(&key, BALANCE).unwrap();
        let paid: u64 = clients(|_| {
            let mut con = conn(url);
            let mut mine = 0;
            for _ in 0..2 {
                let b: u64 = con.get(&key).unwrap();
                if b >= AMOUNT {
                    std::thread::yield_now();
                    let _: () = con.set(&key, b - AMOUNT).unwrap();
                    mine += AMOUNT;
                }
            }
            mine
        })
        .iter()
        .sum();
        naive.0 += paid / AMOUNT;
        naive.1 += paid.saturating_sub(BALANCE) / AMOUNT;

        let name = format!("acct-{r}");
        let acct = RedisBoundedCounter::create(url, &name, BALANCE, BALANCE).unwrap();
        let paid: u64 = clients(|_| {
            let a = RedisBoundedCounter::open(url, &name).unwrap();
            let mut mine = 0;
            for _ in 0..2 {
                if a.try_sub(AMOUNT).unwrap().is_ok() {
                    mine += AMOUNT;
                }
            }
            mine
        })
        .iter()
        .sum();
        safe.0 += paid / AMOUNT;
        // Anomalies: paid beyond the balance, or a balance that does not add up.
        safe.1 += paid.saturating_sub(BALANCE) / AMOUNT
            + u64::from(acct.get().unwrap() != BALANCE - paid);
    }
    (
        "3. overdraft (balance 100, withdrawals of 30)",
        naive,
        safe,
        "withdrawals paid beyond the balance",
    )
}
