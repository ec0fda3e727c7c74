//! Running randomized rounds: a few threads, a handful of operations each, started
//! together by a `Barrier`, every operation recorded; then the history is checked.
//!
//! Nothing here depends on timing: schedules vary by themselves (and by `yield_now`
//! in the known-bad implementations); the verdict depends only on what was recorded.

use crate::checker::{check, NotLinearizable, SequentialModel};
use crate::history::{Clock, History, Recorder};
use std::fmt::Debug;
use std::sync::Barrier;

/// SplitMix64: a tiny deterministic generator, enough to vary operation mixes.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// The shape of every round of one campaign.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Threads per round.
    pub threads: usize,
    /// Operations per thread.
    pub ops: usize,
    /// Rounds (each one history).
    pub rounds: usize,
}

impl Shape {
    /// `threads` × `ops`, with a round count scaled for the platform: `native`
    /// rounds on x86_64, a quarter on aarch64 (CI runs it under qemu-user, where
    /// thread spawns are slow), 4 under Miri. `LIN_ROUNDS` overrides the count.
    pub fn new(threads: usize, ops: usize, native: usize) -> Self {
        let rounds = match rounds_from_env() {
            Some(r) => r,
            None if cfg!(miri) => 4,
            None if cfg!(target_arch = "aarch64") => native.div_ceil(4),
            None => native,
        };
        Self {
            threads,
            ops,
            rounds,
        }
    }
}

