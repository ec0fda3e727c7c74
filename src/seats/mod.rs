//! A bounded seat pool: no double booking, all-or-nothing group booking.
//!
//! The last seat of a concert, a slot in a fixed table, a DMA buffer, a
//! connection permit: `capacity` numbered seats, each held by at most one holder.
//! The *check-then-act* bug ("is seat 7 free? then book it") cannot happen here:
//! booking a seat is one `fetch_or` on its bit, and the old bit says whether we
//! got it.
//!
//! There is one pool type, [`SeatPoolIn<S>`], generic over the [`SeatStorage`]
//! `S` that holds its header and bitmap; each storage adds only constructors, and
//! an alias names the pair:
//!
//! | form | is | needs | construct |
//! | --- | --- | --- | --- |
//! | [`SeatPool`] | `SeatPoolIn<HeapStorage>` | `alloc` | `SeatPool::new(capacity)` at run time |
//! | [`ArraySeatPool<WORDS>`] | `SeatPoolIn<InlineStorage<WORDS>>` | core | `const fn new(capacity)`, in a `static`; size with [`words_for`] |
//! | `shm::SharedSeatPool` | `SeatPoolIn<ShmStorage>` | `shm` | `create(path, capacity)` / `open(path)` / `open_or_create`: a shared-memory file, for several processes |
//!
//! Every form has the same operations and hands out the same guards: a [`Seat`]
//! (released on drop, or [`confirm`](Seat::confirm)ed into a [`Ticket`] that only
//! `cancel` releases) and, with `alloc`, a [`SeatGroup`].
//!
//! # How it works
//! - **Bitmap**: one bit per seat in `usize` words, 1 = taken, all zero = all free
//!   (so `const fn new` and zeroed memory are an empty pool). Claim one bit with
//!   `fetch_or(bit)` and test the old bit; release with `fetch_and(!bit)`.
//! - **Admission**: an atomic count of seats not yet promised to anyone sits in
//!   front of the bitmap. Every claim first takes its units from it with a CAS loop
//!   that never goes below zero (`k` at once for a group: that single CAS is the
//!   all-or-nothing decision), then sets bits. A release clears its bits first and
//!   gives the units back after. So set bits ≤ capacity − admission at every
//!   instant, a claimer holding units always has that many clear bits to find, and
//!   no claim ever rolls bits back. A group claim keeps exactly the bits each
//!   `fetch_or(mask)` turned from 0 to 1 and rescans for the rest.
//! - **Hints**: scans start at a per-thread word (with `std`) or a shared relaxed
//!   word (without), so a nearly full pool of thousands of seats is not scanned
//!   from word 0 every time and threads spread over different words.
//! - **Full-word summary** (`SeatPool` of more than 32 words, i.e. 2,048 seats on
//!   64-bit targets): one bit per bitmap word, set while the word is full, so a
//!   scan jumps over full words and the last free seat of a million is found after
//!   a few hundred summary words, not 15,625 bitmap words. It is a hint: a claim
//!   that fills a word marks it and looks again, a release that frees a seat in a
//!   full word unmarks it before giving its units back, and a scan that followed
//!   the summary once round without success does one lap over every word, so a
//!   stale mark costs a detour, never a seat or progress (`raw.rs`, `Core::claim`).
//!
//! # What `available()` shows while claims are in flight
//! `available()` is the admission count: seats not promised to any claimer. A
//! call in flight holds admission units for a few instructions while it works on
//! the bitmap, so for that instant `available()` reads lower than the number of
//! clear bits, and a concurrent `try_reserve()` / `try_reserve_many(k)` may see
//! "full" (`None`) although a bit is still clear:
//! - a claim of one seat or of a group of `k` counts as taken from the moment its
//!   admission succeeds, while it is still setting bits word by word (a failed
//!   group claim never changes the count);
//! - a release clears its bits first and gives the units back after, so in
//!   between the seat is free in the bitmap but not yet in the count;
//! - a `try_reserve_seat(id)` that passes its first check, takes one unit and then
//!   loses seat `id` to another thread holds that unit until it gives it back.
//!
//! So `None` means "every seat was taken or held by a call in flight" — at most
//! the seats those calls are about to keep or have just given up. These windows
//! are the price of booking without a lock (closing them would make a claimer
//! wait for a preempted thread); they never affect safety: a seat is never held
//! twice, a group is never partly booked, and a lost claim keeps nothing. The
//! linearizability tests check exactly this contract (`tests/linearizability/`).
//!
//! # Waiting (`wait` feature)
//! With `wait` (on by default; it implies `std`) every pool, whatever its
//! storage, can also wait for capacity: `reserve_blocking`, `reserve_timeout`,
//! async `reserve`, and the all-or-nothing `reserve_many_blocking` / async
//! `reserve_many` (on any executor: only the task's `Waker` is used).
//! - **Fast path**: while nobody waits and a seat is free, a waiting call does
//!   what `try_reserve` does (one load, one CAS of the admission count), lock-free.
//! - **Release**: the admission word's top bit says "someone waits"; a release
//!   reads it from the `fetch_add` that gives its units back, so with nobody
//!   waiting it makes no other memory access (a sign test more than before).
//!   With waiters it locks the pool's wait queue and wakes its head. The
//!   measured costs are in `benches/wait.rs` and the README.
//! - **Fair (FIFO), groups included**: waiting calls are served in arrival order
//!   and only the queue's head claims, so once a `reserve_many(k)` waits, later
//!   `reserve`/`reserve_blocking` calls queue behind it even if a seat is free
//!   for them (as tokio's semaphore does). The `try_*` calls never queue and
//!   take any free seat even while others wait: a steady stream of them can
//!   delay a waiting group indefinitely.
//! - **No lost wakeup**: the head's check of the count and a release's return
//!   of units are operations on one word, ordered by its modification order;
//!   loom models check the window (`tests/loom/wait.rs`).
//! - **Cancel-safe**: a dropped pending future (or a `reserve_timeout` that gave
//!   up) keeps no seat, leaves the queue, and wakes the next head if seats are
//!   unpromised, so it never swallows a wakeup another waiter needed.
//! - `k == 0` or `k > capacity` is `Err(SeatError::GroupSize)` at once.
//! - Wakeups are per process: the queue lives in the pool value, not in the
//!   storage, so a storage shared between processes is woken only by releases
//!   of the waiter's own process.
//!
//! ```
//! use std::thread;
//! use racefree::SeatPool;
//!
//! let pool = SeatPool::new(2);
//! let pair = pool.try_reserve_many(2).unwrap();
//! thread::scope(|s| {
//!     let group = s.spawn(|| pool.reserve_many_blocking(2).unwrap().len());
//!     while pool.waiting() == 0 {
//!         thread::yield_now();
//!     }
//!     drop(pair); // wakes the waiting group
//!     assert_eq!(group.join().unwrap(), 2);
//! });
//! ```
//!
//! # Leaks
//! `core::mem::forget` of a [`Seat`] or [`SeatGroup`], or dropping a [`Ticket`]
//! without `cancel`, keeps those seats taken for the pool's lifetime. Safe, only
//! wasteful.
//!
//! # Layout
//! - [`SeatPool`] (heap) keeps each bitmap word on a 128-byte line of its own, so
//!   claimers in different words never share a cache line (a nearly full pool,
//!   whose free seats cluster in a few neighbouring words, keeps ahead of a mutex
//!   that way: BENCHMARKS.md). The cost is 128 bytes per `usize::BITS` seats: 2
//!   bytes a seat on 64-bit targets (a 4,096-seat bitmap is 8 KiB), 4 bytes a seat
//!   on 32-bit ones (16 KiB). The full-word summary adds one packed bit per word
//!   (about 0.1%).
//! - [`ArraySeatPool`] stays packed (`usize` after `usize`, 1 bit a seat): a
//!   4,096-seat bitmap is 512 bytes on any target, which matters more in firmware
//!   than multi-core contention. It keeps no summary (a `const` generic cannot
//!   size one): a nearly full inline pool of many thousand seats scans its words.
//!
//! Every claim and release also touches the one admission counter; that shared
//! line is the price of all-or-nothing groups. Both storages keep it in the
//! word right before bitmap word 0, so a pool of up to `usize::BITS` seats
//! touches one cache line per claim and per release, not two (an
//! [`ArraySeatPool`] always: it is aligned to 16 bytes and starts with the
//! count; a [`SeatPool`] whenever the allocator aligns to two words, as
//! `malloc` does): with two threads contending, that line changes cores half
//! as often (`cargo bench --bench wait -- peers_ratio`).
//!
//! # Adding a storage
//! A storage owns (or maps) a pool's admission count, its header — capacity,
//! scan hint, identity — and its bitmap words, and implements the
//! crate-private `seats::pool::sealed::Storage`: a `NAME` for `Debug`, and
//! `core()`, which hands the core one view of them
//! (`seats::raw::Core::new(&admission, &header, words, stride)`). Every
//! operation, guard and ticket check is [`SeatPoolIn`]'s and comes with it;
//! the storage adds only its constructors
//! (`impl SeatPoolIn<MyStorage> { .. }`) and an alias.
//! Obligations: the count starts as `free_admission(capacity)` and the header
//! as `Header::new(capacity)` (or both are found in a state they reached), the
//! words are exactly `words_for(capacity) * stride` and start all zero (all
//! free), and nothing moves while the pool is borrowed.
//!
//! A shared-memory storage keeps the count, the `#[repr(C)]` header and the
//! words in the mapped file and builds the view from references into the
//! mapping; it lives outside this module (which forbids `unsafe`, and a
//! mapping needs it): that is `shm::ShmStorage` (feature `shm`). It also
//! hands the core *hooks* (`seats::raw::Hooks`, through `Core::with_hooks`)
//! that run around every claim and release to record who holds each seat; the
//! heap and inline storages have none.
//!
//! Constructors are reached through the storage's alias (`SeatPool::new`,
//! `ArraySeatPool::new`, and so on): with a `new` on two storages, a bare
//! `SeatPoolIn::new` is ambiguous (E0034). That is also why the heap form is the
//! alias `SeatPool` and not a default type parameter (`SeatPool<S = HeapStorage>`):
//! type defaults are not used to pick an impl, so `SeatPool::new(3)` would be
//! ambiguous the same way.
//!
//! ```
//! use racefree::SeatPool;
//!
//! let pool = SeatPool::new(3);
//! let a = pool.try_reserve().unwrap();
//! let pair = pool.try_reserve_many(2).unwrap();
//! assert!(pool.try_reserve().is_none()); // full: never oversold
//! drop(pair);
//! assert_eq!(pool.available(), 2);
//! # drop(a);
//! ```

