//! Push+pop pairs on the stacks against their baselines, at 1/2/4/8 threads:
//! `ArrayStack`, `TreiberStack`, `std::sync::Mutex<Vec>`, `parking_lot::Mutex<Vec>`,
//! crossbeam's `ArrayQueue` and `SegQueue`, and an epoch-reclaimed Treiber stack
//! (crossbeam-epoch) — the measured alternative to `TreiberStack`'s type-stable
//! node free-list.
//!
//! One element = one push followed by one pop on one thread. Timing is inside the
//! workers (benches/common); 4 and 8 threads are oversubscribed on a 2-core machine.

mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use crossbeam_queue::{ArrayQueue, SegQueue};
use racefree::{ArrayStack, TreiberStack};
use std::hint::black_box;
use std::sync::Mutex;

use common::epoch_stack::EpochStack;

fn push_pop_pairs(c: &mut Criterion) {
    let mut group = c.benchmark_group("stack_push_pop_pair");
    for threads in common::THREADS {
        group.throughput(Throughput::Elements(threads as u64));

        let array = ArrayStack::<u64, 64>::new();
        common::bench_threads(&mut group, "ArrayStack", threads, |_, i| {
            array.push(i).unwrap();
            black_box(array.pop());
        });

        let treiber = TreiberStack::<u64>::new();
        common::bench_threads(&mut group, "TreiberStack", threads, |_, i| {
            treiber.push(i);
            black_box(treiber.pop());
        });

        let epoch = EpochStack::<u64>::default();
        common::bench_threads(&mut group, "EpochTreiber", threads, |_, i| {
            epoch.push(i);
            black_box(epoch.pop());
        });

        let std_mutex = Mutex::new(Vec::<u64>::with_capacity(64));
        common::bench_threads(&mut group, "std_Mutex_Vec", threads, |_, i| {
            std_mutex.lock().unwrap().push(i);
            black_box(std_mutex.lock().unwrap().pop());
        });

        let pl_mutex = parking_lot::Mutex::new(Vec::<u64>::with_capacity(64));
        common::bench_threads(&mut group, "parking_lot_Mutex_Vec", threads, |_, i| {
            pl_mutex.lock().push(i);
            black_box(pl_mutex.lock().pop());
        });

        let array_queue = ArrayQueue::<u64>::new(64);
        common::bench_threads(&mut group, "ArrayQueue", threads, |_, i| {
            array_queue.push(i).unwrap();
            black_box(array_queue.pop());
        });

        let seg_queue = SegQueue::<u64>::new();
        common::bench_threads(&mut group, "SegQueue", threads, |_, i| {
            seg_queue.push(i);
            black_box(seg_queue.pop());
        });
    }
    group.finish();
}

criterion_group!(benches, push_pop_pairs);
criterion_main!(benches);
