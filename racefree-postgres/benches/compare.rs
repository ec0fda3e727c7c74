//! Throughput of one conditional update in PostgreSQL ("add 1 if below the
//! max" / "take 1 if above 0", alternating) on one hot row, four correct ways,
//! at 1, 2, 8 and 32 clients, over loopback:
//!
//! - `FOR UPDATE`: BEGIN; SELECT ... FOR UPDATE; check; UPDATE; COMMIT;
//! - `version column`: SELECT value, version; check; UPDATE ... WHERE version =
//!   $seen (autocommit), retried when it matched no row;
//! - `SERIALIZABLE`: BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT; check; UPDATE;
//!   COMMIT, retried on SQLSTATE 40001;
//! - `racefree-postgres`: `PgBoundedCounter::try_add` / `try_sub`, one statement
//!   (a call of the counter's PL/pgSQL function, whose one statement also
//!   stores the reply under the call's request id).
//!
//! Each client is a thread with its own connection and times itself over its
//! own window. The reps of the four ways are interleaved (way 1, 2, 3, 4, then
//! again), so a slow spell of a shared machine hits all of them.
//! Reported: median ops/s of the reps with the spread (min..max),
//! retries per completed op, and calls that gave up (after 100 retries). With 2
//! cores, 8 and 32 clients (plus the server's backends) are oversubscribed.
//!
//! ```text
//! cargo bench -p racefree-postgres --bench compare            # ~1 min
//! cargo bench -p racefree-postgres --bench compare -- --quick
//! ```

use racefree_conformance::postgres_server::PgServer;
use racefree_postgres::postgres::{Client, IsolationLevel};
use racefree_postgres::{PgBoundedCounter, Table};
use std::sync::Barrier;
use std::time::{Duration, Instant};

const MAX: i64 = 1_000_000;
const GIVE_UP: u32 = 100;

#[derive(Clone, Copy)]
enum Way {
    ForUpdate,
    Version,
    Serializable,
    Racefree,
}

impl Way {
    fn label(self) -> &'static str {
        match self {
            Way::ForUpdate => "SELECT ... FOR UPDATE (transaction)",
            Way::Version => "version column + retries",
            Way::Serializable => "SERIALIZABLE + retries",
            Way::Racefree => "racefree-postgres (one statement)",
        }
    }
}

/// One client's window: (ops, retries, gave_up, seconds).
type Window = (u64, u64, u64, f64);

fn step(way: Way, c: &mut Client, ctr: &PgBoundedCounter, add: bool) -> (u64, bool) {
    let ok = |v: i64| if add { v < MAX } else { v > 0 };
    let next = |v: i64| if add { v + 1 } else { v - 1 };
    match way {
        Way::Racefree => {
            let _ = if add {
                ctr.try_add(c, 1).unwrap()
            } else {
                ctr.try_sub(c, 1).unwrap()
            };
            (0, true)
        }
        Way::ForUpdate => {
            let mut tx = c.transaction().unwrap();
            let v: i64 = tx
                .query_one("SELECT value FROM bench.plain FOR UPDATE", &[])
                .unwrap()
                .get(0);
            if ok(v) {
                tx.execute("UPDATE bench.plain SET value = $1", &[&next(v)])
                    .unwrap();
            }
            tx.commit().unwrap();
            (0, true)
        }
        Way::Version => {
            for retry in 0..GIVE_UP {
                let row = c
                    .query_one("SELECT value, version FROM bench.plain", &[])
                    .unwrap();
                let (v, ver): (i64, i64) = (row.get(0), row.get(1));
                if !ok(v) {
                    return (retry as u64, true);
                }
                let n = c
                    .execute(
                        "UPDATE bench.plain SET value = $1, version = version + 1 WHERE version = $2",
                        &[&next(v), &ver],
                    )
                    .unwrap();
                if n == 1 {
                    return (retry as u64, true);
                }
            }
            (GIVE_UP as u64, false)
        }
        Way::Serializable => {
            for retry in 0..GIVE_UP {
                let r = (|| -> Result<(), racefree_postgres::postgres::Error> {
                    let mut tx = c
                        .build_transaction()
                        .isolation_level(IsolationLevel::Serializable)
                        .start()?;
                    let v: i64 = tx.query_one("SELECT value FROM bench.plain", &[])?.get(0);
                    if ok(v) {
                        tx.execute("UPDATE bench.plain SET value = $1", &[&next(v)])?;
                    }
                    tx.commit()
                })();
                match r {
                    Ok(()) => return (retry as u64, true),
                    Err(e)
                        if e.code()
                            == Some(
                                &racefree_postgres::postgres::error::SqlState::T_R_SERIALIZATION_FAILURE,
                            ) => {}
                    Err(e) => panic!("serializable: {e}"),
                }
            }
            (GIVE_UP as u64, false)
        }
    }
}

