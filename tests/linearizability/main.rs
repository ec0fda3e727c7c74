//! Linearizability tests.
//!
//! Short randomized rounds (3–4 threads × 6–8 operations, started together by a
//! barrier) are recorded against a global logical clock and each history is searched
//! for a legal sequential order (Wing–Gong with memoisation; see the
//! `racefree-conformance` crate's `checker` module, shared with the other tiers).
//! The checker itself is tested first: handcrafted histories with known verdicts, a
//! cross-check against a brute-force oracle, Mutex-based references that must
//! always pass, and check-then-act implementations that it must catch.
//!
//! Run `cargo test --test linearizability -- --nocapture` to see how many histories
//! each campaign checked. `LIN_ROUNDS=n` overrides the round count; under Miri the
//! default is 4 rounds per campaign.

#[cfg(all(feature = "shm", unix))]
mod processes;
mod reference_impls;
mod structures;

use racefree_conformance::checker::{brute_force, check, SequentialModel};
use racefree_conformance::harness::{campaign, run_round, Expect, Rng, Shape};
use racefree_conformance::history::History;
use racefree_conformance::models::*;
use racefree_conformance::subjects::*;
use racefree_conformance::synth::linearizable_history;
use reference_impls::*;
use std::sync::atomic::AtomicU64;
use std::sync::{Barrier, Mutex};

/// Replays a witness: it must respect real-time order and the model.
fn assert_witness<M: SequentialModel>(init: &M, h: &History<M::Op, M::Ret>) {
    let lin = check(init, h).unwrap_or_else(|e| panic!("{e:?}"));
    let mut s = init.clone();
    for (k, &i) in lin.order.iter().enumerate() {
        for &j in &lin.order[k + 1..] {
            assert!(
                !h.events[j].precedes(&h.events[i]),
                "witness breaks real-time order"
            );
        }
        s = s
            .step(&h.events[i].op, &h.events[i].ret)
            .expect("witness breaks the model");
    }
    assert_eq!(lin.order.len(), h.len());
}

// ===================================================================== the checker

mod handcrafted {
    use super::*;

    #[test]
    fn sequential_lost_update_is_rejected() {
        // t0: increment -> 0, then (later, not overlapping) t1: increment -> 0.
        let h = History::handmade(vec![
            (0, CounterOp::Increment, Ok(0), 0, 1),
            (1, CounterOp::Increment, Ok(0), 2, 3),
        ]);
        let e = check(&CounterModel(0), &h).unwrap_err();
        assert_eq!(e.longest_prefix, vec![0]);
        assert!(format!("{e:?}").contains("NOT linearizable"));
    }

    #[test]
    fn overlapping_lost_update_is_rejected() {
        // Overlap lets the checker pick either order, but no order returns 0 twice.
        let h = History::handmade(vec![
            (0, CounterOp::Increment, Ok(0), 0, 3),
            (1, CounterOp::Increment, Ok(0), 1, 2),
        ]);
        assert!(check(&CounterModel(0), &h).is_err());
    }

    #[test]
    fn overlap_allows_reordering() {
        // The call invoked first took the later value: fine, they overlap.
        let h = History::handmade(vec![
            (0, CounterOp::Increment, Ok(1), 0, 3),
            (1, CounterOp::Increment, Ok(0), 1, 2),
        ]);
        assert_eq!(check(&CounterModel(0), &h).unwrap().order, vec![1, 0]);
        // ...but not when the first one finished before the second began.
        let h = History::handmade(vec![
            (0, CounterOp::Increment, Ok(1), 0, 1),
            (1, CounterOp::Increment, Ok(0), 2, 3),
        ]);
        assert!(check(&CounterModel(0), &h).is_err());
    }

    #[test]
    fn stale_read_is_rejected_and_concurrent_read_accepted() {
        let stale = History::handmade(vec![
            (0, CounterOp::Increment, Ok(0), 0, 1),
            (1, CounterOp::Get, Ok(0), 2, 3),
        ]);
        assert!(check(&CounterModel(0), &stale).is_err());
        let concurrent = History::handmade(vec![
            (0, CounterOp::Increment, Ok(0), 1, 2),
            (1, CounterOp::Get, Ok(0), 0, 3),
        ]);
        assert_witness(&CounterModel(0), &concurrent);
    }

