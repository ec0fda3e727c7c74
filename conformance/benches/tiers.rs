//! The tiers side by side: the same two operations on each place racefree's
//! state can live, at 1, 2 and 8 clients, so that a reader can pick the
//! cheapest tier that can hold their state.
//!
//! - seat pool (1,024 seats, roomy): reserve any seat, then release it;
//! - bounded counter (a balance): take 1, then give 1 back.
//!
//! Tiers: in process (`SeatPool`, `BoundedCounter`), across processes
//! (`racefree::shm`, a mapped file in the temp dir: here the clients are
//! threads of one process, each op the same atomics plus the owner words),
//! Redis 7 on 127.0.0.1 (`racefree-redis`: one Lua script per op), PostgreSQL 15
//! on 127.0.0.1 (`racefree-postgres`: one statement per op, `fsync=off`). The
//! benchmark starts both servers itself, in temporary directories, and stops them.
//!
//! Each client is a thread (with its own connection on the server tiers) that
//! repeats the pair for a fixed window; a cell is the median over the
//! repetitions of the summed rate. Figures are pairs per second; the time of
//! one pair at 1 client is the latency a caller sees.
//!
//! ```text
//! cargo bench -p racefree-conformance --bench tiers            # ~1 min, rewrites
//!                                                              # the tiers block of BENCHMARKS.md
//! cargo bench -p racefree-conformance --bench tiers -- --quick # shorter, writes nothing
//! ```

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use racefree::shm::{SharedBoundedCounter, SharedSeatPool};
use racefree::{BoundedCounter, SeatPool};
use racefree_conformance::postgres_server::PgServer;
use racefree_conformance::server::RedisServer;
use racefree_conformance::support::fresh_temp_dir;
use racefree_postgres::{postgres, PgBoundedCounter, PgSeatPool, Table};
use racefree_redis::{RedisBoundedCounter, RedisSeatPool};

const CLIENTS: [usize; 3] = [1, 2, 8];
const SEATS: usize = 1024;
/// The balance starts mid-range, so neither bound is ever met.
const BALANCE: u64 = 1 << 20;
/// Where the generated block sits in BENCHMARKS.md (`cargo bench --bench
/// summary` keeps it).
const BEGIN: &str = "<!-- tiers:begin -->";
const END: &str = "<!-- tiers:end -->";

/// One client's loop body: one reserve+release (or take+give) pair. A client is
/// made per thread (`make`), so that server tiers get a connection each.
type Client<'a> = Box<dyn FnMut() + Send + 'a>;

struct Tier<'a> {
    name: &'static str,
    make: Box<dyn Fn() -> Client<'a> + Sync + 'a>,
}

impl<'a> Tier<'a> {
    /// A tier whose clients all run `pair` on one shared handle: nothing is
    /// made per client.
    fn shared(name: &'static str, pair: impl Fn() + Copy + Send + Sync + 'a) -> Self {
        Tier {
            name,
            make: Box::new(move || Box::new(pair)),
        }
    }

    /// A PostgreSQL tier: each client opens its own connection to `conn` and
    /// runs `pair` on it.
    fn postgres(
        name: &'static str,
        conn: &'a str,
        pair: impl Fn(&mut postgres::Client) + Copy + Send + Sync + 'a,
    ) -> Self {
        Tier {
            name,
            make: Box::new(move || {
                let mut client = racefree_postgres::connect(conn).unwrap();
                Box::new(move || pair(&mut client))
            }),
        }
    }
}

