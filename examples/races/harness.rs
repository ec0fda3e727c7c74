//! The round runner shared by every scenario: fresh state, a barrier, N threads,
//! a check afterwards; plus the naive rows' widened gap and the progress line.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{
    AtomicBool, AtomicU64,
    Ordering::{Relaxed, SeqCst},
};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use racefree_conformance::harness::together;

use crate::cli::Options;

/// The gap between a naive check and its act, widened on purpose.
///
/// In production the gap is a preemption, a cache miss, a page fault or an I/O
/// call; here `yield_now` hands the core to another racing thread so the race
/// shows in a few rounds even on a 2-core machine. Only naive rows call it:
/// racefree's operations have no gap to widen.
#[inline]
pub fn gap() {
    std::thread::yield_now();
}

/// What one implementation did over all rounds of a scenario.
#[derive(Default, Clone, Copy)]
pub struct Tally {
    /// Operations tried (successful or refused).
    pub attempts: u64,
    /// Wrong outcomes found by the scenario's check.
    pub anomalies: u64,
}

/// What a round's check reports: attempts made and anomalies found.
pub struct Checked {
    /// Operations tried in this round.
    pub attempts: u64,
    /// Wrong outcomes in this round.
    pub anomalies: u64,
}

impl Checked {
    /// The check of a round whose threads each report `(attempts, granted)`:
    /// the attempts summed, and the anomalies `count` finds in everything the
    /// threads were granted (in thread order).
    pub fn tally<T>(threads: Vec<(u64, Vec<T>)>, count: impl FnOnce(Vec<T>) -> u64) -> Checked {
        let mut attempts = 0;
        let mut granted = Vec::new();
        for (tried, items) in threads {
            attempts += tried;
            granted.extend(items);
        }
        Checked {
            attempts,
            anomalies: count(granted),
        }
    }
}

/// One scenario's runs: the options' rounds, threads and timed-run length, and
/// the scenario's progress line.
pub struct Runs {
    rounds: u64,
    threads: usize,
    time: Duration,
    progress: Progress,
}

impl Runs {
    /// The runs of scenario `label`, which races `rows` implementations.
    pub fn new(opts: &Options, label: &str, rows: u64) -> Self {
        Runs {
            rounds: opts.rounds,
            threads: opts.threads,
            time: opts.timed,
            progress: Progress::new(label, opts.rounds * rows),
        }
    }

    /// Runs the rounds of one row: `setup` builds a fresh shared state, the
    /// threads wait at a barrier and then run `work(&state, thread_index)`
    /// together, and `check` inspects the final state and the threads' results.
    pub fn race<S, R>(
        &mut self,
        mut setup: impl FnMut() -> S,
        work: impl Fn(&S, usize) -> R + Sync,
        mut check: impl FnMut(S, Vec<R>) -> Checked,
    ) -> Tally
    where
        S: Sync,
        R: Send,
    {
        let mut tally = Tally::default();
        for _ in 0..self.rounds {
            let state = setup();
            let results = together(self.threads, |t| work(&state, t));
            let c = check(state, results);
            tally.attempts += c.attempts;
            tally.anomalies += c.anomalies;
            self.progress.tick();
        }
        tally
    }

    /// The timed run of a correct row: see [`timed`].
    pub fn timed<S: Sync>(
        &self,
        state: S,
        op: impl Fn(&S) -> bool + Sync,
        check: impl FnOnce(S, u64) -> u64,
    ) -> Timed {
        timed(self.threads, self.time, state, op, check)
    }

    /// The scenario is over: clear its progress line.
    pub fn finish(self) {
        self.progress.finish();
    }
}

/// One thread's claims until refused: calls `claim` until it returns `None`,
/// and returns the attempts made (the refused one included) with what the
/// granted claims returned, in order.
pub fn until_refused<T>(mut claim: impl FnMut() -> Option<T>) -> (u64, Vec<T>) {
    let (mut tried, mut granted) = (0, Vec::new());
    loop {
        tried += 1;
        match claim() {
            Some(v) => granted.push(v),
            None => return (tried, granted),
        }
    }
}

/// A correct implementation's timed run: how much it did, whether the
/// result still adds up, and how fast.
#[derive(Clone, Copy)]
pub struct Timed {
    /// Operations performed.
    pub ops: u64,
    /// Wrong outcomes found by the run's check.
    pub anomalies: u64,
    /// Millions of operations per second of wall-clock time.
    pub mops: f64,
}

