//! [`AsyncRedisCounter`] and [`AsyncRedisBoundedCounter`].

use super::Shared;
use crate::counter::CounterSpec;
use crate::error::Result;
use crate::{Config, RequestId, MAX_VALUE};
use redis::IntoConnectionInfo;
use std::fmt;
use std::result::Result as StdResult;
use std::sync::Arc;

/// What both async counters hold: the counter and its transport, shared by
/// clones.
#[derive(Clone)]
struct Core(Arc<Shared<CounterSpec>>);

impl Core {
    async fn open<T: IntoConnectionInfo>(info: T, name: &str, kind: &'static str) -> Result<Self> {
        let mut shared = Shared::open(info, CounterSpec::open(name, kind)?)?;
        shared.spec.max = shared.run(CounterSpec::read).await?.1;
        Ok(Self(Arc::new(shared)))
    }

    async fn create<T: IntoConnectionInfo>(
        info: T,
        name: &str,
        (kind, initial, max): (&'static str, u64, u64),
        exclusive: bool,
    ) -> Result<Self> {
        let shared = Shared::open(info, CounterSpec::new(name, kind, initial, max)?)?;
        shared.run(|s, _| s.create(initial, exclusive)).await?;
        Ok(Self(Arc::new(shared)))
    }

    fn with_config(&self, config: Config) -> Self {
        Self(self.0.with_config(config))
    }

    fn name(&self) -> &str {
        &self.0.spec.name
    }

    async fn get(&self) -> Result<u64> {
        self.0.run(CounterSpec::get).await
    }

    async fn conditional(&self, op: &str, n: u64, rid: &RequestId) -> Result<StdResult<u64, u64>> {
        self.0.run(|s, c| s.conditional(c, op, n, rid)).await
    }
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.spec.debug(f, &self.0.conn.config)
    }
}

/// [`RedisCounter`](crate::RedisCounter), async: an ID generator whose
/// [`increment`](Self::increment) and [`add`](Self::add) return the previous
/// value, never the same twice, each one script that also stores its answer
/// under the call's [`RequestId`]. Cheap to [`Clone`]; see the
/// [module docs](crate::aio).
///
/// ```no_run
/// use racefree_redis::aio::AsyncRedisCounter;
///
/// # async fn demo() -> racefree_redis::Result<()> {
/// let ids = AsyncRedisCounter::open_or_create("redis://127.0.0.1/", "invoice-no", 1000).await?;
/// let mine = ids.increment().await?; // 1000, 1001, ... never twice
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AsyncRedisCounter(Core);

impl AsyncRedisCounter {
    counter_methods! {
        [async . await] "counter", (), MAX_VALUE;
        // create
        /// Creates the counter `name` at `initial`.
        ///
        /// # Errors
        /// As [`RedisCounter::create`](crate::RedisCounter::create).
        ///
        /// ```no_run
        /// # async fn demo() -> racefree_redis::Result<()> {
        /// let c = racefree_redis::aio::AsyncRedisCounter::create("redis://127.0.0.1/", "tickets-issued", 0).await?;
        /// # Ok(()) }
        /// ```
        ;
        // open_or_create
        /// Opens the counter `name`, creating it if there is none.
        ///
        /// # Errors
        /// As [`RedisCounter::open_or_create`](crate::RedisCounter::open_or_create).
        ///
        /// ```no_run
        /// # async fn demo() -> racefree_redis::Result<()> {
        /// let c = racefree_redis::aio::AsyncRedisCounter::open_or_create("redis://127.0.0.1/", "tickets-issued", 0).await?;
        /// # Ok(()) }
        /// ```
        ;
        // open
        /// Opens an existing counter (its maximum is read from the server).
        ///
        /// # Errors
        /// As [`RedisCounter::open`](crate::RedisCounter::open).
        ///
        /// ```no_run
        /// # async fn demo() -> racefree_redis::Result<()> {
        /// let c = racefree_redis::aio::AsyncRedisCounter::open("redis://127.0.0.1/", "ids").await?;
        /// # Ok(()) }
        /// ```
        ;
        // with_config
        /// This handle under another [`Config`] (timeouts, retries, reply TTL),
        /// on a connection of its own; other clones keep theirs.
        ///
        /// ```no_run
        /// # async fn demo() -> racefree_redis::Result<()> {
        /// # let c = racefree_redis::aio::AsyncRedisCounter::open("redis://127.0.0.1/", "ids").await?;
        /// let c = c.with_config(racefree_redis::Config::default().retries(5));
        /// # Ok(()) }
        /// ```
        ;
        // name
        /// The counter's name.
        ///
        /// ```no_run
        /// # async fn demo() -> racefree_redis::Result<()> {
        /// # let c = racefree_redis::aio::AsyncRedisCounter::open("redis://127.0.0.1/", "ids").await?;
        /// assert_eq!(c.name(), "ids");
        /// # Ok(()) }
        /// ```
        ;
        // get
        /// The current value.
        ///
        /// # Errors
        /// Transport errors; [`Error::NotCreated`](crate::Error::NotCreated) if
        /// the counter was deleted.
        ///
        /// ```no_run
        /// # async fn demo() -> racefree_redis::Result<()> {
        /// # let c = racefree_redis::aio::AsyncRedisCounter::open("redis://127.0.0.1/", "ids").await?;
        /// println!("value: {}", c.get().await?);
        /// # Ok(()) }
        /// ```
        ;
    }

