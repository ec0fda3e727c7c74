//! Waiting for seats: acquire + release of one seat.
//!
//! - `wait/fast_path`: a free seat always exists (capacity 64, never full):
//!   `try_reserve` against the waiting calls' fast path (`reserve_blocking`,
//!   and async `reserve` polled once, with no executor). The waiting calls must
//!   stay within 5% of `try_reserve`. Run it also with
//!   `--no-default-features --features std` (no `wait` feature) to see the
//!   release path without the waiting-flag test.
//! - `wait/peers/{no_waiters,waiters}`: async `reserve()` (and
//!   `reserve_blocking`) against `tokio::sync::Semaphore::acquire` and
//!   `async_lock::Semaphore::acquire`, at 1, 2 and 8 threads. Without waiters:
//!   capacity 64. With waiters: capacity 1 and a short critical section, so
//!   every other thread waits (parks) on each acquire; 1 thread cannot wait.
//!   Every async form runs on the same minimal executor (poll, park until
//!   woken), so the numbers compare the primitives, not the executors.
//!
//! - `wait/fast_path_ratio`: the same fast-path comparison as median ratios of
//!   interleaved bursts (printed; robust to a machine whose load changes during
//!   the run, which sequential criterion groups are not).
//! - `wait/peers_ratio`: the `wait/peers` rows the same way: at each thread
//!   count, each form's bursts in rotating order, the median of each round's
//!   speed relative to tokio's semaphore (above 1: faster than tokio). The
//!   figures to quote: sequential criterion groups on a shared machine swing
//!   by 2x between runs.
//!
//! `cargo bench --bench wait`. Times are taken inside the worker threads
//! (`common::time_threads`); 8 threads on 2 cores are oversubscribed.

mod common;

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::sync::Barrier;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use common::{thread_label, time_threads};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use racefree::SeatPool;

const THREADS: [usize; 3] = [1, 2, 8];

/// The work done while holding a seat, the same for every form.
#[inline]
fn work() {
    for i in 0..16_u32 {
        black_box(i);
    }
}

