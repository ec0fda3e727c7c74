//! One command, one report: `cargo bench --bench summary` runs every racefree
//! structure side by side with its baselines over the thread sweep, then the seat
//! pool at every scale (`common/seat_scale.rs`), and writes `BENCHMARKS.md`
//! (Mops/s and ratios, the machine, the build).
//!
//! Ratios are what matter: each racefree/baseline ratio is computed from runs
//! interleaved in the same repetition, and the report gives the median ratio with
//! its min–max spread. Absolute Mops/s differ from machine to machine and run to run.
//!
//! Flags (after `--`): `--quick` (fewer, shorter repetitions), `--threads 1,2,4,8,16`,
//! `--out PATH`, `--only TITLE` (just the comparisons whose title contains TITLE,
//! printed, no file written). Without `--bench` (as under `cargo test --benches` or the CI smoke
//! `-- --test`) it runs every contender once with a few operations and writes nothing.

mod common;

use common::epoch_stack::EpochStack;
use common::{time_threads, THREADS};
use crossbeam_queue::{ArrayQueue, SegQueue};
use racefree::{ArrayStack, BoundedCounter, Counter, SeatPool, StripedCounter, TreiberStack};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One implementation under test: runs `ops` operations on each of `threads`
/// threads against fresh state and returns the slowest thread's time.
struct Contender {
    name: &'static str,
    run: Box<dyn Fn(usize, u64) -> Duration>,
}

fn contender(name: &'static str, run: impl Fn(usize, u64) -> Duration + 'static) -> Contender {
    Contender {
        name,
        run: Box::new(run),
    }
}

/// A contender that runs `op(&state, iteration)` on a fresh `make()` shared by
/// the threads.
fn on_fresh<S: Sync>(
    name: &'static str,
    make: impl Fn() -> S + 'static,
    op: impl Fn(&S, u64) + Sync + 'static,
) -> Contender {
    contender(name, move |t, n| {
        let state = make();
        time_threads(t, n, |_, i| op(&state, i))
    })
}

/// What a racefree contender must reach against one baseline.
struct Target {
    baseline: usize,
    min_ratio: f64,
    /// The thread counts the target is judged at.
    judged_at: &'static [usize],
}

/// One structure: its racefree contender first, then the baselines, and targets.
struct Comparison {
    title: &'static str,
    operation: &'static str,
    contenders: Vec<Contender>,
    targets: Vec<Target>,
}

/// The thread counts every target is judged at: uncontended, one thread per core
/// (on the 2-core reference machine), and oversubscribed.
const JUDGED: &[usize] = &[1, 2, 8];

fn target(baseline: usize, min_ratio: f64, judged_at: &'static [usize]) -> Target {
    Target {
        baseline,
        min_ratio,
        judged_at,
    }
}

fn counters() -> Vec<Comparison> {
    let raw = || {
        on_fresh(
            "raw AtomicU64::fetch_add",
            || AtomicU64::new(0),
            |c, _| {
                std::hint::black_box(c.fetch_add(1, Ordering::Relaxed));
            },
        )
    };
    let mutex = || {
        on_fresh(
            "Mutex<u64>",
            || Mutex::new(0u64),
            |c, _| {
                *c.lock().unwrap() += 1;
            },
        )
    };
    vec![
        Comparison {
            title: "Counter",
            operation: "increment()",
            contenders: vec![
                on_fresh(
                    "Counter",
                    || Counter::new(0),
                    |c, _| {
                        std::hint::black_box(c.increment());
                    },
                ),
                raw(),
                mutex(),
            ],
            targets: vec![target(1, 0.95, JUDGED), target(2, 1.0, JUDGED)],
        },
        Comparison {
            title: "StripedCounter",
            operation: "increment()",
            contenders: vec![
                on_fresh("StripedCounter", StripedCounter::new, |c, _| c.increment()),
                raw(),
                mutex(),
            ],
            targets: vec![target(1, 3.0, &[2, 8]), target(2, 1.0, JUDGED)],
        },
        Comparison {
            title: "BoundedCounter",
            operation: "try_add(1) below the bound",
            contenders: vec![
                on_fresh(
                    "BoundedCounter",
                    || BoundedCounter::new(0, u64::MAX),
                    |c, _| {
                        std::hint::black_box(c.try_add(1).is_ok());
                    },
                ),
                on_fresh(
                    "Mutex<u64> + bound check",
                    || Mutex::new(0u64),
                    |c, _| {
                        let mut v = c.lock().unwrap();
                        if let Some(next) = v.checked_add(1) {
                            *v = next;
                        }
                    },
                ),
                on_fresh(
                    "AtomicU64::fetch_update + bound check",
                    || AtomicU64::new(0),
                    |c, _| {
                        let r = c.fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| {
                            v.checked_add(1)
                        });
                        std::hint::black_box(r.is_ok());
                    },
                ),
            ],
            targets: vec![target(1, 1.0, JUDGED), target(2, 1.0, JUDGED)],
        },
    ]
}

