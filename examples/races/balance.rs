//! Scenario 4: two withdrawals on one balance. Each withdrawal checks that the
//! balance covers it, then subtracts; the naive version approves two
//! withdrawals that each saw enough money, and the account goes negative.

use std::sync::atomic::{AtomicI64, Ordering::Relaxed};
use std::sync::Mutex;

use racefree::BoundedCounter;

use crate::cli::Options;
use crate::harness::{gap, until_refused, Checked, Runs};
use crate::report::{Kind, Row, Scenario};

/// Opening balance each round.
const BALANCE: u64 = 1_000;
/// Every withdrawal asks for this much.
const AMOUNT: u64 = 30;

/// What one teller thread did: attempts made, one `()` per withdrawal approved.
type Approved = (u64, Vec<()>);

/// Overdrafts: withdrawals approved beyond what the balance covered (and, for
/// a correct implementation, any shortfall or a final balance that disagrees).
fn check(threads: Vec<Approved>, final_balance: i64) -> Checked {
    Checked::tally(threads, |approved| {
        let approved = approved.len() as u64;
        let covered = BALANCE / AMOUNT;
        let expected_final = BALANCE as i64 - (approved * AMOUNT) as i64;
        approved.abs_diff(covered) + u64::from(final_balance != expected_final)
    })
}

/// Runs the three implementations of the account under the same threads.
pub fn run(opts: &Options) -> Scenario {
    let (rounds, threads) = (opts.rounds, opts.threads);
    let mut p = Runs::new(opts, "two withdrawals", 3);

    let naive = p.race(
        || AtomicI64::new(BALANCE as i64),
        |balance, _| {
            until_refused(|| {
                // THE BAD PATTERN: enough money? (gap) then withdraw.
                if balance.load(Relaxed) < AMOUNT as i64 {
                    return None;
                }
                gap();
                balance.fetch_sub(AMOUNT as i64, Relaxed);
                Some(())
            })
        },
        |b, t| check(t, b.into_inner()),
    );
    let mutex = p.race(
        || Mutex::new(BALANCE as i64),
        |m, _| {
            until_refused(|| {
                let mut balance = m.lock().unwrap();
                if *balance < AMOUNT as i64 {
                    return None;
                }
                *balance -= AMOUNT as i64;
                Some(())
            })
        },
        |m, t| check(t, m.into_inner().unwrap()),
    );
    let bounded = p.race(
        || BoundedCounter::new(BALANCE, BALANCE),
        |balance, _| until_refused(|| balance.try_sub(AMOUNT).is_ok().then_some(())),
        |b, t| check(t, b.get() as i64),
    );
    // Timed and checked: withdrawals from a balance no run can exhaust; what
    // left the account must match the approvals exactly.
    let funds = i64::MAX as u64;
    let mismatch = |left: u64, approved: u64| {
        // In withdrawals, rounded up: any difference counts.
        (funds - left).abs_diff(approved * AMOUNT).div_ceil(AMOUNT)
    };
    let mutex_timed = p.timed(
        Mutex::new(funds as i64),
        |m| {
            let mut balance = m.lock().unwrap();
            let ok = *balance >= AMOUNT as i64;
            if ok {
                *balance -= AMOUNT as i64;
            }
            ok
        },
        |m, approved| mismatch(m.into_inner().unwrap() as u64, approved),
    );
    let bounded_timed = p.timed(
        BoundedCounter::new(funds, funds),
        |b| b.try_sub(AMOUNT).is_ok(),
        |b, approved| mismatch(b.get(), approved),
    );
    p.finish();

    Scenario {
        title: "two withdrawals on one balance",
        setup: format!(
            "{threads} tellers withdraw {AMOUNT} from {} until refused",
            crate::report::group(BALANCE)
        ),
        anomaly: "overdrafts",
        rows: vec![
            Row {
                name: "naive: if balance >= 30 { balance -= 30 }",
                kind: Kind::Naive,
                tally: naive,
                timed: None,
            },
            Row {
                name: "Mutex<i64>",
                kind: Kind::Mutex,
                tally: mutex,
                timed: Some(mutex_timed),
            },
            Row {
                name: "racefree::BoundedCounter::try_sub(30)",
                kind: Kind::Racefree,
                tally: bounded,
                timed: Some(bounded_timed),
            },
        ],
        rounds,
        if_lucky: "The race is still there: try more --rounds.",
    }
}