struct Unpark(thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

thread_local! {
    static WAKER: Waker = Waker::from(Arc::new(Unpark(thread::current())));
}

/// Like `common::time_threads`, but the span from the first worker's start to
/// the last one's end (each taken inside the workers): with waiters the seat is
/// handed from thread to thread, and a worker that ran its operations alone
/// before the others started must not count as fast.
fn time_threads_span(threads: usize, iters: u64, op: impl Fn() + Sync) -> Duration {
    let barrier = Barrier::new(threads);
    let (op, barrier) = (&op, &barrier);
    thread::scope(|s| {
        let spans: Vec<(Instant, Instant)> = (0..threads)
            .map(|_| {
                s.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    for _ in 0..iters {
                        op();
                    }
                    (start, Instant::now())
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().expect("benchmark worker panicked"))
            .collect();
        let first = spans.iter().map(|s| s.0).min().expect("a worker");
        let last = spans.iter().map(|s| s.1).max().expect("a worker");
        last - first
    })
}

/// The fast path's cost relative to `try_reserve`, robust to a machine whose
/// load changes while the benchmark runs: short bursts of each form, taken in
/// turn, 201 times; prints the median of the per-round ratios (one thread,
/// capacity 64, never full).
fn fast_path_ratio(_: &mut Criterion) {
    const BURST: u32 = 20_000;
    if !selected("wait/fast_path_ratio") {
        return;
    }
    let pool = SeatPool::new(64);
    let time = |f: &dyn Fn()| {
        let start = Instant::now();
        for _ in 0..BURST {
            f();
        }
        start.elapsed().as_secs_f64() * 1e9 / f64::from(BURST)
    };
    let try_reserve = || drop(black_box(pool.try_reserve().expect("never full")));
    #[cfg(feature = "wait")]
    let blocking = || drop(black_box(pool.reserve_blocking()));
    #[cfg(feature = "wait")]
    let polled = || {
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        let Poll::Ready(seat) = pin!(pool.reserve()).poll(&mut cx) else {
            unreachable!("never full")
        };
        drop(black_box(seat));
    };
    // Each round times every form once, in a rotating order (no form always
    // first), and `try_reserve` twice: the second, as a control, shows how far
    // two runs of the same code differ (an A/A ratio).
    type Form<'f> = &'f dyn Fn();
    #[cfg_attr(not(feature = "wait"), allow(unused_mut))]
    let mut forms: Vec<(&str, Form<'_>)> = vec![
        ("try_reserve", &try_reserve),
        ("try_reserve (control)", &try_reserve),
    ];
    #[cfg(feature = "wait")]
    forms.extend([
        ("reserve_blocking", &blocking as Form<'_>),
        ("reserve polled once", &polled as Form<'_>),
    ]);
    let medians = rotating_medians(forms.len(), 201, |i| time(forms[i].1));
    println!(
        "wait/fast_path_ratio: 1 thread, capacity 64, acquire + release, median of 201 rounds in rotating order (wait feature: {})",
        cfg!(feature = "wait")
    );
    for ((name, _), (time, ratio)) in forms.iter().zip(medians) {
        println!("    {name:<22} {time:>6.2} ns   / try_reserve = {ratio:.3}");
    }
}

/// Times `forms` forms (`time(i)`: form `i`'s time per operation) in `rounds`
/// rounds, each form once a round in a rotating order (no form always first).
/// Returns each form's median time and the median of its per-round time
/// ratio to form 0 (the same round's: robust to a machine whose load changes
/// between rounds).
fn rotating_medians(
    forms: usize,
    rounds: usize,
    mut time: impl FnMut(usize) -> f64,
) -> Vec<(f64, f64)> {
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); forms];
    let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); forms];
    for round in 0..rounds {
        let mut t = vec![0.0; forms];
        for i in 0..forms {
            let at = (i + round) % forms;
            t[at] = time(at);
        }
        for i in 0..forms {
            times[i].push(t[i]);
            ratios[i].push(t[i] / t[0]);
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    times
        .into_iter()
        .zip(ratios)
        .map(|(t, r)| (median(t), median(r)))
        .collect()
}

/// The rows of `wait/peers` as median same-round speed ratios against tokio's
/// semaphore (the same work per acquire, the same executor for every async
/// form): 31 rounds of a ~20 ms burst per form at each thread count, in
/// rotating order. Without waiters (capacity 64) each burst is timed inside
/// its workers (the slowest worker's time per operation); with waiters
/// (capacity 1) it is the span over all workers, as in `wait/peers`.
fn peers_ratio(_: &mut Criterion) {
    if !selected("wait/peers_ratio") {
        return;
    }
    // One quick pass under `--test` (CI's bench smoke).
    let quick = std::env::args().any(|a| a == "--test");
    let rounds = if quick { 3 } else { 31 };
    for (capacity, name) in [(64, "no waiters"), (1, "waiters")] {
        type Form<'f> = (&'static str, &'f (dyn Fn() + Sync));
        #[cfg(feature = "wait")]
        let pool = SeatPool::new(capacity);
        #[cfg(feature = "wait")]
        let racefree_reserve = || drop(black_box((block_on(pool.reserve()), work())));
        #[cfg(feature = "wait")]
        let racefree_blocking = || drop(black_box((pool.reserve_blocking(), work())));
        let tokio_sem = tokio::sync::Semaphore::new(capacity);
        let tokio = || drop(black_box((block_on(tokio_sem.acquire()), work())));
        let async_lock_sem = async_lock::Semaphore::new(capacity);
        let async_lock = || drop(black_box((block_on(async_lock_sem.acquire()), work())));
        #[cfg_attr(not(feature = "wait"), allow(unused_mut))]
        let mut forms: Vec<Form<'_>> = vec![("tokio_semaphore", &tokio)];
        #[cfg(feature = "wait")]
        forms.extend([
            ("racefree_reserve", &racefree_reserve as &(dyn Fn() + Sync)),
            ("racefree_blocking", &racefree_blocking),
        ]);
        forms.push(("async_lock_semaphore", &async_lock));
        println!(
            "wait/peers_ratio/{name}: capacity {capacity}, acquire + work + release, median of {rounds} rounds in rotating order"
        );
        for threads in THREADS {
            if capacity == 1 && threads == 1 {
                continue; // one thread never waits
            }
            let time = |op: &(dyn Fn() + Sync), ops: u64| {
                let elapsed = if capacity == 1 {
                    time_threads_span(threads, ops, op)
                } else {
                    time_threads(threads, ops, |_, _| op())
                };
                elapsed.as_secs_f64() * 1e9 / ops as f64
            };
            // Bursts of ~20 ms (a handoff to a parked waiter costs microseconds,
            // a free seat nanoseconds): long enough for every worker to run
            // while the others do, which a burst shorter than a thread's start
            // is not.
            let burst = if quick {
                100
            } else {
                (20e6 / time(forms[0].1, 1_000)).clamp(1_000.0, 1e6) as u64
            };
            let medians = rotating_medians(forms.len(), rounds, |i| time(forms[i].1, burst));
            println!("  {}:", thread_label(threads));
            for ((name, _), (time, ratio)) in forms.iter().zip(medians) {
                // An odd number of rounds: the median of the speeds (1 / ratio)
                // is 1 / the median ratio.
                let speed = 1.0 / ratio;
                println!("    {name:<22} {time:>10.1} ns   speed / tokio = {speed:.2}");
            }
        }
    }
}

/// Whether a printed (non-criterion) benchmark named `name` runs: with no
/// filter on the command line, or a filter that is part of its name (as
/// criterion matches its own benchmark ids).
fn selected(name: &str) -> bool {
    let mut filters = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .peekable();
    filters.peek().is_none() || filters.any(|f| name.contains(f.as_str()))
}

/// The minimal executor every async form runs on: poll; park until woken.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    WAKER.with(|waker| {
        let mut cx = Context::from_waker(waker);
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            thread::park();
        }
    })
}

