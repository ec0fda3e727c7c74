//! The seat models' fixture (`seats` and `wait`): a pool and one loom cell per
//! seat, which only the seat's holder writes. A write that does not
//! happen-after the previous holder's release is a data race that loom
//! reports. Each module adds the checks its models need (`seats`: `sit`,
//! `leave`, `assert_all_free`; `wait`: `use_seat`, `assert_exact`).

use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;
use racefree::SeatPool;

pub struct Venue {
    pub pool: SeatPool,
    /// Who holds each seat, as its holder wrote it.
    pub holder: Vec<UnsafeCell<usize>>,
}

impl Venue {
    pub fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Self {
            pool: SeatPool::new(capacity),
            holder: (0..capacity).map(|_| UnsafeCell::new(0)).collect(),
        })
    }

    /// Runs `f` on a new loom thread, with that thread's own handle on `venue`
    /// (an associated function: loom's `Arc` cannot be a method receiver).
    pub fn spawn<T: 'static>(
        venue: &Arc<Self>,
        f: impl FnOnce(&Self) -> T + 'static,
    ) -> thread::JoinHandle<T> {
        let venue = Arc::clone(venue);
        thread::spawn(move || f(&venue))
    }
}