fn stacks() -> Vec<Comparison> {
    let mutex_vec = || {
        on_fresh(
            "Mutex<Vec<u64>>",
            || Mutex::new(Vec::with_capacity(64)),
            |s, i| {
                s.lock().unwrap().push(i);
                std::hint::black_box(s.lock().unwrap().pop());
            },
        )
    };
    vec![
        Comparison {
            title: "ArrayStack",
            operation: "push + pop",
            contenders: vec![
                on_fresh("ArrayStack<u64, 64>", ArrayStack::<u64, 64>::new, |s, i| {
                    let _ = s.push(i);
                    std::hint::black_box(s.pop());
                }),
                mutex_vec(),
                on_fresh(
                    "crossbeam ArrayQueue",
                    || ArrayQueue::new(64),
                    |q, i| {
                        let _ = q.push(i);
                        std::hint::black_box(q.pop());
                    },
                ),
            ],
            targets: vec![target(1, 1.0, JUDGED), target(2, 1.0, JUDGED)],
        },
        Comparison {
            title: "TreiberStack",
            operation: "push + pop",
            contenders: vec![
                on_fresh("TreiberStack<u64>", TreiberStack::new, |s, i| {
                    s.push(i);
                    std::hint::black_box(s.pop());
                }),
                mutex_vec(),
                on_fresh("crossbeam SegQueue", SegQueue::new, |q, i| {
                    q.push(i);
                    std::hint::black_box(q.pop());
                }),
                on_fresh("epoch Treiber stack", EpochStack::default, |s, i| {
                    s.push(i);
                    std::hint::black_box(s.pop());
                }),
            ],
            targets: vec![target(1, 1.0, JUDGED), target(2, 1.0, JUDGED)],
        },
    ]
}

/// A seat pool of `capacity` with `taken` seats already confirmed.
fn seat_comparison(title: &'static str, capacity: usize, taken: usize) -> Comparison {
    Comparison {
        title,
        operation: "reserve + release",
        contenders: vec![
            contender("SeatPool", move |t, n| {
                let pool = SeatPool::new(capacity);
                let held: Vec<_> = (0..taken)
                    .map(|_| pool.try_reserve().expect("pool has room").confirm())
                    .collect();
                let elapsed = time_threads(t, n, |_, _| {
                    // Free seats outnumber threads, but a burst can still find
                    // none free for an instant: retry, as a caller would.
                    loop {
                        if let Some(seat) = pool.try_reserve() {
                            std::hint::black_box(seat.id());
                            break;
                        }
                        std::hint::spin_loop();
                    }
                });
                for ticket in held {
                    pool.cancel(ticket).expect("ticket of this pool");
                }
                elapsed
            }),
            contender("Mutex<Vec<usize>> free-list", move |t, n| {
                let free = Mutex::new((taken..capacity).collect::<Vec<usize>>());
                time_threads(t, n, |_, _| {
                    let id = loop {
                        if let Some(id) = free.lock().unwrap().pop() {
                            break id;
                        }
                        std::hint::spin_loop();
                    };
                    free.lock().unwrap().push(std::hint::black_box(id));
                })
            }),
            contender("crossbeam ArrayQueue<usize> free-list", move |t, n| {
                let free = ArrayQueue::new(capacity);
                (taken..capacity).for_each(|id| free.push(id).expect("room"));
                time_threads(t, n, |_, _| {
                    let id = loop {
                        if let Some(id) = free.pop() {
                            break id;
                        }
                        std::hint::spin_loop();
                    };
                    free.push(std::hint::black_box(id)).expect("room");
                })
            }),
        ],
        targets: vec![target(1, 2.0, JUDGED), target(2, 1.0, JUDGED)],
    }
}

