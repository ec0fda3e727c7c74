//! Linearizability histories recorded by several OS processes operating on one
//! object at once: a shared-memory pool file, a Redis key, a PostgreSQL table.
//!
//! # The clock
//!
//! Threads of one process share [`Clock::new`], an atomic counter. Processes
//! cannot, so each records with [`Clock::monotonic`]: `CLOCK_MONOTONIC` read
//! with `clock_gettime` ([`monotonic_ns`]), one clock for the whole machine on
//! Linux (not per process, never set, never stepped). An event's invocation is
//! read just before the call and its response just after it returned.
//!
//! Readings are nanoseconds, not unique: two events may share one. When the
//! children's events are merged ([`history_from_ns`]), every boundary is
//! sorted by `(ns, kind)`, invocations before responses at equal `ns`, and
//! numbered; those numbers are the checker's ticks. Why this is sound:
//!
//! - the checker orders A before B only when A's response tick is below B's
//!   invocation tick, which after this numbering means `respond_ns(A) <
//!   invoke_ns(B)` *strictly* (at equal `ns` the invocation got the smaller
//!   tick);
//! - a monotonic clock never reads less later, so `respond_ns(A) <
//!   invoke_ns(B)` means A's response reading happened before B's invocation
//!   reading in real time; A's call had returned before the first and B's had
//!   not begun before the second. So every precedence the checker imposes is
//!   real-time order, which is all linearizability may demand;
//! - ties, and any pair whose readings fall in the other order, only become
//!   overlaps, which lets the checker order them either way: it may accept
//!   more, never reject a history that is linearizable.
//!
//! Unlike the in-process clock, reading this one is no synchronization between
//! the processes, so it cannot hide a missing ordering edge either (for shared
//! memory; a server orders its clients' requests itself).
//!
//! # Parent and children
//!
//! A test plays both roles. First it asks [`run_as_pool_child`] whether this
//! process *is* a child (it then opens the object named by its parent, runs its
//! workload and returns `true`, and the test returns). As the parent it runs a
//! [`process_campaign`]: per round it prepares a fresh object, re-runs this very
//! test binary on the same test ([`crate::support::rerun_test`]) `processes`
//! times with [`CHILD_ENV`] (`INDEX SEED OPS`) and [`ADDRESS_ENV`] (the
//! object's address: a file path, a URL and a key, a connection string and a
//! table) set, and exchanges lines with them:
//!
//! 1. each child opens the object and prints `CHILD READY`;
//! 2. once all are ready the parent writes `GO START_NS` to every child's
//!    stdin, a moment ahead on the same clock, and the children wait for it, so
//!    their workloads run at the same time;
//! 3. each child runs [`pool_ops`] (the in-process campaigns' op mix, ending
//!    with every seat it holds released) on a [`Recorder`] over
//!    [`Clock::monotonic`], then prints one `LIN ...` line per event
//!    ([`event_line`]) and `CHILD DONE N`;
//! 4. the parent reads them, waits for every child (killing any still running
//!    after [`CHILD_LIMIT`]; every child is held in a [`ChildGuard`], so a
//!    parent that panics kills and reaps them too), merges
//!    ([`history_from_ns`]) and checks.
//!
//! Seat pools only, for now: that is what the cross-process tiers share.

