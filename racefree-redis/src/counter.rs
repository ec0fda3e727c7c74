//! [`RedisCounter`] and [`RedisBoundedCounter`].

use crate::conn::{check_name, key, Call, Config, Conn, Reply, LUA_COMMON};
use crate::error::{Error, Result};
use crate::RequestId;
use redis::{IntoConnectionInfo, Script};
use std::fmt;
use std::sync::OnceLock;

/// The largest value a Redis counter holds: 2^53 − 1. Redis runs its scripts in
/// Lua 5.1, whose numbers are doubles; every integer up to 2^53 − 1 is exact
/// there, and the scripts refuse to go past it rather than round.
pub const MAX_VALUE: u64 = (1 << 53) - 1;

/// `KEYS[1]` = meta hash (`kind`, `value`, `max`), `KEYS[2]` = the request id's
/// key where there is one. `ARGV[3]` = the expected kind.
const COUNTER_PRELUDE: &str = r#"
local bad = check_types({'hash', 'string'})
if bad then return bad end
local kind = redis.call('HGET', KEYS[1], 'kind')
if not kind then return 'E nopool' end
if kind ~= ARGV[3] then return 'E kind ' .. kind end
local v = tonumber(redis.call('HGET', KEYS[1], 'value'))
local max = tonumber(redis.call('HGET', KEYS[1], 'max'))
"#;

/// `ARGV[4]` = `get`, `add`, `tryadd` or `trysub`; `ARGV[5]` = n (decimal).
const COUNTER_OP: &str = r#"
if ARGV[4] == 'get' then
  return 'ok ' .. fmt(v) .. ' ' .. fmt(max)
end
local r = replay()
if r then return r end
local n = tonumber(ARGV[5])
if ARGV[4] == 'add' then
  if n > max - v then return remember('E overflow ' .. fmt(v)) end
elseif ARGV[4] == 'tryadd' then
  if n > max - v then return remember('no ' .. fmt(v)) end
else
  if n > v then return remember('no ' .. fmt(v)) end
  n = -n
end
redis.call('HINCRBY', KEYS[1], 'value', fmt(n))
return remember('ok ' .. fmt(v))
"#;

/// 1 key; `ARGV[1]` = kind, `ARGV[2]` = initial, `ARGV[3]` = max.
const COUNTER_CREATE: &str = r#"
local bad = check_types({'hash'})
if bad then return bad end
local kind = redis.call('HGET', KEYS[1], 'kind')
if kind then
  if kind ~= ARGV[1] then return 'E kind ' .. kind end
  return 'exists ' .. redis.call('HGET', KEYS[1], 'max')
end
redis.call('HSET', KEYS[1], 'kind', ARGV[1], 'value', ARGV[2], 'max', ARGV[3])
return 'created'
"#;

fn op_script() -> &'static Script {
    static S: OnceLock<Script> = OnceLock::new();
    S.get_or_init(|| Script::new(&format!("{LUA_COMMON}{COUNTER_PRELUDE}{COUNTER_OP}")))
}

fn create_script() -> &'static Script {
    static S: OnceLock<Script> = OnceLock::new();
    S.get_or_init(|| Script::new(&format!("{LUA_COMMON}{COUNTER_CREATE}")))
}

/// A counter's name, key, kind and maximum, and every call on it: validated,
/// encoded and decoded here, once, for the four counter handles (blocking and
/// async, unbounded and bounded).
#[derive(Clone)]
pub(crate) struct CounterSpec {
    pub(crate) name: String,
    meta: String,
    kind: &'static str,
    pub(crate) max: u64,
}

impl CounterSpec {
    /// The counter `name` of `kind` (`counter` or `bounded`); its maximum is
    /// read by [`read`](Self::read) or set by [`new`](Self::new).
    pub(crate) fn open(name: &str, kind: &'static str) -> Result<Self> {
        check_name(name)?;
        Ok(Self {
            name: name.to_string(),
            meta: key(name, "meta"),
            kind,
            max: 0,
        })
    }

    /// The counter `name`, to be created at `initial` in `0..=max`.
    pub(crate) fn new(name: &str, kind: &'static str, initial: u64, max: u64) -> Result<Self> {
        let spec = Self::open(name, kind)?;
        if initial > max || max > MAX_VALUE {
            return Err(Error::BadCounter { initial, max });
        }
        Ok(Self { max, ..spec })
    }