fn seats() -> Vec<Comparison> {
    vec![
        seat_comparison("SeatPool (4096 seats, empty)", 4096, 0),
        seat_comparison("SeatPool (4096 seats, 95% full)", 4096, 4096 * 95 / 100),
    ]
}

struct Options {
    measure: bool,
    reps: usize,
    /// Wall time aimed at for one measurement of one contender.
    slice: Duration,
    threads: Vec<usize>,
    out: std::path::PathBuf,
    /// Only comparisons whose title contains this (a quick look; writes no file).
    only: Option<String>,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut o = Options {
        measure: args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test"),
        reps: 11,
        slice: Duration::from_millis(80),
        threads: THREADS.to_vec(),
        out: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("BENCHMARKS.md"),
        only: None,
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores >= 16 {
        o.threads.push(16);
    }
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => {
                o.reps = 3;
                o.slice = Duration::from_millis(20);
            }
            "--threads" => {
                let list = it.next().expect("--threads needs a list like 1,2,4,8");
                o.threads = list
                    .split(',')
                    .map(|s| s.trim().parse().expect("thread counts are numbers"))
                    .collect();
            }
            "--out" => o.out = it.next().expect("--out needs a path").into(),
            "--only" => o.only = Some(it.next().expect("--only needs a title").clone()),
            _ => {}
        }
    }
    o
}

/// Operations per thread so that one measurement takes about `slice`.
fn calibrate(c: &Contender, threads: usize, slice: Duration) -> u64 {
    let mut ops = 1_000u64;
    loop {
        let took = (c.run)(threads, ops);
        if took >= slice / 8 || ops >= 1 << 30 {
            let scale = slice.as_secs_f64() / took.as_secs_f64().max(1e-9);
            return ((ops as f64 * scale) as u64).clamp(1_000, 1 << 32);
        }
        ops *= 8;
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Results of one comparison at one thread count.
struct Measured {
    threads: usize,
    /// Median Mops/s per contender.
    mops: Vec<f64>,
    /// Per baseline (index 1..): median, min and max of racefree/baseline.
    ratios: Vec<(f64, f64, f64)>,
}

fn measure(cmp: &Comparison, threads: usize, o: &Options) -> Measured {
    let ops: Vec<u64> = cmp
        .contenders
        .iter()
        .map(|c| calibrate(c, threads, o.slice))
        .collect();
    let mut mops = vec![Vec::new(); cmp.contenders.len()];
    for _ in 0..o.reps {
        // Interleave contenders within a repetition so drift hits them alike.
        for (i, c) in cmp.contenders.iter().enumerate() {
            let took = (c.run)(threads, ops[i]);
            mops[i].push((threads as u64 * ops[i]) as f64 / took.as_secs_f64() / 1e6);
        }
    }
    let ratios = (1..cmp.contenders.len())
        .map(|b| {
            let mut r: Vec<f64> = mops[0].iter().zip(&mops[b]).map(|(x, y)| x / y).collect();
            let (lo, hi) = r
                .iter()
                .fold((f64::MAX, f64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
            (median(&mut r), lo, hi)
        })
        .collect();
    Measured {
        threads,
        mops: mops.iter_mut().map(|m| median(m)).collect(),
        ratios,
    }
}

/// Civil date (UTC) from the system clock, without a date crate.
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{cpu}, {cores} logical CPUs, {}", std::env::consts::ARCH)
}

fn rustc_version() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "unknown rustc".into(), |s| s.trim().to_string())
}

fn report(results: &[(&Comparison, Vec<Measured>)], o: &Options, took: Duration) -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut s = String::new();
    let _ = writeln!(s, "# racefree benchmarks\n");
    let _ = writeln!(
        s,
        "Generated by `cargo bench --bench summary` on {} in {:.0} s (the tiers section at the \
         end by `cargo bench -p racefree-conformance --bench tiers`). Do not edit by hand.\n",
        today(),
        took.as_secs_f64()
    );
    let _ = writeln!(s, "- Machine: {}", machine());
    let _ = writeln!(
        s,
        "- Build: {}, `bench` profile (opt-level 3), RUSTFLAGS=`{}`",
        rustc_version(),
        std::env::var("RUSTFLAGS").unwrap_or_default()
    );
    let _ = writeln!(
        s,
        "- Method: every thread times its own operations after a shared barrier; a sample is the slowest \
         thread. {} repetitions of ~{} ms per contender, interleaved; Mops/s are medians, ratios are the \
         median (min–max) of the per-repetition racefree/baseline ratios.",
        o.reps,
        o.slice.as_millis()
    );
    let _ = writeln!(
        s,
        "- Threads above {cores} are oversubscribed on this machine (marked *): that is where a \
         preempted lock holder makes a mutex collapse.\n"
    );
    let _ = writeln!(s, "## Targets\n");
    let _ = writeln!(
        s,
        "| structure | against | target | threads | ratio (min–max) | met |"
    );
    let _ = writeln!(s, "| --- | --- | --- | --- | --- | --- |");
    for (cmp, ms) in results {
        for tg in &cmp.targets {
            for m in ms.iter().filter(|m| tg.judged_at.contains(&m.threads)) {
                let (r, lo, hi) = m.ratios[tg.baseline - 1];
                let _ = writeln!(
                    s,
                    "| {} | {} | ≥ {:.2}× | {}{} | {r:.2}× ({lo:.2}–{hi:.2}) | {} |",
                    cmp.title,
                    cmp.contenders[tg.baseline].name,
                    tg.min_ratio,
                    m.threads,
                    if m.threads > cores { "*" } else { "" },
                    if r >= tg.min_ratio { "yes" } else { "**no**" }
                );
            }
        }
    }
    for (cmp, ms) in results {
        let _ = writeln!(s, "\n## {}: {}\n", cmp.title, cmp.operation);
        let mut head = String::from("| threads |");
        let mut rule = String::from("| --- |");
        for c in &cmp.contenders {
            let _ = write!(head, " {} Mops/s |", c.name);
            rule.push_str(" ---: |");
        }
        for c in &cmp.contenders[1..] {
            let _ = write!(head, " ÷ {} |", c.name);
            rule.push_str(" ---: |");
        }
        let _ = writeln!(s, "{head}\n{rule}");
        for m in ms {
            let star = if m.threads > cores { "*" } else { "" };
            let _ = write!(s, "| {}{star} |", m.threads);
            for v in &m.mops {
                let _ = write!(s, " {v:.1} |");
            }
            for (r, lo, hi) in &m.ratios {
                let _ = write!(s, " {r:.2}× ({lo:.2}–{hi:.2}) |");
            }
            s.push('\n');
        }
    }
    s
}

