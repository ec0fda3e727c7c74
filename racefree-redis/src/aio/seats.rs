//! [`AsyncRedisSeatPool`], [`AsyncHold`] and [`AsyncHolds`].

use super::Shared;
use crate::error::Result;
use crate::seats::{tickets, Held, HoldPool, SeatSpec, Want};
use crate::{Config, HeldSeats, RequestId, Ticket};
use redis::IntoConnectionInfo;
use std::fmt;
use std::sync::Arc;

/// [`RedisSeatPool`](crate::RedisSeatPool), async: the same seat pool on a
/// Redis server (same scripts, keys, leases, fencing and request ids), for
/// tokio tasks. Cheap to [`Clone`]: clones share one multiplexed connection.
/// See the [module docs](crate::aio) for what differs from the blocking pool.
///
/// ```no_run
/// use racefree_redis::aio::AsyncRedisSeatPool;
///
/// # async fn demo() -> racefree_redis::Result<()> {
/// let pool = AsyncRedisSeatPool::open_or_create("redis://127.0.0.1/", "show-42", 100).await?;
/// if let Some(hold) = pool.try_reserve().await? {
///     // ... take payment ...
///     let ticket = hold.confirm().await?;
///     println!("booked seat {}", ticket.id());
///     pool.cancel(ticket).await?; // refund
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AsyncRedisSeatPool(Arc<Shared<SeatSpec>>);

impl fmt::Debug for AsyncRedisSeatPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0
            .spec
            .debug(f, "AsyncRedisSeatPool", &self.0.conn.config)
    }
}

impl AsyncRedisSeatPool {
    constructor! {
        [async]
        /// Creates a pool of `capacity` free seats named `name` on the server at
        /// `conn_info`, as [`RedisSeatPool::create`](crate::RedisSeatPool::create).
        ///
        /// # Errors
        /// As [`RedisSeatPool::create`](crate::RedisSeatPool::create).
        ///
        /// ```no_run
        /// # async fn demo() -> racefree_redis::Result<()> {
        /// let pool = racefree_redis::aio::AsyncRedisSeatPool::create("redis://127.0.0.1/", "gate-7", 180).await?;
        /// assert_eq!(pool.capacity(), 180);
        /// # Ok(()) }
        /// ```
        create(conn_info, name, capacity: usize) =>
            Self::create_inner(conn_info, name, capacity, true).await;
        /// Opens the pool `name`, or creates it with `capacity` seats if there is
        /// none.
        ///
        /// # Errors
        /// As [`RedisSeatPool::open_or_create`](crate::RedisSeatPool::open_or_create).
        ///
        /// ```no_run
        /// # async fn demo() -> racefree_redis::Result<()> {
        /// let pool = racefree_redis::aio::AsyncRedisSeatPool::open_or_create("redis://127.0.0.1/", "gate-7", 180).await?;
        /// # Ok(()) }
        /// ```
        open_or_create(conn_info, name, capacity: usize) =>
            Self::create_inner(conn_info, name, capacity, false).await;
    }

    /// Opens an existing pool; its capacity is read from the server.
    ///
    /// # Errors
    /// As [`RedisSeatPool::open`](crate::RedisSeatPool::open).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// println!("{} of {} free", pool.available().await?, pool.capacity());
    /// # Ok(()) }
    /// ```
    pub async fn open<T: IntoConnectionInfo>(conn_info: T, name: &str) -> Result<Self> {
        let mut shared = Shared::open(conn_info, SeatSpec::open(name)?)?;
        shared.spec.capacity = shared.run(SeatSpec::info).await?.0;
        Ok(Self(Arc::new(shared)))
    }

    /// This handle under another [`Config`] (lease, timeouts, retries), on a
    /// connection of its own; other clones keep theirs.
    ///
    /// ```no_run
    /// use racefree_redis::{aio::AsyncRedisSeatPool, Config};
    /// use std::time::Duration;
    ///
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// let pool = AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7")
    ///     .await?
    ///     .with_config(Config::default().lease(Duration::from_secs(300)));
    /// # Ok(()) }
    /// ```
    pub fn with_config(self, config: Config) -> Self {
        Self(self.0.with_config(config))
    }