    /// Creates the counter at `initial`, or finds it with the same `max`; one
    /// that already existed is [`Error::AlreadyExists`] when `exclusive`.
    pub(crate) fn create(&self, initial: u64, exclusive: bool) -> Call<'_, ()> {
        let (name, max) = (self.name.as_str(), self.max);
        let decode = move |r: Reply| match r.word(0) {
            "created" => Ok(()),
            "exists" => match r.num(1)? {
                found if found != max => Err(Error::CapacityMismatch {
                    name: name.to_string(),
                    expected: max,
                    found,
                }),
                _ if exclusive => Err(Error::AlreadyExists {
                    name: name.to_string(),
                }),
                _ => Ok(()),
            },
            _ => Err(r.protocol()),
        };
        let args = vec![self.kind.to_string(), initial.to_string(), max.to_string()];
        let script = create_script();
        Call::new(
            script,
            vec![self.meta.clone()],
            args,
            self.label(),
            None,
            decode,
        )
    }

    /// `(value, max)`.
    pub(crate) fn read(&self, config: &Config) -> Call<'_, (u64, u64)> {
        self.op(config, "get", 0, None, |r| Ok((r.num(1)?, r.num(2)?)))
    }

    /// The value.
    pub(crate) fn get(&self, config: &Config) -> Call<'_, u64> {
        self.op(config, "get", 0, None, |r| r.num(1))
    }

    /// Adds `n` (`Ok(previous)`), or [`Error::Overflow`] past `max`.
    pub(crate) fn add<'a>(&'a self, config: &Config, n: u64, rid: &'a RequestId) -> Call<'a, u64> {
        if n > MAX_VALUE {
            // No script takes it; the error reports the value.
            return self.op(config, "get", 0, None, move |r| {
                Err(Error::Overflow {
                    value: r.num(1)?,
                    n,
                })
            });
        }
        self.op(config, "add", n, Some(rid), move |r| {
            match (r.word(0), r.word(1)) {
                ("ok", _) => r.num(1),
                ("E", "overflow") => Err(Error::Overflow {
                    value: r.num(2)?,
                    n,
                }),
                _ => Err(r.protocol()),
            }
        })
    }

    /// `op` (`tryadd` or `trysub`) of `n`: `Ok(Ok(previous))` when it changed
    /// the value, `Ok(Err(current))` when it would leave `0..=max`.
    pub(crate) fn conditional<'a>(
        &'a self,
        config: &Config,
        op: &str,
        n: u64,
        rid: &'a RequestId,
    ) -> Call<'a, std::result::Result<u64, u64>> {
        if n > MAX_VALUE {
            // Never in range; the answer is the current value.
            return self.op(config, "get", 0, None, |r| Ok(Err(r.num(1)?)));
        }
        self.op(config, op, n, Some(rid), |r| match r.word(0) {
            "ok" => Ok(Ok(r.num(1)?)),
            "no" => Ok(Err(r.num(1)?)),
            _ => Err(r.protocol()),
        })
    }

    fn op<'a, T>(
        &'a self,
        config: &Config,
        op: &str,
        n: u64,
        rid: Option<&'a RequestId>,
        decode: impl FnOnce(Reply) -> Result<T> + Send + 'a,
    ) -> Call<'a, T> {
        let mut keys = vec![self.meta.clone()];
        let sig = match rid {
            Some(id) => {
                keys.push(key(&self.name, &format!("req:{}", id.as_str())));
                format!("{op} {n}")
            }
            None => String::new(),
        };
        let args = vec![
            sig,
            config.reply_ttl_ms().to_string(),
            self.kind.to_string(),
            op.to_string(),
            n.to_string(),
        ];
        Call::new(op_script(), keys, args, self.label(), rid, decode)
    }

    fn label(&self) -> (&str, &'static str) {
        let kind = if self.kind == "counter" {
            "counter"
        } else {
            "bounded counter"
        };
        (&self.name, kind)
    }

    /// `Debug` of a handle on this counter.
    pub(crate) fn debug(&self, f: &mut fmt::Formatter<'_>, c: &Config) -> fmt::Result {
        f.debug_struct(self.label().1)
            .field("name", &self.name)
            .field("max", &self.max)
            .field("config", c)
            .finish()
    }
}

/// What the two blocking counter types share: the counter and a connection.
struct Core {
    spec: CounterSpec,
    conn: Conn,
}

impl Core {
    fn open<T: IntoConnectionInfo>(info: T, name: &str, kind: &'static str) -> Result<Self> {
        let mut spec = CounterSpec::open(name, kind)?;
        let conn = Conn::open(info, Config::default())?;
        spec.max = conn.run(spec.read(&conn.config))?.1;
        Ok(Core { spec, conn })
    }

