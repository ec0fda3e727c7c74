//! The result types every scenario fills in, and the table they print as.

use crate::harness::{Tally, Timed};

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
    /// The separate timed (and checked) run; `None` for naive rows (they
    /// yield in their gap: not a speed figure).
    pub timed: Option<Timed>,
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
        let rows = self.rows.iter().filter(|r| r.kind == Kind::Racefree);
        rows.map(Row::anomalies).sum()
    }

    /// Attempts made by racefree rows.
    pub fn racefree_attempts(&self) -> u64 {
        let rows = self.rows.iter().filter(|r| r.kind == Kind::Racefree);
        rows.map(Row::attempts).sum()
    }
}

impl Row {
    /// Attempts in the rounds plus operations in the timed run.
    pub fn attempts(&self) -> u64 {
        self.tally.attempts + self.timed.map_or(0, |t| t.ops)
    }

    /// Anomalies found in the rounds and in the timed run.
    pub fn anomalies(&self) -> u64 {
        self.tally.anomalies + self.timed.map_or(0, |t| t.anomalies)
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
        let mops = r.timed.map_or("-".to_owned(), |t| format!("{:.1}", t.mops));
        let verdict = match (r.kind, r.anomalies()) {
            (Kind::Racefree, 0) | (Kind::Mutex, 0) => "  ok",
            (Kind::Naive, 0) => "  (lucky)",
            (Kind::Naive, _) => "  <- the race",
            (_, _) => "  <- BUG",
        };
        println!(
            "   {:<NAME$} {:>12}  {:>anomaly_w$}  {mops:>8}{verdict}",
            r.name,
            group(r.attempts()),
            group(r.anomalies()),
        );
    }
    let naive_lucky = s
        .rows
        .iter()
        .any(|r| r.kind == Kind::Naive && r.anomalies() == 0);
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