    /// Adds 1 and returns the previous value.
    ///
    /// # Errors
    /// As [`RedisCounter::increment`](crate::RedisCounter::increment).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let c = racefree_redis::aio::AsyncRedisCounter::open("redis://127.0.0.1/", "ids").await?;
    /// let a = c.increment().await?;
    /// assert!(c.increment().await? > a);
    /// # Ok(()) }
    /// ```
    pub async fn increment(&self) -> Result<u64> {
        self.add_with(1, &RequestId::new()).await
    }

    /// Adds `n` and returns the previous value.
    ///
    /// # Errors
    /// As [`increment`](Self::increment).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let c = racefree_redis::aio::AsyncRedisCounter::open("redis://127.0.0.1/", "ids").await?;
    /// let first_of_block = c.add(100).await?;
    /// # Ok(()) }
    /// ```
    pub async fn add(&self, n: u64) -> Result<u64> {
        self.add_with(n, &RequestId::new()).await
    }

    /// [`increment`](Self::increment) under your request id.
    ///
    /// # Errors
    /// As [`increment`](Self::increment); [`Error::RequestIdReused`](crate::Error::RequestIdReused).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let c = racefree_redis::aio::AsyncRedisCounter::open("redis://127.0.0.1/", "ids").await?;
    /// let rid = racefree_redis::RequestId::new();
    /// assert_eq!(c.increment_with(&rid).await?, c.increment_with(&rid).await?); // acted once
    /// # Ok(()) }
    /// ```
    pub async fn increment_with(&self, rid: &RequestId) -> Result<u64> {
        self.add_with(1, rid).await
    }

    /// [`add`](Self::add) under your request id.
    ///
    /// # Errors
    /// As [`increment_with`](Self::increment_with).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let c = racefree_redis::aio::AsyncRedisCounter::open("redis://127.0.0.1/", "ids").await?;
    /// let prev = c.add_with(10, &racefree_redis::RequestId::new()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn add_with(&self, n: u64, rid: &RequestId) -> Result<u64> {
        (self.0).0.run(|s, c| s.add(c, n, rid)).await
    }
}

/// [`RedisBoundedCounter`](crate::RedisBoundedCounter), async: a value kept in
/// `0..=max`; [`try_add`](Self::try_add) and [`try_sub`](Self::try_sub) answer
/// `Ok(Ok(previous))` when they changed it and `Ok(Err(current))` when it would
/// leave the range. Cheap to [`Clone`]; see the [module docs](crate::aio).
///
/// ```no_run
/// use racefree_redis::aio::AsyncRedisBoundedCounter;
///
/// # async fn demo() -> racefree_redis::Result<()> {
/// let coupons = AsyncRedisBoundedCounter::open_or_create("redis://127.0.0.1/", "first-100", 0, 100).await?;
/// match coupons.try_add(1).await? {
///     Ok(n) => println!("coupon #{}", n + 1),
///     Err(_) => println!("all 100 issued"),
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AsyncRedisBoundedCounter(Core);