    /// This handle's [`Config`].
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// println!("holds last {:?}", pool.config().lease);
    /// # Ok(()) }
    /// ```
    pub fn config(&self) -> &Config {
        &self.0.conn.config
    }

    /// The pool's name.
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// assert_eq!(pool.name(), "gate-7");
    /// # Ok(()) }
    /// ```
    pub fn name(&self) -> &str {
        &self.0.spec.name
    }

    /// Number of seats (fixed at creation).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// assert!(pool.capacity() > 0);
    /// # Ok(()) }
    /// ```
    pub fn capacity(&self) -> usize {
        self.0.spec.capacity
    }

    /// Seats neither held nor booked right now, as
    /// [`RedisSeatPool::available`](crate::RedisSeatPool::available).
    ///
    /// # Errors
    /// As [`RedisSeatPool::available`](crate::RedisSeatPool::available).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// assert!(pool.available().await? <= pool.capacity());
    /// # Ok(()) }
    /// ```
    pub async fn available(&self) -> Result<usize> {
        Ok(self.0.run(SeatSpec::info).await?.1)
    }

    /// Holds any free seat, or `Ok(None)` when every seat is held or booked.
    ///
    /// # Errors
    /// As [`RedisSeatPool::try_reserve`](crate::RedisSeatPool::try_reserve).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// match pool.try_reserve().await? {
    ///     Some(hold) => println!("holding seat {}", hold.id()),
    ///     None => println!("sold out"),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn try_reserve(&self) -> Result<Option<AsyncHold>> {
        self.try_reserve_with(&RequestId::new()).await
    }

    /// [`try_reserve`](Self::try_reserve) under your request id: repeating it
    /// with the same id returns the same hold (same seat, same token).
    ///
    /// # Errors
    /// As [`RedisSeatPool::try_reserve_with`](crate::RedisSeatPool::try_reserve_with).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// let rid = racefree_redis::RequestId::from_string("cart-881")?;
    /// let first = pool.try_reserve_with(&rid).await?.map(|h| h.id());
    /// # Ok(()) }
    /// ```
    pub async fn try_reserve_with(&self, rid: &RequestId) -> Result<Option<AsyncHold>> {
        self.reserve(Want::Any, rid).await
    }

    /// [`try_reserve_seat`](Self::try_reserve_seat) under your request id.
    ///
    /// # Errors
    /// As [`RedisSeatPool::try_reserve_seat_with`](crate::RedisSeatPool::try_reserve_seat_with).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// let hold = pool.try_reserve_seat_with(3, &racefree_redis::RequestId::new()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn try_reserve_seat_with(
        &self,
        id: usize,
        rid: &RequestId,
    ) -> Result<Option<AsyncHold>> {
        self.reserve(Want::Seat(id), rid).await
    }

    /// Holds seat `id`, or `Ok(None)` when it is held or booked.
    ///
    /// # Errors
    /// As [`RedisSeatPool::try_reserve_seat`](crate::RedisSeatPool::try_reserve_seat).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// if let Some(hold) = pool.try_reserve_seat(12).await? {
    ///     assert_eq!(hold.confirm().await?.id(), 12);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn try_reserve_seat(&self, id: usize) -> Result<Option<AsyncHold>> {
        self.try_reserve_seat_with(id, &RequestId::new()).await
    }

    /// Holds `k` seats all or nothing (ids ascending), or `Ok(None)` with
    /// nothing held when fewer than `k` are free.
    ///
    /// # Errors
    /// As [`RedisSeatPool::try_reserve_many`](crate::RedisSeatPool::try_reserve_many).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// if let Some(family) = pool.try_reserve_many(4).await? {
    ///     assert_eq!(family.len(), 4);
    ///     let tickets = family.confirm().await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn try_reserve_many(&self, k: usize) -> Result<Option<AsyncHolds>> {
        self.try_reserve_many_with(k, &RequestId::new()).await
    }

    /// [`try_reserve_many`](Self::try_reserve_many) under your request id.
    ///
    /// # Errors
    /// As [`RedisSeatPool::try_reserve_many_with`](crate::RedisSeatPool::try_reserve_many_with).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// let group = pool.try_reserve_many_with(2, &racefree_redis::RequestId::new()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn try_reserve_many_with(
        &self,
        k: usize,
        rid: &RequestId,
    ) -> Result<Option<AsyncHolds>> {
        Ok(self.reserve(Want::Many(k), rid).await?.map(AsyncHolds))
    }

    /// Releases a confirmed seat, fenced by the ticket's token, as
    /// [`RedisSeatPool::cancel`](crate::RedisSeatPool::cancel).
    ///
    /// # Errors
    /// As [`RedisSeatPool::cancel`](crate::RedisSeatPool::cancel).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// let ticket = pool.try_reserve().await?.expect("a free seat").confirm().await?;
    /// pool.cancel(ticket).await?;
    /// # Ok(()) }
    /// ```
    pub async fn cancel(&self, ticket: Ticket) -> Result<()> {
        self.cancel_many_with(vec![ticket], &RequestId::new()).await
    }

    /// [`cancel`](Self::cancel) under your request id: a retry returns the
    /// first answer (`Ok`) instead of [`Error::NotBooked`](crate::Error::NotBooked).
    ///
    /// # Errors
    /// As [`cancel`](Self::cancel).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// # let ticket = pool.try_reserve().await?.unwrap().confirm().await?;
    /// pool.cancel_with(ticket, &racefree_redis::RequestId::new()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn cancel_with(&self, ticket: Ticket, rid: &RequestId) -> Result<()> {
        self.cancel_many_with(vec![ticket], rid).await
    }

    /// Cancels several tickets in one atomic step, all or none, as
    /// [`RedisSeatPool::cancel_many`](crate::RedisSeatPool::cancel_many).
    ///
    /// # Errors
    /// As [`RedisSeatPool::cancel_many`](crate::RedisSeatPool::cancel_many).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// let tickets = pool.try_reserve_many(3).await?.expect("3 free").confirm().await?;
    /// pool.cancel_many(tickets).await?;
    /// # Ok(()) }
    /// ```
    pub async fn cancel_many(&self, tickets: Vec<Ticket>) -> Result<()> {
        self.cancel_many_with(tickets, &RequestId::new()).await
    }

    /// [`cancel_many`](Self::cancel_many) under your request id.
    ///
    /// # Errors
    /// As [`cancel_many`](Self::cancel_many); [`Error::RequestIdReused`](crate::Error::RequestIdReused).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// # let tickets = pool.try_reserve_many(3).await?.expect("3 free").confirm().await?;
    /// let rid = racefree_redis::RequestId::from_string("refund-77")?;
    /// pool.cancel_many_with(tickets, &rid).await?;
    /// # Ok(()) }
    /// ```
    pub async fn cancel_many_with(&self, tickets: Vec<Ticket>, rid: &RequestId) -> Result<()> {
        match self.0.spec.cancel_many(self.config(), &tickets, rid)? {
            Some(call) => self.0.conn.run(call).await,
            None => Ok(()),
        }
    }

    // ------------------------------------------------------------ internals

    async fn create_inner<T: IntoConnectionInfo>(
        conn_info: T,
        name: &str,
        capacity: usize,
        exclusive: bool,
    ) -> Result<Self> {
        let shared = Shared::open(conn_info, SeatSpec::new(name, capacity)?)?;
        shared.run(|s, _| s.create(exclusive)).await?;
        Ok(Self(Arc::new(shared)))
    }

    /// Holds what `want` asks for; a hold owns a clone of the pool.
    async fn reserve(&self, want: Want, rid: &RequestId) -> Result<Option<AsyncHold>> {
        let call = self.0.spec.reserve(self.config(), want, rid)?;
        let seats = self.0.conn.run(call).await?;
        Ok(seats.map(|seats| AsyncHold(Held::new(self.clone(), seats))))
    }
}