/// Pairs per second for `clients` clients over `window`.
fn rate(tier: &Tier<'_>, clients: usize, window: Duration) -> f64 {
    let start = Barrier::new(clients);
    let counts: Vec<(u64, Duration)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..clients)
            .map(|_| {
                let start = &start;
                s.spawn(move || {
                    let mut pair = (tier.make)();
                    pair(); // warm: connect, load scripts, plan
                    start.wait();
                    let t0 = Instant::now();
                    let mut n = 0u64;
                    while t0.elapsed() < window {
                        for _ in 0..16 {
                            pair();
                        }
                        n += 16;
                    }
                    (n, t0.elapsed())
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    counts
        .iter()
        .map(|&(n, t)| n as f64 / t.as_secs_f64())
        .sum()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn human(rate: f64) -> String {
    if rate >= 1e6 {
        format!("{:.1} M", rate / 1e6)
    } else if rate >= 1e3 {
        format!("{:.1} k", rate / 1e3)
    } else {
        format!("{rate:.0}")
    }
}

fn human_time(seconds: f64) -> String {
    if seconds >= 1e-3 {
        format!("{:.2} ms", seconds * 1e3)
    } else if seconds >= 1e-6 {
        format!("{:.1} µs", seconds * 1e6)
    } else {
        format!("{:.0} ns", seconds * 1e9)
    }
}

fn table(title: &str, tiers: &[Tier<'_>], reps: usize, window: Duration) -> String {
    let mut md = format!("### {title}\n\n| tier |");
    for c in CLIENTS {
        let _ = write!(md, " {c} client{} |", if c == 1 { "" } else { "s" });
    }
    md.push_str(" one pair at 1 client |\n| --- |");
    md.push_str(&" ---: |".repeat(CLIENTS.len() + 1));
    md.push('\n');
    for tier in tiers {
        let rates: Vec<f64> = CLIENTS
            .iter()
            .map(|&c| {
                eprintln!("tiers: {title}: {} at {c} clients", tier.name);
                median((0..reps).map(|_| rate(tier, c, window)).collect())
            })
            .collect();
        let _ = write!(md, "| {} |", tier.name);
        for r in &rates {
            let _ = write!(md, " {}/s |", human(*r));
        }
        let _ = writeln!(md, " {} |", human_time(1.0 / rates[0]));
    }
    md
}

/// Replaces the block between the markers in `file` (or appends one).
fn write_block(file: &Path, block: &str) {
    let old = std::fs::read_to_string(file).unwrap_or_default();
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(b), Some(e)) if b < e => format!("{}{block}{}", &old[..b], &old[e + END.len()..]),
        _ => format!("{}\n{block}\n", old.trim_end()),
    };
    std::fs::write(file, new).expect("write BENCHMARKS.md");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let smoke = args.iter().any(|a| a == "--test");
    let quick = smoke || args.iter().any(|a| a == "--quick");
    let (reps, window) = match (smoke, quick) {
        (true, _) => (1, Duration::from_millis(20)),
        (_, true) => (1, Duration::from_millis(200)),
        _ => (3, Duration::from_millis(700)),
    };
    let started = Instant::now();
    let redis = RedisServer::start();
    let pg = PgServer::start();
    let dir = fresh_temp_dir(&std::env::temp_dir(), "racefree-tiers");
    std::fs::create_dir_all(&dir).unwrap();
    let (url, conn) = (redis.url(), pg.conn_str());
    let mut admin = racefree_postgres::connect(&conn).unwrap();

    let heap = SeatPool::new(SEATS);
    let shm_pool = SharedSeatPool::create(dir.join("seats"), SEATS).unwrap();
    let redis_pool = RedisSeatPool::create(url.as_str(), "tiers-seats", SEATS).unwrap();
    let pg_pool =
        PgSeatPool::create(&mut admin, &Table::public("tiers_seats").unwrap(), SEATS).unwrap();
    let seats = [
        Tier::shared("in process: `SeatPool`", || {
            drop(heap.try_reserve().expect("roomy"))
        }),
        Tier::shared("across processes: `shm::SharedSeatPool`", || {
            drop(shm_pool.try_reserve().expect("roomy"))
        }),
        Tier::shared("Redis: `RedisSeatPool`", || {
            let hold = redis_pool.try_reserve().unwrap().expect("roomy");
            hold.release().unwrap();
        }),
        Tier::postgres("PostgreSQL: `PgSeatPool`", &conn, |client| {
            let hold = pg_pool.try_reserve(client).unwrap().expect("roomy");
            pg_pool.release(client, hold).unwrap();
        }),
    ];

    let local = BoundedCounter::new(BALANCE, 2 * BALANCE);
    let shm_ctr =
        SharedBoundedCounter::create_at(dir.join("balance"), BALANCE, 2 * BALANCE).unwrap();
    let redis_ctr =
        RedisBoundedCounter::create(url.as_str(), "tiers-balance", BALANCE, 2 * BALANCE).unwrap();
    let pg_ctr = PgBoundedCounter::create(
        &mut admin,
        &Table::public("tiers_balance").unwrap(),
        BALANCE,
        2 * BALANCE,
    )
    .unwrap();
    let counters = [
        Tier::shared("in process: `BoundedCounter`", || {
            local.try_sub(1).unwrap();
            local.try_add(1).unwrap();
        }),
        Tier::shared("across processes: `shm::SharedBoundedCounter`", || {
            shm_ctr.try_sub(1).unwrap();
            shm_ctr.try_add(1).unwrap();
        }),
        Tier::shared("Redis: `RedisBoundedCounter`", || {
            redis_ctr.try_sub(1).unwrap().unwrap();
            redis_ctr.try_add(1).unwrap().unwrap();
        }),
        Tier::postgres("PostgreSQL: `PgBoundedCounter`", &conn, |client| {
            pg_ctr.try_sub(client, 1).unwrap().unwrap();
            pg_ctr.try_add(client, 1).unwrap().unwrap();
        }),
    ];

    let mut md = format!(
        "{BEGIN}\n## The tiers side by side\n\nGenerated by `cargo bench -p racefree-conformance --bench tiers` \
         ({} reps of {:?} per cell, median; {} logical CPUs; Redis 7 and PostgreSQL 15 \
         (`fsync=off`) on 127.0.0.1, started by the benchmark). Each client is a thread \
         with its own connection. Pick the cheapest tier that can hold your state: \
         the server tiers pay a round trip per operation, and the in-process and \
         shared-memory tiers none.\n\n",
        reps,
        window,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    md.push_str(&table(
        "Seat pool (1,024 seats): reserve + release",
        &seats,
        reps,
        window,
    ));
    md.push('\n');
    md.push_str(&table(
        "Bounded counter: take 1 + give 1",
        &counters,
        reps,
        window,
    ));
    let _ = write!(
        md,
        "\n(run took {:.0} s)\n{END}",
        started.elapsed().as_secs_f64()
    );
    println!("{md}");
    if !quick {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../BENCHMARKS.md");
        write_block(&file, &md);
        eprintln!("tiers: wrote the tiers block of {}", file.display());
    }
    drop((seats, counters));
    drop((shm_pool, shm_ctr));
    let _ = std::fs::remove_dir_all(&dir);
}