fn run(
    conn: &str,
    way: Way,
    ctr: &PgBoundedCounter,
    clients: usize,
    window: Duration,
) -> Vec<Window> {
    let barrier = Barrier::new(clients);
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..clients)
            .map(|_| {
                let barrier = &barrier;
                s.spawn(move || {
                    let mut c = racefree_postgres::connect(conn).unwrap();
                    barrier.wait();
                    let start = Instant::now();
                    let (mut ops, mut retries, mut failed) = (0u64, 0u64, 0u64);
                    let mut add = true;
                    while start.elapsed() < window {
                        let (r, done) = step(way, &mut c, ctr, add);
                        retries += r;
                        if done {
                            ops += 1;
                        } else {
                            failed += 1;
                        }
                        add = !add;
                    }
                    (ops, retries, failed, start.elapsed().as_secs_f64())
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (reps, window) = if quick {
        (1, Duration::from_millis(300))
    } else {
        (3, Duration::from_millis(1500))
    };
    let srv = PgServer::start();
    let conn = srv.conn_str();
    let mut admin = racefree_postgres::connect(&conn).unwrap();
    admin
        .batch_execute(
            "CREATE SCHEMA bench; \
             CREATE TABLE bench.plain (value bigint NOT NULL, version bigint NOT NULL); \
             INSERT INTO bench.plain VALUES (500000, 0)",
        )
        .unwrap();
    let ctr = PgBoundedCounter::create(
        &mut admin,
        &Table::new("bench", "ctr").unwrap(),
        500_000,
        MAX as u64,
    )
    .unwrap();
    println!(
        "conditional update on one hot row, PostgreSQL 15 on 127.0.0.1 (fsync=off), {} reps x {:?} per cell; {} CPUs\n",
        reps,
        window,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "{:<38} {:>7} {:>12} {:>20} {:>10} {:>8} {:>8}",
        "way", "clients", "ops/s", "spread", "vs racefree", "retry/op", "gave up"
    );
    let ways = [
        Way::Racefree,
        Way::ForUpdate,
        Way::Version,
        Way::Serializable,
    ];
    for clients in [1, 2, 8, 32] {
        let mut base = 0.0;
        // Reps interleaved (way 1, way 2, ..., way 1, ...), so that a slow
        // spell of the shared machine hits every way alike.
        let mut cells: Vec<(Vec<f64>, u64, u64, u64)> = vec![(Vec::new(), 0, 0, 0); ways.len()];
        for _ in 0..reps {
            for (way, cell) in ways.iter().zip(cells.iter_mut()) {
                let w = run(&conn, *way, &ctr, clients, window);
                let rate: f64 = w.iter().map(|(o, _, _, s)| *o as f64 / s).sum();
                cell.0.push(rate);
                cell.1 += w.iter().map(|x| x.0).sum::<u64>();
                cell.2 += w.iter().map(|x| x.1).sum::<u64>();
                cell.3 += w.iter().map(|x| x.2).sum::<u64>();
            }
        }
        for (way, (mut rates, ops, retries, failed)) in ways.into_iter().zip(cells) {
            rates.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let median = rates[rates.len() / 2];
            if matches!(way, Way::Racefree) {
                base = median;
            }
            println!(
                "{:<38} {:>7} {:>12.0} {:>20} {:>10.2} {:>8.2} {:>8}{}",
                way.label(),
                clients,
                median,
                format!("{:.0}..{:.0}", rates[0], rates[rates.len() - 1]),
                median / base,
                retries as f64 / ops.max(1) as f64,
                failed,
                if clients > 2 {
                    "  (oversubscribed)"
                } else {
                    ""
                }
            );
        }
        // Keep the request table from growing across cells.
        racefree_postgres::purge_requests(&mut admin, ctr.table(), Duration::ZERO).unwrap();
        println!();
    }
}