/// One held seat, as [`Hold`](crate::Hold) but owning a clone of its pool (so
/// it is `'static` and can move between tasks). Dropping it inside a tokio
/// runtime releases the seat in a spawned task; [`release`](Self::release)
/// does it now.
///
/// ```no_run
/// # async fn demo() -> racefree_redis::Result<()> {
/// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
/// let hold = pool.try_reserve_seat(5).await?.expect("seat 5 free");
/// assert_eq!(hold.id(), 5);
/// hold.release().await?; // seat 5 is free again
/// # Ok(()) }
/// ```
#[must_use = "dropping an AsyncHold releases its seat"]
#[derive(Debug)]
pub struct AsyncHold(Held<AsyncRedisSeatPool>);

impl AsyncHold {
    /// The seat's id.
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// let hold = pool.try_reserve().await?.expect("free seat");
    /// assert!(hold.id() < pool.capacity());
    /// # Ok(()) }
    /// ```
    pub fn id(&self) -> usize {
        self.0.seats.ids()[0]
    }

    /// The hold token (the id of the request that made it) that fences
    /// [`confirm`](Self::confirm) and [`renew`](Self::renew).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// let rid = racefree_redis::RequestId::new();
    /// let hold = pool.try_reserve_with(&rid).await?.expect("free seat");
    /// assert_eq!(hold.token(), rid.as_str());
    /// # Ok(()) }
    /// ```
    pub fn token(&self) -> &str {
        self.0.seats.token()
    }

