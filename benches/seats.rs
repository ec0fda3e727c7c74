//! Reserve + release of one seat: `SeatPool` against a `Mutex<Vec<usize>>`
//! free-list and a crossbeam `ArrayQueue` used as a free-list, at 1/2/4/8
//! threads, capacity 64 and 4,096, with the pool empty and 95% full (the rest
//! held for the whole run). When every free seat is momentarily held by other
//! threads (95% full, many threads) each form retries the same way.

mod common;

use std::hint::black_box;
use std::sync::Mutex;

use common::{bench_threads, THREADS};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use crossbeam_queue::ArrayQueue;
use racefree::SeatPool;

const CAPACITIES: [usize; 2] = [64, 4_096];
const FILLS: [(&str, usize); 2] = [("empty", 0), ("95pct-full", 95)];

fn reserve_release(c: &mut Criterion) {
    for capacity in CAPACITIES {
        for (fill_name, percent) in FILLS {
            let held = capacity * percent / 100;
            let mut group =
                c.benchmark_group(format!("seats/reserve_release/cap{capacity}/{fill_name}"));
            for threads in THREADS {
                group.throughput(Throughput::Elements(threads as u64));

                let pool = SeatPool::new(capacity);
                let _held = pool.try_reserve_many(held).expect("prefill");
                bench_threads(&mut group, "SeatPool", threads, |_, _| loop {
                    if let Some(seat) = pool.try_reserve() {
                        black_box(seat.id());
                        break;
                    }
                    std::hint::spin_loop();
                });

                let free_list = Mutex::new((held..capacity).collect::<Vec<usize>>());
                bench_threads(&mut group, "Mutex<Vec>", threads, |_, _| loop {
                    let id = free_list.lock().unwrap().pop();
                    if let Some(id) = id {
                        black_box(id);
                        free_list.lock().unwrap().push(id);
                        break;
                    }
                    std::hint::spin_loop();
                });

                let queue = ArrayQueue::new(capacity);
                (held..capacity).for_each(|id| queue.push(id).unwrap());
                bench_threads(&mut group, "ArrayQueue", threads, |_, _| loop {
                    if let Some(id) = queue.pop() {
                        black_box(id);
                        queue.push(id).unwrap();
                        break;
                    }
                    std::hint::spin_loop();
                });
            }
            group.finish();
        }
    }
}

criterion_group!(benches, reserve_release);
criterion_main!(benches);