use crate::checker::{NotLinearizable, SequentialModel};
use crate::harness::{rounds_from_env, Expect, Rng, Tally};
use crate::history::{Clock, Event, History, Recorder};
use crate::models::{SeatErr, SeatOp, SeatRet};
use crate::subjects::{pool_ops, PoolLike};
use crate::support::{rerun_test, ChildGuard};
use std::fmt::Debug;
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// `CLOCK_MONOTONIC` now, in nanoseconds: one clock for every process on the
/// machine.
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the call's duration.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_MONOTONIC) failed");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Merges events whose `invoke`/`response` are [`monotonic_ns`] readings into a
/// history with unique ticks: all boundaries sorted by `(ns, kind)`,
/// invocations before responses at equal `ns`, then numbered (see the module
/// docs for why this only ever turns precedence into overlap).
///
/// # Panics
/// If an event's response reading is below its invocation reading.
pub fn history_from_ns<Op: Debug, Ret: Debug>(events: Vec<Event<Op, Ret>>) -> History<Op, Ret> {
    // (ns, kind: 0 invocation / 1 response, event)
    let mut bounds: Vec<(u64, u8, usize)> = Vec::with_capacity(events.len() * 2);
    for (i, e) in events.iter().enumerate() {
        assert!(
            e.invoke <= e.response,
            "event {:?} responds before it is invoked",
            e.op
        );
        bounds.push((e.invoke, 0, i));
        bounds.push((e.response, 1, i));
    }
    bounds.sort_unstable();
    let mut ticks = vec![(0u64, 0u64); events.len()];
    for (tick, &(_, kind, i)) in bounds.iter().enumerate() {
        if kind == 0 {
            ticks[i].0 = tick as u64;
        } else {
            ticks[i].1 = tick as u64;
        }
    }
    let mut events: Vec<_> = events
        .into_iter()
        .zip(ticks)
        .map(|(e, (invoke, response))| Event {
            invoke,
            response,
            ..e
        })
        .collect();
    events.sort_by_key(|e| e.invoke);
    History { events }
}

// ---------------------------------------------------------------- line format

fn ids(v: &[usize]) -> String {
    if v.is_empty() {
        return "_".into();
    }
    v.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
}

fn parse_ids(s: &str) -> Option<Vec<usize>> {
    if s == "_" {
        return Some(Vec::new());
    }
    s.split(',').map(|x| x.parse().ok()).collect()
}

/// `reserve`, `seat ID`, `many K`, `release IDS`, `available`, `blocking`,
/// `timeout`, `many-blocking K` (IDS: comma separated, `_` when empty).
pub fn op_to_line(op: &SeatOp) -> String {
    match op {
        SeatOp::Reserve => "reserve".into(),
        SeatOp::ReserveSeat(id) => format!("seat {id}"),
        SeatOp::ReserveMany(k) => format!("many {k}"),
        SeatOp::Release(v) => format!("release {}", ids(v)),
        SeatOp::Available => "available".into(),
        SeatOp::ReserveBlocking => "blocking".into(),
        SeatOp::ReserveTimeout => "timeout".into(),
        SeatOp::ReserveManyBlocking(k) => format!("many-blocking {k}"),
    }
}

/// The inverse of [`op_to_line`]; `None` for anything else.
pub fn op_from_line(s: &str) -> Option<SeatOp> {
    let w: Vec<&str> = s.split_whitespace().collect();
    Some(match w.as_slice() {
        ["reserve"] => SeatOp::Reserve,
        ["seat", id] => SeatOp::ReserveSeat(id.parse().ok()?),
        ["many", k] => SeatOp::ReserveMany(k.parse().ok()?),
        ["release", v] => SeatOp::Release(parse_ids(v)?),
        ["available"] => SeatOp::Available,
        ["blocking"] => SeatOp::ReserveBlocking,
        ["timeout"] => SeatOp::ReserveTimeout,
        ["many-blocking", k] => SeatOp::ReserveManyBlocking(k.parse().ok()?),
        _ => return None,
    })
}

/// `reserve ID|-`, `seat ok ID`, `seat taken`, `seat range`, `many IDS|-`,
/// `released`, `available N`, `timed-out-behind`.
pub fn ret_to_line(ret: &SeatRet) -> String {
    match ret {
        SeatRet::Reserve(Some(id)) => format!("reserve {id}"),
        SeatRet::Reserve(None) => "reserve -".into(),
        SeatRet::ReserveSeat(Ok(id)) => format!("seat ok {id}"),
        SeatRet::ReserveSeat(Err(SeatErr::Taken)) => "seat taken".into(),
        SeatRet::ReserveSeat(Err(SeatErr::OutOfRange)) => "seat range".into(),
        SeatRet::ReserveMany(Some(v)) => format!("many {}", ids(v)),
        SeatRet::ReserveMany(None) => "many -".into(),
        SeatRet::Released => "released".into(),
        SeatRet::Available(n) => format!("available {n}"),
        SeatRet::TimedOutBehind => "timed-out-behind".into(),
    }
}

