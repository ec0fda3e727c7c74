//! The check-then-act races in a database, on a real PostgreSQL server under
//! its default isolation (READ COMMITTED): SELECT, decide in the client, then
//! UPDATE — the pattern many services use — against racefree-postgres (one
//! statement per call), with `SELECT ... FOR UPDATE` in a transaction as the
//! correct but slower reference.
//!
//! ```text
//! cargo run --release -p racefree-postgres --example races             # ~ 10 s
//! cargo run --release -p racefree-postgres --example races -- --quick  # fewer rounds
//! ```
//!
//! It starts its own PostgreSQL 15 cluster on 127.0.0.1 (a free port, a
//! temporary directory) and stops it at the end. Each client is a thread with
//! its own connection. The naive versions are here ONLY to show the bug; their
//! gap between SELECT and UPDATE is widened with `yield_now()` so the race shows
//! on a 2-core machine. Nothing is simulated: every anomaly printed happened in
//! the database.
//!
//! Exit status: 0 when racefree-postgres (and FOR UPDATE) show zero anomalies,
//! 1 otherwise.

use racefree_conformance::postgres_server::PgServer;
use racefree_postgres::postgres::{Client, GenericClient, Transaction};
use racefree_postgres::{PgBoundedCounter, PgSeatPool, Table};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

const CLIENTS: usize = 8;
const SEATS: usize = 20;
const COUPONS: u64 = 100;
const BALANCE: u64 = 100;
const WITHDRAW: u64 = 30;

/// (granted, anomalies, time)
type Outcome = (u64, u64, Duration);

fn connect(conn: &str) -> Client {
    racefree_postgres::connect(conn).expect("connect")
}

fn fresh(prefix: &str) -> Table {
    static N: AtomicU64 = AtomicU64::new(0);
    Table::new(
        "races",
        &format!("{prefix}_{}", N.fetch_add(1, Ordering::Relaxed)),
    )
    .unwrap()
}

