//! Throughput of one conditional update on Redis ("add 1 if below the max" /
//! "take 1 if above 0", alternating), four ways, at 1, 2 and 8 clients:
//!
//! - `naive GET/SET`: GET, check, SET — two round trips and **wrong** under
//!   concurrency (shown for its cost only; see the `races` example);
//! - `WATCH/MULTI`: optimistic transaction, retried when EXEC is aborted;
//! - `SETNX lock`: `SET lock NX PX`, GET, SET, DEL — a lock key;
//! - `racefree-redis`: `RedisBoundedCounter::try_add` / `try_sub`, one EVALSHA
//!   (which also stores the reply under the call's request id).
//!
//! Each client is a thread with its own connection; each times itself over its
//! own window (not the main thread after a barrier). Reported: median ops/s of
//! the reps and the spread (min..max). With 2 cores, 8 clients (plus the server)
//! are oversubscribed.
//!
//! ```text
//! cargo bench -p racefree-redis --bench compare            # ~20 s
//! cargo bench -p racefree-redis --bench compare -- --quick
//! ```

use racefree_conformance::harness::prepared_together;
use racefree_conformance::server::RedisServer;
use racefree_redis::redis::{self, Commands};
use racefree_redis::RedisBoundedCounter;
use std::time::{Duration, Instant};

const MAX: u64 = 1_000_000;

#[derive(Clone, Copy)]
enum Way {
    Naive,
    Watch,
    Lock,
    Racefree,
}

impl Way {
    fn label(self) -> &'static str {
        match self {
            Way::Naive => "naive GET/SET (wrong)",
            Way::Watch => "WATCH/MULTI/EXEC",
            Way::Lock => "SETNX lock",
            Way::Racefree => "racefree-redis (1 script)",
        }
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (window, reps) = if quick {
        (Duration::from_millis(200), 3)
    } else {
        (Duration::from_millis(500), 5)
    };
    let srv = RedisServer::start();
    let url = srv.url();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "conditional update on redis-server (127.0.0.1), {} ms per rep, {reps} reps, {cores} core(s)",
        window.as_millis()
    );
    println!(
        "{:<28} {:>8} {:>14} {:>24}",
        "implementation", "clients", "median ops/s", "spread (min..max)"
    );
    for clients in [1usize, 2, 8] {
        for way in [Way::Naive, Way::Watch, Way::Lock, Way::Racefree] {
            let mut runs: Vec<f64> = (0..reps)
                .map(|rep| run(&url, way, clients, window, rep))
                .collect();
            runs.sort_by(f64::total_cmp);
            println!(
                "{:<28} {:>8} {:>14.0} {:>24}{}",
                way.label(),
                clients,
                runs[runs.len() / 2],
                format!("{:.0}..{:.0}", runs[0], runs[runs.len() - 1]),
                if clients + 1 > cores {
                    "  (oversubscribed)"
                } else {
                    ""
                }
            );
        }
    }
}

/// One rep: `clients` threads, each timing its own window; returns total ops/s.
fn run(url: &str, way: Way, clients: usize, window: Duration, rep: usize) -> f64 {
    let key = format!("bench:{}:{clients}:{rep}", way.label().len());
    let name = format!("bench-{}-{clients}-{rep}", way.label().len());
    let mut setup = conn(url);
    let _: () = setup.set(&key, MAX / 2).unwrap();
    let _: () = setup.del(format!("{key}:lock")).unwrap();
    if let Way::Racefree = way {
        RedisBoundedCounter::create(url, &name, MAX / 2, MAX).unwrap();
    }
    let rates: Vec<f64> = prepared_together(
        clients,
        |_| {
            let con = conn(url);
            let counter = match way {
                Way::Racefree => Some(RedisBoundedCounter::open(url, &name).unwrap()),
                _ => None,
            };
            (con, counter)
        },
        |_, (mut con, counter)| {
            let start = Instant::now();
            let mut ops = 0u64;
            // Bounded by the window (and a count, for safety).
            while start.elapsed() < window && ops < 10_000_000 {
                let add = ops & 1 == 0;
                match way {
                    Way::Naive => naive(&mut con, &key, add),
                    Way::Watch => watch(&mut con, &key, add),
                    Way::Lock => locked(&mut con, &key, add),
                    Way::Racefree => {
                        let c = counter.as_ref().unwrap();
                        let _ = if add { c.try_add(1) } else { c.try_sub(1) }.unwrap();
                    }
                }
                ops += 1;
            }
            ops as f64 / start.elapsed().as_secs_f64()
        },
    );
    rates.iter().sum()
}

fn conn(url: &str) -> redis::Connection {
    redis::Client::open(url)
        .and_then(|c| c.get_connection())
        .expect("connect")
}

fn next(v: u64, add: bool) -> Option<u64> {
    if add {
        (v < MAX).then_some(v + 1)
    } else {
        v.checked_sub(1)
    }
}

fn naive(c: &mut redis::Connection, key: &str, add: bool) {
    let v: u64 = c.get(key).unwrap();
    if let Some(n) = next(v, add) {
        let _: () = c.set(key, n).unwrap();
    }
}

fn watch(c: &mut redis::Connection, key: &str, add: bool) {
    for _ in 0..10_000 {
        let _: () = redis::cmd("WATCH").arg(key).query(c).unwrap();
        let v: u64 = c.get(key).unwrap();
        let Some(n) = next(v, add) else {
            let _: () = redis::cmd("UNWATCH").query(c).unwrap();
            return;
        };
        let done: Option<()> = redis::pipe()
            .atomic()
            .set(key, n)
            .ignore()
            .query(c)
            .unwrap();
        if done.is_some() {
            return;
        }
    }
    panic!("WATCH/MULTI starved for 10000 tries");
}

fn locked(c: &mut redis::Connection, key: &str, add: bool) {
    let lock = format!("{key}:lock");
    for _ in 0..1_000_000 {
        let got: Option<String> = redis::cmd("SET")
            .arg(&lock)
            .arg("1")
            .arg("NX")
            .arg("PX")
            .arg(1000)
            .query(c)
            .unwrap();
        if got.is_some() {
            let v: u64 = c.get(key).unwrap();
            if let Some(n) = next(v, add) {
                let _: () = c.set(key, n).unwrap();
            }
            let _: () = c.del(&lock).unwrap();
            return;
        }
        std::thread::yield_now();
    }
    panic!("lock not acquired in 1000000 tries");
}
