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

    async fn conditional(&self, op: &str, n: u64, rid: &RequestId) -> Result<StdResult<u64, u64>> {
        self.0.run(|s, c| s.conditional(c, op, n, rid)).await
    }
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.spec.debug(f, &self.0.conn.config)
    }
}

/// The methods both async counters share, written once: `create`,
/// `open_or_create`, `open`, `with_config`, `name` and `get`. `$twin` is the
/// blocking type whose errors they have, `$kind` the counter's kind word,
/// `($($max)?)` the bounded counter's extra parameter and `$bound` the maximum
/// the counter gets (`MAX_VALUE` for the unbounded one); the examples create
/// the counter with `$args` and open `$example`.
macro_rules! counter_basics {
    (
        @ctor $(#[$doc:meta])* $fn:ident, $exclusive:literal, $kind:literal,
        ($($max:ident)?), $bound:expr
    ) => {
        $(#[$doc])*
        pub async fn $fn<T: IntoConnectionInfo>(
            conn_info: T,
            name: &str,
            initial: u64,
            $($max: u64,)?
        ) -> Result<Self> {
            Core::create(conn_info, name, ($kind, initial, $bound), $exclusive).await.map(Self)
        }
    };
    (
        $ty:ident, $twin:literal, $kind:literal, ($($max:ident)?), $bound:expr,
        $args:literal, $example:literal
    ) => {
        impl $ty {
            counter_basics! { @ctor
                #[doc = concat!(
                    "Creates the counter `name` at `initial`",
                    $(" with range `0..=", stringify!($max), "`",)?
                    "."
                )]
                ///
                /// # Errors
                #[doc = concat!("As [`", $twin, "::create`](crate::", $twin, "::create).")]
                ///
                /// ```no_run
                /// # async fn demo() -> racefree_redis::Result<()> {
                #[doc = concat!(
                    "let c = racefree_redis::aio::", stringify!($ty),
                    "::create(\"redis://127.0.0.1/\", ", $args, ").await?;"
                )]
                /// # Ok(()) }
                /// ```
                create, true, $kind, ($($max)?), $bound
            }

            counter_basics! { @ctor
                /// Opens the counter `name`, creating it if there is none.
                ///
                /// # Errors
                #[doc = concat!(
                    "As [`", $twin, "::open_or_create`](crate::", $twin, "::open_or_create)."
                )]
                ///
                /// ```no_run
                /// # async fn demo() -> racefree_redis::Result<()> {
                #[doc = concat!(
                    "let c = racefree_redis::aio::", stringify!($ty),
                    "::open_or_create(\"redis://127.0.0.1/\", ", $args, ").await?;"
                )]
                /// # Ok(()) }
                /// ```
                open_or_create, false, $kind, ($($max)?), $bound
            }

            /// Opens an existing counter (its maximum is read from the server).
            ///
            /// # Errors
            #[doc = concat!("As [`", $twin, "::open`](crate::", $twin, "::open).")]
            ///
            /// ```no_run
            /// # async fn demo() -> racefree_redis::Result<()> {
            #[doc = concat!(
                "let c = racefree_redis::aio::", stringify!($ty),
                "::open(\"redis://127.0.0.1/\", \"", $example, "\").await?;"
            )]
            /// # Ok(()) }
            /// ```
            pub async fn open<T: IntoConnectionInfo>(conn_info: T, name: &str) -> Result<Self> {
                Core::open(conn_info, name, $kind).await.map(Self)
            }

            /// This handle under another [`Config`] (timeouts, retries, reply
            /// TTL), on a connection of its own; other clones keep theirs.
            ///
            /// ```no_run
            /// # async fn demo() -> racefree_redis::Result<()> {
            #[doc = concat!(
                "# let c = racefree_redis::aio::", stringify!($ty),
                "::open(\"redis://127.0.0.1/\", \"", $example, "\").await?;"
            )]
            /// let c = c.with_config(racefree_redis::Config::default().retries(5));
            /// # Ok(()) }
            /// ```
            pub fn with_config(self, config: Config) -> Self {
                Self(Core((self.0).0.with_config(config)))
            }

            /// The counter's name.
            ///
            /// ```no_run
            /// # async fn demo() -> racefree_redis::Result<()> {
            #[doc = concat!(
                "# let c = racefree_redis::aio::", stringify!($ty),
                "::open(\"redis://127.0.0.1/\", \"", $example, "\").await?;"
            )]
            #[doc = concat!("assert_eq!(c.name(), \"", $example, "\");")]
            /// # Ok(()) }
            /// ```
            pub fn name(&self) -> &str {
                &(self.0).0.spec.name
            }

            /// The current value.
            ///
            /// # Errors
            /// Transport errors; [`Error::NotCreated`](crate::Error::NotCreated)
            /// if the counter was deleted.
            ///
            /// ```no_run
            /// # async fn demo() -> racefree_redis::Result<()> {
            #[doc = concat!(
                "# let c = racefree_redis::aio::", stringify!($ty),
                "::open(\"redis://127.0.0.1/\", \"", $example, "\").await?;"
            )]
            /// println!("value: {}", c.get().await?);
            /// # Ok(()) }
            /// ```
            pub async fn get(&self) -> Result<u64> {
                (self.0).0.run(CounterSpec::get).await
            }
        }
    };
}

counter_basics!(
    AsyncRedisCounter,
    "RedisCounter",
    "counter",
    (),
    MAX_VALUE,
    "\"tickets-issued\", 0",
    "ids"
);
counter_basics!(
    AsyncRedisBoundedCounter,
    "RedisBoundedCounter",
    "bounded",
    (max),
    max,
    "\"acct-7\", 500, 10_000",
    "first-100"
);

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