    #[test]
    fn double_pop_is_rejected() {
        let push_push = vec![
            (0, StackOp::Push(1), StackRet::Push(Ok(())), 0, 1),
            (0, StackOp::Push(2), StackRet::Push(Ok(())), 2, 3),
        ];
        let mut bad = push_push.clone();
        bad.push((0, StackOp::Pop, StackRet::Pop(Some(2)), 4, 7));
        bad.push((1, StackOp::Pop, StackRet::Pop(Some(2)), 5, 6));
        assert!(check(&StackModel::new(None), &History::handmade(bad)).is_err());
        let mut good = push_push;
        good.push((0, StackOp::Pop, StackRet::Pop(Some(1)), 4, 7));
        good.push((1, StackOp::Pop, StackRet::Pop(Some(2)), 5, 6));
        assert_witness(&StackModel::new(None), &History::handmade(good));
    }

    #[test]
    fn empty_pop_after_push_is_rejected_unless_overlapping() {
        let after = History::handmade(vec![
            (0, StackOp::Push(1), StackRet::Push(Ok(())), 0, 1),
            (1, StackOp::Pop, StackRet::Pop(None), 2, 3),
        ]);
        assert!(check(&StackModel::new(None), &after).is_err());
        let overlapping = History::handmade(vec![
            (0, StackOp::Push(1), StackRet::Push(Ok(())), 1, 2),
            (1, StackOp::Pop, StackRet::Pop(None), 0, 3),
            (1, StackOp::IsEmpty, StackRet::IsEmpty(false), 4, 5),
        ]);
        assert_witness(&StackModel::new(None), &overlapping);
    }

    #[test]
    fn bounded_push_must_fail_only_when_full() {
        let m = StackModel::new(Some(1));
        let full = History::handmade(vec![
            (0, StackOp::Push(1), StackRet::Push(Ok(())), 0, 1),
            (1, StackOp::Push(2), StackRet::Push(Err(2)), 2, 3),
        ]);
        assert_witness(&m, &full);
        let spurious = History::handmade(vec![(1, StackOp::Push(2), StackRet::Push(Err(2)), 0, 1)]);
        assert!(check(&m, &spurious).is_err());
        // Within the slack (slots in transit) the refusal is legal; beyond it not.
        let m2 = StackModel::with_slack(Some(2), 1);
        assert!(check(&m2, &spurious).is_err());
        let one = History::handmade(vec![
            (0, StackOp::Push(1), StackRet::Push(Ok(())), 0, 1),
            (1, StackOp::Push(2), StackRet::Push(Err(2)), 2, 3),
        ]);
        assert!(check(&StackModel::new(Some(2)), &one).is_err());
        assert_witness(&m2, &one);
    }

    #[test]
    fn search_backtracks() {
        // Invocation order (push 1, push 2) is wrong; only push 2, push 1 explains
        // the pops. The first candidate fails and the search must back up.
        let h = History::handmade(vec![
            (0, StackOp::Push(1), StackRet::Push(Ok(())), 0, 5),
            (1, StackOp::Push(2), StackRet::Push(Ok(())), 1, 6),
            (2, StackOp::Pop, StackRet::Pop(Some(1)), 7, 8),
            (2, StackOp::Pop, StackRet::Pop(Some(2)), 9, 10),
        ]);
        assert_eq!(
            check(&StackModel::new(None), &h).unwrap().order,
            vec![1, 0, 2, 3]
        );
    }

    #[test]
    fn double_booking_is_rejected() {
        let m = SeatModel::new(2, 0);
        let h = History::handmade(vec![
            (0, SeatOp::Reserve, SeatRet::Reserve(Some(0)), 0, 3),
            (1, SeatOp::ReserveSeat(0), SeatRet::ReserveSeat(Ok(0)), 1, 2),
        ]);
        assert!(check(&m, &h).is_err());
        // With a release of seat 0 overlapping both, it is explainable.
        let h = History::handmade(vec![
            (0, SeatOp::Reserve, SeatRet::Reserve(Some(0)), 0, 3),
            (1, SeatOp::ReserveSeat(0), SeatRet::ReserveSeat(Ok(0)), 1, 6),
            (0, SeatOp::Release(vec![0]), SeatRet::Released, 4, 5),
            (1, SeatOp::Available, SeatRet::Available(1), 7, 8),
        ]);
        assert_witness(&m, &h);
    }

