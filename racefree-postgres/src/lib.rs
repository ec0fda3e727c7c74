//! racefree's seat pool and counters in PostgreSQL: the same contracts as the
//! in-process [`racefree`](https://docs.rs/racefree) types, with every operation
//! **one SQL statement**, correct under READ COMMITTED (PostgreSQL's default),
//! run on **your** connection or transaction.
//!
//! | type | what |
//! | --- | --- |
//! | [`PgSeatPool`] | any seat (`FOR UPDATE SKIP LOCKED`) / a given seat / a group all-or-nothing; holds with a lease on the server clock; fenced confirm into [`Ticket`]s; cancel |
//! | [`PgBoundedCounter`] | a value kept in `0..=max`: `try_add` / `try_sub` → `Ok(previous)` / `Err(current)` |
//! | [`PgCounter`] | an ID generator: `increment` / `add` return the previous value, never the same twice, no gaps (compare with a `SEQUENCE` there) |
//!
//! What makes them safe:
//!
//! - **One statement each.** The check is in the `WHERE` (or `CASE`) of an
//!   `UPDATE`, which under READ COMMITTED is re-evaluated on the newest row
//!   version after waiting for the row lock; "any seat" uses `FOR UPDATE SKIP
//!   LOCKED`; a group is claimed by one statement that writes all `k` rows or
//!   none. No SELECT-then-UPDATE, no advisory lock, no retry loop. Each type's
//!   docs say why each statement is correct. The acting statements are kept in
//!   PL/pgSQL functions that `create` makes with the table (each body is the
//!   one statement), so the server reuses their plans across calls; a call is
//!   one `SELECT ... FROM <table>_<op>(...)`.
//! - **Your transaction.** Every operation takes `&mut impl GenericClient`
//!   (a [`postgres::Client`] or a [`postgres::Transaction`]): book the seat and
//!   insert the order row in one transaction, and a rollback undoes both. A
//!   connection pool works the same way (`&mut *pooled` with `r2d2_postgres`
//!   or any pool that hands out a `postgres::Client`); this crate has no pool
//!   type of its own.
//! - **Leases** on the server's clock (`clock_timestamp()`) for unconfirmed
//!   holds; **fenced** confirm (hold token + lease checked in the statement).
//! - **Request ids stored with the act.** Each acting statement writes its
//!   reply to the `<table>_requests` table in the same statement, so a call
//!   repeated with the same [`RequestId`] after a dropped connection returns the
//!   first answer; [`Error::ConnectionLost`] carries the id to repeat with.
//!
//! Tables are made by `create` (or by your migrations: `migration_sql`) in the
//! schema and table you name ([`Table`]); `open` checks the kind, the schema
//! version ([`SCHEMA_VERSION`]), the columns and the capacity.
//!
//! The API is synchronous (the `postgres` crate). There is no `async` feature:
//! a `tokio-postgres` twin would double every signature for what is one
//! statement each; the SQL is the same, so an async caller can run it on
//! `spawn_blocking` or ask for the feature.
//!
//! ```no_run
//! use racefree_postgres::{PgBoundedCounter, PgSeatPool, Table};
//!
//! let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
//! let pool = PgSeatPool::open_or_create(&mut client, &Table::new("booking", "concert")?, 500)?;
//! if let Some(pair) = pool.try_reserve_many(&mut client, 2)? {
//!     let tickets = pool.confirm(&mut client, pair)?;
//!     println!("booked {:?}", tickets.iter().map(|t| t.id()).collect::<Vec<_>>());
//! }
//! let coupons = PgBoundedCounter::open_or_create(&mut client, &Table::public("first_100")?, 0, 100)?;
//! let _ = coupons.try_add(&mut client, 1)?;
//! # Ok::<(), racefree_postgres::Error>(())
//! ```

#![forbid(unsafe_code)]

mod common;
mod counter;
mod error;
mod seats;

pub use common::{connect, purge_requests, Table, SCHEMA_VERSION};
pub use counter::{PgBoundedCounter, PgCounter, MAX_VALUE};
pub use error::{Error, Result};
pub use seats::{PgSeatPool, DEFAULT_LEASE, MAX_CAPACITY};

/// In PostgreSQL: seats held for you until their lease ends (on the server's
/// clock), you [`release`](PgSeatPool::release) them, or you
/// [`confirm`](PgSeatPool::confirm) them into [`Ticket`]s. One seat from
/// `try_reserve` / `try_reserve_seat`, `k` from `try_reserve_many`.
///
/// A `Hold` is plain data (it borrows no connection), so dropping it does not
/// release anything: the lease does. Keep it across requests (e.g. in a cart)
/// with `ids()`, `token()` and `Hold::from_parts`.
///
/// ```no_run
/// # use racefree_postgres::{PgSeatPool, Table, Hold};
/// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
/// # let pool = PgSeatPool::open(&mut client, &Table::public("gate_7")?)?;
/// let hold = pool.try_reserve_seat(&mut client, 5)?.expect("seat 5 free");
/// let (ids, token) = (hold.ids().to_vec(), hold.token().to_string());
/// // ... next HTTP request ...
/// let tickets = pool.confirm(&mut client, Hold::from_parts(ids, token))?;
/// # Ok::<(), racefree_postgres::Error>(())
/// ```
///
/// ```
/// let h = racefree_postgres::Hold::from_parts(vec![4, 5], "cart-9");
/// assert_eq!((h.id(), h.ids(), h.len(), h.token()), (4, &[4, 5][..], 2, "cart-9"));
/// ```
#[doc(inline)]
pub use racefree_tier::HeldSeats as Hold;

/// In PostgreSQL: the id under which an acting call stores its reply, in the
/// same statement that acts, in the `<table>_requests` table; it also becomes
/// the token of the hold a reserve makes. A refused string converts into
/// [`Error::BadRequestId`] with `?`.
///
/// ```
/// use racefree_postgres::{Error, RequestId};
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

/// In PostgreSQL: a confirmed seat (its row booked under the token); only
/// [`PgSeatPool::cancel`] releases it.
///
/// ```no_run
/// # use racefree_postgres::{PgSeatPool, Table, Ticket};
/// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
/// # let pool = PgSeatPool::open(&mut client, &Table::public("gate_7")?)?;
/// let hold = pool.try_reserve(&mut client)?.expect("free");
/// let ticket = pool.confirm(&mut client, hold)?.remove(0);
/// let (id, token) = (ticket.id(), ticket.token().to_string());
/// drop(ticket); // dropping a ticket keeps the booking
/// pool.cancel(&mut client, Ticket::from_parts(id, token))?;
/// # Ok::<(), racefree_postgres::Error>(())
/// ```
#[doc(inline)]
pub use racefree_tier::Ticket;

/// The `postgres` client crate this one is built on.
pub use postgres;