/// The inverse of [`ret_to_line`]; `None` for anything else.
pub fn ret_from_line(s: &str) -> Option<SeatRet> {
    let w: Vec<&str> = s.split_whitespace().collect();
    Some(match w.as_slice() {
        ["reserve", "-"] => SeatRet::Reserve(None),
        ["reserve", id] => SeatRet::Reserve(Some(id.parse().ok()?)),
        ["seat", "ok", id] => SeatRet::ReserveSeat(Ok(id.parse().ok()?)),
        ["seat", "taken"] => SeatRet::ReserveSeat(Err(SeatErr::Taken)),
        ["seat", "range"] => SeatRet::ReserveSeat(Err(SeatErr::OutOfRange)),
        ["many", "-"] => SeatRet::ReserveMany(None),
        ["many", v] => SeatRet::ReserveMany(Some(parse_ids(v)?)),
        ["released"] => SeatRet::Released,
        ["available", n] => SeatRet::Available(n.parse().ok()?),
        ["timed-out-behind"] => SeatRet::TimedOutBehind,
        _ => return None,
    })
}

/// One event as a line: `LIN PROCESS INVOKE_NS RESPONSE_NS OP | RET`.
pub fn event_line(e: &Event<SeatOp, SeatRet>) -> String {
    format!(
        "LIN {} {} {} {} | {}",
        e.thread,
        e.invoke,
        e.response,
        op_to_line(&e.op),
        ret_to_line(&e.ret)
    )
}

/// The inverse of [`event_line`]. Text before `LIN ` is skipped (libtest may
/// print `test NAME ... ` on the same line first).
pub fn parse_event_line(line: &str) -> Option<Event<SeatOp, SeatRet>> {
    let rest = &line[line.find("LIN ")? + 4..];
    let (head, ret) = rest.split_once(" | ")?;
    let mut w = head.splitn(4, ' ');
    let thread = w.next()?.parse().ok()?;
    let invoke = w.next()?.parse().ok()?;
    let response = w.next()?.parse().ok()?;
    Some(Event {
        thread,
        op: op_from_line(w.next()?)?,
        ret: ret_from_line(ret.trim())?,
        invoke,
        response,
    })
}

// ---------------------------------------------------------------- the child

/// Set in a child's environment: `INDEX SEED OPS`.
pub const CHILD_ENV: &str = "RACEFREE_LIN_CHILD";
/// Set in a child's environment: the address of the object under test, as the
/// test's `make` returned it.
pub const ADDRESS_ENV: &str = "RACEFREE_LIN_ADDRESS";
/// How long a child may take from start to exit before the parent kills it
/// and fails the round (generous: nothing here is timed).
pub const CHILD_LIMIT: Duration = Duration::from_secs(120);

/// What a child was asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildSpec {
    /// Which of the round's processes this is (the events' `thread`).
    pub index: usize,
    /// Its workload's seed.
    pub seed: u64,
    /// Operations before the final releases.
    pub ops: usize,
    /// The object's address ([`ADDRESS_ENV`]).
    pub address: String,
}

impl ChildSpec {
    /// The spec of this process, when it was started as a child.
    pub fn from_env() -> Option<Self> {
        let spec = std::env::var(CHILD_ENV).ok()?;
        let w: Vec<u64> = spec
            .split_whitespace()
            .map(|x| x.parse().expect("malformed RACEFREE_LIN_CHILD"))
            .collect();
        assert_eq!(w.len(), 3, "malformed RACEFREE_LIN_CHILD {spec:?}");
        Some(Self {
            index: w[0] as usize,
            seed: w[1],
            ops: w[2] as usize,
            address: std::env::var(ADDRESS_ENV).expect("RACEFREE_LIN_ADDRESS"),
        })
    }
}

