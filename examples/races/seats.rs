//! Scenario 2: the last seat. Eight buyers race to buy seats until the show is
//! sold out; the naive version checks that a seat is free, then marks it taken,
//! and sells the same seat twice whenever two buyers check before either acts.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Mutex;

use racefree::SeatPool;

use crate::cli::Options;
use crate::harness::{gap, until_refused, Checked, Marks, Runs};
use crate::report::{Kind, Row, Scenario};

/// Seats on sale each round.
const SEATS: usize = 16;

/// What one buyer did: attempts made and the seat numbers it was sold.
type Bought = (u64, Vec<usize>);

/// Double bookings: tickets sold beyond the seats actually sold, plus seats
/// left unsold although every buyer was told "sold out".
fn check(buyers: Vec<Bought>) -> Checked {
    Checked::tally(buyers, |sold| {
        let mut holders = [0u64; SEATS];
        for s in sold {
            holders[s] += 1;
        }
        holders.iter().map(|&h| h.abs_diff(1)).sum()
    })
}

/// Runs the three implementations of the seat sale under the same threads.
pub fn run(opts: &Options) -> Scenario {
    let (rounds, threads) = (opts.rounds, opts.threads);
    let mut p = Runs::new(opts, "last seat", 3);

    let naive = p.race(
        || {
            (0..SEATS)
                .map(|_| AtomicBool::new(false))
                .collect::<Vec<_>>()
        },
        |seats, _| {
            until_refused(|| {
                // THE BAD PATTERN: is it free? (gap) then take it.
                let free = seats.iter().position(|s| !s.load(Relaxed))?;
                gap();
                seats[free].store(true, Relaxed);
                Some(free)
            })
        },
        |_, buyers| check(buyers),
    );
    let mutex = p.race(
        || Mutex::new([false; SEATS]),
        |m, _| {
            until_refused(|| {
                let mut seats = m.lock().unwrap();
                let free = seats.iter().position(|taken| !taken)?;
                seats[free] = true;
                Some(free)
            })
        },
        |_, buyers| check(buyers),
    );
    let pool = p.race(
        || SeatPool::new(SEATS),
        |pool, _| {
            let mut tickets = Vec::new();
            until_refused(|| {
                let seat = pool.try_reserve()?;
                let id = seat.id();
                tickets.push(seat.confirm());
                Some(id)
            })
        },
        |pool, buyers| {
            let mut c = check(buyers);
            // Every seat was confirmed, so none may show as available.
            c.anomalies += pool.available() as u64;
            c
        },
    );
    // Timed and checked: reserve any seat, mark it as ours, unmark it,
    // release it. A mark already set means two holders of one seat at once.
    // With fewer threads than seats the pool can never look full, so a
    // refusal is an anomaly too; at the end every seat must be free again.
    let never_full = threads < SEATS;
    let mutex_timed = {
        let marks = Marks::<SEATS>::new();
        let op = |m: &Mutex<[bool; SEATS]>| {
            let reserved = {
                let mut seats = m.lock().unwrap();
                let free = seats.iter().position(|taken| !taken);
                free.inspect(|&i| seats[i] = true)
            };
            let Some(i) = reserved else {
                return refused(&marks, never_full);
            };
            marks.hold(i);
            m.lock().unwrap()[i] = false;
            true
        };
        let check = |m: Mutex<[bool; SEATS]>, _| {
            let still_taken = m.into_inner().unwrap().iter().filter(|&&t| t).count();
            marks.anomalies() + still_taken as u64
        };
        p.timed(Mutex::new([false; SEATS]), op, check)
    };
    let pool_timed = {
        let marks = Marks::<SEATS>::new();
        let op = |pool: &SeatPool| match pool.try_reserve() {
            Some(seat) => {
                marks.hold(seat.id());
                true
            }
            None => refused(&marks, never_full),
        };
        let check = |pool: SeatPool, _| marks.anomalies() + (SEATS - pool.available()) as u64;
        p.timed(SeatPool::new(SEATS), op, check)
    };
    p.finish();

    Scenario {
        title: "the last seat",
        setup: format!("{threads} buyers buy until a {SEATS}-seat show sells out"),
        anomaly: "double bookings",
        rows: vec![
            Row {
                name: "naive: if seat free { take it }",
                kind: Kind::Naive,
                tally: naive,
                timed: None,
            },
            Row {
                name: "Mutex<[bool; 16]>",
                kind: Kind::Mutex,
                tally: mutex,
                timed: Some(mutex_timed),
            },
            Row {
                name: "racefree::SeatPool::try_reserve",
                kind: Kind::Racefree,
                tally: pool,
                timed: Some(pool_timed),
            },
        ],
        rounds,
        if_lucky: "The race is still there: try more --rounds.",
    }
}

/// A reservation was refused: an anomaly if the pool could not have been full.
/// Returns `false` (nothing was held) for the caller to pass on.
fn refused(marks: &Marks<SEATS>, never_full: bool) -> bool {
    if never_full {
        marks.anomaly();
    }
    false
}