impl AsyncRedisBoundedCounter {
    counter_methods! {
        [async . await] "bounded", (max), max;
        // create
        /// Creates the counter `name` at `initial` with range `0..=max`.
        ///
        /// # Errors
        /// As [`RedisBoundedCounter::create`](crate::RedisBoundedCounter::create).
        ///
        /// ```no_run
        /// # async fn demo() -> racefree_redis::Result<()> {
        /// let c = racefree_redis::aio::AsyncRedisBoundedCounter::create("redis://127.0.0.1/", "acct-7", 500, 10_000).await?;
        /// # Ok(()) }
        /// ```
        ;
        // open_or_create
        /// Opens the counter `name`, creating it if there is none.
        ///
        /// # Errors
        /// As [`RedisBoundedCounter::open_or_create`](crate::RedisBoundedCounter::open_or_create).
        ///
        /// ```no_run
        /// # async fn demo() -> racefree_redis::Result<()> {
        /// let c = racefree_redis::aio::AsyncRedisBoundedCounter::open_or_create("redis://127.0.0.1/", "acct-7", 500, 10_000).await?;
        /// # Ok(()) }
        /// ```
        ;
        // open
        /// Opens an existing counter (its maximum is read from the server).
        ///
        /// # Errors
        /// As [`RedisBoundedCounter::open`](crate::RedisBoundedCounter::open).
        ///
        /// ```no_run
        /// # async fn demo() -> racefree_redis::Result<()> {
        /// let c = racefree_redis::aio::AsyncRedisBoundedCounter::open("redis://127.0.0.1/", "first-100").await?;
        /// # Ok(()) }
        /// ```
        ;
        // with_config
        /// This handle under another [`Config`] (timeouts, retries, reply TTL),
        /// on a connection of its own; other clones keep theirs.
        ///
        /// ```no_run
        /// # async fn demo() -> racefree_redis::Result<()> {
        /// # let c = racefree_redis::aio::AsyncRedisBoundedCounter::open("redis://127.0.0.1/", "first-100").await?;
        /// let c = c.with_config(racefree_redis::Config::default().retries(5));
        /// # Ok(()) }
        /// ```
        ;
        // name
        /// The counter's name.
        ///
        /// ```no_run
        /// # async fn demo() -> racefree_redis::Result<()> {
        /// # let c = racefree_redis::aio::AsyncRedisBoundedCounter::open("redis://127.0.0.1/", "first-100").await?;
        /// assert_eq!(c.name(), "first-100");
        /// # Ok(()) }
        /// ```
        ;
        // get
        /// The current value.
        ///
        /// # Errors
        /// Transport errors; [`Error::NotCreated`](crate::Error::NotCreated) if
        /// the counter was deleted.
        ///
        /// ```no_run
        /// # async fn demo() -> racefree_redis::Result<()> {
        /// # let c = racefree_redis::aio::AsyncRedisBoundedCounter::open("redis://127.0.0.1/", "first-100").await?;
        /// println!("value: {}", c.get().await?);
        /// # Ok(()) }
        /// ```
        ;
    }

    /// The inclusive upper bound.
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let c = racefree_redis::aio::AsyncRedisBoundedCounter::open("redis://127.0.0.1/", "first-100").await?;
    /// assert!(c.get().await? <= c.max());
    /// # Ok(()) }
    /// ```
    pub fn max(&self) -> u64 {
        (self.0).0.spec.max
    }

    /// Adds `n` if the result stays at most `max`: `Ok(Ok(previous))`, else
    /// `Ok(Err(current))` and nothing changed.
    ///
    /// # Errors
    /// Transport errors (retried with one request id: it adds at most once).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let c = racefree_redis::aio::AsyncRedisBoundedCounter::open("redis://127.0.0.1/", "first-100").await?;
    /// if let Ok(prev) = c.try_add(1).await? { println!("coupon {}", prev + 1) }
    /// # Ok(()) }
    /// ```
    pub async fn try_add(&self, n: u64) -> Result<StdResult<u64, u64>> {
        self.0.conditional("tryadd", n, &RequestId::new()).await
    }

    /// Subtracts `n` if the result stays at least 0: `Ok(Ok(previous))`, else
    /// `Ok(Err(current))` and nothing changed.
    ///
    /// # Errors
    /// As [`try_add`](Self::try_add).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let acct = racefree_redis::aio::AsyncRedisBoundedCounter::open("redis://127.0.0.1/", "acct-7").await?;
    /// match acct.try_sub(80).await? {
    ///     Ok(before) => println!("paid; balance was {before}"),
    ///     Err(balance) => println!("declined: balance {balance}"),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn try_sub(&self, n: u64) -> Result<StdResult<u64, u64>> {
        self.0.conditional("trysub", n, &RequestId::new()).await
    }

    /// [`try_add`](Self::try_add) under your request id.
    ///
    /// # Errors
    /// As [`try_add`](Self::try_add); [`Error::RequestIdReused`](crate::Error::RequestIdReused).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let c = racefree_redis::aio::AsyncRedisBoundedCounter::open("redis://127.0.0.1/", "first-100").await?;
    /// let rid = racefree_redis::RequestId::new();
    /// assert_eq!(c.try_add_with(1, &rid).await?, c.try_add_with(1, &rid).await?);
    /// # Ok(()) }
    /// ```
    pub async fn try_add_with(&self, n: u64, rid: &RequestId) -> Result<StdResult<u64, u64>> {
        self.0.conditional("tryadd", n, rid).await
    }

    /// [`try_sub`](Self::try_sub) under your request id.
    ///
    /// # Errors
    /// As [`try_add_with`](Self::try_add_with).
    ///
    /// ```no_run
    /// # async fn demo() -> racefree_redis::Result<()> {
    /// # let acct = racefree_redis::aio::AsyncRedisBoundedCounter::open("redis://127.0.0.1/", "acct-7").await?;
    /// let rid = racefree_redis::RequestId::from_string("payment-51")?;
    /// let paid = acct.try_sub_with(80, &rid).await?;
    /// # Ok(()) }
    /// ```
    pub async fn try_sub_with(&self, n: u64, rid: &RequestId) -> Result<StdResult<u64, u64>> {
        self.0.conditional("trysub", n, rid).await
    }
}