    /// Books the seat: the hold becomes a [`Ticket`] with no lease.
    ///
    /// # Errors
    /// As [`Hold::confirm`](crate::Hold::confirm):
    /// [`Error::HoldExpired`](crate::Error::HoldExpired) when the lease ended
    /// first (nothing booked); on any error the hold is dropped.
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// let ticket = pool.try_reserve().await?.expect("free seat").confirm().await?;
    /// # Ok(()) }
    /// ```
    pub async fn confirm(self) -> Result<Ticket> {
        self.confirm_with(&RequestId::new()).await
    }

    /// [`confirm`](Self::confirm) under your request id.
    ///
    /// # Errors
    /// As [`confirm`](Self::confirm); [`Error::RequestIdReused`](crate::Error::RequestIdReused).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// let hold = pool.try_reserve().await?.expect("free seat");
    /// let ticket = hold.confirm_with(&racefree_redis::RequestId::new()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn confirm_with(self, rid: &RequestId) -> Result<Ticket> {
        let mut tickets = self.confirm_seats(rid).await?;
        Ok(tickets.remove(0))
    }

    /// Starts a fresh lease of [`Config::lease`] from now (server clock).
    ///
    /// # Errors
    /// [`Error::HoldExpired`](crate::Error::HoldExpired) when the lease already
    /// ended; transport errors.
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// let hold = pool.try_reserve().await?.expect("free seat");
    /// hold.renew().await?;
    /// # Ok(()) }
    /// ```
    pub async fn renew(&self) -> Result<()> {
        let Held { pool, seats, .. } = &self.0;
        pool.0
            .run(|s, c| s.renew(c, seats.token(), seats.ids()))
            .await
    }

    /// Releases the seat now and reports whether the server could be told.
    ///
    /// # Errors
    /// Transport errors (the lease frees the seat anyway).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// pool.try_reserve().await?.expect("free seat").release().await?;
    /// # Ok(()) }
    /// ```
    pub async fn release(mut self) -> Result<()> {
        self.0.live = false;
        let Held { pool, seats, .. } = &self.0;
        pool.0
            .run(|s, c| s.release(c, seats.token(), seats.ids()))
            .await
    }

    /// Confirms every seat held; the hold is spent either way (on an error its
    /// drop releases what is still held).
    async fn confirm_seats(mut self, rid: &RequestId) -> Result<Vec<Ticket>> {
        let Held { pool, seats, .. } = &self.0;
        pool.0
            .run(|s, c| s.confirm(c, seats.token(), seats.ids(), rid))
            .await?;
        self.0.live = false;
        Ok(tickets(&self.0.seats))
    }
}

