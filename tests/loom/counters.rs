//! Loom models for the counters. Every model ends by checking exact totals,
//! unique previous values, or exactly-N successes over the joined results.

use super::model;
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;
#[cfg(feature = "alloc")]
use racefree::StripedCounter;
use racefree::{BoundedCounter, Counter};
use racefree_conformance::models::one_of_two_withdrawals;

/// Three threads take IDs with increment, add and update: the IDs are disjoint
/// blocks covering 0..6 and nothing is lost.
#[test]
fn counter_ids_unique_and_total_exact() {
    model("counters::counter_ids_unique_and_total_exact", 4, || {
        let c = Arc::new(Counter::new(0));
        let c1 = Arc::clone(&c);
        let t1 = thread::spawn(move || (c1.increment(), 1));
        let c2 = Arc::clone(&c);
        let t2 = thread::spawn(move || (c2.update(|v| v.checked_add(2)).unwrap(), 2));
        let mine = (c.add(3), 3);

        let mut blocks = [t1.join().unwrap(), t2.join().unwrap(), mine];
        blocks.sort_unstable();
        let mut next = 0;
        for (start, len) in blocks {
            assert_eq!(start, next, "overlapping or lost IDs: {blocks:?}");
            next += len;
        }
        assert_eq!(c.get(), 6);
    });
}

/// At the limit: three threads race to take the last two IDs below
/// `Counter::MAX`, one of them with an amount that overshoots. Whatever the
/// interleaving, no ID is handed out twice, every ID handed out is in range, and a
/// later add still hands out nothing new once the counter is exhausted (0.1 undid
/// an overshoot with a `fetch_sub`, and an add inside that window re-issued IDs).
#[test]
fn counter_at_limit_never_repeats() {
    model("counters::counter_at_limit_never_repeats", 4, || {
        let c = Arc::new(Counter::new(Counter::MAX - 2));
        let c1 = Arc::clone(&c);
        let t1 = thread::spawn(move || c1.checked_add(2).map(|p| (p, 2)));
        let c2 = Arc::clone(&c);
        let t2 = thread::spawn(move || c2.checked_add(1).map(|p| (p, 1)));
        let mine = c.checked_add(1).map(|p| (p, 1));
        let after = c.checked_add(1).map(|p| (p, 1));

        let mut blocks: Vec<(u64, u64)> = [t1.join().unwrap(), t2.join().unwrap(), mine, after]
            .into_iter()
            .flatten()
            .collect();
        blocks.sort_unstable();
        for w in blocks.windows(2) {
            assert!(
                w[0].0 + w[0].1 <= w[1].0,
                "IDs handed out twice: {blocks:?}"
            );
        }
        for &(start, len) in &blocks {
            assert!(start + len <= Counter::MAX, "ID past MAX: {blocks:?}");
        }
        let handed: u64 = blocks.iter().map(|b| b.1).sum();
        assert!(handed <= 2, "more than the two IDs left: {blocks:?}");
        if handed < 2 {
            // Some call overshot: the counter is exhausted for good.
            assert_eq!(c.checked_add(1), None);
        }
    });
}

/// `update` with a refusing closure: a conditional change never overwrites a
/// concurrent increment.
#[test]
fn counter_update_is_conditional() {
    model("counters::counter_update_is_conditional", 4, || {
        let c = Arc::new(Counter::new(0));
        let c1 = Arc::clone(&c);
        // Set to 10 only while the counter is still 0.
        let t1 = thread::spawn(move || c1.update(|v| (v == 0).then_some(10)));
        let c2 = Arc::clone(&c);
        let t2 = thread::spawn(move || c2.increment());
        let set = t1.join().unwrap();
        let prev = t2.join().unwrap();
        match set {
            Ok(0) => {
                assert_eq!(prev, 10);
                assert_eq!(c.get(), 11);
            }
            Err(1) => {
                assert_eq!(prev, 0);
                assert_eq!(c.get(), 1);
            }
            other => panic!("update returned {other:?}"),
        }
    });
}

/// Two coupons, three customers: exactly two succeed, with coupon numbers 0 and
/// 1, and the loser is told the counter is full.
#[test]
fn bounded_coupons_exactly_max() {
    model("counters::bounded_coupons_exactly_max", 4, || {
        let coupons = Arc::new(BoundedCounter::new(0, 2));
        let spawn = |c: &Arc<BoundedCounter>| {
            let c = Arc::clone(c);
            thread::spawn(move || c.try_add(1))
        };
        let (t1, t2) = (spawn(&coupons), spawn(&coupons));
        let mine = coupons.try_add(1);
        let results = [t1.join().unwrap(), t2.join().unwrap(), mine];

        let mut won: Vec<u64> = results.iter().filter_map(|r| r.ok()).collect();
        won.sort_unstable();
        assert_eq!(won, [0, 1], "not exactly two coupons: {results:?}");
        assert!(results.contains(&Err(2)), "{results:?}");
        assert_eq!(coupons.get(), 2);
    });
}

