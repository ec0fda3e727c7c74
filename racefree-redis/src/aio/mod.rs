//! The async API (cargo feature **`tokio`**): the same pool and counters for
//! code that runs on a [tokio](https://docs.rs/tokio) runtime, through the
//! `redis` crate's `tokio-comp` async client.
//!
//! | async | blocking twin |
//! | --- | --- |
//! | [`AsyncRedisSeatPool`] → [`AsyncHold`], [`AsyncHolds`] | [`RedisSeatPool`](crate::RedisSeatPool) → [`Hold`](crate::Hold), [`Holds`](crate::Holds) |
//! | [`AsyncRedisBoundedCounter`] | [`RedisBoundedCounter`](crate::RedisBoundedCounter) |
//! | [`AsyncRedisCounter`] | [`RedisCounter`](crate::RedisCounter) |
//!
//! Each method is its blocking twin's, `async`: the same Lua script (EVALSHA,
//! reloaded on `NOSCRIPT`), the same arguments, replies, [`Error`]s, request
//! ids, leases and fencing — both APIs share one implementation of every call
//! and differ only in how it is sent. What differs:
//!
//! - **One multiplexed connection per handle.** A handle keeps one
//!   [`redis::aio::MultiplexedConnection`]: many tasks calling at once pipeline
//!   their scripts on it (each script is still one atomic step on the server).
//!   After a call gets no reply, its retries ([`Config::retries`]) and the
//!   calls after it use a fresh connection. [`Config::timeout`] bounds the
//!   connect and each reply.
//! - **Handles are cheap to clone** (an [`Arc`]) and `Send + Sync + 'static`,
//!   so one handle serves every task; clones share the connection.
//! - **Holds own a clone of their pool**, not a borrow, so they can move into
//!   spawned tasks. Dropping a live [`AsyncHold`] or [`AsyncHolds`] releases it
//!   in a task spawned on the current tokio runtime (best effort; dropped
//!   outside a runtime, the lease frees the seats). [`AsyncHold::release`]
//!   releases it now and reports the outcome.
//!
//! Every call must run inside a tokio runtime: a handle's connection is made
//! on its first call and its I/O task spawned on that call's runtime, so keep a
//! handle (and its clones) within one runtime. A multi-thread runtime runs the
//! calls of many tasks at once.
//!
//! ```no_run
//! use racefree_redis::aio::{AsyncRedisBoundedCounter, AsyncRedisSeatPool};
//!
//! #[tokio::main]
//! async fn main() -> racefree_redis::Result<()> {
//!     let url = "redis://127.0.0.1/";
//!     let pool = AsyncRedisSeatPool::open_or_create(url, "concert", 500).await?;
//!     let task = tokio::spawn({
//!         let pool = pool.clone();
//!         async move {
//!             match pool.try_reserve().await? {
//!                 Some(hold) => hold.confirm().await.map(Some),
//!                 None => Ok(None),
//!             }
//!         }
//!     });
//!     if let Some(ticket) = task.await.expect("task")? {
//!         println!("booked seat {}", ticket.id());
//!     }
//!     let coupons = AsyncRedisBoundedCounter::open_or_create(url, "first-100", 0, 100).await?;
//!     let _ = coupons.try_add(1).await?;
//!     Ok(())
//! }
//! ```

mod counter;
mod seats;

pub use counter::{AsyncRedisBoundedCounter, AsyncRedisCounter};
pub use seats::{AsyncHold, AsyncHolds, AsyncRedisSeatPool};

use crate::conn::{again, client, lock, Call};
use crate::error::{Error, Result};
use crate::Config;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, IntoConnectionInfo};
use std::sync::{Arc, Mutex};

/// The async transport: a client and the one multiplexed connection every call
/// of a handle (and of its clones) shares, made on first use and replaced after
/// a call that got no reply.
struct AsyncConn {
    client: Client,
    current: Mutex<Option<MultiplexedConnection>>,
    config: Config,
}

impl AsyncConn {
    fn open<T: IntoConnectionInfo>(info: T) -> Result<Self> {
        Ok(Self::new(client(info)?, Config::default()))
    }

    fn new(client: Client, config: Config) -> Self {
        Self {
            client,
            current: Mutex::new(None),
            config,
        }
    }

    async fn take(&self) -> Result<MultiplexedConnection> {
        let current = lock(&self.current).clone();
        if let Some(c) = current {
            return Ok(c);
        }
        let t = Some(self.config.timeout_clamped());
        let settings = AsyncConnectionConfig::new()
            .set_connection_timeout(t)
            .set_response_timeout(t);
        let c = self
            .client
            .get_multiplexed_async_connection_with_config(&settings)
            .await
            .map_err(Error::from_redis)?;
        *lock(&self.current) = Some(c.clone());
        Ok(c)
    }

    /// Sends `call`; on no reply (timeout, dropped connection) drops the shared
    /// connection and sends the call again on a fresh one, up to
    /// `config.retries` times, exactly as the blocking transport does.
    async fn run<T>(&self, call: Call<'_, T>) -> Result<T> {
        let inv = call.invocation();
        let mut attempt = 0;
        loop {
            let outcome = match self.take().await {
                Ok(mut c) => inv
                    .invoke_async::<String>(&mut c)
                    .await
                    .map_err(Error::from_redis),
                Err(e) => Err(e),
            };
            if matches!(&outcome, Err(e) if e.is_transient()) {
                *lock(&self.current) = None;
            }
            if !again(&self.config, &outcome, &mut attempt) {
                return call.finish(outcome?);
            }
        }
    }
}

/// What every async handle holds behind its [`Arc`]: what it is (a
/// `SeatSpec` or `CounterSpec`) and its transport.
struct Shared<S> {
    spec: S,
    conn: AsyncConn,
}

impl<S: Clone> Shared<S> {
    fn open<T: IntoConnectionInfo>(info: T, spec: S) -> Result<Self> {
        let conn = AsyncConn::open(info)?;
        Ok(Self { spec, conn })
    }

    /// The same object under another [`Config`], on its own connection.
    fn with_config(&self, config: Config) -> Arc<Self> {
        let conn = AsyncConn::new(self.conn.client.clone(), config);
        let spec = self.spec.clone();
        Arc::new(Self { spec, conn })
    }

    /// Prepares a call on the spec under this handle's config, and sends it.
    async fn run<'a, T>(
        &'a self,
        prepare: impl FnOnce(&'a S, &Config) -> Call<'a, T>,
    ) -> Result<T> {
        self.conn.run(prepare(&self.spec, &self.conn.config)).await
    }
}
