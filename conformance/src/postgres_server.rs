//! A throwaway PostgreSQL 15 server for tests, demos and benchmarks.
//!
//! [`PgServer::start`] runs Debian's `initdb` (from `/usr/lib/postgresql/15/bin`,
//! or `$PG_BIN`) into a fresh temporary directory (`-A trust -U racefree
//! --no-sync`), then the `postgres` binary itself as a child process listening on
//! 127.0.0.1 only, on a free port, with its Unix socket in the same temporary
//! directory. It waits (bounded) until the server accepts connections
//! (`pg_isready`), and stops it when dropped — also when a test panics, since
//! `Drop` runs while unwinding: SIGINT (fast shutdown), then SIGKILL if it has not
//! exited after a bounded wait.
//!
//! PostgreSQL refuses to run as root. When the tests run as root, the server and
//! `initdb` run as the unprivileged `postgres` user (through `setpriv`, which
//! execs, so the child process *is* the postmaster), with a temporary directory
//! that user owns.
//!
//! By default `fsync=off` (fast, fine for a server nobody crashes);
//! [`PgOptions::durable`] keeps `fsync=on` and `synchronous_commit=on` for the
//! crash test, which stops the server with [`PgServer::stop_immediate`] (SIGQUIT:
//! no checkpoint, WAL recovery at the next start) and starts it again on the same
//! directory and port with [`PgServer::restart`].
//!
//! A missing binary is a test failure with a clear message, never a skip.

use crate::support;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How a server is started.
#[derive(Clone, Debug, Default)]
pub struct PgOptions {
    /// `fsync=on` (the default of a real server): every acknowledged commit
    /// survives [`PgServer::stop_immediate`]. Off by default, for speed.
    pub durable: bool,
    /// Further `-c name=value` settings, e.g. `"max_connections=200"`.
    pub settings: Vec<String>,
}

/// A running PostgreSQL server on 127.0.0.1, stopped on drop.
#[derive(Debug)]
pub struct PgServer {
    child: Option<Child>,
    port: u16,
    /// The temporary directory: `data/` (the cluster), the socket, `server.log`.
    dir: PathBuf,
    opts: PgOptions,
}

/// The superuser `initdb` creates (trust authentication, 127.0.0.1 only).
pub const SUPERUSER: &str = "racefree";
/// Attempts at finding a free port and starting on it.
const START_ATTEMPTS: usize = 5;
/// Bounded wait for `pg_isready`: at most this many tries, this far apart.
const READY_TRIES: usize = 600;
const READY_PAUSE: Duration = Duration::from_millis(50);
/// Bounded wait for the postmaster to exit after a shutdown signal.
const STOP_TRIES: usize = 400;

impl PgServer {
    /// Starts a fresh cluster (`fsync=off`) on a free port.
    ///
    /// # Panics
    /// If the PostgreSQL binaries are missing (with a message saying how to
    /// install them), `initdb` fails, or the server does not accept connections
    /// in time.
    pub fn start() -> Self {
        Self::start_with(PgOptions::default())
    }

    /// Starts a fresh cluster as `opts` says.
    ///
    /// # Panics
    /// As [`start`](Self::start).
    pub fn start_with(opts: PgOptions) -> Self {
        // Checked up front: through `setpriv` a missing program is only an exit
        // status 127.
        for tool in ["initdb", "postgres", "pg_ctl", "pg_isready"] {
            let path = bin(tool);
            if !path.is_file() {
                panic!(
                    "{}",
                    missing(&path, &std::io::Error::from(std::io::ErrorKind::NotFound))
                );
            }
        }
        let dir = fresh_temp_dir();
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        if let Some((uid, gid)) = drop_to() {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
                .unwrap_or_else(|e| panic!("cannot chown {} to postgres: {e}", dir.display()));
        }
        let mut initdb = as_server_user(&bin("initdb"));
        initdb
            .arg("-D")
            .arg(dir.join("data"))
            .args(["-A", "trust", "-U", SUPERUSER, "--no-sync", "-E", "UTF8"])
            .args(["--locale", "C"])
            .stdin(Stdio::null());
        let out = initdb.output().unwrap_or_else(|e| {
            let _ = std::fs::remove_dir_all(&dir);
            panic!("{}", missing(&bin("initdb"), &e))
        });
        if !out.status.success() {
            let _ = std::fs::remove_dir_all(&dir);
            panic!(
                "initdb failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut s = PgServer {
            child: None,
            port: 0,
            dir,
            opts,
        };
        let mut last_err = String::new();
        for _ in 0..START_ATTEMPTS {
            s.port = support::free_port();
            match s.spawn_and_wait() {
                Ok(()) => return s,
                Err(e) => last_err = e,
            }
        }
        panic!("could not start PostgreSQL: {last_err}");
    }

    /// A `postgres` crate / libpq connection string for `dbname` as the
    /// superuser.
    pub fn conn_str(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user={SUPERUSER} dbname=postgres connect_timeout=10",
            self.port
        )
    }