    #[test]
    fn tickets_cancelled_one_by_one_are_separate_releases() {
        // Found by CI: thread 1 cancels a confirmed group's two tickets, one call
        // each, while thread 0 re-books the first seat and finds the second taken.
        let m = SeatModel::new(2, 0);
        let during = |releases: Vec<(Vec<usize>, u64, u64)>| {
            let booked = SeatRet::ReserveMany(Some(vec![0, 1]));
            let mut events = vec![(1, SeatOp::ReserveMany(2), booked, 0, 1)];
            for (ids, from, to) in releases {
                events.push((1, SeatOp::Release(ids), SeatRet::Released, from, to));
            }
            events.push((0, SeatOp::Reserve, SeatRet::Reserve(Some(0)), 3, 4));
            let taken = SeatRet::ReserveSeat(Err(SeatErr::Taken));
            events.push((0, SeatOp::ReserveSeat(1), taken, 5, 6));
            History::handmade(events)
        };
        // Recorded as one atomic release, the history is impossible...
        assert!(check(&m, &during(vec![(vec![0, 1], 2, 9)])).is_err());
        // ...recorded as the two steps the subject takes, it is explained.
        assert_witness(&m, &during(vec![(vec![0], 2, 7), (vec![1], 8, 9)]));
    }

    #[test]
    fn group_booking_rules() {
        let m = SeatModel::new(3, 0);
        let ok = History::handmade(vec![
            (0, SeatOp::Reserve, SeatRet::Reserve(Some(1)), 0, 1),
            (
                0,
                SeatOp::ReserveMany(2),
                SeatRet::ReserveMany(Some(vec![0, 2])),
                2,
                3,
            ),
            (0, SeatOp::ReserveMany(1), SeatRet::ReserveMany(None), 4, 5),
            (
                0,
                SeatOp::ReserveSeat(3),
                SeatRet::ReserveSeat(Err(SeatErr::OutOfRange)),
                6,
                7,
            ),
            (
                0,
                SeatOp::ReserveSeat(2),
                SeatRet::ReserveSeat(Err(SeatErr::Taken)),
                8,
                9,
            ),
        ]);
        assert_witness(&m, &ok);
        // A group that fails although enough seats were free all along.
        let spurious = History::handmade(vec![(
            0,
            SeatOp::ReserveMany(3),
            SeatRet::ReserveMany(None),
            0,
            1,
        )]);
        assert!(check(&m, &spurious).is_err());
        // A release of a seat nobody holds.
        let double =
            History::handmade(vec![(0, SeatOp::Release(vec![1]), SeatRet::Released, 0, 1)]);
        assert!(check(&m, &double).is_err());
    }

    #[test]
    fn available_promises() {
        let h = |n| {
            History::handmade(vec![
                (0, SeatOp::Reserve, SeatRet::Reserve(Some(0)), 0, 1),
                (1, SeatOp::Available, SeatRet::Available(n), 2, 3),
            ])
        };
        let exact = SeatModel::new(3, 0);
        let slack1 = SeatModel::new(3, 1);
        assert!(check(&exact, &h(2)).is_ok() && check(&slack1, &h(2)).is_ok());
        // Undercounting (a claim in flight) only within the slack; overcounting never.
        assert!(check(&exact, &h(1)).is_err() && check(&slack1, &h(1)).is_ok());
        assert!(check(&slack1, &h(0)).is_err());
        assert!(check(&exact, &h(3)).is_err() && check(&slack1, &h(3)).is_err());
        // `try_reserve() -> None` with one seat free: only within the slack.
        let none = History::handmade(vec![
            (
                0,
                SeatOp::ReserveMany(2),
                SeatRet::ReserveMany(Some(vec![0, 1])),
                0,
                1,
            ),
            (1, SeatOp::Reserve, SeatRet::Reserve(None), 2, 3),
        ]);
        assert!(check(&exact, &none).is_err() && check(&slack1, &none).is_ok());
    }