#![forbid(unsafe_code)]

mod admission;
mod bits;
mod error;
mod guard;
mod hint;
mod identity;
mod inline;
// `pub(crate)` for a storage outside this module (see "Adding a storage").
pub(crate) mod pool;
pub(crate) mod raw;

#[cfg(feature = "alloc")]
mod group;
#[cfg(feature = "alloc")]
mod heap;
#[cfg(feature = "wait")]
mod parker;
#[cfg(feature = "wait")]
mod wait;

pub use self::bits::words_for;
pub use self::error::SeatError;
#[cfg(feature = "alloc")]
#[allow(deprecated)] // `Seats` stays exported, deprecated, for one release
pub use self::group::{SeatGroup, SeatIds, Seats};
pub use self::guard::{Seat, Ticket};
#[cfg(feature = "alloc")]
pub use self::heap::{HeapStorage, SeatPool};
pub use self::inline::{ArraySeatPool, InlineStorage};
pub use self::pool::{InProcessStorage, SeatPoolIn, SeatStorage};
/// Test-only (`cfg(loom)`): the clock of a timed wait under loom.
#[cfg(all(feature = "wait", loom))]
#[doc(hidden)]
pub use self::wait::LoomTimer;

/// Whether the pool's atomics (`usize` CAS) are lock-free on this target.
const IS_LOCK_FREE: bool = crate::sync::WORD_IS_LOCK_FREE;

static_assertions::assert_impl_all!(ArraySeatPool<1>: Send, Sync);
static_assertions::assert_impl_all!(Seat<'static>: Send, Sync);
static_assertions::assert_impl_all!(Ticket: Send, Sync);
static_assertions::assert_not_impl_any!(Ticket: Clone, Copy);
#[cfg(feature = "alloc")]
static_assertions::assert_impl_all!(SeatPool: Send, Sync);
#[cfg(feature = "alloc")]
static_assertions::assert_impl_all!(SeatGroup<'static>: Send, Sync);

// The pool's unit tests run on heap pools (`alloc`).
#[cfg(all(test, not(loom), feature = "alloc"))]
mod tests;
