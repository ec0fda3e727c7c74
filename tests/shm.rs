//! The shared-memory tier: files, errors, the pool and counters across
//! mappings, and real processes (this test binary re-invoked as a worker, with
//! `RACEFREE_SHM_WORKER` set), killed with SIGKILL at random points.
#![cfg(all(feature = "shm", not(loom)))]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use racefree::shm::{SharedBoundedCounter, SharedCounter, SharedSeatPool, SharedTicket, ShmError};
use racefree::{Counter, Ticket};
use racefree_conformance::support::ChildGuard;

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

/// A pool of 2 seats (`dir/pool`) whose seat 1 was booked through it, then
/// found and cancelled through a second mapping, as by another process: the
/// pool, its stale ticket, and that other mapping.
fn booked_then_cancelled_elsewhere(dir: &TempDir) -> (SharedSeatPool, Ticket, SharedSeatPool) {
    let pool = SharedSeatPool::create(dir.path("pool"), 2).unwrap();
    let ticket = pool.try_reserve_seat(1).unwrap().confirm();
    let other = SharedSeatPool::open(dir.path("pool")).unwrap();
    other.cancel_seat(other.bookings()[0]).unwrap();
    (pool, ticket, other)
}

#[test]
fn a_booking_cancelled_elsewhere_refuses_its_stale_ticket() {
    let dir = TempDir::new("stale");
    let (pool, ticket, other) = booked_then_cancelled_elsewhere(&dir);
    // Someone holds the seat now: the stale ticket must not free it.
    let holder = other.try_reserve_seat(1).unwrap();
    let ticket = pool.cancel(ticket).unwrap_err();
    assert!(pool.try_reserve_seat(1).is_err());
    drop(holder);
    assert!(pool.cancel(ticket).is_err(), "free now: nothing to cancel");
    assert_eq!(pool.available(), 2);
}

/// The case a confirmed-or-not check cannot tell: the booking was cancelled
/// elsewhere and the seat booked *and confirmed* again. The stale ticket's
/// booking number no longer matches, so it neither cancels nor shares the new
/// booking.
#[test]
fn a_stale_ticket_cannot_cancel_or_share_a_rebooked_confirmed_seat() {
    let dir = TempDir::new("rebooked");
    let (pool, stale, other) = booked_then_cancelled_elsewhere(&dir);
    let fresh = other.try_reserve_seat(1).unwrap().confirm();
    let stale = pool.cancel(stale).unwrap_err();
    let stale = pool.share(stale).unwrap_err();
    assert_eq!(other.bookings().len(), 1, "the new booking stands");
    assert_eq!(pool.available(), 1);
    other.cancel(fresh).unwrap();
    assert!(pool.cancel(stale).is_err());
    assert_eq!(pool.available(), 2);
}

