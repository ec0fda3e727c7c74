//! Recording concurrent histories.
//!
//! Every operation is bracketed by two ticks of one global logical [`Clock`]: a
//! `SeqCst` `fetch_add` just before the call (its *invocation*) and one just after
//! it returns (its *response*). Two operations are ordered in real time when the
//! response tick of one is smaller than the invocation tick of the other; otherwise
//! they overlap and the checker may order them either way.
//!
//! Why this is sound without timing: all ticks are read-modify-writes of one
//! atomic, so they are totally ordered, and a `SeqCst` RMW that reads a value
//! written by an earlier RMW synchronizes with it (RMWs continue release
//! sequences). So "response tick of A < invocation tick of B" means everything A
//! did *happens-before* everything B does — exactly the precedence that
//! linearizability must respect under the C++/Rust memory model. The price: the
//! clock itself adds synchronization between threads, which can hide a missing
//! Release/Acquire edge in the structure under test (see VERIFICATION.md).
//!
//! Histories recorded by several OS processes use [`Clock::monotonic`] instead:
//! each tick is a `CLOCK_MONOTONIC` reading in nanoseconds, not unique, turned
//! into unique ticks when the processes' events are merged (see
//! [`crate::processes`] for why that order is real-time order).

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};

/// The global logical clock of one recorded round.
#[derive(Debug, Default)]
pub struct Clock {
    ticks: AtomicU64,
    /// Read `CLOCK_MONOTONIC` instead of counting (see [`Clock::monotonic`]).
    #[cfg_attr(not(unix), allow(dead_code))]
    monotonic: bool,
}

impl Clock {
    /// A clock at 0.
    pub fn new() -> Self {
        Self {
            ticks: AtomicU64::new(0),
            monotonic: false,
        }
    }

    /// The system-wide clock of a multi-process history: every tick is
    /// [`crate::processes::monotonic_ns`], one clock for all processes on the
    /// machine. Ticks only never decrease (two may be equal), so events recorded
    /// with it go through [`crate::processes::history_from_ns`] before checking.
    #[cfg(unix)]
    pub fn monotonic() -> Self {
        Self {
            ticks: AtomicU64::new(0),
            monotonic: true,
        }
    }

    /// The next tick; strictly increasing across all threads (for
    /// [`Clock::monotonic`]: never decreasing, across all processes).
    pub fn tick(&self) -> u64 {
        #[cfg(unix)]
        if self.monotonic {
            return crate::processes::monotonic_ns();
        }
        self.ticks.fetch_add(1, Ordering::SeqCst)
    }
}

/// One completed operation: what was asked, what came back, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event<Op, Ret> {
    /// The thread that ran it (for diagnostics only).
    pub thread: usize,
    /// The operation and its arguments.
    pub op: Op,
    /// Its result.
    pub ret: Ret,
    /// Clock tick taken just before the call.
    pub invoke: u64,
    /// Clock tick taken just after the call returned.
    pub response: u64,
}

impl<Op, Ret> Event<Op, Ret> {
    /// Whether `self` finished before `other` started (real-time precedence).
    pub fn precedes(&self, other: &Self) -> bool {
        self.response < other.invoke
    }
}

/// A complete history: every invoked operation has returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History<Op, Ret> {
    /// The events, in no particular order.
    pub events: Vec<Event<Op, Ret>>,
}

impl<Op: Debug, Ret: Debug> History<Op, Ret> {
    /// Merges per-thread event lists.
    pub fn from_threads(threads: Vec<Vec<Event<Op, Ret>>>) -> Self {
        let mut events: Vec<_> = threads.into_iter().flatten().collect();
        events.sort_by_key(|e| e.invoke);
        Self { events }
    }

    /// Builds a history by hand: `(thread, op, ret, invoke, response)`.
    ///
    /// # Panics
    /// If an event responds before it is invoked, or a tick is reused.
    pub fn handmade(events: Vec<(usize, Op, Ret, u64, u64)>) -> Self {
        let mut ticks = std::collections::HashSet::new();
        let events: Vec<_> = events
            .into_iter()
            .map(|(thread, op, ret, invoke, response)| {
                assert!(
                    invoke < response,
                    "event {op:?} responds before it is invoked"
                );
                assert!(
                    ticks.insert(invoke) && ticks.insert(response),
                    "tick reused"
                );
                Event {
                    thread,
                    op,
                    ret,
                    invoke,
                    response,
                }
            })
            .collect();
        Self { events }
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether the history holds no operation.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// A timeline for failure messages: one line per operation, by invocation.
    pub fn render(&self) -> String {
        let mut sorted: Vec<_> = self.events.iter().enumerate().collect();
        sorted.sort_by_key(|(_, e)| e.invoke);
        let mut out = String::new();
        for (i, e) in sorted {
            out.push_str(&format!(
                "  #{i:<2} t{} [{:>3}..{:>3}] {:?} -> {:?}\n",
                e.thread, e.invoke, e.response, e.op, e.ret
            ));
        }
        out
    }
}

/// Records one thread's operations against a shared [`Clock`].
pub struct Recorder<'c, Op, Ret> {
    clock: &'c Clock,
    thread: usize,
    events: Vec<Event<Op, Ret>>,
}

impl<'c, Op, Ret> Recorder<'c, Op, Ret> {
    /// A recorder for `thread`.
    pub fn new(clock: &'c Clock, thread: usize) -> Self {
        Self {
            clock,
            thread,
            events: Vec::new(),
        }
    }

    /// Runs `f` as operation `op`, recording its invocation, result and response.
    pub fn call<R>(&mut self, op: Op, f: impl FnOnce() -> (Ret, R)) -> R {
        let invoke = self.clock.tick();
        let (ret, value) = f();
        let response = self.clock.tick();
        self.events.push(Event {
            thread: self.thread,
            op,
            ret,
            invoke,
            response,
        });
        value
    }

    /// Like [`call`](Self::call) when the recorded result is all there is.
    pub fn record(&mut self, op: Op, f: impl FnOnce() -> Ret) {
        self.call(op, || (f(), ()));
    }

    /// The recorded events.
    pub fn finish(self) -> Vec<Event<Op, Ret>> {
        self.events
    }
}
