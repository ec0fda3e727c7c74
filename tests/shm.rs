//! The shared-memory tier: files, errors, the pool and counters across
//! mappings, and real processes (this test binary re-invoked as a worker, with
//! `RACEFREE_SHM_WORKER` set), killed with SIGKILL at random points.
#![cfg(all(feature = "shm", not(loom)))]

use std::fs;
use std::path::{Path, PathBuf};

use racefree::shm::{SharedBoundedCounter, SharedCounter, SharedSeatPool, SharedTicket, ShmError};
use racefree::Counter;

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "racefree-shm-test-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------- in-process

#[test]
fn pool_operations_across_two_mappings() {
    let dir = TempDir::new("ops");
    let path = dir.path("pool");
    let a = SharedSeatPool::create(&path, 130).unwrap();
    let b = SharedSeatPool::open(&path).unwrap();
    assert_eq!((a.capacity(), b.capacity()), (130, 130));
    let s = a.try_reserve_seat(129).unwrap();
    assert!(b.try_reserve_seat(129).is_err());
    let group = b.try_reserve_many(128).unwrap();
    assert_eq!(a.available(), 1);
    assert!(a.try_reserve_many(2).is_none());
    let last = a.try_reserve().unwrap();
    assert!(b.try_reserve().is_none());
    assert_eq!(a.available(), 0);
    let tickets = group.confirm();
    drop(last);
    drop(s);
    assert_eq!(b.available(), 2);
    // In-process tickets cancel on either mapping of the same file.
    for t in tickets {
        b.cancel(t).unwrap();
    }
    assert_eq!(a.available(), 130);
    assert_eq!(
        format!("{a:?}"),
        "SharedSeatPool { capacity: 130, available: 130 }"
    );
}

#[test]
fn tickets_of_other_pools_are_refused() {
    let dir = TempDir::new("foreign");
    let a = SharedSeatPool::create(dir.path("a"), 2).unwrap();
    let b = SharedSeatPool::create(dir.path("b"), 2).unwrap();
    let heap = racefree::SeatPool::new(2);
    let t = a.try_reserve().unwrap().confirm();
    let t = b.cancel(t).unwrap_err();
    let t = heap.cancel(t).unwrap_err();
    let t = b.share(t).unwrap_err();
    let ht = heap.try_reserve().unwrap().confirm();
    let ht = a.cancel(ht).unwrap_err();
    let ht = a.share(ht).unwrap_err();
    heap.cancel(ht).unwrap();
    a.cancel(t).unwrap();
}

#[test]
fn shared_tickets_survive_all_handles_and_cancel_once() {
    let dir = TempDir::new("durable");
    let path = dir.path("pool");
    let bytes = {
        let pool = SharedSeatPool::create(&path, 4).unwrap();
        let held = pool.try_reserve_seat(0).unwrap();
        let t = pool
            .share(pool.try_reserve_seat(3).unwrap().confirm())
            .unwrap();
        std::mem::forget(held); // a hold of a live process: stays
        t.to_bytes()
    };
    let pool = SharedSeatPool::open(&path).unwrap();
    assert_eq!(pool.available(), 2, "the booking and this process's hold");
    let t = SharedTicket::from_bytes(bytes);
    assert_eq!(pool.bookings(), vec![t]);
    let stale = SharedTicket::from_parts(3, t.generation() + 1);
    assert!(matches!(pool.cancel_seat(stale), Err(ShmError::NotBooked)));
    assert!(matches!(
        pool.cancel_seat(SharedTicket::from_parts(99, 1)),
        Err(ShmError::NotBooked)
    ));
    pool.cancel_seat(t).unwrap();
    assert!(matches!(pool.cancel_seat(t), Err(ShmError::NotBooked)));
    // Booked again: the old ticket still cannot cancel the new booking.
    let t2 = pool
        .share(pool.try_reserve_seat(3).unwrap().confirm())
        .unwrap();
    assert_ne!(t2.generation(), t.generation());
    assert!(matches!(pool.cancel_seat(t), Err(ShmError::NotBooked)));
    pool.cancel_seat(t2).unwrap();
    assert_eq!(pool.recover().freed(), 0, "a live holder keeps its seat");
    assert_eq!(pool.available(), 3);
}

