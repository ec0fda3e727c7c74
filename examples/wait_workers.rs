//! A blocking worker pool: 12 worker threads share 3 licences (say, of a
//! device or an external API). Each task parks until a licence is free
//! (`reserve_blocking`, no spinning), uses it, and releases it by dropping it.
//! One maintenance task needs all 3 at once (`reserve_many_blocking(3)`): once
//! it waits, the workers' later requests queue behind it, so it is never
//! starved by their steady stream. A monitor gives up after a deadline
//! (`reserve_timeout`).
//!
//! `cargo run --example wait_workers` (finishes in well under a second).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use racefree::SeatPool;

fn main() {
    let licences = SeatPool::new(3);
    let done = AtomicUsize::new(0);
    let start = Instant::now();

    thread::scope(|s| {
        for worker in 0..12 {
            let (licences, done) = (&licences, &done);
            s.spawn(move || {
                for _task in 0..10 {
                    let licence = licences.reserve_blocking();
                    // ... use licence number `licence.id()` ...
                    thread::sleep(Duration::from_micros(200));
                    drop(licence);
                    done.fetch_add(1, Ordering::Relaxed);
                }
                let _ = worker;
            });
        }

        // Maintenance: needs every licence at once, amid the workers' stream.
        let maintenance = s.spawn(|| {
            thread::sleep(Duration::from_millis(2));
            let all = licences.reserve_many_blocking(3).expect("3 <= capacity");
            let ids: Vec<usize> = all.ids().collect();
            thread::sleep(Duration::from_millis(1)); // exclusive work
            ids.len()
        });

        // A monitor that waits at most 50 ms for a licence.
        let monitor = s.spawn(|| {
            licences
                .reserve_timeout(Duration::from_millis(50))
                .is_some()
        });

        println!(
            "maintenance ran with all {} licences while the workers were busy",
            maintenance.join().expect("maintenance panicked")
        );
        println!(
            "monitor {}",
            if monitor.join().expect("monitor panicked") {
                "got a licence within 50 ms"
            } else {
                "timed out and kept nothing"
            }
        );
    });

    println!(
        "{} tasks done on 3 licences in {:?}",
        done.load(Ordering::Relaxed),
        start.elapsed()
    );
    assert_eq!(done.load(Ordering::Relaxed), 120);
    assert_eq!(licences.available(), 3, "every licence came back");
    assert_eq!(licences.waiting(), 0);
}