    /// Creates the counter, or finds it with the same `max`; one that already
    /// existed is [`Error::AlreadyExists`] when `exclusive`.
    fn create<T: IntoConnectionInfo>(
        info: T,
        name: &str,
        (kind, initial, max): (&'static str, u64, u64),
        exclusive: bool,
    ) -> Result<Self> {
        let spec = CounterSpec::new(name, kind, initial, max)?;
        let conn = Conn::open(info, Config::default())?;
        conn.run(spec.create(initial, exclusive))?;
        Ok(Core { spec, conn })
    }

    fn get(&self) -> Result<u64> {
        self.conn.run(self.spec.get(&self.conn.config))
    }

    fn with_config(mut self, config: Config) -> Self {
        self.conn.set_config(config);
        self
    }

    fn name(&self) -> &str {
        &self.spec.name
    }

    fn conditional(
        &self,
        op: &str,
        n: u64,
        rid: &RequestId,
    ) -> Result<std::result::Result<u64, u64>> {
        let call = self.spec.conditional(&self.conn.config, op, n, rid);
        self.conn.run(call)
    }
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.spec.debug(f, &self.conn.config)
    }
}

/// An ID-generator counter on a Redis server: [`increment`](Self::increment) and
/// [`add`](Self::add) return the **previous** value, so no two calls anywhere
/// ever get the same value. Each call is one Lua script (one atomic step) that
/// also stores its answer under the call's [`RequestId`], so a retried call
/// returns the first answer instead of adding twice.
///
/// Values are `0..=`[`MAX_VALUE`] (2^53 − 1); an addition past it is refused
/// with [`Error::Overflow`] and changes nothing. Keys: `racefree:{name}:meta`
/// and `racefree:{name}:req:<id>`, one hash tag (one Cluster slot).
///
/// ```no_run
/// use racefree_redis::RedisCounter;
///
/// let ids = RedisCounter::open_or_create("redis://127.0.0.1/", "invoice-no", 1000)?;
/// let mine = ids.increment()?; // 1000, 1001, ... never twice
/// # Ok::<(), racefree_redis::Error>(())
/// ```
#[derive(Debug)]
pub struct RedisCounter(Core);

impl RedisCounter {
    counter_methods! {
        [] "counter", (), MAX_VALUE;
        // create
        /// Creates the counter `name` at `initial`.
        ///
        /// # Errors
        /// [`Error::AlreadyExists`]; [`Error::BadCounter`] when `initial >
        /// MAX_VALUE`; [`Error::BadName`]; [`Error::WrongKind`]; transport errors.
        ///
        /// ```no_run
        /// let c = racefree_redis::RedisCounter::create("redis://127.0.0.1/", "tickets-issued", 0)?;
        /// # Ok::<(), racefree_redis::Error>(())
        /// ```
        ;
        // open_or_create
        /// Opens the counter `name`, creating it at `initial` if there is none.
        ///
        /// # Errors
        /// As [`create`](Self::create), except that an existing counter is opened.
        ///
        /// ```no_run
        /// let c = racefree_redis::RedisCounter::open_or_create("redis://127.0.0.1/", "ids", 1)?;
        /// # Ok::<(), racefree_redis::Error>(())
        /// ```
        ;
        // open
        /// Opens an existing counter.
        ///
        /// # Errors
        /// [`Error::NotCreated`], [`Error::WrongKind`], [`Error::WrongType`],
        /// transport errors.
        ///
        /// ```no_run
        /// let c = racefree_redis::RedisCounter::open("redis://127.0.0.1/", "ids")?;
        /// # Ok::<(), racefree_redis::Error>(())
        /// ```
        ;
        // with_config
        /// Replaces this handle's [`Config`] (timeouts, retries, reply TTL).
        ///
        /// ```no_run
        /// # let c = racefree_redis::RedisCounter::open("redis://127.0.0.1/", "ids")?;
        /// let c = c.with_config(racefree_redis::Config::default().retries(5));
        /// # Ok::<(), racefree_redis::Error>(())
        /// ```
        ;
        // name
        /// The counter's name.
        ///
        /// ```no_run
        /// # let c = racefree_redis::RedisCounter::open("redis://127.0.0.1/", "ids")?;
        /// assert_eq!(c.name(), "ids");
        /// # Ok::<(), racefree_redis::Error>(())
        /// ```
        ;
        // get
        /// The current value.
        ///
        /// # Errors
        /// Transport errors; [`Error::NotCreated`] if the counter was deleted.
        ///
        /// ```no_run
        /// # let c = racefree_redis::RedisCounter::open("redis://127.0.0.1/", "ids")?;
        /// println!("next id: {}", c.get()?);
        /// # Ok::<(), racefree_redis::Error>(())
        /// ```
        ;
    }