    /// A connection string for another role (created by the test).
    pub fn conn_str_as(&self, user: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user={user} dbname=postgres connect_timeout=10",
            self.port
        )
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The temporary directory (the cluster is in `data/`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the server process is running.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Stops the server the way `pg_ctl stop -m immediate` does (SIGQUIT to
    /// the postmaster: no shutdown checkpoint, every backend quits at once) and
    /// waits for it to exit. The data directory is kept: [`restart`](Self::restart)
    /// runs WAL recovery on it.
    pub fn stop_immediate(&mut self) {
        // `pg_ctl stop -m immediate` sends the postmaster SIGQUIT; run it (as
        // the server's user) and then reap our child. If pg_ctl is missing or
        // fails, send SIGQUIT ourselves.
        let ok = as_server_user(&bin("pg_ctl"))
            .arg("stop")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "-t", "20"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            self.signal_and_wait(Some("QUIT"));
        } else {
            self.signal_and_wait(None);
        }
    }

    /// Starts the server again on the same directory and port (after
    /// [`stop_immediate`](Self::stop_immediate)) and waits until it accepts
    /// connections.
    ///
    /// # Panics
    /// If it does not come back in time.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "restart: the server is still running");
        let mut last = String::new();
        for _ in 0..START_ATTEMPTS {
            match self.spawn_and_wait() {
                Ok(()) => return,
                Err(e) => last = e,
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("PostgreSQL did not restart: {last}");
    }

    /// The tail of the server log (for failure messages).
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    fn spawn_and_wait(&mut self) -> Result<(), String> {
        let log = std::fs::File::create(self.dir.join("server.log"))
            .map_err(|e| format!("cannot create server.log: {e}"))?;
        if let Some((uid, gid)) = drop_to() {
            let _ = std::os::unix::fs::chown(self.dir.join("server.log"), Some(uid), Some(gid));
        }
        let fsync = if self.opts.durable { "on" } else { "off" };
        let mut cmd = as_server_user(&bin("postgres"));
        cmd.arg("-D")
            .arg(self.dir.join("data"))
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", &format!("port={}", self.port)])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", self.dir.display()))
            .args(["-c", &format!("fsync={fsync}")])
            .args(["-c", &format!("synchronous_commit={fsync}")])
            .args(["-c", &format!("full_page_writes={fsync}")])
            .args(["-c", "max_connections=200"]);
        for s in &self.opts.settings {
            cmd.args(["-c", s]);
        }
        cmd.stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log);
        let child = cmd.spawn().map_err(|e| missing(&bin("postgres"), &e))?;
        self.child = Some(child);
        let deadline = Instant::now() + READY_PAUSE * READY_TRIES as u32 * 2;
        for _ in 0..READY_TRIES {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                self.child = None;
                return Err(format!(
                    "postgres on port {} exited early ({status}):\n{}",
                    self.port,
                    self.log_tail()
                ));
            }
            if self.ready() {
                return Ok(());
            }
            if Instant::now() > deadline {
                break;
            }
            std::thread::sleep(READY_PAUSE);
        }
        self.signal_and_wait(Some("KILL"));
        Err(format!(
            "postgres on port {} did not accept connections in time:\n{}",
            self.port,
            self.log_tail()
        ))
    }

    fn ready(&self) -> bool {
        Command::new(bin("pg_isready"))
            .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", SUPERUSER, "-d", "postgres", "-t", "2"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }

    /// Sends `sig` (a `kill -s` name; `None`: none, it is already stopping) to
    /// the postmaster and waits (bounded) for it to exit; SIGKILL if it does not.
    fn signal_and_wait(&mut self, sig: Option<&str>) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Some(sig) = sig {
            let _ = Command::new("kill")
                .args(["-s", sig, &child.id().to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        for _ in 0..STOP_TRIES {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        // SIGINT: fast shutdown (backends end, no waiting for clients).
        self.signal_and_wait(Some("INT"));
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The directory of the PostgreSQL binaries: `$PG_BIN`, or Debian's
/// `/usr/lib/postgresql/15/bin`.
pub fn bin_dir() -> PathBuf {
    std::env::var_os("PG_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"))
}

fn bin(name: &str) -> PathBuf {
    bin_dir().join(name)
}

fn missing(path: &Path, e: &std::io::Error) -> String {
    format!(
        "cannot run `{}` ({e}); install PostgreSQL 15 with `apt-get install -y postgresql` \
         (ci/setup.sh does) or point $PG_BIN at its bin directory",
        path.display()
    )
}

/// `Some((uid, gid))` of the `postgres` user when running as root.
fn drop_to() -> Option<(u32, u32)> {
    let id = |flag: &str, who: Option<&str>| -> Option<u32> {
        let mut c = Command::new("id");
        c.arg(flag);
        if let Some(w) = who {
            c.arg(w);
        }
        let out = c.output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    if id("-u", None)? != 0 {
        return None;
    }
    match (id("-u", Some("postgres")), id("-g", Some("postgres"))) {
        (Some(u), Some(g)) => Some((u, g)),
        _ => panic!(
            "running as root but there is no `postgres` user to run PostgreSQL as \
             (apt-get install -y postgresql creates it)"
        ),
    }
}

/// `program` run as the `postgres` user when we are root (`setpriv` execs, so
/// the child's pid is the program's own), as ourselves otherwise.
fn as_server_user(program: &Path) -> Command {
    match drop_to() {
        Some((uid, gid)) => {
            let mut c = Command::new("setpriv");
            c.arg(format!("--reuid={uid}"))
                .arg(format!("--regid={gid}"))
                .arg("--init-groups")
                .arg("--reset-env")
                .arg("--")
                .arg(program);
            c
        }
        None => Command::new(program),
    }
}

fn fresh_temp_dir() -> PathBuf {
    // Not under a root-only directory: the postgres user must reach it.
    support::fresh_temp_dir(Path::new("/tmp"), "racefree-pg")
}
