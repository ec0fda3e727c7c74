//! Across processes: a seat pool and counters in a shared memory-mapped file
//! (feature `shm`, needs `std`; Linux first).
//!
//! | type | is | constructors |
//! | --- | --- | --- |
//! | [`SharedSeatPool`] | [`SeatPoolIn`]`<`[`ShmStorage`]`>`: the one pool core, a third storage | `create(path, capacity)`, `open(path)`, `open_or_create(path, capacity)` |
//! | [`SharedCounter`] | [`Counter`](crate::Counter)'s code on a word in the file | `create(path, initial)`, `open`, `open_or_create` |
//! | [`SharedBoundedCounter`] | [`BoundedCounter`](crate::BoundedCounter)'s code on a word in the file | `create(path, max)`, `open`, `open_or_create` |
//!
//! Use it when several **processes on one machine** must share seats or counts
//! (pre-fork workers, a CLI and a daemon, a supervisor and its children) without
//! a server: every operation stays one atomic step on the mapped memory, at the
//! speed of the in-process types. Across machines, or for durability across a
//! machine crash, use a database.
//!
//! # Files
//! Put the file in `/dev/shm` (memory only) or any directory; every process
//! that maps it must be a trusted racefree user (a process that writes garbage
//! into the file can make operations misbehave or panic — bounds are checked,
//! so never read out of the mapping — and truncating a mapped file makes the
//! other processes fault with `SIGBUS`, as with any `mmap`). `create` writes the
//! whole file under a temporary name and `link`s it into place (failing if the
//! name exists), so `open` never sees a half-written file and of processes
//! racing in `open_or_create` one creates and all end up on its file. `open`
//! validates magic, version, word size and byte order, kind, every size against
//! the capacity, and a checksum, and says which failed ([`ShmError`]).
//!
//! The layout (native-endian, every region on a 128-byte boundary, the mapping
//! page-aligned, so every atomic is aligned):
//!
//! ```text
//! 0       magic "racefree" | version u32 | kind u32 (1 pool, 2 counter, 3 bounded)
//!         | endian u32 | word bytes u32 | seat-header bytes u64 | file bytes u64
//!         | capacity or max u64 | process slots u64 | pool identity u64
//!         | FNV-1a checksum of the 64 bytes before it u64
//! 128     recovery lock u64 | next ticket generation u64 | recovery pending u64
//! 256     a counter's value u64                                  (counters end at 4096)
//! 4096    pool: 128 process slots of 128 bytes: owner u64 | enters u64 | leaves u64
//! 20480   pool: the seat pool's #[repr(C)] header (admission, capacity, identity)
//! 20608   pool: bitmap, one usize word of seats every 128 bytes
//! ...     pool: one owner word u64 per seat; the file is rounded up to 4096
//! ```
//!
//! # Who holds a seat
//! Each seat has an **owner word**: 0 (free, or mid-claim / mid-release),
//! `HELD | start-time | pid` (an unconfirmed hold by a process), or
//! `CONFIRMED | generation` (a ticket: durable, released only by `cancel` /
//! [`cancel_seat`](SeatPoolIn::cancel_seat), from any process). The pid is
//! paired with the process's start time (`/proc/<pid>/stat` field 22), so a
//! recycled pid can neither keep a dead holder's seats nor lose a live one's.
//! Each handle also takes a **process slot** with two counters, `enters` and
//! `leaves`, bumped around every claim and release.
//!
//! A claim is the in-process one — admission, then one `fetch_or` per bit — and
//! then a store of the owner word: **claim, then own**. A release clears the
//! owner word, then the bit, then gives the admission unit back. No step waits
//! for another process: claims stay lock-free.
//!
//! # Crash recovery
//! `recover()` (run by `open`, and by a claim that finds the pool full while a
//! dead process's slot is recorded) frees what dead processes left, in two
//! passes. What a `kill -9` at each point leaves, and which pass frees it:
//!
//! | the process died | it left | freed by |
//! | --- | --- | --- |
//! | holding an unconfirmed seat | bit set, owner = dead process | pass 1 |
//! | after taking admission, before its `fetch_or` | one unit missing from `available` | pass 2 |
//! | after its `fetch_or`, before recording itself | bit set, owner 0 (an orphan) | pass 2 |
//! | part-way through a group claim | some recorded seats, orphans, missing units | both |
//! | in a release, after clearing the owner word | an orphan, or a missing unit | pass 2 |
//! | holding a confirmed ticket | `CONFIRMED` owner word | never: a durable booking |
//! | inside `recover` itself | as any release | the next pass |
//!
//! **Pass 1** frees every seat whose owner word names a dead process: one CAS
//! on the owner word (so racing recoverers free it once), then the bit, then the
//! unit. It is safe at any time: a dead process writes nothing, and no live
//! claimer can win a set bit.
//!
//! **Pass 2** needs to know that an owner-less set bit is not a live claimer
//! between its `fetch_or` and its owner store, and how many units are missing.
//! It takes a recovery lock (stealable from a dead holder; claimers never touch
//! it), then reads every slot's `leaves` and `enters`, the admission count, the
//! bitmap and the owner words, then every slot again (a seqlock read: a release
//! fence after each `enters` increment pairs with an acquire fence before the
//! second read). If no live process was inside a claim or release and none
//! started one, the pool was frozen while it read: each owner-less set bit is a
//! dead process's orphan, and `capacity - set bits - available` units were lost
//! by dead processes. It frees those, each inside its own enter/leave. If live
//! processes kept it from finding a quiet moment (64 tries), it reports
//! `deferred` and runs again on the next `open`, `recover`, or full claim.
//!
//! # What survives what
//! - A process exit or crash: everything but that process's unconfirmed holds.
//! - Every process exiting: the file keeps all confirmed bookings and counts.
//! - A machine crash or power loss: only what the kernel had written back. The
//!   mapping is page cache, not disk: [`flush`](SeatPoolIn::flush) (`msync`)
//!   writes it out, but a change after the last flush is lost, and a flush is
//!   not a transaction. Durability across machine crashes needs a database.
//! - A reboot with the file on disk: bookings survive; holds of processes of the
//!   previous boot are recovered only if no new process reuses pid and start
//!   time (clock ticks since boot) — unlikely but possible; put the file in
//!   `/dev/shm` (cleared at boot) or delete it at boot if that matters.
//!
//! # Platforms
//! Linux: everything. Other Unix systems and Windows (memmap2 supports them):
//! the file, the pool and the counters work the same, but there is no `/proc`
//! to tell a dead holder from a live one, so recovery never frees a seat (it
//! reports `deferred`); holds of crashed processes stay taken until the file is
//! recreated. Processes in different pid namespaces (containers) must not share
//! a pool, nor processes of different users where `/proc` is mounted with
//! `hidepid`: they cannot see each other in `/proc`, and would take each other
//! for dead. Under qemu-user emulation `/proc/self/stat` is emulated (its start
//! time differs from the one other processes read), so a process takes itself
//! for dead: run the process tests natively. A handle must not be used across `fork` (open the pool again in the
//! child). 32-bit targets with 64-bit atomics work too; the file is for the word
//! size that made it.
//!
//! ```
//! use racefree::shm::{SharedBoundedCounter, SharedSeatPool};
//!
//! let dir = std::env::temp_dir();
//! let id = std::process::id();
//! let (seats, sold) = (dir.join(format!("racefree-doc-mod-{id}")), dir.join(format!("racefree-doc-mod-sold-{id}")));
//! # let _ = (std::fs::remove_file(&seats), std::fs::remove_file(&sold));
//! // Each worker process runs this: the first one creates, the others open.
//! let pool = SharedSeatPool::open_or_create(&seats, 2)?;
//! let sold_count = SharedBoundedCounter::open_or_create(&sold, 2)?;
//! if let Some(seat) = pool.try_reserve() {
//!     sold_count.try_add(1).expect("never more than the seats");
//!     let ticket = pool.share(seat.confirm()).unwrap();
//!     println!("sold seat {} (booking {})", ticket.id(), ticket.generation());
//! }
//! # drop((pool, sold_count)); std::fs::remove_file(&seats).unwrap(); std::fs::remove_file(&sold).unwrap();
//! # Ok::<(), racefree::shm::ShmError>(())
//! ```

#[cfg(doc)]
use crate::SeatPoolIn;

// Under loom only the protocol is compiled, for its model.
#[cfg(not(loom))]
mod counter;
#[cfg(not(loom))]
mod error;
#[cfg(not(loom))]
mod file;
#[cfg(not(loom))]
mod pool;
#[cfg(not(loom))]
mod process;
mod protocol;

#[cfg(not(loom))]
pub use self::counter::{SharedBoundedCounter, SharedCounter};
#[cfg(not(loom))]
pub use self::error::ShmError;
#[cfg(not(loom))]
pub use self::pool::{Recovery, SharedSeatPool, SharedTicket, ShmStorage};

#[cfg(not(loom))]
static_assertions::assert_impl_all!(SharedSeatPool: Send, Sync);
#[cfg(not(loom))]
static_assertions::assert_impl_all!(SharedCounter: Send, Sync);
#[cfg(not(loom))]
static_assertions::assert_impl_all!(SharedBoundedCounter: Send, Sync);
#[cfg(not(loom))]
static_assertions::assert_impl_all!(ShmError: Send, Sync);
