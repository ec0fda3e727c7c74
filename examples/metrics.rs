//! Per-endpoint request metrics for a busy service: one `StripedCounter` per
//! endpoint and statistic, incremented on every request by every worker thread,
//! and summed by a reporter thread while the workers run.
//!
//! A plain shared counter would be one cache line that every core fights over on
//! every request; a `StripedCounter` spreads the increments over cache-padded
//! cells and pays instead when it is read (`sum()` adds the cells up), which a
//! reporter does rarely. While workers add, `sum()` lies between the totals before
//! and after the call, so the reporter's figures never go backwards; once the
//! workers are joined it is exact.
//!
//! The traffic is a fixed pseudo-random sequence, so the final table is the same on
//! every run; how many interim reports appear, and their figures, depend on the
//! schedule. The example checks the final sums against a count made without
//! threads, and that no report ever went backwards.
//!
//! ```text
//! cargo run --example metrics
//! ```

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use racefree::StripedCounter;

const WORKERS: u64 = 4;
const REQUESTS_PER_WORKER: u64 = 50_000;
/// Interim reports printed (later ones are only counted).
const MAX_PRINTED_REPORTS: usize = 8;
const ENDPOINTS: [&str; 4] = ["GET /search", "GET /item", "POST /cart", "POST /checkout"];

/// The statistics of one endpoint.
struct EndpointStats {
    name: &'static str,
    requests: StripedCounter,
    errors: StripedCounter,
    bytes: StripedCounter,
}

impl EndpointStats {
    fn new(name: &'static str) -> Self {
        EndpointStats {
            name,
            requests: StripedCounter::new(),
            errors: StripedCounter::new(),
            bytes: StripedCounter::new(),
        }
    }

    /// (requests, errors, bytes) as `sum()` sees them now.
    fn read(&self) -> [u64; 3] {
        [self.requests.sum(), self.errors.sum(), self.bytes.sum()]
    }
}

/// One request of the fixed traffic: (endpoint, failed, response bytes).
fn request(worker: u64, n: u64) -> (usize, bool, u64) {
    // SplitMix64 of the request number: the same traffic in every run.
    let mut z = (worker << 32 | n).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    // Searches are most of the traffic; checkouts fail most often.
    let endpoint = match z % 10 {
        0..=4 => 0,
        5..=7 => 1,
        8 => 2,
        _ => 3,
    };
    let failed = (z >> 8) % 100 < [1, 2, 3, 8][endpoint];
    let bytes = if failed { 120 } else { 500 + (z >> 16) % 4_000 };
    (endpoint, failed, bytes)
}

fn main() {
    let stats: Vec<EndpointStats> = ENDPOINTS.iter().map(|&n| EndpointStats::new(n)).collect();
    let done = AtomicBool::new(false);
    println!(
        "metrics: {WORKERS} workers x {REQUESTS_PER_WORKER} requests over {} endpoints",
        ENDPOINTS.len()
    );

    let reports = thread::scope(|s| {
        let stats = &stats;
        let done = &done;
        // The reporter: sums every endpoint's counters every millisecond, as a
        // metrics exporter would every few seconds, and checks nothing goes back.
        let reporter = s.spawn(move || {
            let mut last = vec![[0u64; 3]; stats.len()];
            let mut reports = 0;
            loop {
                // Read `done` before summing, so the last pass sees every add.
                let finished = done.load(Ordering::Acquire);
                let now: Vec<[u64; 3]> = stats.iter().map(EndpointStats::read).collect();
                for (before, after) in last.iter().zip(&now) {
                    assert!(
                        before.iter().zip(after).all(|(b, a)| b <= a),
                        "a sum went backwards"
                    );
                }
                let delta: u64 = now.iter().zip(&last).map(|(a, b)| a[0] - b[0]).sum();
                if delta > 0 && !finished {
                    reports += 1;
                }
                // The first few reports are printed; later ones are only counted.
                if delta > 0 && !finished && reports <= MAX_PRINTED_REPORTS {
                    let line: Vec<String> = stats
                        .iter()
                        .zip(&now)
                        .map(|(e, v)| format!("{} {}", e.name, v[0]))
                        .collect();
                    println!(
                        "  report {reports:>2}: {:>7} requests | {}",
                        format!("+{delta}"),
                        line.join(", ")
                    );
                }
                last = now;
                if finished {
                    return reports;
                }
                thread::sleep(Duration::from_millis(1));
            }
        });

        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                s.spawn(move || {
                    for n in 0..REQUESTS_PER_WORKER {
                        let (endpoint, failed, bytes) = request(w, n);
                        let e = &stats[endpoint];
                        e.requests.increment();
                        if failed {
                            e.errors.increment();
                        }
                        e.bytes.add(bytes);
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().expect("a worker panicked");
        }
        done.store(true, Ordering::Release);
        reporter.join().expect("the reporter panicked")
    });

    // The same traffic counted without threads: the sums must match exactly.
    let mut expected = vec![[0u64; 3]; ENDPOINTS.len()];
    for w in 0..WORKERS {
        for n in 0..REQUESTS_PER_WORKER {
            let (endpoint, failed, bytes) = request(w, n);
            expected[endpoint][0] += 1;
            expected[endpoint][1] += u64::from(failed);
            expected[endpoint][2] += bytes;
        }
    }

    println!("final, after {reports} interim report(s):");
    println!(
        "  {:<16} {:>9} {:>7} {:>12}",
        "endpoint", "requests", "errors", "bytes"
    );
    for (e, want) in stats.iter().zip(&expected) {
        let got = e.read();
        println!(
            "  {:<16} {:>9} {:>7} {:>12}",
            e.name, got[0], got[1], got[2]
        );
        assert_eq!(
            &got, want,
            "{}: the striped sums lost or invented an update",
            e.name
        );
    }
    let total: u64 = stats.iter().map(|e| e.requests.sum()).sum();
    assert_eq!(total, WORKERS * REQUESTS_PER_WORKER);
    println!("  checks: exact totals after the join, no report ever went backwards: ok");
}