    #[test]
    fn wait_histories() {
        let m = SeatModel::new(2, 0);
        // Thread 1 holds seat 0 throughout; thread 0 waits and gets seat 0 too.
        let hold = |t: u64| {
            vec![
                (1, SeatOp::ReserveSeat(0), SeatRet::ReserveSeat(Ok(0)), 0, 1),
                (1, SeatOp::Release(vec![0]), SeatRet::Released, t, t + 1),
            ]
        };
        let mut wrong = hold(10);
        wrong.push((0, SeatOp::ReserveBlocking, SeatRet::Reserve(Some(0)), 2, 5));
        assert!(check(&m, &History::handmade(wrong)).is_err());
        // The same answer is right when the holder's release overlaps the wait
        // (the wait ends after the release: it took the seat then).
        let mut right = hold(3);
        right.push((0, SeatOp::ReserveBlocking, SeatRet::Reserve(Some(0)), 2, 5));
        assert_witness(&m, &History::handmade(right));
        // ...or when it got the other, free, seat.
        let mut other = hold(10);
        other.push((0, SeatOp::ReserveBlocking, SeatRet::Reserve(Some(1)), 2, 5));
        assert_witness(&m, &History::handmade(other));
        // A blocking call never comes back empty-handed.
        let empty = vec![(0, SeatOp::ReserveBlocking, SeatRet::Reserve(None), 0, 1)];
        assert!(check(&m, &History::handmade(empty)).is_err());

        // A blocking group: all or nothing, free seats only.
        let group = |ids: Vec<usize>| {
            let mut h = hold(10);
            let booked = SeatRet::ReserveMany(Some(ids));
            h.push((0, SeatOp::ReserveManyBlocking(2), booked, 2, 5));
            History::handmade(h)
        };
        assert!(check(&m, &group(vec![0, 1])).is_err());
        let mut late = hold(3);
        late.push((
            0,
            SeatOp::ReserveManyBlocking(2),
            SeatRet::ReserveMany(Some(vec![0, 1])),
            2,
            5,
        ));
        assert_witness(&m, &History::handmade(late));

        // A timed call that gave up with no other waiting call in flight: only
        // if the pool was full at some point of its interval (here seat 1 is
        // free all along).
        let mut gave_up = hold(10);
        gave_up.push((0, SeatOp::ReserveTimeout, SeatRet::Reserve(None), 2, 5));
        assert!(check(&m, &History::handmade(gave_up.clone())).is_err());
        // ...legal when someone held seat 1 meanwhile...
        gave_up.push((2, SeatOp::ReserveSeat(1), SeatRet::ReserveSeat(Ok(1)), 3, 4));
        gave_up.push((2, SeatOp::Release(vec![1]), SeatRet::Released, 6, 7));
        assert_witness(&m, &History::handmade(gave_up));
        // ...and, behind another waiting call, legal with seats free; but it
        // books nothing: a seat it kept would show later.
        let behind = |free_after: usize| {
            let mut h = hold(10);
            h.push((0, SeatOp::ReserveTimeout, SeatRet::TimedOutBehind, 2, 5));
            h.push((2, SeatOp::Available, SeatRet::Available(free_after), 6, 7));
            History::handmade(h)
        };
        assert_witness(&m, &behind(1));
        assert!(check(&m, &behind(0)).is_err());
        // A timed call that booked: as a `try_reserve`.
        let mut booked = hold(10);
        booked.push((0, SeatOp::ReserveTimeout, SeatRet::Reserve(Some(0)), 2, 5));
        assert!(check(&m, &History::handmade(booked)).is_err());
        // Only a timed call may answer "timed out".
        let odd = vec![(0, SeatOp::Reserve, SeatRet::TimedOutBehind, 0, 1)];
        assert!(check(&m, &History::handmade(odd)).is_err());
    }