fn main() {
    let o = options();
    let all: Vec<Comparison> = [counters(), stacks(), seats()]
        .into_iter()
        .flatten()
        .filter(|c| o.only.as_ref().is_none_or(|t| c.title.contains(t.as_str())))
        .collect();
    if !o.measure {
        // Smoke mode: every contender once, a few operations, nothing written.
        for cmp in &all {
            for c in &cmp.contenders {
                for &t in &o.threads {
                    (c.run)(t, 100);
                }
            }
            println!("summary smoke: {} ok", cmp.title);
        }
        return;
    }
    let start = Instant::now();
    let mut results = Vec::new();
    for cmp in &all {
        let ms: Vec<Measured> = o
            .threads
            .iter()
            .map(|&t| {
                eprintln!("summary: {} at {t} threads", cmp.title);
                measure(cmp, t, &o)
            })
            .collect();
        results.push((cmp, ms));
    }
    let mut md = report(&results, &o, start.elapsed());
    if o.only.is_none() {
        eprintln!("summary: the seat pool at every scale");
        let _ = write!(
            md,
            "\n## SeatPool at every scale: churn on a nearly full pool\n\n{}",
            common::seat_scale::table(false)
        );
    }
    println!("{md}");
    if o.only.is_none() {
        // The tiers block is another benchmark's (`cargo bench -p
        // racefree-conformance --bench tiers`, which needs servers): keep it.
        let old = std::fs::read_to_string(&o.out).unwrap_or_default();
        let (begin, end) = ("<!-- tiers:begin -->", "<!-- tiers:end -->");
        if let (Some(b), Some(e)) = (old.find(begin), old.find(end)) {
            if b < e {
                let _ = write!(md, "\n{}\n", &old[b..e + end.len()]);
            }
        }
        std::fs::write(&o.out, &md).expect("write BENCHMARKS.md");
        eprintln!("summary: wrote {}", o.out.display());
    }
}