/// Withdraw 80 and 50 from 100 while 30 is deposited (max 130): the balance
/// never goes negative or above the max, every refusal is justified, and the
/// final balance is exactly 100 + deposits - withdrawals.
#[test]
fn bounded_withdrawals_never_overdraw() {
    model("counters::bounded_withdrawals_never_overdraw", 4, || {
        let balance = Arc::new(BoundedCounter::new(100, 130));
        let b1 = Arc::clone(&balance);
        let t1 = thread::spawn(move || b1.try_sub(80));
        let b2 = Arc::clone(&balance);
        let t2 = thread::spawn(move || b2.try_sub(50));
        let deposit = balance.try_add(30);
        let (w80, w50) = (t1.join().unwrap(), t2.join().unwrap());

        // Without the deposit only one withdrawal fits; with it both may.
        if let Err(cur) = w80 {
            assert!(cur < 80, "refused 80 at {cur}");
        }
        if let Err(cur) = w50 {
            assert!(cur < 50, "refused 50 at {cur}");
        }
        if let Err(cur) = deposit {
            assert!(cur > 100, "refused deposit at {cur}");
        }
        assert!(w80.is_ok() || w50.is_ok(), "both withdrawals refused");
        if deposit.is_err() {
            assert!(w80.is_ok() != w50.is_ok(), "overdrawn: {w80:?} {w50:?}");
        }
        let expected = 100 + if deposit.is_ok() { 30 } else { 0 }
            - if w80.is_ok() { 80 } else { 0 }
            - if w50.is_ok() { 50 } else { 0 };
        assert_eq!(balance.get(), expected);
    });
}

/// The two plain withdrawals of the story: exactly one of 80 and 50 succeeds.
#[test]
fn bounded_two_withdrawals_exactly_one() {
    model("counters::bounded_two_withdrawals_exactly_one", 4, || {
        let balance = Arc::new(BoundedCounter::new(100, u64::MAX));
        let b1 = Arc::clone(&balance);
        let t1 = thread::spawn(move || b1.try_sub(80));
        let w50 = balance.try_sub(50);
        let w80 = t1.join().unwrap();
        let Some(left) = one_of_two_withdrawals(w80, w50) else {
            panic!("not exactly one withdrawal: {:?}", (w80, w50));
        };
        assert_eq!(balance.get(), left);
    });
}

/// Semaphore semantics: a successful `try_sub` acquires what the `try_add`
/// released, so the data written before it is visible (loom reports a data race
/// on the cell otherwise).
#[test]
fn bounded_publishes_like_a_semaphore() {
    model("counters::bounded_publishes_like_a_semaphore", 4, || {
        let ready = Arc::new(BoundedCounter::new(0, 1));
        let data = Arc::new(UnsafeCell::new(0u32));
        let (r, d) = (Arc::clone(&ready), Arc::clone(&data));
        let producer = thread::spawn(move || {
            // SAFETY: the consumer reads the cell only after taking the unit that
            // the try_add below releases.
            d.with_mut(|p| unsafe { *p = 42 });
            r.try_add(1).unwrap();
        });
        while ready.try_sub(1).is_err() {
            thread::yield_now();
        }
        // SAFETY: the successful try_sub acquired the producer's write.
        assert_eq!(data.with(|p| unsafe { *p }), 42);
        producer.join().unwrap();
        assert_eq!(ready.get(), 0);
    });
}

/// Two adders on a two-cell striped counter while the main thread resets: every
/// increment is drained exactly once or remains in the final sum.
#[cfg(feature = "alloc")]
#[test]
fn striped_reset_counts_each_increment_once() {
    model(
        "counters::striped_reset_counts_each_increment_once",
        4,
        || {
            let c = Arc::new(StripedCounter::with_cells(2));
            let spawn = |c: &Arc<StripedCounter>| {
                let c = Arc::clone(c);
                thread::spawn(move || {
                    c.increment();
                    c.add(2);
                })
            };
            let (t1, t2) = (spawn(&c), spawn(&c));
            let drained = c.reset();
            t1.join().unwrap();
            t2.join().unwrap();
            assert!(drained <= 6);
            assert_eq!(drained + c.sum(), 6);
        },
    );
}

/// Three adders sharing two cells (so two of them share one): the sum after
/// join is exact.
#[cfg(feature = "alloc")]
#[test]
fn striped_sum_exact_after_join() {
    model("counters::striped_sum_exact_after_join", 4, || {
        let c = Arc::new(StripedCounter::with_cells(2));
        let spawn = |c: &Arc<StripedCounter>, n: u64| {
            let c = Arc::clone(c);
            thread::spawn(move || c.add(n))
        };
        let (t1, t2) = (spawn(&c, 1), spawn(&c, 10));
        c.add(100);
        t1.join().unwrap();
        t2.join().unwrap();
        assert_eq!(c.sum(), 111);
    });
}
