//! Why racefree exists, in a few seconds: five classic check-then-act races,
//! each run three ways under the same threads — the naive pattern (the bug),
//! a `Mutex` (correct, blocking) and racefree (correct, lock-free) — with the
//! anomalies each produced and its throughput.
//!
//! ```text
//! cargo run --release --example races              # a few seconds
//! cargo run --release --example races -- --quick   # about 2 s (CI)
//! cargo run --release --example races -- --rounds 2000
//! ```
//!
//! The naive versions are here ONLY to show the bug. They are clearly labelled
//! and live in this example, never in the library. Their gap between check and
//! act is widened with `std::thread::yield_now()` so the race shows even on a
//! 2-core machine; nothing is simulated: every anomaly printed happened.
//!
//! Exit status: 0 when every racefree row shows zero anomalies, 1 otherwise
//! (CI runs `--quick` to catch regressions), 2 on bad options.

mod aba;
mod balance;
mod cli;
mod counter;
mod coupons;
mod harness;
mod report;
mod seats;

use std::process::ExitCode;
use std::time::Instant;

use report::{group, Scenario};

fn main() -> ExitCode {
    let opts = cli::parse();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "racefree races: {} threads on {cores} core(s), {} rounds per row{}\n",
        opts.threads,
        group(opts.rounds),
        if opts.quick { " (--quick)" } else { "" }
    );

    let start = Instant::now();
    let scenarios: [fn(&cli::Options) -> Scenario; 5] = [
        counter::run,
        seats::run,
        coupons::run,
        balance::run,
        aba::run,
    ];
    let mut racefree_anomalies = 0;
    let mut racefree_attempts = 0;
    for (i, run) in scenarios.iter().enumerate() {
        let s = run(&opts);
        report::print(i + 1, &s);
        racefree_anomalies += s.racefree_anomalies();
        racefree_attempts += s.racefree_attempts();
    }

    let load = if opts.threads > cores {
        "oversubscribed: more threads than cores"
    } else {
        "one thread per core or fewer"
    };
    println!(
        "Mutex and racefree rows also get a timed run, checked like the rounds: {} threads\n  \
         for {} ms on one shared structure, no artificial gap\n  \
         ({load}). Its operations count in `attempts`;\n  \
         its Mops/s is a sanity check, not a benchmark (see BENCHMARKS.md).\n  \
         Naive rows (-) are not timed: they yield in their gap.",
        opts.threads,
        opts.timed.as_millis(),
    );
    println!(
        "  total {:.1} s; try --rounds N for more rounds, --help for details.\n",
        start.elapsed().as_secs_f64()
    );
    if racefree_anomalies == 0 {
        println!(
            "racefree: 0 anomalies in {} attempts.",
            group(racefree_attempts)
        );
        ExitCode::SUCCESS
    } else {
        println!(
            "racefree: {} ANOMALIES in {} attempts: this is a bug, please report it.",
            group(racefree_anomalies),
            group(racefree_attempts)
        );
        ExitCode::FAILURE
    }
}