#[test]
fn threads_never_share_a_seat() {
    let dir = TempDir::new("threads");
    let path = dir.path("pool");
    let pool = SharedSeatPool::create(&path, 64).unwrap();
    let other = SharedSeatPool::open(&path).unwrap();
    let held: Vec<std::sync::atomic::AtomicBool> = (0..64)
        .map(|_| std::sync::atomic::AtomicBool::new(false))
        .collect();
    std::thread::scope(|s| {
        for t in 0..4 {
            let p = if t % 2 == 0 { &pool } else { &other };
            let held = &held;
            s.spawn(move || {
                for i in 0..2_000 {
                    if i % 3 == 0 {
                        if let Some(g) = p.try_reserve_many(3) {
                            for id in g.ids() {
                                assert!(!held[id].swap(true, std::sync::atomic::Ordering::SeqCst));
                            }
                            for id in g.ids() {
                                held[id].store(false, std::sync::atomic::Ordering::SeqCst);
                            }
                        }
                    } else if let Some(seat) = p.try_reserve() {
                        assert!(!held[seat.id()].swap(true, std::sync::atomic::Ordering::SeqCst));
                        held[seat.id()].store(false, std::sync::atomic::Ordering::SeqCst);
                    }
                }
            });
        }
    });
    assert_eq!(pool.available(), 64);
    let r = pool.recover();
    assert_eq!((r.freed(), r.units), (0, 0));
}

#[test]
fn open_or_create_races_end_on_one_file() {
    let dir = TempDir::new("race");
    let path = dir.path("pool");
    let pools: Vec<SharedSeatPool> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..8)
            .map(|_| s.spawn(|| SharedSeatPool::open_or_create(&path, 8).unwrap()))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let seats: Vec<_> = pools.iter().map(|p| p.try_reserve().unwrap()).collect();
    assert!(pools.iter().all(|p| p.available() == 0), "one file for all");
    drop(seats);
    // No temporary files left behind.
    assert_eq!(fs::read_dir(&dir.0).unwrap().count(), 1);
}

#[test]
fn counters_share_their_value_and_semantics() {
    let dir = TempDir::new("counters");
    let c = SharedCounter::create(dir.path("c"), Counter::MAX - 2).unwrap();
    let c2 = SharedCounter::open_or_create(dir.path("c"), 0).unwrap();
    assert_eq!(c.increment(), Counter::MAX - 2);
    assert_eq!(c2.checked_add(1), Some(Counter::MAX - 1));
    assert_eq!(c.checked_add(1), None); // exhausted, in the guard band
    assert!(c2.get() > Counter::MAX);
    assert_eq!(c2.checked_add(0), None);
    let r = std::panic::catch_unwind(|| c.increment());
    let msg = r.unwrap_err().downcast::<String>().unwrap();
    assert!(
        msg.starts_with("racefree::shm::SharedCounter::add: the counter would pass"),
        "{msg}"
    );
    assert!(c.update(|_| Some(7)).is_ok());
    assert_eq!(c2.get(), 7);
    assert!(matches!(
        SharedCounter::create(dir.path("big"), Counter::MAX + 1),
        Err(ShmError::CapacityTooLarge)
    ));

    let b = SharedBoundedCounter::create(dir.path("b"), 10).unwrap();
    let b2 = SharedBoundedCounter::open(dir.path("b")).unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| while b2.try_add(1).is_ok() {});
            s.spawn(|| while b.try_add(1).is_ok() {});
        }
    });
    assert_eq!(b.get(), 10);
    assert_eq!(b2.try_sub(11), Err(10));
    assert!(matches!(
        SharedBoundedCounter::open_or_create(dir.path("b"), 11),
        Err(ShmError::CapacityMismatch {
            found: 10,
            requested: 11
        })
    ));
    let full = SharedBoundedCounter::create_at(dir.path("full"), 5, 5).unwrap();
    assert_eq!(full.try_add(1), Err(5));
}

// ---------------------------------------------------------------- bad files

fn write(path: &Path, bytes: &[u8]) {
    fs::write(path, bytes).unwrap();
}