    #[test]
    fn overdraft_is_rejected() {
        let m = BoundedModel { value: 1, max: 5 };
        let h = History::handmade(vec![
            (0, BoundedOp::TrySub(1), Ok(1), 0, 3),
            (1, BoundedOp::TrySub(1), Ok(1), 1, 2),
        ]);
        assert!(check(&m, &h).is_err());
        let h = History::handmade(vec![
            (0, BoundedOp::TrySub(1), Ok(1), 0, 3),
            (1, BoundedOp::TrySub(1), Err(0), 1, 2),
        ]);
        assert_witness(&m, &h);
    }
}

mod oracle {
    use super::*;

    fn rounds() -> u64 {
        if cfg!(miri) {
            20
        } else {
            600
        }
    }

    /// The memoised search and the brute-force oracle agree on small synthetic
    /// histories, half of them with one result perturbed.
    #[test]
    fn checker_agrees_with_brute_force_on_counters() {
        let (mut yes, mut no) = (0, 0);
        for seed in 0..rounds() {
            let mut rng = Rng::new(seed);
            let gen = |r: &mut Rng, _: usize, _: usize| match r.below(4) {
                0 | 1 => CounterOp::Increment,
                2 => CounterOp::Get,
                _ => CounterOp::AddUpTo { n: 1, limit: 2 },
            };
            let mut h =
                linearizable_history(&mut rng, 3, 2, CounterModel(0), gen, |s, op| s.apply(op));
            if seed % 2 == 1 {
                let e = &mut h.events[rng.below(6) as usize];
                e.ret = match e.ret {
                    Ok(v) if rng.below(2) == 0 => Ok(v + 1),
                    Ok(v) => Err(v),
                    Err(v) => Ok(v),
                };
            }
            let fast = check(&CounterModel(0), &h).is_ok();
            assert_eq!(
                fast,
                brute_force(&CounterModel(0), &h),
                "disagree on\n{}",
                h.render()
            );
            if fast {
                assert_witness(&CounterModel(0), &h);
                yes += 1;
            } else {
                no += 1;
            }
        }
        println!("oracle counters: {yes} accepted, {no} rejected, all agree");
        assert!(yes > 0 && no > 0);
    }

    #[test]
    fn checker_agrees_with_brute_force_on_stacks() {
        let (mut yes, mut no) = (0, 0);
        for seed in 0..rounds() {
            let mut rng = Rng::new(seed);
            let gen = |r: &mut Rng, t: usize, i: usize| match r.below(5) {
                0 | 1 => StackOp::Push((t * 10 + i) as u32),
                2 | 3 => StackOp::Pop,
                _ => StackOp::IsEmpty,
            };
            let init = StackModel::new(Some(2));
            let mut h =
                linearizable_history(&mut rng, 3, 2, init.clone(), gen, |s, op| s.apply(op));
            if seed % 2 == 1 {
                let e = &mut h.events[rng.below(6) as usize];
                e.ret = match e.ret {
                    StackRet::Pop(Some(_)) => StackRet::Pop(None),
                    StackRet::Pop(None) => StackRet::Pop(Some(0)),
                    StackRet::IsEmpty(b) => StackRet::IsEmpty(!b),
                    StackRet::Push(Ok(())) => StackRet::Push(Err(0)),
                    StackRet::Push(Err(_)) => StackRet::Push(Ok(())),
                };
            }
            let fast = check(&init, &h).is_ok();
            assert_eq!(fast, brute_force(&init, &h), "disagree on\n{}", h.render());
            if fast {
                yes += 1;
            } else {
                no += 1;
            }
        }
        println!("oracle stacks: {yes} accepted, {no} rejected, all agree");
        assert!(yes > 0 && no > 0);
    }
}

// ============================================ references: correct pass, broken fail

mod reference {
    use super::*;

    #[test]
    fn miri_lin_forced_lost_update_is_rejected() {
        // No timing: both increments load before either stores, in every schedule.
        let c = ForcedRacyCounter {
            value: AtomicU64::new(0),
            gap: Barrier::new(2),
        };
        let h = run_round(&c, 2, 0, |c, _, _, rec| {
            rec.record(CounterOp::Increment, || Ok(c.increment()));
        });
        let e = check(&CounterModel(0), &h).unwrap_err();
        println!("forced lost update rejected:\n{e:?}");
    }

