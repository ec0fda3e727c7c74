//! An async service that limits how many jobs run at once with a seat pool:
//! each job waits for a seat (`reserve().await`), does its work holding it, and
//! gives it back by dropping it. A job with a deadline gives up cleanly
//! (`tokio::time::timeout`: the dropped future keeps no seat and passes on any
//! wakeup). A batch job books several seats at once (`reserve_many`), and the
//! single jobs that arrive after it queue behind it instead of starving it.
//!
//! `cargo run --example wait_service` (finishes in well under a second).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use racefree::ArraySeatPool;

/// At most 4 jobs at a time. A `static`: the seats it hands out live for
/// `'static`, so spawned tasks can hold them.
static SLOTS: ArraySeatPool<1> = ArraySeatPool::new(4);

static RUNNING: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// One job: a seat for the duration of the work.
async fn job(id: usize) -> usize {
    let seat = SLOTS.reserve().await;
    let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
    PEAK.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(5)).await; // the work
    RUNNING.fetch_sub(1, Ordering::SeqCst);
    let slot = seat.id();
    drop(seat); // the next waiter is woken
    let _ = id;
    slot
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let start = Instant::now();

    // 40 jobs arrive at once; 4 run at a time.
    let jobs: Vec<_> = (0..40).map(|id| tokio::spawn(job(id))).collect();

    // A batch job that needs 3 slots at once queues among them: fair to groups.
    let batch = tokio::spawn(async {
        let group = SLOTS.reserve_many(3).await.expect("3 <= capacity");
        tokio::time::sleep(Duration::from_millis(5)).await;
        group.len()
    });

    // An impatient request: gives up after 1 ms if no slot is free for it.
    // (The seat, if it got one, is dropped at once: `map` keeps only its id.)
    let impatient = tokio::time::timeout(Duration::from_millis(1), SLOTS.reserve())
        .await
        .map(|seat| seat.id());

    let mut per_slot = [0_usize; 4];
    for j in jobs {
        per_slot[j.await.expect("job panicked")] += 1;
    }
    let batch = batch.await.expect("batch panicked");

    println!("40 jobs done in {:?}", start.elapsed());
    println!("  jobs per slot: {per_slot:?}");
    println!(
        "  most jobs running at once: {} (limit {})",
        PEAK.load(Ordering::SeqCst),
        SLOTS.capacity()
    );
    println!("  batch job booked {batch} slots at once");
    println!(
        "  impatient request: {}",
        if impatient.is_ok() {
            "got a slot"
        } else {
            "timed out, kept nothing"
        }
    );
    assert!(PEAK.load(Ordering::SeqCst) <= SLOTS.capacity());
    assert_eq!(SLOTS.available(), SLOTS.capacity(), "every slot came back");
    assert_eq!(SLOTS.waiting(), 0);
}
