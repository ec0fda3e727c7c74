//! The process-wide memory barrier that lets a reader announce itself with a plain
//! store.
//!
//! A reader's announcement (a store to its slot) and its next load of a head form
//! a store-then-load pair, and so do the trimmer's unlink and its scan of the
//! slots. Each side needs a full fence between its two operations, or both can
//! miss the other's store (store buffering). A fence per read section would cost
//! the hot path an RMW. Linux's `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`
//! moves the reader's half to the trimmer: the system call returns only after every
//! running thread of the process has executed a full memory barrier, and a thread
//! that is not running has passed a context switch, which is one. So with it a
//! reader announces with a plain store and a compiler fence, and the trimmer pays
//! a system call per grace period (about 0.3 µs here). liburcu, folly's hazard
//! pointers and the `seize` crate rest on the same call.
//!
//! Elsewhere (other systems, miri, loom) readers announce with an RMW
//! ([`PLAIN_ANNOUNCEMENTS`] is `false`) and the protocol needs no barrier: two
//! RMWs of one location are always ordered. The choice is made at compile time, so
//! the hot path tests nothing. A Linux kernel without the call (before 4.14) or a
//! seccomp filter that refuses it makes [`heavy`] fail: then nothing is freed.

/// Whether readers announce with a plain store (and [`heavy`] is a membarrier).
pub(super) const PLAIN_ANNOUNCEMENTS: bool = imp::PLAIN_ANNOUNCEMENTS;

/// Makes every reader's announcement that precedes the call visible to the
/// caller's loads after it, and the caller's earlier stores to every reader's
/// loads after it (see the module docs). `false` if the system refuses: then no
/// grace period can be proven.
#[must_use]
pub(super) fn heavy() -> bool {
    imp::heavy()
}

#[cfg(all(target_os = "linux", not(miri), not(loom)))]
mod imp {
    use crate::sync::{AtomicUsize, Ordering};

    pub(super) const PLAIN_ANNOUNCEMENTS: bool = true;

    /// `<linux/membarrier.h>`: the commands this module issues.
    const MEMBARRIER_CMD_QUERY: libc::c_int = 0;
    const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_int = 1 << 3;
    const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_int = 1 << 4;

    const UNKNOWN: usize = 0;
    const REGISTERED: usize = 1;
    const REFUSED: usize = 2;

    /// Whether this process is registered for private expedited membarriers:
    /// `UNKNOWN` until the first [`heavy`], then `REGISTERED` or `REFUSED`.
    static REGISTRATION: AtomicUsize = AtomicUsize::new(UNKNOWN);

    /// `membarrier(cmd, 0)`: the raw system call (glibc has no wrapper).
    fn membarrier(cmd: libc::c_int) -> libc::c_long {
        // SAFETY: membarrier takes two integers and touches no memory of ours; an
        // unknown command or kernel returns -1 (ENOSYS, EINVAL, EPERM).
        unsafe { libc::syscall(libc::SYS_membarrier, cmd, 0 as libc::c_uint) }
    }

    /// Registers this process once (the kernel requires it before the command).
    fn registered() -> bool {
        // Relaxed: the state is decided by the system calls, which answer the same
        // in every thread; racing registrations are harmless and store one value.
        match REGISTRATION.load(Ordering::Relaxed) {
            REGISTERED => return true,
            REFUSED => return false,
            _ => {}
        }
        let supported = membarrier(MEMBARRIER_CMD_QUERY);
        let ok = supported >= 0
            && supported & libc::c_long::from(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0
            && membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
        let state = if ok { REGISTERED } else { REFUSED };
        // Relaxed: see above.
        REGISTRATION.store(state, Ordering::Relaxed);
        ok
    }

    pub(super) fn heavy() -> bool {
        registered() && membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0
    }
}

#[cfg(not(all(target_os = "linux", not(miri), not(loom))))]
mod imp {
    pub(super) const PLAIN_ANNOUNCEMENTS: bool = false;

    pub(super) fn heavy() -> bool {
        true
    }
}
