//! The result types every scenario fills in, and the table they print as.

use crate::harness::Tally;

/// Which side of the comparison a row is on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The bad pattern: check, gap, act. Expected to show anomalies.
    Naive,
    /// The same logic under a `std::sync::Mutex`: correct, blocking.
    Mutex,
    /// racefree's structure: correct, lock-free. Must show zero anomalies.
    Racefree,
}

/// One implementation's line in a scenario's table.
pub struct Row {
    /// What ran, e.g. `racefree::Counter::increment`.
    pub name: &'static str,
    /// Naive, Mutex or racefree.
    pub kind: Kind,
    /// Its totals over all rounds.
    pub tally: Tally,
    /// Millions of operations per second in the separate timed run; `None`
    /// for naive rows (they yield in their gap: not a speed figure).
    pub mops: Option<f64>,
}

/// One scenario's results.
pub struct Scenario {
    /// Headline, e.g. "lost update on a shared counter".
    pub title: &'static str,
    /// One line on the setup of each round.
    pub setup: String,
    /// The anomaly's name in the table, e.g. "lost updates".
    pub anomaly: &'static str,
    /// Naive, Mutex and racefree rows, in that order.
    pub rows: Vec<Row>,
    /// Rounds each row ran.
    pub rounds: u64,
    /// What to say when the naive row got lucky (0 anomalies).
    pub if_lucky: &'static str,
}

impl Scenario {
    /// Anomalies in racefree rows: anything but zero is a bug.
    pub fn racefree_anomalies(&self) -> u64 {
        self.rows
            .iter()
            .filter(|r| r.kind == Kind::Racefree)
            .map(|r| r.tally.anomalies)
            .sum()
    }

    /// Attempts made by racefree rows.
    pub fn racefree_attempts(&self) -> u64 {
        self.rows
            .iter()
            .filter(|r| r.kind == Kind::Racefree)
            .map(|r| r.tally.attempts)
            .sum()
    }
}

/// Prints one scenario as a small table on stdout.
pub fn print(number: usize, s: &Scenario) {
    const NAME: usize = 44;
    let anomaly_w = s.anomaly.len().max(10);
    println!("{number}. {}", s.title);
    println!("   {}, {} rounds", s.setup, group(s.rounds));
    println!(
        "   {:<NAME$} {:>12}  {:>anomaly_w$}  {:>8}",
        "implementation", "attempts", s.anomaly, "Mops/s"
    );
    for r in &s.rows {
        let mops = r.mops.map_or("-".to_owned(), |m| format!("{m:.1}"));
        let verdict = match (r.kind, r.tally.anomalies) {
            (Kind::Racefree, 0) | (Kind::Mutex, 0) => "  ok",
            (Kind::Naive, 0) => "  (lucky)",
            (Kind::Naive, _) => "  <- the race",
            (_, _) => "  <- BUG",
        };
        println!(
            "   {:<NAME$} {:>12}  {:>anomaly_w$}  {mops:>8}{verdict}",
            r.name,
            group(r.tally.attempts),
            group(r.tally.anomalies),
        );
    }
    let naive_lucky = s
        .rows
        .iter()
        .any(|r| r.kind == Kind::Naive && r.tally.anomalies == 0);
    if naive_lucky {
        println!(
            "   the naive row got lucky: 0 seen in {} rounds on this machine. {}",
            group(s.rounds),
            s.if_lucky
        );
    }
    println!();
}

/// `1234567` as `1,234,567`.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
