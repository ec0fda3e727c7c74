//! Small helpers shared by the throwaway servers ([`crate::server`],
//! [`crate::postgres_server`]) and by every tier's integration tests: a free
//! port, a fresh temporary directory, fresh names, bounded polling, and the
//! "re-run this test binary as a client, then kill it" fault child.
//!
//! The fault child, both sides: a test first asks [`run_as_fault_child`]
//! whether this process *is* the child (and if so plays it and returns); as
//! the parent it starts the child with [`spawn_fault_child`], which re-runs this
//! same test binary with `--exact` on that one test and [`FAULT_CHILD_ENV`]
//! set. The child acts, reports with [`report_and_await_kill`], and waits; the
//! parent reads the report and kills it with [`kill_and_reap`].
//!
//! Both that child and the workers of [`crate::processes`] are started by
//! [`rerun_test`] and, where the parent may fail before reaping them, held in a
//! [`ChildGuard`].

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A port on 127.0.0.1 that was free a moment ago: bind port 0, read the port
/// the OS chose, release it for the server.
pub fn free_port() -> u16 {
    TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port on 127.0.0.1")
}

/// A path under `parent` that no other call in any process has returned:
/// `PREFIX-PID-N-NANOS`. Not created.
pub fn fresh_temp_dir(parent: &Path, prefix: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    parent.join(format!(
        "{prefix}-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

/// `PREFIX` `SEP` `N`, with `N` never repeated within this process: a key or
/// table name no other test in the process uses.
pub fn fresh_name(prefix: &str, sep: char) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!("{prefix}{sep}{}", N.fetch_add(1, Ordering::Relaxed))
}

/// Polls `cond` every 20 ms, at most `limit` in total (and at most 1000 times);
/// returns whether it became true. Waiting is bounded; nothing asserts speed.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    for _ in 0..1000 {
        if cond() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

/// What a fault child reported before it was killed: the seats it holds and
/// the `(seat, token)` it booked.
#[derive(Debug, Default)]
pub struct ChildReport {
    /// `CHILD HELD ID` lines.
    pub held: Vec<usize>,
    /// `CHILD BOOKED ID TOKEN` lines.
    pub booked: Vec<(usize, String)>,
}

/// The environment variable that tells a test binary it runs as a fault child;
/// its value is what the parent passed to [`spawn_fault_child`] (a server
/// address and an object name, say).
pub const FAULT_CHILD_ENV: &str = "RACEFREE_FAULT_CHILD";

/// Re-runs this test binary on the single test `test` (`--exact`, one thread)
/// with [`FAULT_CHILD_ENV`]`=spec` set, stdout piped, and reads its report up to
/// `CHILD READY` (at most 200 lines). The child plays a client that the caller
/// then kills with [`kill_and_reap`].
pub fn spawn_fault_child(test: &str, spec: &str) -> (Child, ChildReport) {
    let mut child = rerun_test(test)
        .env(FAULT_CHILD_ENV, spec)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the child client");
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut report = ChildReport::default();
    let mut line = String::new();
    for _ in 0..200 {
        line.clear();
        if reader.read_line(&mut line).expect("child stdout") == 0 {
            break;
        }
        // libtest may print "test NAME ... " on the same line first.
        let Some(at) = line.find("CHILD ") else {
            continue;
        };
        let words: Vec<&str> = line[at..].split_whitespace().collect();
        match words.as_slice() {
            ["CHILD", "HELD", id] => report.held.push(id.parse::<usize>().unwrap()),
            ["CHILD", "BOOKED", id, token] => report
                .booked
                .push((id.parse::<usize>().unwrap(), token.to_string())),
            ["CHILD", "READY"] => break,
            _ => {}
        }
    }
    // Keep the pipe open until the child is killed, as if still reading.
    child.stdout = Some(reader.into_inner());
    (child, report)
}

/// The child's side of [`spawn_fault_child`]: when this process was started as
/// the child ([`FAULT_CHILD_ENV`] is set), runs `child` with the parent's
/// `spec` and returns `true` (the test then returns at once); in the parent,
/// `false`.
pub fn run_as_fault_child(child: impl FnOnce(&str)) -> bool {
    match std::env::var(FAULT_CHILD_ENV) {
        Ok(spec) => {
            child(&spec);
            true
        }
        Err(_) => false,
    }
}

/// What a fault child says once it holds its seats: `CHILD BOOKED ID TOKEN`
/// for its ticket, `CHILD HELD ID` per held seat, `CHILD READY` (the report
/// [`spawn_fault_child`] reads). Then it waits to be killed, renewing nothing
/// and dropping nothing (so no hold is released by a destructor); if no one
/// kills it within two minutes (the parent died), it exits with status 3.
pub fn report_and_await_kill(booked: (usize, &str), held: &[usize]) -> ! {
    let mut out = std::io::stdout().lock();
    writeln!(out, "CHILD BOOKED {} {}", booked.0, booked.1).unwrap();
    for id in held {
        writeln!(out, "CHILD HELD {id}").unwrap();
    }
    writeln!(out, "CHILD READY").unwrap();
    out.flush().unwrap();
    drop(out);
    std::thread::sleep(Duration::from_secs(120));
    eprintln!("the parent never killed this fault child");
    std::process::exit(3)
}

/// Where a cross-compiled test binary runs under an emulator: the runner command
/// (e.g. `qemu-aarch64 -L /usr/aarch64-linux-gnu`, what Cargo's
/// `CARGO_TARGET_<TRIPLE>_RUNNER` says), which Cargo does not pass on to the
/// test itself. `ci_cross_test` sets it; unset, children run directly.
pub const TEST_RUNNER_ENV: &str = "RACEFREE_TEST_RUNNER";

/// A command that re-runs this test binary on the single test `test`:
/// `--exact TEST --nocapture --test-threads 1`, through the runner of
/// [`TEST_RUNNER_ENV`] if one is set. The caller adds the environment that
/// tells the child its role, and its stdio.
pub fn rerun_test(test: &str) -> Command {
    let exe = std::env::current_exe().expect("this test binary");
    let runner = std::env::var(TEST_RUNNER_ENV).unwrap_or_default();
    let mut words = runner.split_whitespace();
    let mut cmd = match words.next() {
        Some(program) => {
            let mut cmd = Command::new(program);
            cmd.args(words).arg(exe);
            cmd
        }
        None => Command::new(exe),
    };
    cmd.args(["--exact", test, "--nocapture", "--test-threads", "1"]);
    cmd
}

/// A child process that is killed (SIGKILL) and reaped when the guard drops,
/// unless [`wait`](ChildGuard::wait) reaped it first: no child outlives a
/// parent that panics half-way.
#[derive(Debug)]
pub struct ChildGuard(Option<Child>);

impl ChildGuard {
    /// Guards `child`.
    pub fn new(child: Child) -> Self {
        Self(Some(child))
    }

    /// The child.
    pub fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("already reaped")
    }

    /// Waits for the child to exit by itself, polling every 5 ms for at most
    /// `limit`; past it, kills it. Either way it is reaped. `Ok(status)` if it
    /// exited by itself, `Err(status)` if it had to be killed.
    pub fn wait(
        mut self,
        limit: Duration,
    ) -> Result<std::process::ExitStatus, std::process::ExitStatus> {
        let mut child = self.0.take().expect("already reaped");
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                return Ok(status);
            }
            if start.elapsed() > limit {
                let _ = child.kill();
                return Err(child.wait().expect("reap the killed child"));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl ChildGuard {
    /// Kills the child (SIGKILL) and reaps it: its exit status.
    pub fn kill(mut self) -> std::process::ExitStatus {
        let mut child = self.0.take().expect("already reaped");
        let _ = child.kill();
        child.wait().expect("reap the killed child")
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// SIGKILLs `child` (`Child::kill` is SIGKILL on Unix), waits for it, and
/// asserts it did not finish by itself.
pub fn kill_and_reap(mut child: Child) {
    child.kill().expect("SIGKILL the child");
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child was killed, not finished");
}