/// A hold dropped while live: no `.await` in `drop`, so the release runs in a
/// task of its own on the current runtime (outside one, the lease frees the
/// seats).
impl HoldPool for AsyncRedisSeatPool {
    fn pool_name(&self) -> &str {
        self.name()
    }

    fn release_dropped(&self, seats: &HeldSeats) {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let pool = self.0.clone();
            let (ids, token) = (seats.ids().to_vec(), seats.token().to_string());
            runtime.spawn(async move {
                let _ = pool.run(|s, c| s.release(c, &token, &ids)).await;
            });
        }
    }
}

/// A group of seats held all together by
/// [`try_reserve_many`](AsyncRedisSeatPool::try_reserve_many), as
/// [`Holds`](crate::Holds): confirmed together or released together (on drop,
/// in a spawned task, as [`AsyncHold`]). Derefs to [`HeldSeats`] (`ids()`,
/// `len()`, `token()`).
///
/// ```no_run
/// # async fn demo() -> racefree_redis::Result<()> {
/// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
/// let group = pool.try_reserve_many(3).await?.expect("3 free seats");
/// assert_eq!(group.ids().len(), 3);
/// let tickets = group.confirm().await?;
/// # Ok(()) }
/// ```
#[must_use = "dropping AsyncHolds releases its seats"]
#[derive(Debug)]
pub struct AsyncHolds(AsyncHold);

/// The group's seats and token.
///
/// ```no_run
/// # async fn demo() -> racefree_redis::Result<()> {
/// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
/// let group = pool.try_reserve_many(2).await?.expect("2 free seats");
/// let seats: &racefree_redis::HeldSeats = &group;
/// assert_eq!(seats.len(), 2);
/// # Ok(()) }
/// ```
impl std::ops::Deref for AsyncHolds {
    type Target = HeldSeats;

    fn deref(&self) -> &HeldSeats {
        &(self.0).0.seats
    }
}

impl AsyncHolds {
    /// Books every seat of the group, all or none.
    ///
    /// # Errors
    /// As [`Holds::confirm`](crate::Holds::confirm).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// let tickets = pool.try_reserve_many(2).await?.expect("2 free").confirm().await?;
    /// assert_eq!(tickets.len(), 2);
    /// # Ok(()) }
    /// ```
    pub async fn confirm(self) -> Result<Vec<Ticket>> {
        self.0.confirm_seats(&RequestId::new()).await
    }

    /// [`confirm`](Self::confirm) under your request id.
    ///
    /// # Errors
    /// As [`confirm`](Self::confirm); [`Error::RequestIdReused`](crate::Error::RequestIdReused).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// let g = pool.try_reserve_many(2).await?.expect("2 free");
    /// let tickets = g.confirm_with(&racefree_redis::RequestId::new()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn confirm_with(self, rid: &RequestId) -> Result<Vec<Ticket>> {
        self.0.confirm_seats(rid).await
    }

    /// Starts a fresh lease for every seat of the group.
    ///
    /// # Errors
    /// As [`AsyncHold::renew`].
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// let g = pool.try_reserve_many(2).await?.expect("2 free");
    /// g.renew().await?;
    /// # Ok(()) }
    /// ```
    pub async fn renew(&self) -> Result<()> {
        self.0.renew().await
    }

    /// Releases every seat of the group now.
    ///
    /// # Errors
    /// Transport errors (the lease frees the seats anyway).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let pool = racefree_redis::aio::AsyncRedisSeatPool::open("redis://127.0.0.1/", "gate-7").await?;
    /// pool.try_reserve_many(2).await?.expect("2 free").release().await?;
    /// # Ok(()) }
    /// ```
    pub async fn release(self) -> Result<()> {
        self.0.release().await
    }
}
