//! [`RedisCounter`] and [`RedisBoundedCounter`].

use crate::conn::{check_name, key, Config, Conn, Reply, LUA_COMMON};
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

/// What the two counter types share: a name, a key, a connection.
struct Core {
    name: String,
    meta: String,
    kind: &'static str,
    max: u64,
    conn: Conn,
}

impl Core {
    fn open<T: IntoConnectionInfo>(info: T, name: &str, kind: &'static str) -> Result<Self> {
        check_name(name)?;
        let mut core = Core {
            name: name.to_string(),
            meta: key(name, "meta"),
            kind,
            max: 0,
            conn: Conn::open(info, Config::default())?,
        };
        let r = core.op("get", 0, None)?;
        core.max = r.num(2)?;
        Ok(core)
    }

    /// Creates the counter, or finds it with the same `max`; one that already
    /// existed is [`Error::AlreadyExists`] when `exclusive`.
    fn create<T: IntoConnectionInfo>(
        info: T,
        name: &str,
        kind: &'static str,
        initial: u64,
        max: u64,
        exclusive: bool,
    ) -> Result<Self> {
        check_name(name)?;
        if initial > max || max > MAX_VALUE {
            return Err(Error::BadCounter { initial, max });
        }
        let conn = Conn::open(info, Config::default())?;
        let meta = key(name, "meta");
        let reply = conn.script(
            create_script(),
            &[&meta],
            &[kind.to_string(), initial.to_string(), max.to_string()],
        )?;
        let r = Reply::parse(reply, name, kind_label(kind), None)?;
        match r.word(0) {
            "created" => {}
            "exists" => {
                let found = r.num(1)?;
                if found != max {
                    return Err(Error::CapacityMismatch {
                        name: name.to_string(),
                        expected: max,
                        found,
                    });
                }
                if exclusive {
                    return Err(Error::AlreadyExists {
                        name: name.to_string(),
                    });
                }
            }
            _ => return Err(r.protocol()),
        }
        Ok(Core {
            name: name.to_string(),
            meta,
            kind,
            max,
            conn,
        })
    }

    fn op(&self, op: &str, n: u64, rid: Option<&RequestId>) -> Result<Reply> {
        let mut keys = vec![self.meta.clone()];
        let sig = match rid {
            Some(id) => {
                keys.push(key(&self.name, &format!("req:{}", id.as_str())));
                format!("{op} {n}")
            }
            None => String::new(),
        };
        let args = [
            sig,
            self.conn.config.reply_ttl_ms().to_string(),
            self.kind.to_string(),
            op.to_string(),
            n.to_string(),
        ];
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let reply = self.conn.script(op_script(), &keys, &args)?;
        Reply::parse(reply, &self.name, kind_label(self.kind), rid)
    }

    fn get(&self) -> Result<u64> {
        self.op("get", 0, None)?.num(1)
    }

    /// `Ok(Ok(previous))` / `Ok(Err(current))` for the conditional operations.
    fn conditional(
        &self,
        op: &str,
        n: u64,
        rid: &RequestId,
    ) -> Result<std::result::Result<u64, u64>> {
        let r = self.op(op, n, Some(rid))?;
        match r.word(0) {
            "ok" => Ok(Ok(r.num(1)?)),
            "no" => Ok(Err(r.num(1)?)),
            _ => Err(r.protocol()),
        }
    }
}

fn kind_label(kind: &str) -> &'static str {
    if kind == "counter" {
        "counter"
    } else {
        "bounded counter"
    }
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(kind_label(self.kind))
            .field("name", &self.name)
            .field("max", &self.max)
            .field("config", &self.conn.config)
            .finish()
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
    pub fn create<T: IntoConnectionInfo>(conn_info: T, name: &str, initial: u64) -> Result<Self> {
        Core::create(conn_info, name, "counter", initial, MAX_VALUE, true).map(Self)
    }

    /// Opens the counter `name`, creating it at `initial` if there is none.
    ///
    /// # Errors
    /// As [`create`](Self::create), except that an existing counter is opened.
    ///
    /// ```no_run
    /// let c = racefree_redis::RedisCounter::open_or_create("redis://127.0.0.1/", "ids", 1)?;
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn open_or_create<T: IntoConnectionInfo>(
        conn_info: T,
        name: &str,
        initial: u64,
    ) -> Result<Self> {
        Core::create(conn_info, name, "counter", initial, MAX_VALUE, false).map(Self)
    }

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
    pub fn open<T: IntoConnectionInfo>(conn_info: T, name: &str) -> Result<Self> {
        Ok(Self(Core::open(conn_info, name, "counter")?))
    }

    /// Replaces this handle's [`Config`] (timeouts, retries, reply TTL).
    ///
    /// ```no_run
    /// # let c = racefree_redis::RedisCounter::open("redis://127.0.0.1/", "ids")?;
    /// let c = c.with_config(racefree_redis::Config::default().retries(5));
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn with_config(mut self, config: Config) -> Self {
        self.0.conn.set_config(config);
        self
    }

    /// The counter's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

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
    pub fn get(&self) -> Result<u64> {
        self.0.get()
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
        if n > MAX_VALUE {
            return Err(Error::Overflow {
                value: self.get()?,
                n,
            });
        }
        let r = self.0.op("add", n, Some(rid))?;
        match (r.word(0), r.word(1)) {
            ("ok", _) => r.num(1),
            ("E", "overflow") => Err(Error::Overflow {
                value: r.num(2)?,
                n,
            }),
            _ => Err(r.protocol()),
        }
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
    pub fn create<T: IntoConnectionInfo>(
        conn_info: T,
        name: &str,
        initial: u64,
        max: u64,
    ) -> Result<Self> {
        Core::create(conn_info, name, "bounded", initial, max, true).map(Self)
    }

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
    pub fn open_or_create<T: IntoConnectionInfo>(
        conn_info: T,
        name: &str,
        initial: u64,
        max: u64,
    ) -> Result<Self> {
        Core::create(conn_info, name, "bounded", initial, max, false).map(Self)
    }

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
    pub fn open<T: IntoConnectionInfo>(conn_info: T, name: &str) -> Result<Self> {
        Ok(Self(Core::open(conn_info, name, "bounded")?))
    }

    /// Replaces this handle's [`Config`].
    ///
    /// ```no_run
    /// # let c = racefree_redis::RedisBoundedCounter::open("redis://127.0.0.1/", "first-100")?;
    /// let c = c.with_config(racefree_redis::Config::default().retries(0));
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn with_config(mut self, config: Config) -> Self {
        self.0.conn.set_config(config);
        self
    }

    /// The counter's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The inclusive upper bound.
    pub fn max(&self) -> u64 {
        self.0.max
    }

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
    pub fn get(&self) -> Result<u64> {
        self.0.get()
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
        if n > MAX_VALUE {
            return Ok(Err(self.get()?));
        }
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
        if n > MAX_VALUE {
            return Ok(Err(self.get()?));
        }
        self.0.conditional("trysub", n, rid)
    }
}