    #[test]
    fn mutex_references_are_linearizable() {
        let s = Shape::new(4, 6, 300);
        campaign(
            "MutexCounter",
            s,
            MutexCounter::default,
            |_| CounterModel(0),
            |c, t, r, rec| counter_ops(c, t, r, rec, s.ops),
            counter_total,
            Expect::Linearizable,
        );
        campaign(
            "MutexBounded",
            s,
            || MutexBounded(Mutex::new(2), 4),
            |_| BoundedModel { value: 2, max: 4 },
            |c, t, r, rec| bounded_ops(c, t, r, rec, s.ops),
            bounded_total(2),
            Expect::Linearizable,
        );
        let s = Shape::new(3, 8, 300);
        campaign(
            "MutexStack",
            s,
            || MutexStack(Mutex::new(Vec::new()), Some(4)),
            |_| StackModel::new(Some(4)),
            |st, t, r, rec| stack_ops(st, t, r, rec, s.ops),
            stack_drain,
            Expect::Linearizable,
        );
        let s = Shape::new(3, 6, 300);
        campaign(
            "MutexPool",
            s,
            || MutexPool(Mutex::new(0), 4),
            |p| SeatModel::new(p.capacity(), 0),
            |p, t, r, rec| pool_ops(p, t, r, rec, s.ops),
            pool_all_free,
            Expect::Linearizable,
        );
    }

    /// Runs a broken subject until the checker rejects a history; the rejection and
    /// the round it took are printed as evidence.
    fn must_reject<T: Sync, M: SequentialModel>(
        name: &str,
        shape: Shape,
        make: impl Fn() -> T,
        model: impl Fn(&T) -> M,
        worker: impl Fn(&T, usize, &mut Rng, &mut racefree_conformance::history::Recorder<'_, M::Op, M::Ret>)
            + Sync,
    ) where
        M::Op: Send,
        M::Ret: Send,
    {
        campaign(
            name,
            shape,
            make,
            model,
            worker,
            |_, _| {},
            Expect::Rejection,
        );
    }

    // Up to 2000 rounds natively; in practice the first or second round is rejected.
    fn broken(threads: usize, ops: usize) -> Shape {
        Shape {
            rounds: if cfg!(miri) { 8 } else { 2000 },
            ..Shape::new(threads, ops, 0)
        }
    }

    #[test]
    fn miri_lin_racy_counter_is_rejected() {
        let s = broken(3, 4);
        must_reject(
            "RacyCounter",
            s,
            RacyCounter::default,
            |_| CounterModel(0),
            |c, t, r, rec| counter_ops(c, t, r, rec, s.ops),
        );
    }

    #[test]
    fn racy_bounded_is_rejected() {
        let s = broken(3, 4);
        must_reject(
            "RacyBounded",
            s,
            || RacyBounded(AtomicU64::new(2), 4),
            |_| BoundedModel { value: 2, max: 4 },
            |c, t, r, rec| bounded_ops(c, t, r, rec, s.ops),
        );
    }

    #[test]
    fn racy_stack_is_rejected() {
        let s = broken(3, 6);
        must_reject(
            "RacyStack",
            s,
            RacyStack::default,
            |_| StackModel::new(Some(64)),
            |st, t, r, rec| stack_ops(st, t, r, rec, s.ops),
        );
    }

    #[test]
    fn racy_pool_is_rejected() {
        let s = broken(3, 4);
        must_reject(
            "RacyPool",
            s,
            || RacyPool(AtomicU64::new(0), 4),
            |p| SeatModel::new(p.capacity(), 0),
            |p, t, r, rec| pool_ops(p, t, r, rec, s.ops),
        );
    }
}

// ============================================ the racefree structures themselves
//
// `structures.rs` (beside this file) holds one campaign per structure (Counter,
// BoundedCounter, StripedCounter, ArrayStack, TreiberStack, SeatPool, ArraySeatPool).