#[test]
fn bad_files_get_clear_errors() {
    let dir = TempDir::new("bad");
    let good = dir.path("good");
    drop(SharedSeatPool::create(&good, 100).unwrap());
    let bytes = fs::read(&good).unwrap();

    assert!(matches!(
        SharedSeatPool::open(dir.path("missing")),
        Err(ShmError::NotFound)
    ));
    assert!(matches!(
        SharedSeatPool::create(&good, 100),
        Err(ShmError::AlreadyExists)
    ));
    assert!(matches!(
        SharedSeatPool::create(dir.path("zero"), 0),
        Err(ShmError::ZeroCapacity)
    ));
    assert!(matches!(
        SharedSeatPool::create(dir.path("huge"), usize::MAX),
        Err(ShmError::CapacityTooLarge)
    ));
    assert!(matches!(
        SharedSeatPool::open(&dir.0),
        Err(ShmError::NotARegularFile)
    ));

    let p = dir.path("empty");
    write(&p, b"");
    assert!(matches!(
        SharedSeatPool::open(&p),
        Err(ShmError::Truncated { len: 0, .. })
    ));

    let p = dir.path("short");
    write(&p, &bytes[..bytes.len() - 4096]);
    assert!(
        matches!(SharedSeatPool::open(&p), Err(ShmError::Truncated { len, expected }) if expected == bytes.len() as u64 && len + 4096 == expected)
    );

    let p = dir.path("zeros");
    write(&p, &vec![0; bytes.len()]);
    assert!(matches!(
        SharedSeatPool::open(&p),
        Err(ShmError::Uninitialised)
    ));

    let mut b = bytes.clone();
    b[0] = b'R';
    let p = dir.path("magic");
    write(&p, &b);
    assert!(matches!(SharedSeatPool::open(&p), Err(ShmError::BadMagic)));

    let mut b = bytes.clone();
    b[8..12].copy_from_slice(&99u32.to_ne_bytes());
    let p = dir.path("version");
    write(&p, &b);
    assert!(matches!(
        SharedSeatPool::open(&p),
        Err(ShmError::UnsupportedVersion {
            found: 99,
            supported: 1
        })
    ));

    let mut b = bytes.clone();
    b[16..20].copy_from_slice(&0x0403_0201u32.to_ne_bytes());
    let p = dir.path("endian");
    write(&p, &b);
    assert!(matches!(
        SharedSeatPool::open(&p),
        Err(ShmError::IncompatiblePlatform)
    ));

    let mut b = bytes.clone();
    b[40] ^= 1; // capacity changed, checksum not
    let p = dir.path("checksum");
    write(&p, &b);
    assert!(matches!(
        SharedSeatPool::open(&p),
        Err(ShmError::Corrupt(_))
    ));

    // A consistent header (checksum recomputed) whose sizes do not match its
    // capacity.
    let mut b = bytes.clone();
    b[32..40].copy_from_slice(&(1u64 << 20).to_ne_bytes());
    let sum = b[..64].iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    b[64..72].copy_from_slice(&sum.to_ne_bytes());
    let p = dir.path("sizes");
    write(&p, &b);
    let e = SharedSeatPool::open(&p).unwrap_err();
    assert!(
        matches!(e, ShmError::Corrupt(m) if m.contains("sizes")),
        "{e}"
    );

    assert!(matches!(
        SharedCounter::open(&good),
        Err(ShmError::WrongKind {
            found: "SharedSeatPool",
            expected: "SharedCounter"
        })
    ));
    let c = dir.path("counter");
    drop(SharedCounter::create(&c, 0).unwrap());
    assert!(matches!(
        SharedBoundedCounter::open(&c),
        Err(ShmError::WrongKind { .. })
    ));
    assert!(matches!(
        SharedSeatPool::open(&c),
        Err(ShmError::WrongKind { .. })
    ));
    assert!(matches!(
        SharedSeatPool::open_or_create(&good, 99),
        Err(ShmError::CapacityMismatch {
            found: 100,
            requested: 99
        })
    ));

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.path("readonly");
        fs::copy(&good, &p).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o400)).unwrap();
        // Root may open anything: only check where permissions bind.
        if fs::OpenOptions::new().write(true).open(&p).is_err() {
            assert!(matches!(
                SharedSeatPool::open(&p),
                Err(ShmError::PermissionDenied)
            ));
        }
    }
    for e in [
        ShmError::BadMagic,
        ShmError::NotFound,
        ShmError::TooManyProcesses,
    ] {
        assert!(e.to_string().starts_with("racefree::shm: "));
    }
}

#[test]
fn process_slots_run_out_and_come_back() {
    let dir = TempDir::new("slots");
    let path = dir.path("pool");
    let first = SharedSeatPool::create(&path, 1).unwrap();
    let mut more: Vec<SharedSeatPool> = (1..SharedSeatPool::PROCESS_SLOTS)
        .map(|_| SharedSeatPool::open(&path).unwrap())
        .collect();
    assert!(matches!(
        SharedSeatPool::open(&path),
        Err(ShmError::TooManyProcesses)
    ));
    more.pop();
    more.push(SharedSeatPool::open(&path).unwrap());
    drop(first);
}
