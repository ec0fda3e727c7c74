//! Who holds a seat: a process named in one word that pid reuse cannot fake.
//!
//! A holder is `HELD | start << 32 | pid`: the pid (32 bits) and the low 30 bits
//! of the process's start time (field 22 of `/proc/<pid>/stat`, clock ticks since
//! boot). A holder is alive while `/proc/<pid>/stat` exists, is not a zombie, and
//! shows the same start time: a recycled pid has a later start time, so it can
//! neither keep a dead holder's seats alive nor have a live holder's seats freed.
//! (Two processes with one pid and start times equal modulo 2^30 ticks — 124 days
//! at 100 Hz — would be confused; at one pid that is not a practical risk.)
//!
//! Where `/proc` is missing (not Linux, or a process in another pid namespace)
//! every holder counts as alive: recovery then never frees a seat. Safe, but the
//! seats of dead holders stay taken until `cancel`ed or the file is recreated.

use std::collections::HashMap;
use std::format;
use std::prelude::rust_2021::*;
use std::sync::OnceLock;

use super::protocol::HELD;
#[cfg(test)]
use super::protocol::TAG;
/// Bits of the start time kept.
const START_MASK: u64 = (1 << 30) - 1;

/// Whether this system has `/proc/<pid>/stat` (then holders can be checked).
pub(crate) fn can_check_liveness() -> bool {
    static PROC: OnceLock<bool> = OnceLock::new();
    *PROC.get_or_init(|| start_time(std::process::id()).is_some())
}

/// Reads the stat of process `pid`'s main thread, `/proc/<pid>/task/<pid>/stat`
/// (on Linux the same fields as `/proc/<pid>/stat`): `Some(start)` for a
/// running (non-zombie) process, `None` if there is none (or `/proc` is
/// missing). Not `/proc/<pid>/stat`: qemu-user answers that path for its own
/// process itself, with the start time of the *calling thread*, so a process
/// under qemu would take its own seats for a dead process's.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain anything:
    // fields 3.. start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next()?; // field 3
    if state == "Z" || state == "X" {
        return None; // a zombie has exited: its seats are free to recover
    }
    // Field 22 is the 20th after field 3.
    fields.nth(18)?.parse().ok()
}

/// The word naming process `pid` started at `start`.
fn word(pid: u32, start: u64) -> u64 {
    HELD | (start & START_MASK) << 32 | u64::from(pid)
}

/// This process's word. Computed per pid, so a forked child gets its own.
pub(crate) fn me() -> u64 {
    static ME: OnceLock<(u32, u64)> = OnceLock::new();
    let pid = std::process::id();
    let (cached_pid, owner) = *ME.get_or_init(|| (pid, word(pid, start_time(pid).unwrap_or(0))));
    if cached_pid == pid {
        owner
    } else {
        word(pid, start_time(pid).unwrap_or(0))
    }
}

/// Whether the process named by `owner` (a `HELD` word) is still running.
fn is_alive(owner: u64) -> bool {
    if !can_check_liveness() {
        return true;
    }
    let pid = (owner & 0xFFFF_FFFF) as u32;
    match start_time(pid) {
        Some(start) => start & START_MASK == (owner >> 32) & START_MASK,
        None => false,
    }
}

/// Liveness answers for one recovery pass, one `/proc` read per process.
#[derive(Default)]
pub(crate) struct Liveness(HashMap<u64, bool>);

impl Liveness {
    /// Whether `owner` (a `HELD` word) is alive.
    pub(crate) fn alive(&mut self, owner: u64) -> bool {
        *self.0.entry(owner).or_insert_with(|| is_alive(owner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn me_is_alive_and_a_dead_pid_is_not() {
        if !can_check_liveness() {
            return;
        }
        let mut l = Liveness::default();
        assert!(l.alive(me()));
        assert_eq!(me() & TAG, HELD);
        // Same pid, another start time: a recycled pid, not us.
        assert!(!is_alive(me() ^ (1 << 32)));
        // A pid above Linux's pid_max (2^22) never runs.
        assert!(!is_alive(word(u32::MAX, 0)));
    }
}