/// Runs `CLIENTS` threads, each making `attempts` calls of `f`; returns how
/// many calls were granted and the wall time of the whole round.
fn race(
    conn: &str,
    attempts: usize,
    f: impl Fn(&mut Client, usize) -> bool + Sync,
) -> (u64, Duration) {
    let barrier = Barrier::new(CLIENTS);
    let granted = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for w in 0..CLIENTS {
            let (barrier, granted, f) = (&barrier, &granted, &f);
            s.spawn(move || {
                let mut c = connect(conn);
                barrier.wait();
                for _ in 0..attempts {
                    if f(&mut c, w) {
                        granted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    (granted.into_inner(), start.elapsed())
}

fn plain_table(admin: &mut Client, sql: &str) -> String {
    let t = fresh("plain");
    let name = format!("races.{}", t.name());
    admin.batch_execute(&sql.replace("{t}", &name)).unwrap();
    name
}

/// The naive booking on `c`: SELECT the first free seat of `t` (`lock` appended:
/// "" or " FOR UPDATE"), then UPDATE it as client `w`'s. Whether a seat was found.
fn book_free_seat(c: &mut impl GenericClient, t: &str, lock: &str, w: usize) -> bool {
    let row = c
        .query_opt(
            &format!("SELECT seat FROM {t} WHERE holder IS NULL ORDER BY seat LIMIT 1{lock}"),
            &[],
        )
        .unwrap();
    let Some(row) = row else { return false };
    let seat: i32 = row.get(0);
    std::thread::yield_now();
    c.execute(
        &format!("UPDATE {t} SET holder = $1 WHERE seat = $2"),
        &[&(w as i32), &seat],
    )
    .unwrap();
    true
}

/// The naive bounded change on `c`: SELECT the value of `t` (`lock` appended),
/// decide with `ok`, then UPDATE it to `next(value)`. Whether it was granted.
fn change_value(
    c: &mut impl GenericClient,
    t: &str,
    lock: &str,
    ok: impl Fn(i64) -> bool,
    next: impl Fn(i64) -> i64,
) -> bool {
    let v: i64 = c
        .query_one(&format!("SELECT value FROM {t}{lock}"), &[])
        .unwrap()
        .get(0);
    if !ok(v) {
        return false;
    }
    std::thread::yield_now();
    c.execute(&format!("UPDATE {t} SET value = $1"), &[&next(v)])
        .unwrap();
    true
}

/// Runs `step` in a transaction on `c`: committed when it grants, rolled back
/// (dropped) when it does not.
fn in_transaction(c: &mut Client, step: impl FnOnce(&mut Transaction<'_>) -> bool) -> bool {
    let mut tx = c.transaction().unwrap();
    let granted = step(&mut tx);
    if granted {
        tx.commit().unwrap();
    }
    granted
}

/// Seats: every client books until sold out. Anomaly: a booking granted
/// beyond the seats there are (a seat sold twice).
fn seats(conn: &str, admin: &mut Client, rounds: usize) -> [Outcome; 3] {
    let mut out = [(0, 0, Duration::ZERO); 3];
    let ddl = "CREATE TABLE {t} (seat int PRIMARY KEY, holder int); \
               INSERT INTO {t} SELECT generate_series(0, 19)";
    let attempts = SEATS / CLIENTS + 2;
    for _ in 0..rounds {
        // Naive: SELECT a free seat, then UPDATE it (no condition, no lock).
        let t = plain_table(admin, ddl);
        let (g, d) = race(conn, attempts, |c, w| book_free_seat(c, &t, "", w));
        add(&mut out[0], g, g.saturating_sub(SEATS as u64), d);

        // FOR UPDATE: correct; concurrent bookers queue on the same row.
        let t = plain_table(admin, ddl);
        let (g, d) = race(conn, attempts, |c, w| {
            in_transaction(c, |tx| book_free_seat(tx, &t, " FOR UPDATE", w))
        });
        add(&mut out[1], g, g.saturating_sub(SEATS as u64), d);

        // racefree-postgres: one statement to hold, one to confirm.
        let pool = PgSeatPool::create(admin, &fresh("pool"), SEATS).unwrap();
        let (g, d) = race(conn, attempts, |c, _| match pool.try_reserve(c).unwrap() {
            Some(h) => {
                pool.confirm(c, h).unwrap();
                true
            }
            None => false,
        });
        add(&mut out[2], g, g.saturating_sub(SEATS as u64), d);
    }
    out
}

/// A value with a bound, changed by `delta` (+1 coupon, −30 withdrawal).
/// Anomaly: a grant beyond what the bound allows.
fn bounded(conn: &str, admin: &mut Client, rounds: usize, coupon: bool) -> [Outcome; 3] {
    let mut out = [(0, 0, Duration::ZERO); 3];
    let (initial, max, step, allowed, attempts) = if coupon {
        (0, COUPONS, 1, COUPONS, (COUPONS as usize) / CLIENTS + 5)
    } else {
        (BALANCE, BALANCE, WITHDRAW, BALANCE / WITHDRAW, 2)
    };
    let ok = move |v: i64| {
        if coupon {
            v + step as i64 <= max as i64
        } else {
            v >= step as i64
        }
    };
    let next = move |v: i64| {
        if coupon {
            v + step as i64
        } else {
            v - step as i64
        }
    };
    let ddl =
        format!("CREATE TABLE {{t}} (value bigint NOT NULL); INSERT INTO {{t}} VALUES ({initial})");
    for _ in 0..rounds {
        let t = plain_table(admin, &ddl);
        let (g, d) = race(conn, attempts, |c, _| change_value(c, &t, "", ok, next));
        add(&mut out[0], g, g.saturating_sub(allowed), d);

        let t = plain_table(admin, &ddl);
        let (g, d) = race(conn, attempts, |c, _| {
            in_transaction(c, |tx| change_value(tx, &t, " FOR UPDATE", ok, next))
        });
        add(&mut out[1], g, g.saturating_sub(allowed), d);

        let ctr = PgBoundedCounter::create(admin, &fresh("ctr"), initial, max).unwrap();
        let (g, d) = race(conn, attempts, |c, _| {
            if coupon {
                ctr.try_add(c, step).unwrap().is_ok()
            } else {
                ctr.try_sub(c, step).unwrap().is_ok()
            }
        });
        add(&mut out[2], g, g.saturating_sub(allowed), d);
    }
    out
}

fn add(o: &mut Outcome, granted: u64, anomalies: u64, d: Duration) {
    o.0 += granted;
    o.1 += anomalies;
    o.2 += d;
}

fn main() -> ExitCode {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 3 } else { 10 };
    let srv = PgServer::start();
    let conn = srv.conn_str();
    let mut admin = connect(&conn);
    admin.batch_execute("CREATE SCHEMA races").unwrap();
    println!(
        "racefree-postgres races: {CLIENTS} clients (threads, one connection each) against \
         PostgreSQL 15 on 127.0.0.1:{} (READ COMMITTED), {rounds} rounds per row\n",
        srv.port()
    );
    let rows = [
        (
            format!("{SEATS} seats, everyone books until sold out"),
            seats(&conn, &mut admin, rounds),
            "seats sold twice",
        ),
        (
            format!("{COUPONS} coupons, first come first served"),
            bounded(&conn, &mut admin, rounds, true),
            "coupons over the limit",
        ),
        (
            format!("balance {BALANCE}, withdrawals of {WITHDRAW}"),
            bounded(&conn, &mut admin, rounds, false),
            "withdrawals past zero",
        ),
    ];
    println!(
        "{:<48} {:>8} {:>10} {:>9}   what went wrong",
        "scenario / implementation", "granted", "anomalies", "time"
    );
    let mut bad = 0;
    for (title, [naive, locked, safe], what) in &rows {
        println!("{title}");
        let line = |label: &str, o: &Outcome, what: &str| {
            println!(
                "  {label:<46} {:>8} {:>10} {:>8.0?}   {}",
                o.0,
                o.1,
                o.2,
                if o.1 > 0 { what } else { "" }
            )
        };
        line("SELECT, then UPDATE (READ COMMITTED)", naive, what);
        line("SELECT ... FOR UPDATE in a transaction", locked, what);
        line("racefree-postgres (one statement per call)", safe, what);
        bad += locked.1 + safe.1;
    }
    println!(
        "\nThe naive rows race: two clients read the same row version, both decide yes, \
         and the second UPDATE overwrites the first. FOR UPDATE is correct but makes every \
         client queue on the row for a whole transaction (3 round trips); racefree-postgres \
         puts the check in the UPDATE's WHERE (re-checked on the newest row version), so it \
         is correct in one round trip per call, and any-seat claims skip each other's \
         locked rows. (Times are wall time of a whole row's rounds, for scale only; see \
         the compare bench.)"
    );
    if bad == 0 {
        println!("racefree-postgres and FOR UPDATE: zero anomalies.");
        ExitCode::SUCCESS
    } else {
        println!("ANOMALIES in a correct implementation: {bad}");
        ExitCode::FAILURE
    }
}