    /// Adds 1 and returns the previous value.
    ///
    /// # Errors
    /// [`Error::Overflow`] at [`MAX_VALUE`]; transport errors (retried with one
    /// request id, so it adds at most once).
    ///
    /// ```no_run
    /// # let c = racefree_redis::RedisCounter::open("redis://127.0.0.1/", "ids")?;
    /// let a = c.increment()?;
    /// let b = c.increment()?;
    /// assert!(b > a);
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn increment(&self) -> Result<u64> {
        self.add(1)
    }

    /// Adds `n` and returns the previous value.
    ///
    /// # Errors
    /// As [`increment`](Self::increment).
    ///
    /// ```no_run
    /// # let c = racefree_redis::RedisCounter::open("redis://127.0.0.1/", "ids")?;
    /// let first_of_block = c.add(100)?; // ids first_of_block..first_of_block + 100 are mine
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn add(&self, n: u64) -> Result<u64> {
        self.add_with(n, &RequestId::new())
    }

    /// [`increment`](Self::increment) under your request id.
    ///
    /// # Errors
    /// As [`increment`](Self::increment); [`Error::RequestIdReused`].
    ///
    /// ```no_run
    /// # let c = racefree_redis::RedisCounter::open("redis://127.0.0.1/", "ids")?;
    /// let rid = racefree_redis::RequestId::new();
    /// assert_eq!(c.increment_with(&rid)?, c.increment_with(&rid)?); // acted once
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn increment_with(&self, rid: &RequestId) -> Result<u64> {
        self.add_with(1, rid)
    }

    /// [`add`](Self::add) under your request id.
    ///
    /// # Errors
    /// As [`increment_with`](Self::increment_with).
    ///
    /// ```no_run
    /// # let c = racefree_redis::RedisCounter::open("redis://127.0.0.1/", "ids")?;
    /// let prev = c.add_with(10, &racefree_redis::RequestId::new())?;
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn add_with(&self, n: u64, rid: &RequestId) -> Result<u64> {
        let core = &self.0;
        core.conn.run(core.spec.add(&core.conn.config, n, rid))
    }
}

/// A counter kept in `0..=max` on a Redis server: the coupon ("first 100") and
/// the bank balance ("withdraw only if enough"). [`try_add`](Self::try_add) and
/// [`try_sub`](Self::try_sub) answer `Ok(Ok(previous))` when they changed the
/// value and `Ok(Err(current))` (nothing changed) when it would leave the range;
/// the outer `Err` is a transport or setup [`Error`]. Each is one Lua script that
/// checks and writes in one atomic step and stores its answer under the call's
/// [`RequestId`].
///
/// ```no_run
/// use racefree_redis::RedisBoundedCounter;
///
/// let coupons = RedisBoundedCounter::open_or_create("redis://127.0.0.1/", "first-100", 0, 100)?;
/// match coupons.try_add(1)? {
///     Ok(n) => println!("coupon #{}", n + 1),
///     Err(_) => println!("all 100 issued"),
/// }
/// # Ok::<(), racefree_redis::Error>(())
/// ```
#[derive(Debug)]
pub struct RedisBoundedCounter(Core);