fn fast_path(c: &mut Criterion) {
    let mut group = c.benchmark_group("wait/fast_path");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for threads in THREADS {
        group.throughput(Throughput::Elements(threads as u64));
        let label = thread_label(threads);
        let pool = SeatPool::new(64);
        group.bench_function(BenchmarkId::new("try_reserve", &label), |b| {
            b.iter_custom(|iters| {
                time_threads(threads, iters, |_, _| {
                    let seat = pool.try_reserve().expect("never full");
                    black_box(seat.id());
                })
            })
        });
        #[cfg(feature = "wait")]
        {
            group.bench_function(BenchmarkId::new("reserve_blocking", &label), |b| {
                b.iter_custom(|iters| {
                    time_threads(threads, iters, |_, _| {
                        let seat = pool.reserve_blocking();
                        black_box(seat.id());
                    })
                })
            });
            group.bench_function(BenchmarkId::new("reserve_polled_once", &label), |b| {
                b.iter_custom(|iters| {
                    time_threads(threads, iters, |_, _| {
                        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
                        let Poll::Ready(seat) = pin!(pool.reserve()).poll(&mut cx) else {
                            unreachable!("never full")
                        };
                        black_box(seat.id());
                    })
                })
            });
        }
    }
    group.finish();
}

fn peers(c: &mut Criterion) {
    for (name, capacity) in [("no_waiters", 64), ("waiters", 1)] {
        let mut group = c.benchmark_group(format!("wait/peers/{name}"));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1));
        for threads in THREADS {
            if capacity == 1 && threads == 1 {
                continue; // one thread never waits
            }
            group.throughput(Throughput::Elements(threads as u64));
            let label = thread_label(threads);
            // Without waiters each worker's own time (as every other bench);
            // with waiters the span over all workers (see `time_threads_span`).
            let mut bench = |name: &str, op: &(dyn Fn() + Sync)| {
                group.bench_function(BenchmarkId::new(name, &label), |b| {
                    b.iter_custom(|iters| {
                        if capacity == 1 {
                            time_threads_span(threads, iters, op)
                        } else {
                            time_threads(threads, iters, |_, _| op())
                        }
                    })
                });
            };

            #[cfg(feature = "wait")]
            {
                let pool = SeatPool::new(capacity);
                bench("racefree_reserve", &|| {
                    let seat = block_on(pool.reserve());
                    work();
                    drop(seat);
                });
                bench("racefree_blocking", &|| {
                    let seat = pool.reserve_blocking();
                    work();
                    drop(seat);
                });
            }

            let tokio_sem = tokio::sync::Semaphore::new(capacity);
            bench("tokio_semaphore", &|| {
                let permit = block_on(tokio_sem.acquire()).expect("never closed");
                work();
                drop(permit);
            });

            let async_lock_sem = async_lock::Semaphore::new(capacity);
            bench("async_lock_semaphore", &|| {
                let guard = block_on(async_lock_sem.acquire());
                work();
                drop(guard);
            });
        }
        group.finish();
    }
}

criterion_group!(benches, fast_path_ratio, peers_ratio, fast_path, peers);
criterion_main!(benches);