/// The child's side of [`process_campaign`]: when this process was started as a
/// child, opens the pool with `open(spec)`, reports ready, waits for the go and
/// its start time, runs [`pool_ops`] recorded on [`Clock::monotonic`], prints
/// the events and returns `true` (the test then returns at once). In the
/// parent: `false`, and nothing happens.
pub fn run_as_pool_child<P: PoolLike>(open: impl FnOnce(&ChildSpec) -> P) -> bool {
    let Some(spec) = ChildSpec::from_env() else {
        return false;
    };
    let pool = open(&spec);
    let mut out = std::io::stdout().lock();
    writeln!(out, "\nCHILD READY").unwrap();
    out.flush().unwrap();
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).expect("read GO");
    let start: u64 = match go.split_whitespace().collect::<Vec<_>>().as_slice() {
        ["GO", ns] => ns.parse().expect("GO START_NS"),
        _ => panic!("the parent said {go:?}, not GO (it gave up?)"),
    };
    // Start together: wait for the common start on the common clock.
    while monotonic_ns() < start {
        std::thread::yield_now();
    }
    let clock = Clock::monotonic();
    let mut rec = Recorder::new(&clock, spec.index);
    let mut rng = Rng::new(spec.seed);
    pool_ops(&pool, spec.index, &mut rng, &mut rec, spec.ops);
    let events = rec.finish();
    for e in &events {
        writeln!(out, "{}", event_line(e)).unwrap();
    }
    writeln!(out, "CHILD DONE {}", events.len()).unwrap();
    out.flush().unwrap();
    true
}

// ---------------------------------------------------------------- the parent

/// The shape of a multi-process campaign.
#[derive(Clone, Copy, Debug)]
pub struct ProcessShape {
    /// Child processes per round.
    pub processes: usize,
    /// Operations per child (then its final releases).
    pub ops: usize,
    /// Rounds (each one history).
    pub rounds: usize,
}

impl ProcessShape {
    /// `processes` × `ops`, `rounds` rounds; `LIN_ROUNDS` overrides the count.
    /// Under an emulator (see [`TEST_RUNNER_ENV`](crate::support::TEST_RUNNER_ENV),
    /// where each child costs a start of qemu) a tenth of the rounds, at least 5.
    pub fn new(processes: usize, ops: usize, rounds: usize) -> Self {
        let emulated = std::env::var_os(crate::support::TEST_RUNNER_ENV).is_some();
        let rounds = rounds_from_env().unwrap_or(if emulated {
            (rounds / 10).max(5)
        } else {
            rounds
        });
        Self {
            processes,
            ops,
            rounds,
        }
    }
}

enum Msg {
    Line(usize, String),
    Closed(usize),
}

