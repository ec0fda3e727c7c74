//! Linearizability of the shared-memory pool across OS processes (feature
//! `shm`, Unix): each round, three copies of this test binary open the same `SharedSeatPool` file and run
//! the in-process campaigns' seat workload on it at the same time, recording on
//! the system-wide monotonic clock; the parent merges their histories and checks
//! them against `SeatModel` (`racefree_conformance::processes`).
//!
//! The control: the same machinery on a "pool" kept in a plain file, updated by
//! read-modify-write with no lock. The checker must reject it.
//! `LIN_ROUNDS=n` overrides the round counts.

use racefree::shm::SharedSeatPool;
use racefree_conformance::harness::Expect;
use racefree_conformance::models::{SeatErr, SeatModel};

use crate::structures::Subject;
use racefree_conformance::processes::{process_campaign, run_as_pool_child, ProcessShape};
use racefree_conformance::subjects::{pool_all_free, PoolLike};
use racefree_conformance::support::fresh_temp_dir;
use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

const PROCESSES: usize = 3;

/// Seats other in-flight calls may have promised (see `SeatModel`): the shared
/// pool is the in-process one's admission counter and bitmap in a file, so the
/// in-process bound holds: the two other processes claim at most 3 seats at a
/// time each.
const SEAT_SLACK: usize = (PROCESSES - 1) * 3;

/// A directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = fresh_temp_dir(&std::env::temp_dir(), "racefree-shm-lin");
        fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------- the shared pool

fn shm_campaign(test: &str, capacity: usize, shape: ProcessShape) {
    let (tally, _) = process_campaign(
        &format!("SharedSeatPool({capacity}) across processes, slack {SEAT_SLACK}"),
        test,
        shape,
        || {
            let dir = TempDir::new();
            let path = dir.0.join("pool");
            let pool = Subject(SharedSeatPool::create(&path, capacity).unwrap());
            (path.display().to_string(), (pool, dir))
        },
        |(p, _)| SeatModel::new(p.capacity(), SEAT_SLACK),
        |(p, _), h| pool_all_free(p, h),
        Expect::Linearizable,
    );
    assert_eq!(tally.histories, shape.rounds);
}

#[test]
fn multiprocess_shm_seat_pool() {
    if run_as_pool_child(|spec| Subject(SharedSeatPool::open(&spec.address).unwrap())) {
        return;
    }
    let test = "processes::multiprocess_shm_seat_pool";
    shm_campaign(test, 8, ProcessShape::new(PROCESSES, 8, 200));
    // Capacity 3: "full" answers all the time; the slack covers every refusal
    // there, so this checks the seats themselves (no double booking, groups all
    // or nothing, releases exact).
    shm_campaign(test, 3, ProcessShape::new(PROCESSES, 8, 100));
}

// ---------------------------------------------------------------- the control

/// DELIBERATELY BROKEN: a pool of [`RacyFilePool::CAPACITY`] seats kept as a
/// bitmask in a plain file, every change a read, a pause, and a write, with no
/// lock. Two processes that read the same mask both win the same seat, and a
/// release can undo another's claim.
struct RacyFilePool(File);

impl RacyFilePool {
    const CAPACITY: usize = 4;

    fn create(path: &Path) -> Self {
        fs::write(path, 0u64.to_le_bytes()).unwrap();
        Self::open(path)
    }
    fn open(path: impl AsRef<Path>) -> Self {
        Self(
            OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .unwrap(),
        )
    }
    fn load(&self) -> u64 {
        let mut b = [0u8; 8];
        self.0.read_exact_at(&mut b, 0).unwrap();
        u64::from_le_bytes(b)
    }
    /// The window of the race: decided on a stale read, about to write.
    fn store_later(&self, mask: u64) {
        std::thread::sleep(Duration::from_micros(300));
        self.0.write_all_at(&mask.to_le_bytes(), 0).unwrap();
    }
    fn free(mask: u64) -> Vec<usize> {
        (0..Self::CAPACITY).filter(|i| mask & 1 << i == 0).collect()
    }
}

impl PoolLike for RacyFilePool {
    type Held<'a> = Vec<usize>;
    fn capacity(&self) -> usize {
        Self::CAPACITY
    }
    fn try_reserve(&self) -> Option<(usize, Vec<usize>)> {
        let m = self.load();
        let id = *Self::free(m).first()?;
        self.store_later(m | 1 << id);
        Some((id, vec![id]))
    }
    fn try_reserve_seat(&self, id: usize) -> Result<Vec<usize>, SeatErr> {
        if id >= Self::CAPACITY {
            return Err(SeatErr::OutOfRange);
        }
        let m = self.load();
        if m & 1 << id != 0 {
            return Err(SeatErr::Taken);
        }
        self.store_later(m | 1 << id);
        Ok(vec![id])
    }
    fn try_reserve_many(&self, k: usize) -> Option<(Vec<usize>, Vec<usize>)> {
        let m = self.load();
        let free = Self::free(m);
        if free.len() < k {
            return None;
        }
        let ids = free[..k].to_vec();
        self.store_later(ids.iter().fold(m, |m, i| m | 1 << i));
        Some((ids.clone(), ids))
    }
    fn confirm(&self, held: Vec<usize>) -> Vec<usize> {
        held
    }
    fn release(&self, held: Vec<usize>) {
        let m = self.load();
        self.store_later(held.iter().fold(m, |m, i| m & !(1 << i)));
    }
    fn available(&self) -> usize {
        Self::CAPACITY - self.load().count_ones() as usize
    }
}

/// The control: the same processes, workload, clock and checker, on the racy
/// file pool. Every round runs; at least one history must be rejected (the
/// first is printed, with how many were).
#[test]
fn multiprocess_racy_file_pool_is_rejected() {
    if run_as_pool_child(|spec| RacyFilePool::open(&spec.address)) {
        return;
    }
    let (tally, rejection) = process_campaign(
        "racy file pool (read, pause, write; no lock) across processes",
        "processes::multiprocess_racy_file_pool_is_rejected",
        ProcessShape::new(PROCESSES, 8, 20),
        || {
            let dir = TempDir::new();
            let path = dir.0.join("racy");
            let pool = RacyFilePool::create(&path);
            (path.display().to_string(), (pool, dir))
        },
        |(p, _)| SeatModel::new(p.capacity(), SEAT_SLACK),
        |_, _| {},
        Expect::Anything,
    );
    let rejected = tally.histories - tally.linearizable;
    println!(
        "racy file pool: {rejected} of {} histories rejected",
        tally.histories
    );
    match rejection {
        Some(e) => println!("evidence:\n{e:?}"),
        None => panic!(
            "the checker accepted all {} histories of the racy file pool",
            tally.histories
        ),
    }
}
