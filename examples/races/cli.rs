//! Command-line options, parsed by hand (the example adds no dependencies).

use std::process::exit;
use std::time::Duration;

/// Default number of rounds per scenario (a few seconds in all on 2 cores).
const DEFAULT_ROUNDS: u64 = 300;
/// Rounds with `--quick` (about a second or two in all; what CI runs).
const QUICK_ROUNDS: u64 = 60;
/// Length of each row's timed throughput run (default, `--quick`).
const TIMED: (Duration, Duration) = (Duration::from_millis(100), Duration::from_millis(20));
/// Threads racing in every scenario: "8 buyers".
const DEFAULT_THREADS: usize = 8;

const HELP: &str = "\
races: naive check-then-act vs Mutex vs racefree, under the same threads

USAGE:
    cargo run --release --example races [-- OPTIONS]

OPTIONS:
    --quick          few rounds (about 2 s); what CI runs
    --rounds N       rounds per scenario (default 300, --quick 60)
    --threads N      racing threads per scenario (default 8)
    -h, --help       this text

Every round starts all threads together at a barrier on a fresh structure, lets
them race, then checks the result. The naive rows widen their check-then-act gap
with std::thread::yield_now() (standing in for a preemption, a cache miss or an
I/O call between the check and the act), so the race shows even on 2 cores.
Exit status is 1 if any racefree row shows an anomaly, 2 on bad options.";

/// What the user asked for.
pub struct Options {
    /// Rounds per scenario.
    pub rounds: u64,
    /// Racing threads per round.
    pub threads: usize,
    /// `--quick` was given (only changes wording and defaults).
    pub quick: bool,
    /// Length of each row's timed throughput run.
    pub timed: Duration,
}

/// Parses `std::env::args()`; prints help or an error and exits where needed.
pub fn parse() -> Options {
    let mut opts = Options {
        rounds: DEFAULT_ROUNDS,
        threads: DEFAULT_THREADS,
        quick: false,
        timed: TIMED.0,
    };
    let mut rounds = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{HELP}");
                exit(0);
            }
            "--quick" => opts.quick = true,
            "--rounds" => rounds = Some(number(&arg, args.next())),
            "--threads" => opts.threads = number(&arg, args.next()) as usize,
            other => {
                if let Some(v) = other.strip_prefix("--rounds=") {
                    rounds = Some(number("--rounds", Some(v.to_owned())));
                } else if let Some(v) = other.strip_prefix("--threads=") {
                    opts.threads = number("--threads", Some(v.to_owned())) as usize;
                } else {
                    fail(&format!("unknown option `{other}`"));
                }
            }
        }
    }
    opts.rounds = rounds.unwrap_or(if opts.quick {
        QUICK_ROUNDS
    } else {
        DEFAULT_ROUNDS
    });
    if opts.quick {
        opts.timed = TIMED.1;
    }
    if opts.threads < 2 {
        fail("--threads must be at least 2: a race needs two threads");
    }
    opts
}

/// A positive integer argument, or exit with a clear message.
fn number(flag: &str, value: Option<String>) -> u64 {
    match value.as_deref().map(str::parse::<u64>) {
        Some(Ok(n)) if n > 0 => n,
        Some(_) => fail(&format!("{flag} needs a positive integer")),
        None => fail(&format!("{flag} needs a value")),
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}\n\n{HELP}");
    exit(2)
}