/// Runs one round: `shape.processes` children of test `test` on the object at
/// `address`; returns the merged history.
///
/// # Panics
/// When a child fails, says something unexpected, or exceeds [`CHILD_LIMIT`];
/// every child is killed and reaped first.
pub fn run_process_round(
    test: &str,
    address: &str,
    shape: ProcessShape,
    seed: u64,
) -> History<SeatOp, SeatRet> {
    let deadline = Instant::now() + CHILD_LIMIT;
    let (tx, rx) = mpsc::channel();
    let mut children: Vec<ChildGuard> = Vec::with_capacity(shape.processes);
    for index in 0..shape.processes {
        let child_seed = seed ^ (index as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F);
        let child = rerun_test(test)
            .env(CHILD_ENV, format!("{index} {child_seed} {}", shape.ops))
            .env(ADDRESS_ENV, address)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn a child process");
        let mut guard = ChildGuard::new(child);
        let stdout = guard.child().stdout.take().unwrap();
        let tx = tx.clone();
        // Detached: it ends at EOF, when the child exits or is killed.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(Msg::Line(index, line)).is_err() {
                    return;
                }
            }
            let _ = tx.send(Msg::Closed(index));
        });
        children.push(guard);
    }
    drop(tx);
    let recv = |what: &str| -> Msg {
        let left = deadline.saturating_duration_since(Instant::now());
        rx.recv_timeout(left)
            .unwrap_or_else(|_| panic!("children silent for too long, waiting for {what}"))
    };
    // 1. Everyone ready.
    let mut ready = vec![false; shape.processes];
    let mut events = Vec::new();
    let mut done = vec![None; shape.processes];
    let mut closed = vec![false; shape.processes];
    while ready.iter().any(|r| !r) {
        match recv("CHILD READY") {
            Msg::Line(i, l) if l.contains("CHILD READY") => ready[i] = true,
            Msg::Line(..) => {}
            Msg::Closed(i) => panic!("child {i} exited before it was ready"),
        }
    }
    // 2. Go, 5 ms ahead on the common clock (long enough to reach everyone).
    let start = monotonic_ns() + 5_000_000;
    for c in &mut children {
        let stdin = c.child().stdin.as_mut().unwrap();
        writeln!(stdin, "GO {start}").expect("tell a child to go");
        stdin.flush().unwrap();
    }
    // 3. Collect until every child closed its stdout.
    while closed.iter().any(|c| !c) {
        match recv("the children's events") {
            Msg::Line(i, l) => {
                if let Some(e) = parse_event_line(&l) {
                    assert_eq!(e.thread, i, "child {i} reported another's event");
                    events.push(e);
                } else if let Some(at) = l.find("CHILD DONE ") {
                    done[i] = Some(l[at + 11..].trim().parse::<usize>().expect("DONE N"));
                }
            }
            Msg::Closed(i) => closed[i] = true,
        }
    }
    // 4. Reap: each must have exited by itself, successfully.
    for (i, c) in children.into_iter().enumerate() {
        let left = deadline.saturating_duration_since(Instant::now());
        match c.wait(left) {
            Ok(status) => assert!(status.success(), "child {i} failed: {status}"),
            Err(_) => panic!("child {i} ran past {CHILD_LIMIT:?} and was killed"),
        }
    }
    for (i, d) in done.iter().enumerate() {
        let got = events.iter().filter(|e| e.thread == i).count();
        assert_eq!(*d, Some(got), "child {i}: DONE count vs events received");
    }
    history_from_ns(events)
}

/// How many pairs of events from different processes overlap in `h`: how much
/// the processes actually ran at the same time.
pub fn cross_overlaps<Op, Ret>(h: &History<Op, Ret>) -> usize {
    let e = &h.events;
    let mut n = 0;
    for i in 0..e.len() {
        for j in i + 1..e.len() {
            if e[i].thread != e[j].thread && !e[i].precedes(&e[j]) && !e[j].precedes(&e[i]) {
                n += 1;
            }
        }
    }
    n
}