impl RedisBoundedCounter {
    counter_methods! {
        [] "bounded", (max), max;
        // create
        /// Creates the counter `name` at `initial` with range `0..=max`.
        ///
        /// # Errors
        /// [`Error::AlreadyExists`]; [`Error::BadCounter`] when `initial > max` or
        /// `max > MAX_VALUE`; [`Error::BadName`]; transport errors.
        ///
        /// ```no_run
        /// let acct = racefree_redis::RedisBoundedCounter::create("redis://127.0.0.1/", "acct-7", 500, u32::MAX as u64)?;
        /// # Ok::<(), racefree_redis::Error>(())
        /// ```
        ;
        // open_or_create
        /// Opens the counter `name`, creating it if there is none.
        ///
        /// # Errors
        /// [`Error::CapacityMismatch`] when it exists with another `max`; as
        /// [`create`](Self::create) otherwise.
        ///
        /// ```no_run
        /// let c = racefree_redis::RedisBoundedCounter::open_or_create("redis://127.0.0.1/", "first-100", 0, 100)?;
        /// # Ok::<(), racefree_redis::Error>(())
        /// ```
        ;
        // open
        /// Opens an existing bounded counter; its maximum is read from the server.
        ///
        /// # Errors
        /// [`Error::NotCreated`], [`Error::WrongKind`], [`Error::WrongType`],
        /// transport errors.
        ///
        /// ```no_run
        /// let c = racefree_redis::RedisBoundedCounter::open("redis://127.0.0.1/", "first-100")?;
        /// assert_eq!(c.max(), 100);
        /// # Ok::<(), racefree_redis::Error>(())
        /// ```
        ;
        // with_config
        /// Replaces this handle's [`Config`].
        ///
        /// ```no_run
        /// # let c = racefree_redis::RedisBoundedCounter::open("redis://127.0.0.1/", "first-100")?;
        /// let c = c.with_config(racefree_redis::Config::default().retries(0));
        /// # Ok::<(), racefree_redis::Error>(())
        /// ```
        ;
        // name
        /// The counter's name.
        ///
        /// ```no_run
        /// # let c = racefree_redis::RedisBoundedCounter::open("redis://127.0.0.1/", "first-100")?;
        /// assert_eq!(c.name(), "first-100");
        /// # Ok::<(), racefree_redis::Error>(())
        /// ```
        ;
        // get
        /// The current value.
        ///
        /// # Errors
        /// Transport errors; [`Error::NotCreated`] if the counter was deleted.
        ///
        /// ```no_run
        /// # let c = racefree_redis::RedisBoundedCounter::open("redis://127.0.0.1/", "first-100")?;
        /// assert!(c.get()? <= c.max());
        /// # Ok::<(), racefree_redis::Error>(())
        /// ```
        ;
    }

    /// The inclusive upper bound.
    pub fn max(&self) -> u64 {
        self.0.spec.max
    }

    /// Adds `n` if the result stays at most `max`: `Ok(Ok(previous))`, else
    /// `Ok(Err(current))` and nothing changed.
    ///
    /// # Errors
    /// Transport errors (retried with one request id: it adds at most once).
    ///
    /// ```no_run
    /// # let c = racefree_redis::RedisBoundedCounter::open("redis://127.0.0.1/", "first-100")?;
    /// if let Ok(prev) = c.try_add(1)? { println!("coupon {}", prev + 1) }
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn try_add(&self, n: u64) -> Result<std::result::Result<u64, u64>> {
        self.try_add_with(n, &RequestId::new())
    }

    /// Subtracts `n` if the result stays at least 0: `Ok(Ok(previous))`, else
    /// `Ok(Err(current))` and nothing changed.
    ///
    /// # Errors
    /// As [`try_add`](Self::try_add).
    ///
    /// ```no_run
    /// # let acct = racefree_redis::RedisBoundedCounter::open("redis://127.0.0.1/", "acct-7")?;
    /// match acct.try_sub(80)? {
    ///     Ok(before) => println!("paid; balance was {before}"),
    ///     Err(balance) => println!("declined: balance {balance}"),
    /// }
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn try_sub(&self, n: u64) -> Result<std::result::Result<u64, u64>> {
        self.try_sub_with(n, &RequestId::new())
    }

    /// [`try_add`](Self::try_add) under your request id.
    ///
    /// # Errors
    /// As [`try_add`](Self::try_add); [`Error::RequestIdReused`].
    ///
    /// ```no_run
    /// # let c = racefree_redis::RedisBoundedCounter::open("redis://127.0.0.1/", "first-100")?;
    /// let rid = racefree_redis::RequestId::new();
    /// assert_eq!(c.try_add_with(1, &rid)?, c.try_add_with(1, &rid)?);
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn try_add_with(&self, n: u64, rid: &RequestId) -> Result<std::result::Result<u64, u64>> {
        self.0.conditional("tryadd", n, rid)
    }

    /// [`try_sub`](Self::try_sub) under your request id.
    ///
    /// # Errors
    /// As [`try_add_with`](Self::try_add_with).
    ///
    /// ```no_run
    /// # let acct = racefree_redis::RedisBoundedCounter::open("redis://127.0.0.1/", "acct-7")?;
    /// let paid = acct.try_sub_with(80, &racefree_redis::RequestId::from_string("payment-51")?)?;
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn try_sub_with(&self, n: u64, rid: &RequestId) -> Result<std::result::Result<u64, u64>> {
        self.0.conditional("trysub", n, rid)
    }
}