/// Times a correct implementation apart from the rounds (whose work is too
/// short to time, or to overlap much): `threads` threads call `op` in a loop
/// on one shared `state`, with no artificial gap, for `time`. `op` returns
/// whether it succeeded; `check` then gets the state and the number of
/// successes and returns the anomalies it finds, so a long, truly parallel
/// run also checks the structure (this is what makes the example fail in CI
/// if a racefree structure regresses).
fn timed<S: Sync>(
    threads: usize,
    time: Duration,
    state: S,
    op: impl Fn(&S) -> bool + Sync,
    check: impl FnOnce(S, u64) -> u64,
) -> Timed {
    let barrier = Barrier::new(threads + 1);
    let stop = AtomicBool::new(false);
    let (ops, oks, secs) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (state, barrier, op, stop) = (&state, &barrier, &op, &stop);
                s.spawn(move || {
                    barrier.wait();
                    let (mut ops, mut oks) = (0u64, 0u64);
                    // Relaxed: a stop flag; nothing is published through it
                    // (the results travel through `join`).
                    while !stop.load(Relaxed) {
                        for _ in 0..64 {
                            oks += u64::from(op(state));
                        }
                        ops += 64;
                    }
                    (ops, oks)
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        std::thread::sleep(time);
        stop.store(true, Relaxed);
        let (mut ops, mut oks) = (0, 0);
        for h in handles {
            let (o, k) = h.join().expect("a timed thread panicked");
            ops += o;
            oks += k;
        }
        (ops, oks, start.elapsed().as_secs_f64())
    });
    Timed {
        ops,
        anomalies: check(state, oks),
        mops: ops as f64 / secs / 1e6,
    }
}

/// A progress indication on stderr, shown only once a scenario has run for
/// about a second: a spinner with a percentage on a terminal, dots otherwise.
pub struct Progress {
    label: String,
    total: u64,
    done: u64,
    start: Instant,
    last: Instant,
    drawn: bool,
    tty: bool,
}

impl Progress {
    /// Progress over `total` rounds (all rows of one scenario).
    pub fn new(label: &str, total: u64) -> Self {
        let now = Instant::now();
        Progress {
            label: label.to_owned(),
            total: total.max(1),
            done: 0,
            start: now,
            last: now,
            drawn: false,
            tty: std::io::stderr().is_terminal(),
        }
    }

    /// One round finished.
    pub fn tick(&mut self) {
        const SPIN: [char; 4] = ['|', '/', '-', '\\'];
        self.done += 1;
        if self.start.elapsed() < Duration::from_secs(1) {
            return;
        }
        let interval = if self.tty { 120 } else { 500 };
        if self.drawn && self.last.elapsed() < Duration::from_millis(interval) {
            return;
        }
        self.last = Instant::now();
        let mut err = std::io::stderr().lock();
        if self.tty {
            let pct = self.done * 100 / self.total;
            let spin = SPIN[(self.start.elapsed().as_millis() / 120) as usize % 4];
            let _ = write!(err, "\r{spin} {}: {pct:>3}% ", self.label);
        } else if !self.drawn {
            let _ = write!(err, "running {} ...", self.label);
        } else {
            let _ = write!(err, ".");
        }
        let _ = err.flush();
        self.drawn = true;
    }

    /// The scenario is over: clear the spinner (or end the dotted line).
    pub fn finish(self) {
        if self.drawn {
            if self.tty {
                eprint!("\r\x1b[2K");
            } else {
                eprintln!(" {:.1} s", self.start.elapsed().as_secs_f64());
            }
        }
    }
}

/// Ownership marks for a timed run: one flag per item (seat, stack value), set
/// while a thread holds it, and a count of what went wrong.
pub struct Marks<const N: usize> {
    held: [AtomicBool; N],
    anomalies: AtomicU64,
}

impl<const N: usize> Marks<N> {
    pub fn new() -> Self {
        Marks {
            held: std::array::from_fn(|_| AtomicBool::new(false)),
            anomalies: AtomicU64::new(0),
        }
    }

    /// Called while holding item `i`: was someone else holding it too?
    pub fn hold(&self, i: usize) {
        // SeqCst: the marks' own ordering must not hide (or invent) an overlap;
        // the structure under test orders them between holders.
        if self.held[i].swap(true, SeqCst) {
            self.anomaly();
        }
        self.held[i].store(false, SeqCst);
    }

    /// Counts one thing that went wrong.
    pub fn anomaly(&self) {
        self.anomalies.fetch_add(1, SeqCst);
    }

    pub fn anomalies(&self) -> u64 {
        self.anomalies.load(SeqCst)
    }
}