/// The multi-process [`campaign`](crate::harness::campaign): `shape.rounds`
/// rounds, each on a fresh object from `make` (its address for the children,
/// and whatever the parent keeps: a handle for the checks, a guard that
/// removes it), each a history of `shape.processes` children of the test
/// `test` (which must call [`run_as_pool_child`] first), checked against
/// `model(&target)`; then `after(&target, &history)` (quiescent checks).
/// Same stopping and panicking rules as the in-process campaign; prints a
/// summary including how many cross-process pairs overlapped.
pub fn process_campaign<T, M>(
    name: &str,
    test: &str,
    shape: ProcessShape,
    mut make: impl FnMut() -> (String, T),
    model: impl Fn(&T) -> M,
    after: impl Fn(&T, &History<SeatOp, SeatRet>),
    expect: Expect,
) -> (Tally, Option<NotLinearizable>)
where
    M: SequentialModel<Op = SeatOp, Ret = SeatRet>,
{
    let mut tally = Tally::default();
    let mut rejection = None;
    let mut overlaps = 0;
    for round in 0..shape.rounds {
        let (address, target) = make();
        let init = model(&target);
        let seed = (round as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ name.len() as u64;
        let history = run_process_round(test, &address, shape, seed);
        overlaps += cross_overlaps(&history);
        if tally.check_round(round, &init, &history, &mut rejection, expect) {
            break;
        }
        after(&target, &history);
    }
    let who = format!("{} processes x {} ops", shape.processes, shape.ops);
    let extra = format!(", {overlaps} overlapping cross-process pairs");
    tally.report(name, &who, &extra, &rejection, expect);
    (tally, rejection)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::check;
    use crate::models::SeatModel;

    #[test]
    fn lines_round_trip() {
        let ops = [
            SeatOp::Reserve,
            SeatOp::ReserveSeat(7),
            SeatOp::ReserveMany(3),
            SeatOp::Release(vec![1, 4]),
            SeatOp::Release(vec![]),
            SeatOp::Available,
            SeatOp::ReserveBlocking,
            SeatOp::ReserveTimeout,
            SeatOp::ReserveManyBlocking(2),
        ];
        let rets = [
            SeatRet::Reserve(Some(2)),
            SeatRet::Reserve(None),
            SeatRet::ReserveSeat(Ok(5)),
            SeatRet::ReserveSeat(Err(SeatErr::Taken)),
            SeatRet::ReserveSeat(Err(SeatErr::OutOfRange)),
            SeatRet::ReserveMany(Some(vec![0, 1, 2])),
            SeatRet::ReserveMany(None),
            SeatRet::Released,
            SeatRet::Available(8),
            SeatRet::TimedOutBehind,
        ];
        for (i, op) in ops.iter().enumerate() {
            for ret in &rets {
                let e = Event {
                    thread: i,
                    op: op.clone(),
                    ret: ret.clone(),
                    invoke: 10 + i as u64,
                    response: 99,
                };
                let line = format!("test x ... {}", event_line(&e));
                assert_eq!(parse_event_line(&line), Some(e));
            }
        }
        assert_eq!(parse_event_line("CHILD DONE 3"), None);
        assert_eq!(op_from_line("release 1,x"), None);
    }

    fn ev(thread: usize, op: SeatOp, ret: SeatRet, i: u64, r: u64) -> Event<SeatOp, SeatRet> {
        Event {
            thread,
            op,
            ret,
            invoke: i,
            response: r,
        }
    }

    #[test]
    fn equal_readings_become_overlaps() {
        // A responds at 100 and B is invoked at 100: in the merged history they
        // overlap (invocations first at equal ns), strictly later ones follow.
        let h = history_from_ns(vec![
            ev(0, SeatOp::Reserve, SeatRet::Reserve(Some(0)), 50, 100),
            ev(1, SeatOp::Reserve, SeatRet::Reserve(Some(1)), 100, 100),
            ev(2, SeatOp::Available, SeatRet::Available(0), 101, 120),
        ]);
        let ticks: std::collections::HashSet<u64> = h
            .events
            .iter()
            .flat_map(|e| [e.invoke, e.response])
            .collect();
        assert_eq!(ticks.len(), 6, "ticks are unique");
        let (a, b, c) = (&h.events[0], &h.events[1], &h.events[2]);
        assert!(b.invoke < b.response);
        assert!(!a.precedes(b) && !b.precedes(a), "tie is an overlap");
        assert!(a.precedes(c) && b.precedes(c), "strictly later follows");
        // Capacity 2, slack 0: available() = 0 after both is legal.
        assert!(check(&SeatModel::new(2, 0), &h).is_ok());
    }

    #[test]
    fn strict_order_is_kept_and_checked() {
        // P0 books seat 0 and responds before P1 is invoked; P1 books it too.
        let h = history_from_ns(vec![
            ev(
                0,
                SeatOp::ReserveSeat(0),
                SeatRet::ReserveSeat(Ok(0)),
                10,
                20,
            ),
            ev(
                1,
                SeatOp::ReserveSeat(0),
                SeatRet::ReserveSeat(Ok(0)),
                21,
                30,
            ),
        ]);
        assert!(check(&SeatModel::new(2, 0), &h).is_err());
        assert!(cross_overlaps(&h) == 0);
    }

    #[test]
    fn the_clock_never_goes_back() {
        let c = Clock::monotonic();
        let mut last = c.tick();
        for _ in 0..1000 {
            let t = c.tick();
            assert!(t >= last);
            last = t;
        }
    }
}
