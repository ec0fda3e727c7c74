//! A throwaway `redis-server` for tests, demos and benchmarks.
//!
//! [`RedisServer::start`] runs the Debian `redis-server` binary (or `$REDIS_SERVER`)
//! as a child process bound to 127.0.0.1 on a free port, with its own temporary
//! directory and no RDB snapshots, waits (bounded) until it answers `PING`, and
//! kills it when dropped — also when a test panics, since `Drop` runs while
//! unwinding. Nothing here talks to any address but 127.0.0.1.
//!
//! [`RedisServer::start_with`] adds an append-only file (`--appendonly yes
//! --appendfsync always`) and a fixed directory/port so that a test can
//! [`kill`](RedisServer::kill) the server with SIGKILL and start it again on the
//! same data.
//!
//! A missing binary is a test failure with a clear message, never a skip.

use crate::support;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How a server is started.
#[derive(Clone, Debug, Default)]
pub struct ServerOptions {
    /// `--appendonly yes --appendfsync always`: every acknowledged write is on disk.
    pub append_only: bool,
    /// Data directory; `None` makes a fresh temporary one (removed on drop).
    pub dir: Option<PathBuf>,
    /// Port; `None` picks a free one.
    pub port: Option<u16>,
    /// Further `redis-server` arguments, e.g. `["--enable-debug-command", "local"]`.
    pub extra_args: Vec<String>,
}

/// A running `redis-server` child process on 127.0.0.1, killed on drop.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    owns_dir: bool,
}

/// Attempts at finding a port and starting a server on it.
const START_ATTEMPTS: usize = 5;
/// Bounded wait for `PING`: at most this many tries, this far apart.
const PING_TRIES: usize = 400;
const PING_PAUSE: Duration = Duration::from_millis(25);

impl RedisServer {
    /// Starts a server with a fresh temporary directory on a free port.
    ///
    /// # Panics
    /// If `redis-server` is missing or does not answer `PING` in time, with a
    /// message saying how to install it.
    pub fn start() -> Self {
        Self::start_with(ServerOptions::default())
    }

    /// Starts a server as `opts` says.
    ///
    /// # Panics
    /// As [`start`](Self::start).
    pub fn start_with(opts: ServerOptions) -> Self {
        let (dir, owns_dir) = match &opts.dir {
            Some(d) => (d.clone(), false),
            None => (fresh_temp_dir(), true),
        };
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let mut last_err = String::new();
        for _ in 0..START_ATTEMPTS {
            let port = opts.port.unwrap_or_else(support::free_port);
            match spawn(&opts, port, &dir) {
                Ok(child) => {
                    let mut s = RedisServer {
                        child: Some(child),
                        port,
                        dir: dir.clone(),
                        owns_dir,
                    };
                    match s.wait_ready() {
                        Ok(()) => return s,
                        Err(e) => {
                            last_err = e;
                            s.stop_child();
                            // Keep the directory for the next attempt.
                            s.owns_dir = false;
                        }
                    }
                }
                Err(e) => {
                    last_err = e;
                    break;
                }
            }
            if opts.port.is_some() {
                // A fixed port that failed once will not get better by retrying
                // immediately, but the previous owner may still be closing it.
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        if owns_dir {
            let _ = std::fs::remove_dir_all(&dir);
        }
        panic!("could not start redis-server: {last_err}");
    }

    /// The server's address as a `redis://` URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Kills the server with SIGKILL (no shutdown, no final save) and waits for it
    /// to exit. The data directory is kept (and handed to the caller to remove);
    /// start a new server on it with [`ServerOptions::dir`] and the same
    /// [`port`](Self::port).
    pub fn kill(mut self) -> PathBuf {
        self.stop_child();
        self.owns_dir = false;
        self.dir.clone()
    }

    /// Sends one inline command and returns the raw reply (for harness use: the
    /// tests speak to the server through their client library).
    ///
    /// # Errors
    /// Any I/O error, or a reply that does not arrive within 5 seconds.
    pub fn raw_command(&self, command: &str) -> std::io::Result<String> {
        raw_command(self.port, command)
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + PING_PAUSE * PING_TRIES as u32 * 2;
        for _ in 0..PING_TRIES {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!(
                        "redis-server on port {} exited early ({status}); see {}",
                        self.port,
                        self.dir.join("redis.log").display()
                    ));
                }
            }
            if let Ok(r) = raw_command(self.port, "PING") {
                if r.starts_with("+PONG") {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                break;
            }
            std::thread::sleep(PING_PAUSE);
        }
        Err(format!(
            "redis-server on port {} did not answer PING in time",
            self.port
        ))
    }

    fn stop_child(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Child::kill is SIGKILL on Unix.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop_child();
        if self.owns_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn binary() -> String {
    std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_string())
}

fn spawn(opts: &ServerOptions, port: u16, dir: &Path) -> Result<Child, String> {
    let mut cmd = Command::new(binary());
    cmd.args(["--port", &port.to_string()])
        .args(["--bind", "127.0.0.1"])
        .args(["--save", ""])
        .arg("--dir")
        .arg(dir)
        .args(["--daemonize", "no"])
        .args(["--logfile", "redis.log"]);
    if opts.append_only {
        cmd.args(["--appendonly", "yes", "--appendfsync", "always"]);
    } else {
        cmd.args(["--appendonly", "no"]);
    }
    cmd.args(&opts.extra_args);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd.spawn().map_err(|e| {
        format!(
            "cannot run `{}` ({e}); install it with `apt-get install -y redis-server` \
             (ci/setup.sh does) or point $REDIS_SERVER at a redis-server binary",
            binary()
        )
    })
}

fn fresh_temp_dir() -> PathBuf {
    support::fresh_temp_dir(&std::env::temp_dir(), "racefree-redis")
}

fn raw_command(port: u16, command: &str) -> std::io::Result<String> {
    let addr = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
    let mut s = TcpStream::connect_timeout(&addr.into(), Duration::from_secs(1))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    s.write_all(command.as_bytes())?;
    s.write_all(b"\r\n")?;
    let mut buf = [0u8; 512];
    let n = s.read(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}
