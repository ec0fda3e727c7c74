//! Push+pop pairs on the stacks against their baselines, at 1/2/4/8 threads:
//! `ArrayStack`, `TreiberStack`, `std::sync::Mutex<Vec>`, `parking_lot::Mutex<Vec>`,
//! crossbeam's `ArrayQueue` and `SegQueue`, and an epoch-reclaimed Treiber stack
//! (crossbeam-epoch) — the measured alternative to `TreiberStack`'s type-stable
//! node free-list.
//!
//! One element = one push followed by one pop on one thread. Timing is inside the
//! workers (benches/common); 4 and 8 threads are oversubscribed on a 2-core machine.

mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use crossbeam_queue::{ArrayQueue, SegQueue};
use racefree::{ArrayStack, TreiberStack};
use std::hint::black_box;
use std::sync::Mutex;

/// A textbook Treiber stack with crossbeam-epoch reclamation (never reuses a node
/// before a grace period): the peer `TreiberStack` was measured against.
mod epoch_stack {
    use crossbeam_epoch::{self as epoch, Atomic, Owned};
    use std::mem::ManuallyDrop;
    use std::ptr;
    use std::sync::atomic::Ordering;

    struct Node<T> {
        value: ManuallyDrop<T>,
        next: Atomic<Node<T>>,
    }

    pub struct EpochStack<T> {
        head: Atomic<Node<T>>,
    }

    impl<T> EpochStack<T> {
        pub fn new() -> Self {
            Self {
                head: Atomic::null(),
            }
        }

        pub fn push(&self, value: T) {
            let mut node = Owned::new(Node {
                value: ManuallyDrop::new(value),
                next: Atomic::null(),
            });
            let guard = epoch::pin();
            loop {
                // Relaxed: re-checked by the CAS.
                let head = self.head.load(Ordering::Relaxed, &guard);
                // Relaxed: published by the Release CAS.
                node.next.store(head, Ordering::Relaxed);
                // Release: pairs with the Acquire load in pop.
                match self.head.compare_exchange(
                    head,
                    node,
                    Ordering::Release,
                    Ordering::Relaxed,
                    &guard,
                ) {
                    Ok(_) => return,
                    Err(e) => node = e.new,
                }
            }
        }

        pub fn pop(&self) -> Option<T> {
            let guard = epoch::pin();
            loop {
                // Acquire: pairs with the Release CAS in push.
                let head = self.head.load(Ordering::Acquire, &guard);
                // SAFETY: the guard keeps `head` from being freed while pinned.
                let node = unsafe { head.as_ref() }?;
                // Relaxed: the Acquire load above made it visible.
                let next = node.next.load(Ordering::Relaxed, &guard);
                // Relaxed: the Acquire load already synchronised with the pusher.
                if self
                    .head
                    .compare_exchange(head, next, Ordering::Relaxed, Ordering::Relaxed, &guard)
                    .is_ok()
                {
                    // SAFETY: the CAS unlinked `head`, so only this thread moves the
                    // value out; destruction is deferred past every pinned reader and
                    // never drops the value again (ManuallyDrop).
                    unsafe {
                        let value = ptr::read(&node.value);
                        guard.defer_destroy(head);
                        return Some(ManuallyDrop::into_inner(value));
                    }
                }
            }
        }
    }

    impl<T> Drop for EpochStack<T> {
        fn drop(&mut self) {
            while self.pop().is_some() {}
        }
    }
}

fn push_pop_pairs(c: &mut Criterion) {
    let mut group = c.benchmark_group("stack_push_pop_pair");
    for threads in common::THREADS {
        group.throughput(Throughput::Elements(threads as u64));
        let label = common::thread_label(threads);

        let array = ArrayStack::<u64, 64>::new();
        group.bench_function(BenchmarkId::new("ArrayStack", &label), |b| {
            b.iter_custom(|iters| {
                common::time_threads(threads, iters, |_, i| {
                    array.push(i).unwrap();
                    black_box(array.pop());
                })
            })
        });

        let treiber = TreiberStack::<u64>::new();
        group.bench_function(BenchmarkId::new("TreiberStack", &label), |b| {
            b.iter_custom(|iters| {
                common::time_threads(threads, iters, |_, i| {
                    treiber.push(i);
                    black_box(treiber.pop());
                })
            })
        });

        let epoch = epoch_stack::EpochStack::<u64>::new();
        group.bench_function(BenchmarkId::new("EpochTreiber", &label), |b| {
            b.iter_custom(|iters| {
                common::time_threads(threads, iters, |_, i| {
                    epoch.push(i);
                    black_box(epoch.pop());
                })
            })
        });

        let std_mutex = Mutex::new(Vec::<u64>::with_capacity(64));
        group.bench_function(BenchmarkId::new("std_Mutex_Vec", &label), |b| {
            b.iter_custom(|iters| {
                common::time_threads(threads, iters, |_, i| {
                    std_mutex.lock().unwrap().push(i);
                    black_box(std_mutex.lock().unwrap().pop());
                })
            })
        });

        let pl_mutex = parking_lot::Mutex::new(Vec::<u64>::with_capacity(64));
        group.bench_function(BenchmarkId::new("parking_lot_Mutex_Vec", &label), |b| {
            b.iter_custom(|iters| {
                common::time_threads(threads, iters, |_, i| {
                    pl_mutex.lock().push(i);
                    black_box(pl_mutex.lock().pop());
                })
            })
        });

        let array_queue = ArrayQueue::<u64>::new(64);
        group.bench_function(BenchmarkId::new("ArrayQueue", &label), |b| {
            b.iter_custom(|iters| {
                common::time_threads(threads, iters, |_, i| {
                    array_queue.push(i).unwrap();
                    black_box(array_queue.pop());
                })
            })
        });

        let seg_queue = SegQueue::<u64>::new();
        group.bench_function(BenchmarkId::new("SegQueue", &label), |b| {
            b.iter_custom(|iters| {
                common::time_threads(threads, iters, |_, i| {
                    seg_queue.push(i);
                    black_box(seg_queue.pop());
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, push_pop_pairs);
criterion_main!(benches);