/// Both routes at once, many times over: an in-process ticket and a shared
/// ticket for one booking race to cancel it; exactly one wins, and the pool's
/// count never passes its capacity (a double release would).
#[test]
fn racing_cancel_routes_release_a_booking_once() {
    let dir = TempDir::new("routes");
    let pool = SharedSeatPool::create(dir.path("pool"), 1).unwrap();
    let other = SharedSeatPool::open(dir.path("pool")).unwrap();
    for _ in 0..300 {
        let ticket = pool.try_reserve().unwrap().confirm();
        let shared = other.bookings()[0];
        let wins = std::thread::scope(|s| {
            let a = s.spawn(|| pool.cancel(ticket).is_ok());
            let b = s.spawn(|| other.cancel_seat(shared).is_ok());
            usize::from(a.join().unwrap()) + usize::from(b.join().unwrap())
        });
        assert_eq!(wins, 1, "one route releases the booking");
        assert_eq!(pool.available(), 1);
    }
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
        Err(ShmError::InitialOutOfRange {
            max: Counter::MAX,
            ..
        })
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
    assert!(matches!(
        SharedBoundedCounter::create_at(dir.path("over"), 6, 5),
        Err(ShmError::InitialOutOfRange { initial: 6, max: 5 })
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

// ---------------------------------------------------------------- processes

/// A small deterministic generator (xorshift64*), seeded per worker.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("worker needs {name}"))
}

/// Not a test: the entry point of a worker process (this binary, re-run with
/// `RACEFREE_SHM_WORKER` set). Without it, it does nothing.
#[test]
fn worker_entry() {
    let Ok(mode) = std::env::var("RACEFREE_SHM_WORKER") else {
        return;
    };
    let pool = SharedSeatPool::open(env("RACEFREE_SHM_POOL")).unwrap();
    let log_path = env("RACEFREE_SHM_LOG");
    let mut rng = Rng::new(env("RACEFREE_SHM_SEED").parse().unwrap());
    match mode.as_str() {
        "churn" => churn(&pool, &log_path, &mut rng),
        "doomed" => doomed(&pool, &log_path, &mut rng),
        "holder" => holder(&pool, &log_path),
        other => panic!("unknown worker mode {other}"),
    }
}

/// Claims and releases seats (single, groups, confirmed-and-cancelled),
/// stamping every claim after it and every release before it with a shared
/// clock, so the stamped intervals lie inside the real holds.
fn churn(pool: &SharedSeatPool, log_path: &str, rng: &mut Rng) {
    let clock = SharedCounter::open(env("RACEFREE_SHM_CLOCK")).unwrap();
    let iterations: u64 = env("RACEFREE_SHM_ITERATIONS").parse().unwrap();
    // Start together (a bounded wait for the parent's go).
    let go = PathBuf::from(env("RACEFREE_SHM_GO"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !go.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut log = String::new();
    let hold = |ids: &[usize], log: &mut String, spins: u64| {
        let t1 = clock.increment();
        for _ in 0..spins {
            std::hint::spin_loop();
        }
        let t2 = clock.increment();
        for id in ids {
            log.push_str(&format!("{id} {t1} {t2}\n"));
        }
    };
    for _ in 0..iterations {
        match rng.below(10) {
            0..=5 => {
                if let Some(seat) = pool.try_reserve() {
                    hold(&[seat.id()], &mut log, rng.below(50));
                }
            }
            6 | 7 => {
                if let Some(group) = pool.try_reserve_many(3) {
                    let ids: Vec<usize> = group.ids().collect();
                    hold(&ids, &mut log, rng.below(50));
                }
            }
            _ => {
                if let Some(seat) = pool.try_reserve() {
                    let id = seat.id();
                    let ticket = pool.share(seat.confirm()).unwrap();
                    hold(&[id], &mut log, rng.below(50));
                    pool.cancel_seat(ticket).unwrap();
                }
            }
        }
    }
    fs::write(log_path, log).unwrap();
}

/// Appends one line to the log, unbuffered: what a killed worker logged is on
/// file.
fn log_line(log: &mut fs::File, line: &str) {
    log.write_all(line.as_bytes()).unwrap();
}

/// Claims, confirms and releases at random, logging each confirmed ticket
/// after it exists, until it is killed (a bounded loop all the same).
fn doomed(pool: &SharedSeatPool, log_path: &str, rng: &mut Rng) {
    let mut log = fs::File::create(log_path).unwrap();
    let mut held = Vec::new();
    let mut tickets = 0;
    for _ in 0..10_000_000u64 {
        // At most 8 tickets each, so the pool never fills with bookings.
        let op = match rng.below(8) {
            4 | 5 if tickets >= 8 => 0,
            op => op,
        };
        match op {
            0..=3 => {
                if let Some(seat) = pool.try_reserve() {
                    held.push(seat);
                }
            }
            4 => {
                if let Some(group) = pool.try_reserve_many(2) {
                    tickets += 2;
                    for t in group.confirm() {
                        let t = pool.share(t).unwrap();
                        log_line(&mut log, &format!("T {} {}\n", t.id(), t.generation()));
                    }
                }
            }
            5 => {
                if let Some(seat) = held.pop() {
                    tickets += 1;
                    let t = pool.share(seat.confirm()).unwrap();
                    log_line(&mut log, &format!("T {} {}\n", t.id(), t.generation()));
                }
            }
            _ => {
                if !held.is_empty() {
                    drop(held.swap_remove(rng.below(held.len() as u64) as usize));
                }
            }
        }
        if held.len() > 6 {
            held.clear();
        }
    }
}

/// Holds seats, logs them, says it is ready, and waits for the stop file.
fn holder(pool: &SharedSeatPool, log_path: &str) {
    let k: usize = env("RACEFREE_SHM_HOLD").parse().unwrap();
    let stop = PathBuf::from(env("RACEFREE_SHM_STOP"));
    let seats: Vec<_> = (0..k).map(|_| pool.try_reserve().unwrap()).collect();
    let ids: Vec<String> = seats.iter().map(|s| s.id().to_string()).collect();
    fs::write(log_path, format!("{}\nready\n", ids.join(" "))).unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !stop.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(seats);
}

/// A worker process, killed (SIGKILL) and reaped if the test ends early.
/// How long a worker may run before the test calls it hung (and kills it).
const WORKER_LIMIT: Duration = Duration::from_secs(300);

fn spawn_worker(mode: &str, vars: &[(&str, String)]) -> ChildGuard {
    let mut cmd = racefree_conformance::support::rerun_test("worker_entry");
    cmd.arg("-q")
        .env("RACEFREE_SHM_WORKER", mode)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    ChildGuard::new(cmd.spawn().unwrap())
}

/// N processes claim and release thousands of seats of a small pool; the
/// union of their logs shows no seat held by two of them at once, and at the
/// end every seat is free and nothing is lost.
#[test]
fn processes_never_share_a_seat() {
    const PROCESSES: usize = 4;
    const ITERATIONS: u64 = 20_000;
    const SEATS: usize = 10;
    let dir = TempDir::new("procs");
    let pool_path = dir.path("pool");
    let clock_path = dir.path("clock");
    // 10 seats for up to 12 held at once (4 processes, groups of 3): claims
    // also find the pool full.
    let pool = SharedSeatPool::create(&pool_path, SEATS).unwrap();
    drop(SharedCounter::create(&clock_path, 0).unwrap());
    let workers: Vec<ChildGuard> = (0..PROCESSES)
        .map(|i| {
            spawn_worker(
                "churn",
                &[
                    ("RACEFREE_SHM_POOL", pool_path.display().to_string()),
                    ("RACEFREE_SHM_CLOCK", clock_path.display().to_string()),
                    (
                        "RACEFREE_SHM_LOG",
                        dir.path(&format!("log{i}")).display().to_string(),
                    ),
                    ("RACEFREE_SHM_SEED", (i as u64 + 1).to_string()),
                    ("RACEFREE_SHM_ITERATIONS", ITERATIONS.to_string()),
                    ("RACEFREE_SHM_GO", dir.path("go").display().to_string()),
                ],
            )
        })
        .collect();
    fs::write(dir.path("go"), "").unwrap();
    for w in workers {
        assert!(
            w.wait(WORKER_LIMIT).expect("a worker hung").success(),
            "a worker failed"
        );
    }
    // Every seat's stamped holds, from all logs: pairwise disjoint.
    let mut holds: Vec<Vec<(u64, u64)>> = vec![Vec::new(); SEATS];
    let mut total = 0;
    for i in 0..PROCESSES {
        for line in fs::read_to_string(dir.path(&format!("log{i}")))
            .unwrap()
            .lines()
        {
            let v: Vec<u64> = line.split(' ').map(|x| x.parse().unwrap()).collect();
            holds[v[0] as usize].push((v[1], v[2]));
            total += 1;
        }
    }
    for (id, seat) in holds.iter_mut().enumerate() {
        seat.sort_unstable();
        for pair in seat.windows(2) {
            assert!(
                pair[0].1 < pair[1].0,
                "seat {id} held twice at once: {pair:?}"
            );
        }
    }
    assert!(total > 1_000, "only {total} holds");
    assert_eq!(pool.available(), SEATS, "nothing lost");
    assert!(pool.bookings().is_empty());
    assert_eq!(pool.recover(), Default::default(), "nothing to recover");
    eprintln!("{PROCESSES} processes, {total} holds of {SEATS} seats, none overlapping");
}

/// Workers killed with SIGKILL at random points, round after round: after
/// recovery every unconfirmed seat of the dead is free, every confirmed ticket
/// they logged is still booked, and a live worker's seats stay its own.
#[test]
fn killed_workers_holds_are_recovered_tickets_kept() {
    const CAPACITY: usize = 128;
    const HOLD: usize = 8;
    const ROUNDS: u64 = 8;
    const DOOMED: u64 = 3;
    let dir = TempDir::new("kill");
    let pool_path = dir.path("pool");
    let stop = dir.path("stop");
    let pool = SharedSeatPool::create(&pool_path, CAPACITY).unwrap();
    let holder_log = dir.path("holder");
    let holder = spawn_worker(
        "holder",
        &[
            ("RACEFREE_SHM_POOL", pool_path.display().to_string()),
            ("RACEFREE_SHM_LOG", holder_log.display().to_string()),
            ("RACEFREE_SHM_SEED", "1".into()),
            ("RACEFREE_SHM_HOLD", HOLD.to_string()),
            ("RACEFREE_SHM_STOP", stop.display().to_string()),
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let held_by_holder: Vec<usize> = loop {
        let text = fs::read_to_string(&holder_log).unwrap_or_default();
        if text.ends_with("ready\n") {
            break text
                .lines()
                .next()
                .unwrap()
                .split(' ')
                .map(|x| x.parse().unwrap())
                .collect();
        }
        assert!(Instant::now() < deadline, "holder never got ready");
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut rng = Rng::new(0xC0FFEE ^ u64::from(std::process::id()));
    let (mut kills, mut recovered, mut tickets_kept) = (0, racefree::shm::Recovery::default(), 0);
    for round in 0..ROUNDS {
        let mut doomed: Vec<(ChildGuard, PathBuf)> = (0..DOOMED)
            .map(|i| {
                let log = dir.path(&format!("doomed-{round}-{i}"));
                let child = spawn_worker(
                    "doomed",
                    &[
                        ("RACEFREE_SHM_POOL", pool_path.display().to_string()),
                        ("RACEFREE_SHM_LOG", log.display().to_string()),
                        ("RACEFREE_SHM_SEED", (round * 10 + i + 2).to_string()),
                    ],
                );
                (child, log)
            })
            .collect();
        // Random points: not a timing assertion, only where the kill lands.
        std::thread::sleep(Duration::from_millis(20 + rng.below(60)));
        for (child, _) in &mut doomed {
            let _ = Command::new("kill")
                .args(["-9", &child.child().id().to_string()])
                .status();
        }
        let mut logged = Vec::new();
        for (child, log) in doomed {
            let status = child.kill(); // SIGKILL, if `kill` was missing
            assert!(!status.success(), "a doomed worker ended on its own");
            kills += 1;
            for line in fs::read_to_string(&log).unwrap_or_default().lines() {
                let v: Vec<&str> = line.split(' ').collect();
                if v.len() == 3 && v[0] == "T" {
                    logged.push(SharedTicket::from_parts(
                        v[1].parse().unwrap(),
                        v[2].parse().unwrap(),
                    ));
                }
            }
        }
        let r = pool.recover();
        assert!(!r.deferred, "nobody is inside a claim: {r:?}");
        recovered.held += r.held;
        recovered.orphans += r.orphans;
        recovered.units += r.units;
        let bookings = pool.bookings();
        for t in &logged {
            assert!(
                bookings.contains(t),
                "round {round}: logged ticket {t:?} lost"
            );
        }
        tickets_kept += logged.len();
        assert_eq!(
            pool.available(),
            CAPACITY - HOLD - bookings.len(),
            "round {round}: every unconfirmed seat of the dead is free ({r:?})"
        );
        for &id in &held_by_holder {
            assert!(
                pool.try_reserve_seat(id).is_err(),
                "live holder's seat {id} was freed"
            );
        }
        for t in bookings {
            pool.cancel_seat(t).unwrap();
        }
        assert_eq!(pool.available(), CAPACITY - HOLD);
    }
    fs::write(&stop, "").unwrap();
    assert!(holder
        .wait(WORKER_LIMIT)
        .expect("the holder hung")
        .success());
    assert_eq!(pool.available(), CAPACITY);
    eprintln!(
        "{kills} workers killed; recovered {} held seats, {} orphans, {} units; {tickets_kept} logged tickets kept",
        recovered.held, recovered.orphans, recovered.units
    );
}
