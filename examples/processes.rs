//! Several OS processes sell the last seats of a show.
//!
//! 1. **A file and read-modify-write**: each process reads the seat map from a
//!    file, picks a free seat, "checks the payment" (a moment passes), and
//!    writes the map back. Two processes that read the same map sell the same
//!    seat: double bookings.
//! 2. **A `SharedSeatPool`**: each process books with `try_reserve` on the pool
//!    in a shared-memory file: the check and the act are one atomic step, so
//!    every seat is sold exactly once.
//! 3. **A crash mid-sale**: a process holds three seats while its customers pay,
//!    and is killed with SIGKILL. The next process to open the pool recovers the
//!    dead process's holds, and they are sold again.
//!
//! ```text
//! cargo run --release --example processes --features shm
//! cargo run --release --example processes --features shm -- --bench
//! ```
//! `--bench` (Unix) measures claim-and-release pairs per second across 2 and 8
//! processes: the `SharedSeatPool` against a seat bitmap in a file guarded by
//! `flock`. Each worker stamps the start and end of its own loop (wall clock);
//! the figure is all workers' pairs over the span from the first start to the
//! last end, median (and range) of 5 runs.
//! The processes are this binary, started again with `worker ...` arguments.
//! Everything lives in a temporary directory, removed at the end.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use racefree::shm::{SharedSeatPool, SharedTicket};

