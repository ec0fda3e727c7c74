//! racefree's seat pool and counters on a Redis server, for services that run on
//! more than one machine: the same contracts as the in-process
//! [`racefree`](https://docs.rs/racefree) types, with every operation **one
//! server-side atomic step** (a Lua script), so the check and the act can never
//! be split by another client.
//!
//! | type | what |
//! | --- | --- |
//! | [`RedisSeatPool`] | any seat / a given seat / a group all-or-nothing; holds with a lease on the server clock; fenced confirm into a [`Ticket`]; cancel |
//! | [`RedisBoundedCounter`] | a value kept in `0..=max`: `try_add` / `try_sub` → `Ok(previous)` / `Err(current)` |
//! | [`RedisCounter`] | an ID generator: `increment` / `add` return the previous value, never the same twice |
//!
//! What makes them safe across machines:
//!
//! - **One step each.** Every call is one Lua script invoked with `EVALSHA` (and
//!   reloaded transparently on `NOSCRIPT`, e.g. after a restart or `SCRIPT
//!   FLUSH`). No client-side lock, no lock key, no `WATCH`.
//! - **Leases.** An unconfirmed hold ends on the *server's* clock
//!   ([`Config::lease`]), so a crashed client's seats come back by themselves; a
//!   confirmed [`Ticket`] has no lease.
//! - **Fencing.** Confirm and cancel check a token: a late confirm after the lease
//!   ended fails with [`Error::HoldExpired`] instead of booking a seat that was
//!   sold again.
//! - **Retries without double acts.** Every mutating call carries a
//!   [`RequestId`]; the script stores its reply under it (with a TTL) in the same
//!   step, so a retry returns the first answer. Calls with no reply are retried
//!   automatically ([`Config::retries`]); the `*_with` methods take your own id.
//! - **Cluster-ready keys.** All keys of one object are `racefree:{name}:...`:
//!   one hash tag, one Redis Cluster slot.
//!
//! Errors are an [`Error`] enum (server unreachable, timeout, wrong key type,
//! not created, capacity mismatch, bad input, expired hold, ...); nothing here
//! panics on a server's answer.
//!
//! The API is synchronous (the `redis` crate's blocking connection). With the
//! cargo feature **`tokio`**, the module `aio` adds async twins of the three handles
//! (`AsyncRedisSeatPool`, `AsyncRedisCounter`, `AsyncRedisBoundedCounter`) on
//! redis's multiplexed async connection: the same scripts, replies, errors and
//! request ids, one implementation of each call shared by both APIs.
//!
//! ```no_run
//! use racefree_redis::{RedisBoundedCounter, RedisSeatPool};
//!
//! let url = "redis://127.0.0.1:6379/";
//! let pool = RedisSeatPool::open_or_create(url, "concert", 500)?;
//! if let Some(pair) = pool.try_reserve_many(2)? {
//!     let tickets = pair.confirm()?;
//!     println!("booked {:?}", tickets.iter().map(|t| t.id()).collect::<Vec<_>>());
//! }
//! let coupons = RedisBoundedCounter::open_or_create(url, "first-100", 0, 100)?;
//! let _ = coupons.try_add(1)?;
//! # Ok::<(), racefree_redis::Error>(())
//! ```

#![forbid(unsafe_code)]

#[macro_use]
mod macros;

#[cfg(feature = "tokio")]
pub mod aio;
mod conn;
mod counter;
mod error;
mod seats;

pub use conn::Config;
pub use counter::{RedisBoundedCounter, RedisCounter, MAX_VALUE};
pub use error::{Error, Result};
pub use seats::{Hold, Holds, RedisSeatPool, MAX_CAPACITY};

/// On Redis: repeating a call with the same id within [`Config::reply_ttl`]
/// returns the first call's answer, because the script stores the answer under
/// the id in the same atomic step that acts. A refused string converts into
/// [`Error::BadRequestId`] with `?`.
///
/// ```
/// use racefree_redis::{Error, RequestId};
///
/// let a = RequestId::new();
/// assert_ne!(a, RequestId::new());
/// let order = RequestId::from_string("order-1234").unwrap();
/// assert_eq!(order.as_str(), "order-1234");
/// let bad: Error = RequestId::from_string("no spaces").unwrap_err().into();
/// assert!(matches!(bad, Error::BadRequestId { .. }));
/// ```
#[doc(inline)]
pub use racefree_tier::RequestId;

/// On Redis: a confirmed seat; only [`RedisSeatPool::cancel`] releases it.
///
/// ```no_run
/// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
/// let ticket = pool.try_reserve()?.expect("free").confirm()?;
/// // Persist (id, token) with the order; rebuild it later to cancel:
/// let (id, token) = (ticket.id(), ticket.token().to_string());
/// drop(ticket); // dropping a ticket keeps the booking
/// pool.cancel(racefree_redis::Ticket::from_parts(id, token))?;
/// # Ok::<(), racefree_redis::Error>(())
/// ```
#[doc(inline)]
pub use racefree_tier::Ticket;

/// On Redis: the seats and token of a [`Holds`] group, which derefs to it
/// (`group.ids()`, `group.len()`, `group.token()`).
///
/// ```no_run
/// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
/// let group = pool.try_reserve_many(2)?.expect("2 free seats");
/// let seats: &racefree_redis::HeldSeats = &group;
/// assert_eq!(seats.len(), 2);
/// # Ok::<(), racefree_redis::Error>(())
/// ```
#[doc(inline)]
pub use racefree_tier::HeldSeats;

/// The `redis` client crate this one is built on (for [`redis::ConnectionInfo`]
/// and friends).
pub use redis;
