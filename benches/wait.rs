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
//! `cargo bench --bench wait`. Times are taken inside the worker threads
//! (`common::time_threads`); 8 threads on 2 cores are oversubscribed.

mod common;

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

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

            #[cfg(feature = "wait")]
            {
                let pool = SeatPool::new(capacity);
                group.bench_function(BenchmarkId::new("racefree_reserve", &label), |b| {
                    b.iter_custom(|iters| {
                        time_threads(threads, iters, |_, _| {
                            let seat = block_on(pool.reserve());
                            work();
                            drop(seat);
                        })
                    })
                });
                group.bench_function(BenchmarkId::new("racefree_blocking", &label), |b| {
                    b.iter_custom(|iters| {
                        time_threads(threads, iters, |_, _| {
                            let seat = pool.reserve_blocking();
                            work();
                            drop(seat);
                        })
                    })
                });
            }

            let tokio_sem = tokio::sync::Semaphore::new(capacity);
            group.bench_function(BenchmarkId::new("tokio_semaphore", &label), |b| {
                b.iter_custom(|iters| {
                    time_threads(threads, iters, |_, _| {
                        let permit = block_on(tokio_sem.acquire()).expect("never closed");
                        work();
                        drop(permit);
                    })
                })
            });

            let async_lock_sem = async_lock::Semaphore::new(capacity);
            group.bench_function(BenchmarkId::new("async_lock_semaphore", &label), |b| {
                b.iter_custom(|iters| {
                    time_threads(threads, iters, |_, _| {
                        let guard = block_on(async_lock_sem.acquire());
                        work();
                        drop(guard);
                    })
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, fast_path, peers);
criterion_main!(benches);