const SEATS: usize = 12;
const PROCESSES: usize = 6;
/// Each process tries to sell this many seats (more than there are in all).
const PER_PROCESS: usize = 4;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("worker") {
        worker(&args[2], Path::new(&args[3]), &args[4]);
        return;
    }
    #[cfg(unix)]
    if args.get(1).map(String::as_str) == Some("bench-worker") {
        bench::worker(&args[2], Path::new(&args[3]), &args[4]);
        return;
    }
    #[cfg(unix)]
    if args.get(1).map(String::as_str) == Some("--bench") {
        bench::run();
        return;
    }
    let dir = std::env::temp_dir().join(format!("racefree-processes-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    println!("{SEATS} seats left, {PROCESSES} sales processes, each selling up to {PER_PROCESS}\n");

    // 1. The naive file.
    fs::write(dir.join("seatmap"), "0".repeat(SEATS)).unwrap();
    run_all("naive", &dir, PROCESSES);
    let (sold, doubles) = tally(&dir, "naive");
    println!("file, read-modify-write: {sold} tickets sold for {SEATS} seats, {doubles} seats sold twice or more");

    // 2. The shared pool.
    let pool_path = dir.join("show.seats");
    let pool = SharedSeatPool::create(&pool_path, SEATS).unwrap();
    run_all("pool", &dir, PROCESSES);
    let (sold, doubles) = tally(&dir, "pool");
    println!("SharedSeatPool:          {sold} tickets sold for {SEATS} seats, {doubles} seats sold twice");
    assert_eq!((sold, doubles), (SEATS, 0));
    assert_eq!(pool.bookings().len(), SEATS);

    // 3. A crash mid-sale: refund everything, let one process hold 3 seats, kill it.
    for t in pool.bookings() {
        pool.cancel_seat(t).unwrap();
    }
    let mut slow = spawn("hold", &dir, "slow");
    let ready = dir.join("slow.ready");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready.exists() {
        assert!(
            Instant::now() < deadline,
            "the holding process never got ready"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    println!(
        "\na process holds 3 seats while its customers pay: {} of {SEATS} available",
        pool.available()
    );
    slow.kill().unwrap(); // SIGKILL: no destructor runs
    slow.wait().unwrap();
    println!("... and is killed (SIGKILL) mid-sale");
    // Any process may run it; opening the pool (as the next sales process does)
    // runs it too.
    let report = pool.recover();
    println!(
        "recovery: {} holds of the dead process freed, {} of {SEATS} available again",
        report.freed(),
        pool.available()
    );
    assert_eq!(pool.available(), SEATS);
    run_all("pool2", &dir, PROCESSES);
    let (sold, doubles) = tally(&dir, "pool2");
    println!(
        "sold after the crash:    {sold} tickets for {SEATS} seats, {doubles} seats sold twice"
    );
    assert_eq!((sold, doubles), (SEATS, 0));
    drop(pool);
    fs::remove_dir_all(&dir).unwrap();
}

fn spawn(mode: &str, dir: &Path, name: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["worker", mode])
        .arg(dir)
        .arg(name)
        .spawn()
        .unwrap()
}

fn run_all(mode: &str, dir: &Path, n: usize) {
    let children: Vec<Child> = (0..n)
        .map(|i| spawn(mode, dir, &format!("{mode}-{i}")))
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
}

/// Tickets sold by processes named `prefix-*`, and seats sold more than once.
fn tally(dir: &Path, prefix: &str) -> (usize, usize) {
    let mut per_seat = [0usize; SEATS];
    for i in 0..PROCESSES {
        let log = fs::read_to_string(dir.join(format!("{prefix}-{i}.sold"))).unwrap_or_default();
        for seat in log.lines() {
            per_seat[seat.parse::<usize>().unwrap()] += 1;
        }
    }
    (
        per_seat.iter().sum(),
        per_seat.iter().filter(|&&n| n > 1).count(),
    )
}

fn worker(mode: &str, dir: &Path, name: &str) {
    let log_path: PathBuf = dir.join(format!("{name}.sold"));
    let mut sold = String::new();
    match mode {
        "naive" => {
            let map = dir.join("seatmap");
            for _ in 0..PER_PROCESS {
                // Check ...
                let mut seats = fs::read(&map).unwrap();
                let Some(free) = seats.iter().position(|&b| b == b'0') else {
                    break;
                };
                std::thread::sleep(Duration::from_millis(2)); // the payment
                                                              // ... then act, on what may no longer be true.
                seats[free] = b'1';
                fs::write(&map, &seats).unwrap();
                sold.push_str(&format!("{free}\n"));
            }
        }
        "pool" | "pool2" => {
            let pool = SharedSeatPool::open(dir.join("show.seats")).unwrap();
            for _ in 0..PER_PROCESS {
                let Some(seat) = pool.try_reserve() else {
                    break;
                };
                std::thread::sleep(Duration::from_millis(2)); // the payment
                let ticket: SharedTicket = pool.share(seat.confirm()).unwrap();
                sold.push_str(&format!("{}\n", ticket.id()));
            }
        }
        "hold" => {
            let pool = SharedSeatPool::open(dir.join("show.seats")).unwrap();
            let _held: Vec<_> = (0..3).map(|_| pool.try_reserve().unwrap()).collect();
            fs::write(dir.join(format!("{name}.ready")), "").unwrap();
            // Waiting for payments that never come: killed here. Bounded all the same.
            std::thread::sleep(Duration::from_secs(60));
        }
        other => panic!("unknown worker mode {other}"),
    }
    fs::write(log_path, sold).unwrap();
}

#[cfg(unix)]
mod bench {
    use std::fs::{self, File, OpenOptions};
    use std::os::unix::fs::FileExt;
    use std::os::unix::io::AsRawFd;
    use std::path::Path;
    use std::process::Command;

    use racefree::shm::SharedSeatPool;

    const SEATS: usize = 64;
    const RUNS: usize = 5;

    fn ops(mode: &str) -> u64 {
        if mode == "pool" {
            400_000
        } else {
            40_000
        }
    }

    pub fn run() {
        let dir = std::env::temp_dir().join(format!("racefree-bench-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        println!("claim + release pairs per second, {SEATS} seats, {cores} cores, median [min-max] of {RUNS} runs");
        for processes in [2, 8] {
            let note = if processes > cores {
                " (oversubscribed)"
            } else {
                ""
            };
            for mode in ["pool", "flock"] {
                let mut rates: Vec<f64> = (0..RUNS).map(|_| once(&dir, mode, processes)).collect();
                rates.sort_by(f64::total_cmp);
                let name = if mode == "pool" {
                    "SharedSeatPool"
                } else {
                    "flock'd file"
                };
                println!(
                    "{processes} processes{note}, {name:>14}: {:>12.0} /s [{:.0}-{:.0}]",
                    rates[RUNS / 2],
                    rates[0],
                    rates[RUNS - 1]
                );
            }
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    /// One run: all pairs over the span from the first worker's start to the
    /// last one's end.
    fn once(dir: &Path, mode: &str, processes: usize) -> f64 {
        let _ = fs::remove_file(dir.join("bench.seats"));
        let pool = SharedSeatPool::create(dir.join("bench.seats"), SEATS).unwrap();
        fs::write(dir.join("bench.map"), [0u8; 8]).unwrap();
        let children: Vec<_> = (0..processes)
            .map(|i| {
                Command::new(std::env::current_exe().unwrap())
                    .args(["bench-worker", mode])
                    .arg(dir)
                    .arg(format!("rate-{i}"))
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success());
        }
        assert_eq!(pool.available(), SEATS);
        let spans: Vec<(u128, u128)> = (0..processes)
            .map(|i| {
                let text = fs::read_to_string(dir.join(format!("rate-{i}"))).unwrap();
                let (a, b) = text.split_once(' ').unwrap();
                (a.parse().unwrap(), b.parse().unwrap())
            })
            .collect();
        let first = spans.iter().map(|s| s.0).min().unwrap();
        let last = spans.iter().map(|s| s.1).max().unwrap();
        (ops(mode) * processes as u64) as f64 / ((last - first) as f64 / 1e9)
    }

    pub fn worker(mode: &str, dir: &Path, name: &str) {
        let n = ops(mode);
        let now = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        };
        let start;
        if mode == "pool" {
            let pool = SharedSeatPool::open(dir.join("bench.seats")).unwrap();
            start = now();
            for _ in 0..n {
                let seat = pool.try_reserve().expect("64 seats, at most 8 holders");
                std::hint::black_box(seat.id());
            }
        } else {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(dir.join("bench.map"))
                .unwrap();
            start = now();
            for _ in 0..n {
                let id = locked(&file, |map| {
                    let id = (!*map).trailing_zeros();
                    assert!(id < SEATS as u32);
                    *map |= 1 << id;
                    id
                });
                std::hint::black_box(id);
                locked(&file, |map| *map &= !(1 << id));
            }
        }
        fs::write(dir.join(name), format!("{start} {}", now())).unwrap();
    }

    /// Read-modify-write of the 64-bit seat map under an exclusive `flock`.
    fn locked<R>(file: &File, f: impl FnOnce(&mut u64) -> R) -> R {
        // SAFETY: flock on a file descriptor this `File` owns and keeps open.
        assert_eq!(unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) }, 0);
        let mut bytes = [0u8; 8];
        file.read_exact_at(&mut bytes, 0).unwrap();
        let mut map = u64::from_ne_bytes(bytes);
        let r = f(&mut map);
        file.write_all_at(&map.to_ne_bytes(), 0).unwrap();
        // SAFETY: as above.
        assert_eq!(unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) }, 0);
        r
    }
}