/// The round count `LIN_ROUNDS` asks for, if it is set (every campaign shape
/// honours it).
pub fn rounds_from_env() -> Option<usize> {
    std::env::var("LIN_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
}

/// Runs `work(thread)` on `threads` scoped threads that wait on one barrier, so
/// they start together; returns their results in thread order.
///
/// # Panics
/// When a thread panics.
pub fn together<R: Send>(threads: usize, work: impl Fn(usize) -> R + Sync) -> Vec<R> {
    prepared_together(threads, |_| (), |t, ()| work(t))
}

/// As [`together`], but each thread first runs `prepare(thread)` (a client of
/// its own, a generator) and only then waits on the barrier, so the preparation
/// is not part of the race; `work(thread, prepared)` runs after the barrier.
///
/// # Panics
/// When a thread panics.
pub fn prepared_together<P, R: Send>(
    threads: usize,
    prepare: impl Fn(usize) -> P + Sync,
    work: impl Fn(usize, P) -> R + Sync,
) -> Vec<R> {
    let barrier = Barrier::new(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (barrier, prepare, work) = (&barrier, &prepare, &work);
                s.spawn(move || {
                    let prepared = prepare(t);
                    barrier.wait();
                    work(t, prepared)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker thread panicked"))
            .collect()
    })
}

/// Runs one round: `threads` threads wait on a barrier, then each runs `worker`
/// with its own recorder and generator. Returns the merged history.
pub fn run_round<T, Op, Ret, W>(
    target: &T,
    threads: usize,
    seed: u64,
    worker: W,
) -> History<Op, Ret>
where
    T: Sync,
    Op: Send + Debug,
    Ret: Send + Debug,
    W: Fn(&T, usize, &mut Rng, &mut Recorder<'_, Op, Ret>) + Sync,
{
    let clock = Clock::new();
    let per_thread = prepared_together(
        threads,
        |t| {
            let rng = Rng::new(seed ^ (t as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F));
            (rng, Recorder::new(&clock, t))
        },
        |t, (mut rng, mut rec)| {
            worker(target, t, &mut rng, &mut rec);
            rec.finish()
        },
    );
    History::from_threads(per_thread)
}

/// What a campaign saw.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    /// Histories checked.
    pub histories: usize,
    /// Of which linearizable.
    pub linearizable: usize,
    /// Operations checked in total.
    pub ops: usize,
    /// Search configurations visited in total.
    pub configurations: usize,
    /// Round index of the first rejected history, if any.
    pub first_rejection: Option<usize>,
}

impl Tally {
    /// Checks round `round`'s history against `init` and counts it, keeping the
    /// first rejection in `rejection`. Returns whether the campaign stops here
    /// (a rejection, unless `expect` is [`Expect::Anything`]).
    pub fn check_round<M: SequentialModel>(
        &mut self,
        round: usize,
        init: &M,
        history: &History<M::Op, M::Ret>,
        rejection: &mut Option<NotLinearizable>,
        expect: Expect,
    ) -> bool {
        self.histories += 1;
        self.ops += history.len();
        match check(init, history) {
            Ok(lin) => {
                self.linearizable += 1;
                self.configurations += lin.configurations;
                false
            }
            Err(e) => {
                self.configurations += e.configurations;
                if rejection.is_none() {
                    self.first_rejection = Some(round);
                    *rejection = Some(e);
                }
                expect != Expect::Anything
            }
        }
    }

    /// Prints the campaign's line (`who` ran it, e.g. "3 threads x 6 ops";
    /// `extra` goes after the op count) and holds the campaign to `expect`.
    ///
    /// # Panics
    /// As [`campaign`] does.
    pub fn report(
        &self,
        name: &str,
        who: &str,
        extra: &str,
        rejection: &Option<NotLinearizable>,
        expect: Expect,
    ) {
        println!(
            "lin {name}: {} histories checked ({who}), {} linearizable, {} ops{extra}, {} configurations{}",
            self.histories,
            self.linearizable,
            self.ops,
            self.configurations,
            match self.first_rejection {
                Some(r) => format!(", first rejection in round {r}"),
                None => String::new(),
            }
        );
        match (expect, rejection) {
            (Expect::Linearizable, Some(e)) => panic!("{name}: {e:?}"),
            (Expect::Rejection, Some(e)) => println!("{name} evidence:\n{e:?}"),
            (Expect::Rejection, None) => panic!(
                "{name}: checker accepted all {} histories of a broken implementation",
                self.histories
            ),
            _ => {}
        }
    }
}

/// What a campaign expects of its histories.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Every history is linearizable: the first rejection panics, printing it.
    Linearizable,
    /// A known-bad subject: the campaign stops at the first rejection, prints
    /// it as evidence and returns it; finding none panics.
    Rejection,
    /// Informational: every round runs; the first rejection, if any, is returned.
    Anything,
}

/// Runs `shape.rounds` rounds, each on a fresh target from `make`, and checks every
/// history against `model(&target)`. `after` runs on the target once the threads
/// are joined and the history is checked (quiescent checks: drain, exact sums).
/// Stops at the first rejection unless `expect` is [`Expect::Anything`]; the
/// rejection is returned with the tally.
///
/// # Panics
/// With [`Expect::Linearizable`], on the first non-linearizable history,
/// printing it; with [`Expect::Rejection`], when every history was linearizable.
pub fn campaign<T, M, W>(
    name: &str,
    shape: Shape,
    make: impl Fn() -> T,
    model: impl Fn(&T) -> M,
    worker: W,
    after: impl Fn(&T, &History<M::Op, M::Ret>),
    expect: Expect,
) -> (Tally, Option<NotLinearizable>)
where
    T: Sync,
    M: SequentialModel,
    M::Op: Send,
    M::Ret: Send,
    W: Fn(&T, usize, &mut Rng, &mut Recorder<'_, M::Op, M::Ret>) + Sync,
{
    let mut tally = Tally::default();
    let mut rejection = None;
    for round in 0..shape.rounds {
        let target = make();
        let init = model(&target);
        let seed = (round as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ name.len() as u64;
        let history = run_round(&target, shape.threads, seed, &worker);
        if tally.check_round(round, &init, &history, &mut rejection, expect) {
            break;
        }
        // Quiescent checks after the history verdict, so a bug shows as the
        // checker's rejection first.
        after(&target, &history);
    }
    let who = format!("{} threads x {} ops", shape.threads, shape.ops);
    tally.report(name, &who, "", &rejection, expect);
    (tally, rejection)
}
