//! [`RedisSeatPool`]: the seat pool on a Redis server.

use crate::conn::{check_name, key, Call, Config, Conn, Reply, LUA_COMMON};
use crate::error::{Error, Result};
use crate::{HeldSeats, RequestId, Ticket};
use redis::{IntoConnectionInfo, Script};
use std::fmt;
use std::sync::OnceLock;

/// The most seats one pool may have: a Redis string (the bitmap) holds at most
/// 512 MiB, i.e. 2^32 bits.
pub const MAX_CAPACITY: usize = 1 << 32;

/// What every seat script starts with: `KEYS` = meta (hash), bits (string),
/// holds (zset: seat → lease end, ms), owner (hash: seat → `h<token>` for a hold,
/// `t<token>` for a ticket), then the request id's key (string) where there is
/// one. Checks the key types and the pool, reads the server clock, and purges
/// lapsed holds (their seats become free) before anything else.
const SEAT_PRELUDE: &str = r#"
local bad = check_types({'hash', 'string', 'zset', 'hash', 'string'})
if bad then return bad end
local kind = redis.call('HGET', KEYS[1], 'kind')
if not kind then return 'E nopool' end
if kind ~= 'seats' then return 'E kind ' .. kind end
local cap = tonumber(redis.call('HGET', KEYS[1], 'capacity'))
local now = now_ms()
local function purge()
  local gone = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
  if #gone > 0 then
    for _, s in ipairs(gone) do
      redis.call('SETBIT', KEYS[2], tonumber(s), 0)
      redis.call('HDEL', KEYS[4], s)
    end
    redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
    redis.call('HINCRBY', KEYS[1], 'taken', -#gone)
  end
end
local function taken()
  return tonumber(redis.call('HGET', KEYS[1], 'taken'))
end
-- ARGV[3] = hold token, ARGV[4] = lease in ms
local function claim(id)
  redis.call('SETBIT', KEYS[2], id, 1)
  redis.call('HSET', KEYS[4], id, 'h' .. ARGV[3])
  redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), id)
  redis.call('HINCRBY', KEYS[1], 'taken', 1)
end
"#;

/// What every script with a request id does first: answer a repeated call with
/// the first call's reply, then purge lapsed holds.
const REPLAY: &str = r#"
local r = replay()
if r then return r end
purge()"#;

/// `ARGV[5]`: `any`, `seat <id>` or `many <k>`.
const RESERVE: &str = r#"
local free = cap - taken()
if ARGV[5] == 'any' then
  if free < 1 then return remember('none') end
  local id = redis.call('BITPOS', KEYS[2], 0)
  claim(id)
  return remember('ok ' .. id)
elseif ARGV[5] == 'seat' then
  local id = tonumber(ARGV[6])
  if id >= cap then return remember('E range') end
  if redis.call('GETBIT', KEYS[2], id) == 1 then return remember('taken') end
  claim(id)
  return remember('ok ' .. id)
else
  local k = tonumber(ARGV[6])
  if k < 1 or k > cap then return remember('E groupsize') end
  if free < k then return remember('none') end
  local ids = {}
  for i = 1, k do
    local id = redis.call('BITPOS', KEYS[2], 0)
    claim(id)
    ids[i] = id
  end
  return remember('ok ' .. table.concat(ids, ' '))
end
"#;

/// `ARGV[3]` = token, `ARGV[4..]` = seats: holds become tickets, all or none.
const CONFIRM: &str = r#"
for i = 4, #ARGV do
  if redis.call('HGET', KEYS[4], ARGV[i]) ~= 'h' .. ARGV[3] then
    return remember('E expired ' .. ARGV[i])
  end
end
for i = 4, #ARGV do
  redis.call('HSET', KEYS[4], ARGV[i], 't' .. ARGV[3])
  redis.call('ZREM', KEYS[3], ARGV[i])
end
return remember('ok')
"#;

/// `ARGV[3..]` = seat, token, seat, token, ...: every ticket's seat is free
/// again, all or none.
const CANCEL: &str = r#"
for i = 3, #ARGV, 2 do
  if redis.call('HGET', KEYS[4], ARGV[i]) ~= 't' .. ARGV[i + 1] then
    return remember('E notbooked ' .. ARGV[i])
  end
end
local n = 0
for i = 3, #ARGV, 2 do
  -- HDEL answers 0 for a seat listed twice: count each seat once.
  if redis.call('HDEL', KEYS[4], ARGV[i]) == 1 then
    redis.call('SETBIT', KEYS[2], tonumber(ARGV[i]), 0)
    n = n + 1
  end
end
redis.call('HINCRBY', KEYS[1], 'taken', -n)
return remember('ok')
"#;

/// No request id (4 keys): `ARGV[3]` = token, `ARGV[4]` = `release` or `renew`,
/// `ARGV[5]` = lease ms, `ARGV[6..]` = seats. Both are fenced by the token, so
/// repeating them is harmless.
const HOLD_OP: &str = r#"
purge()
if ARGV[4] == 'release' then
  local n = 0
  for i = 6, #ARGV do
    if redis.call('HGET', KEYS[4], ARGV[i]) == 'h' .. ARGV[3] then
      redis.call('HDEL', KEYS[4], ARGV[i])
      redis.call('ZREM', KEYS[3], ARGV[i])
      redis.call('SETBIT', KEYS[2], tonumber(ARGV[i]), 0)
      n = n + 1
    end
  end
  if n > 0 then redis.call('HINCRBY', KEYS[1], 'taken', -n) end
  return 'ok ' .. n
end
for i = 6, #ARGV do
  if redis.call('HGET', KEYS[4], ARGV[i]) ~= 'h' .. ARGV[3] then
    return 'E expired ' .. ARGV[i]
  end
end
for i = 6, #ARGV do
  redis.call('ZADD', KEYS[3], 'XX', now + tonumber(ARGV[5]), ARGV[i])
end
return 'ok'
"#;

/// Read-only (4 keys): capacity and free seats, counting lapsed holds as free.
const INFO: &str = r#"
local lapsed = redis.call('ZCOUNT', KEYS[3], '-inf', now)
return 'ok ' .. cap .. ' ' .. (cap - taken() + lapsed)
"#;

/// 4 keys, `ARGV[1]` = capacity, `ARGV[2]` = `create` or `open_or_create`.
const CREATE: &str = r#"
local bad = check_types({'hash', 'string', 'zset', 'hash'})
if bad then return bad end
local kind = redis.call('HGET', KEYS[1], 'kind')
if kind then
  if kind ~= 'seats' then return 'E kind ' .. kind end
  return 'exists ' .. redis.call('HGET', KEYS[1], 'capacity')
end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
redis.call('HSET', KEYS[1], 'kind', 'seats', 'capacity', ARGV[1], 'taken', 0)
return 'created'
"#;

struct Scripts {
    reserve: Script,
    confirm: Script,
    cancel: Script,
    hold_op: Script,
    info: Script,
    create: Script,
}

fn scripts() -> &'static Scripts {
    static S: OnceLock<Scripts> = OnceLock::new();
    S.get_or_init(|| {
        let seat = |body: &str| Script::new(&format!("{LUA_COMMON}{SEAT_PRELUDE}{body}"));
        let replayed = |body: &str| seat(&format!("{REPLAY}{body}"));
        Scripts {
            reserve: replayed(RESERVE),
            confirm: replayed(CONFIRM),
            cancel: replayed(CANCEL),
            hold_op: seat(HOLD_OP),
            info: seat(INFO),
            create: Script::new(&format!("{LUA_COMMON}{CREATE}")),
        }
    })
}

/// What a seat pool's error words call it.
const KIND: &str = "seat pool";

/// What a reservation asks for: the reserve script's `any`, `seat <id>` and
/// `many <k>`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Want {
    /// Any free seat.
    Any,
    /// Seat `id`.
    Seat(usize),
    /// `k` seats, all or none.
    Many(usize),
}

/// A seat pool's name, keys and capacity, and every call on it: validated,
/// encoded and decoded here, once, for both transports ([`RedisSeatPool`] and
/// the async `AsyncRedisSeatPool`).
#[derive(Clone, Debug)]
pub(crate) struct SeatSpec {
    pub(crate) name: String,
    keys: [String; 4],
    pub(crate) capacity: usize,
}

impl SeatSpec {
    /// The pool `name` (capacity not known yet: see [`info`](Self::info)).
    pub(crate) fn open(name: &str) -> Result<Self> {
        check_name(name)?;
        Ok(Self {
            name: name.to_string(),
            keys: ["meta", "bits", "holds", "owner"].map(|s| key(name, s)),
            capacity: 0,
        })
    }

    /// The pool `name` of `capacity` seats, to be created.
    pub(crate) fn new(name: &str, capacity: usize) -> Result<Self> {
        if capacity == 0 {
            return Err(Error::ZeroCapacity);
        }
        if capacity > MAX_CAPACITY {
            return Err(Error::CapacityTooLarge { capacity });
        }
        Ok(Self {
            capacity,
            ..Self::open(name)?
        })
    }

    /// Creates the pool; an existing one is an error when `exclusive`
    /// ([`Error::AlreadyExists`]) or when its capacity differs
    /// ([`Error::CapacityMismatch`]).
    pub(crate) fn create(&self, exclusive: bool) -> Call<'_, ()> {
        let (name, capacity) = (self.name.as_str(), self.capacity);
        let decode = move |r: Reply| match (r.word(0), exclusive) {
            ("created", _) => Ok(()),
            ("exists", true) => Err(Error::AlreadyExists {
                name: name.to_string(),
            }),
            ("exists", false) => match r.num(1)? {
                found if found == capacity as u64 => Ok(()),
                found => Err(Error::CapacityMismatch {
                    name: name.to_string(),
                    expected: capacity as u64,
                    found,
                }),
            },
            _ => Err(r.protocol()),
        };
        let args = vec![capacity.to_string(), String::new()];
        Call::new(
            &scripts().create,
            self.keys.to_vec(),
            args,
            (name, KIND),
            None,
            decode,
        )
    }

    /// `(capacity, available)`, one read-only script.
    pub(crate) fn info(&self, config: &Config) -> Call<'_, (usize, usize)> {
        self.call(config, &scripts().info, None, vec![], |r| {
            Ok((r.num(1)? as usize, r.num(2)? as usize))
        })
    }

    /// Holds what `want` asks for under `rid` (its token), or `None` when it
    /// is not free.
    pub(crate) fn reserve<'a>(
        &'a self,
        config: &Config,
        want: Want,
        rid: &'a RequestId,
    ) -> Result<Call<'a, Option<HeldSeats>>> {
        let capacity = self.capacity;
        let (what, n, count) = match want {
            Want::Any => ("any", 0, 1),
            Want::Seat(id) if id >= capacity => return Err(Error::SeatOutOfRange { id, capacity }),
            Want::Seat(id) => ("seat", id, 1),
            Want::Many(k) if k == 0 || k > capacity => {
                return Err(Error::BadGroupSize { k, capacity })
            }
            Want::Many(k) => ("many", k, k),
        };
        let decode = move |r: Reply| match (r.word(0), r.word(1)) {
            ("none" | "taken", _) => Ok(None),
            ("ok", _) if r.words.len() == count + 1 => {
                let ids = (1..=count)
                    .map(|i| r.num(i).map(|v| v as usize))
                    .collect::<Result<Vec<_>>>()?;
                match want {
                    Want::Seat(id) if ids != [id] => Err(r.protocol()),
                    _ => Ok(Some(HeldSeats::from_parts(ids, rid.as_str()))),
                }
            }
            ("E", "range") => Err(Error::SeatOutOfRange { id: n, capacity }),
            ("E", "groupsize") => Err(Error::BadGroupSize { k: n, capacity }),
            _ => Err(r.protocol()),
        };
        let sig = format!("reserve {what} {n}");
        let args = vec![
            rid.as_str().to_string(),
            config.lease_ms().to_string(),
            what.to_string(),
            n.to_string(),
        ];
        let script = &scripts().reserve;
        Ok(self.call(config, script, Some((rid, sig)), args, decode))
    }

    /// The held seats `ids` (under `token`) become tickets, all or none.
    pub(crate) fn confirm<'a>(
        &'a self,
        config: &Config,
        token: &str,
        ids: &[usize],
        rid: &'a RequestId,
    ) -> Call<'a, ()> {
        let list: Vec<String> = ids.iter().map(usize::to_string).collect();
        let sig = format!("confirm {token} {}", list.join(","));
        let mut args = vec![token.to_string()];
        args.extend(list);
        self.call(
            config,
            &scripts().confirm,
            Some((rid, sig)),
            args,
            expired_or_ok,
        )
    }

    /// A fresh lease for the held seats `ids`.
    pub(crate) fn renew(&self, config: &Config, token: &str, ids: &[usize]) -> Call<'_, ()> {
        self.hold_op(config, token, "renew", ids, expired_or_ok)
    }

    /// Frees the seats `ids` still held under `token`.
    pub(crate) fn release(&self, config: &Config, token: &str, ids: &[usize]) -> Call<'_, ()> {
        self.hold_op(config, token, "release", ids, |_| Ok(()))
    }

    fn hold_op(
        &self,
        config: &Config,
        token: &str,
        op: &str,
        ids: &[usize],
        decode: fn(Reply) -> Result<()>,
    ) -> Call<'_, ()> {
        let mut args = vec![
            token.to_string(),
            op.to_string(),
            config.lease_ms().to_string(),
        ];
        args.extend(ids.iter().map(usize::to_string));
        self.call(config, &scripts().hold_op, None, args, decode)
    }

    /// Frees the tickets' seats, all or none; `None` (nothing to send) for no
    /// tickets.
    pub(crate) fn cancel_many<'a>(
        &'a self,
        config: &Config,
        tickets: &[Ticket],
        rid: &'a RequestId,
    ) -> Result<Option<Call<'a, ()>>> {
        if tickets.is_empty() {
            return Ok(None);
        }
        if let Some(t) = tickets.iter().find(|t| t.id() >= self.capacity) {
            return Err(Error::NotBooked { seat: t.id() });
        }
        let pairs: Vec<String> = tickets
            .iter()
            .map(|t| format!("{}:{}", t.id(), t.token()))
            .collect();
        let sig = format!("cancel {}", pairs.join(","));
        let args: Vec<String> = tickets
            .iter()
            .flat_map(|t| [t.id().to_string(), t.token().to_string()])
            .collect();
        let decode = |r: Reply| match (r.word(0), r.word(1)) {
            ("ok", _) => Ok(()),
            ("E", "notbooked") => Err(Error::NotBooked {
                seat: r.num(2)? as usize,
            }),
            _ => Err(r.protocol()),
        };
        Ok(Some(self.call(
            config,
            &scripts().cancel,
            Some((rid, sig)),
            args,
            decode,
        )))
    }

    /// A seat script's call. `args` follow `ARGV[1]` (signature) and `ARGV[2]`
    /// (reply TTL); with a request id, its key is the fifth key.
    fn call<'a, T>(
        &'a self,
        config: &Config,
        script: &'static Script,
        rid: Option<(&'a RequestId, String)>,
        args: Vec<String>,
        decode: impl FnOnce(Reply) -> Result<T> + Send + 'a,
    ) -> Call<'a, T> {
        let mut keys: Vec<String> = self.keys.to_vec();
        let mut argv = Vec::with_capacity(args.len() + 2);
        match &rid {
            Some((id, sig)) => {
                keys.push(key(&self.name, &format!("req:{}", id.as_str())));
                argv.push(sig.clone());
            }
            None => argv.push(String::new()),
        }
        argv.push(config.reply_ttl_ms().to_string());
        argv.extend(args);
        let rid = rid.map(|(r, _)| r);
        Call::new(script, keys, argv, (&self.name, KIND), rid, decode)
    }

    /// `Debug` of a handle called `what` on this pool.
    pub(crate) fn debug(&self, f: &mut fmt::Formatter<'_>, what: &str, c: &Config) -> fmt::Result {
        f.debug_struct(what)
            .field("name", &self.name)
            .field("capacity", &self.capacity)
            .field("config", c)
            .finish()
    }
}

/// A pool as its holds see it: a name for `Debug`, and how a hold dropped
/// while live gives its seats back (a blocking call, or a spawned task).
pub(crate) trait HoldPool {
    fn pool_name(&self) -> &str;
    fn release_dropped(&self, seats: &HeldSeats);
}

/// What a hold of either client keeps: its pool (a borrow or a clone), its
/// seats and token, and whether it still holds them; dropped while it does, it
/// releases them.
pub(crate) struct Held<P: HoldPool> {
    pub(crate) pool: P,
    pub(crate) seats: HeldSeats,
    pub(crate) live: bool,
}

impl<P: HoldPool> Held<P> {
    pub(crate) fn new(pool: P, seats: HeldSeats) -> Self {
        Self {
            pool,
            seats,
            live: true,
        }
    }
}

impl<P: HoldPool> Drop for Held<P> {
    fn drop(&mut self) {
        if self.live {
            self.pool.release_dropped(&self.seats);
        }
    }
}

impl<P: HoldPool> fmt::Debug for Held<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Held")
            .field("pool", &self.pool.pool_name())
            .field("ids", &self.seats.ids())
            .field("token", &self.seats.token())
            .finish()
    }
}

/// Confirm's and renew's reply: `ok`, or the first seat no longer held.
fn expired_or_ok(r: Reply) -> Result<()> {
    match (r.word(0), r.word(1)) {
        ("ok", _) => Ok(()),
        ("E", "expired") => Err(Error::HoldExpired {
            seat: r.num(2)? as usize,
        }),
        _ => Err(r.protocol()),
    }
}

/// The tickets a confirmed group becomes.
pub(crate) fn tickets(seats: &HeldSeats) -> Vec<Ticket> {
    seats
        .ids()
        .iter()
        .map(|&id| Ticket::from_parts(id, seats.token()))
        .collect()
}

/// A seat pool kept on a Redis server: the same operations as
/// [`racefree::SeatPool`](https://docs.rs/racefree), shared by every process
/// that opens the same name on the same server.
///
/// Every operation is **one** Lua script run by the server (EVALSHA, reloaded
/// transparently when the server lost its script cache): the check and the write
/// are one atomic step, so the last seat is sold once however many clients race
/// for it. There is no client-side lock and no lock key.
///
/// **Holds and tickets.** A reservation is a *hold* ([`Hold`], [`Holds`]) with a
/// lease on the server's clock ([`Config::lease`], default 30 s): if the client
/// crashes, the seat returns when the lease ends. [`Hold::confirm`] turns it into
/// a [`Ticket`], which has no lease and is released only by
/// [`cancel`](Self::cancel). Confirm is *fenced*: it succeeds only while the hold
/// is still the caller's (same hold token, lease not over), otherwise it fails
/// with [`Error::HoldExpired`] and books nothing. Dropping a hold releases it (a
/// best-effort call; if that fails the lease frees the seats anyway).
///
/// **Retries.** Every reserve, confirm and cancel carries a [`RequestId`]; the
/// server stores the reply under it in the same step that acts, so a repeated
/// call returns the first answer instead of acting twice. Calls that get no reply
/// are retried automatically ([`Config::retries`]) with the same id; the `*_with`
/// methods take your own id for retries across your own failures.
///
/// **Keys.** A pool named `shows` uses `racefree:{shows}:meta` (hash),
/// `racefree:{shows}:bits` (bitmap, 1 = taken), `racefree:{shows}:holds` (zset of
/// lease ends), `racefree:{shows}:owner` (hash) and `racefree:{shows}:req:<id>`
/// (replies). All share the hash tag `{shows}`, so on Redis Cluster they live in
/// one slot and every script's keys are declared and co-located. (This crate's
/// handles connect to one node; route by the tag's slot to use them on a cluster.)
///
/// **Costs.** Finding a free seat is a `BITPOS` over the bitmap (O(capacity / 8)
/// bytes on the server); a group of `k` does it `k` times. Lapsed holds are purged
/// by the next call, each once.
///
/// ```no_run
/// use racefree_redis::RedisSeatPool;
///
/// let pool = RedisSeatPool::open_or_create("redis://127.0.0.1/", "show-42", 100)?;
/// if let Some(hold) = pool.try_reserve()? {
///     // ... take payment ...
///     let ticket = hold.confirm()?;
///     println!("booked seat {}", ticket.id());
///     pool.cancel(ticket)?; // refund
/// }
/// # Ok::<(), racefree_redis::Error>(())
/// ```
pub struct RedisSeatPool {
    spec: SeatSpec,
    conn: Conn,
}

impl fmt::Debug for RedisSeatPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.spec.debug(f, "RedisSeatPool", &self.conn.config)
    }
}

impl RedisSeatPool {
    constructor! {
        []
        /// Creates a pool of `capacity` free seats named `name` on the server at
        /// `conn_info` (a `redis://host:port/db` URL or any
        /// [`IntoConnectionInfo`]).
        ///
        /// # Errors
        /// [`Error::AlreadyExists`] if the name is taken (see
        /// [`open_or_create`](Self::open_or_create)); [`Error::ZeroCapacity`],
        /// [`Error::CapacityTooLarge`], [`Error::BadName`]; [`Error::Unreachable`].
        ///
        /// ```no_run
        /// let pool = racefree_redis::RedisSeatPool::create("redis://127.0.0.1/", "gate-7", 180)?;
        /// assert_eq!(pool.capacity(), 180);
        /// # Ok::<(), racefree_redis::Error>(())
        /// ```
        create(conn_info, name, capacity: usize) =>
            Self::create_inner(conn_info, name, capacity, true);
        /// Opens the pool `name`, or creates it with `capacity` seats if there is none.
        ///
        /// # Errors
        /// [`Error::CapacityMismatch`] when it exists with another capacity; as
        /// [`create`](Self::create) otherwise.
        ///
        /// ```no_run
        /// let pool = racefree_redis::RedisSeatPool::open_or_create("redis://127.0.0.1/", "gate-7", 180)?;
        /// # Ok::<(), racefree_redis::Error>(())
        /// ```
        open_or_create(conn_info, name, capacity: usize) =>
            Self::create_inner(conn_info, name, capacity, false);
    }

    /// Opens an existing pool; its capacity is read from the server.
    ///
    /// # Errors
    /// [`Error::NotCreated`] if there is none; [`Error::WrongKind`] if `name` is a
    /// counter; [`Error::WrongType`] if its keys hold foreign data.
    ///
    /// ```no_run
    /// let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
    /// println!("{} of {} free", pool.available()?, pool.capacity());
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn open<T: IntoConnectionInfo>(conn_info: T, name: &str) -> Result<Self> {
        let mut spec = SeatSpec::open(name)?;
        let conn = Conn::open(conn_info, Config::default())?;
        spec.capacity = conn.run(spec.info(&conn.config))?.0;
        Ok(Self { spec, conn })
    }

    /// Replaces this handle's [`Config`] (lease, timeouts, retries).
    ///
    /// ```no_run
    /// use racefree_redis::{Config, RedisSeatPool};
    /// use std::time::Duration;
    ///
    /// let pool = RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?
    ///     .with_config(Config::default().lease(Duration::from_secs(300)));
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn with_config(mut self, config: Config) -> Self {
        self.conn.set_config(config);
        self
    }

    /// This handle's [`Config`].
    pub fn config(&self) -> &Config {
        &self.conn.config
    }

    /// The pool's name.
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// Number of seats (fixed at creation).
    pub fn capacity(&self) -> usize {
        self.spec.capacity
    }

    /// Seats neither held nor booked right now (holds whose lease is over count
    /// as free). One read-only script; exact at its linearization point.
    ///
    /// # Errors
    /// [`Error::Unreachable`], [`Error::Timeout`], [`Error::NotCreated`] (the pool
    /// was deleted).
    ///
    /// ```no_run
    /// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
    /// assert!(pool.available()? <= pool.capacity());
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn available(&self) -> Result<usize> {
        Ok(self.conn.run(self.spec.info(&self.conn.config))?.1)
    }

    /// Holds any free seat, or `Ok(None)` when every seat is held or booked at
    /// the script's linearization point.
    ///
    /// # Errors
    /// Transport and pool errors as for [`available`](Self::available).
    ///
    /// ```no_run
    /// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
    /// match pool.try_reserve()? {
    ///     Some(hold) => println!("holding seat {}", hold.id()),
    ///     None => println!("sold out"),
    /// }
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn try_reserve(&self) -> Result<Option<Hold<'_>>> {
        self.try_reserve_with(&RequestId::new())
    }

    /// [`try_reserve`](Self::try_reserve) under your request id: repeating it
    /// with the same id returns the same hold (same seat, same token) instead of
    /// taking a second seat. The id also becomes the hold's token.
    ///
    /// # Errors
    /// As [`try_reserve`](Self::try_reserve); [`Error::RequestIdReused`] if the
    /// id was used for a different call.
    ///
    /// ```no_run
    /// use racefree_redis::RequestId;
    /// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
    /// let rid = RequestId::from_string("cart-881")?;
    /// let first = pool.try_reserve_with(&rid)?.map(|h| h.id());
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn try_reserve_with(&self, rid: &RequestId) -> Result<Option<Hold<'_>>> {
        Ok(self.reserve(Want::Any, rid)?.map(|seats| self.hold(seats)))
    }

    /// Holds seat `id`, or `Ok(None)` when it is held or booked.
    ///
    /// # Errors
    /// [`Error::SeatOutOfRange`] when `id >= capacity()`; transport and pool
    /// errors as for [`available`](Self::available).
    ///
    /// ```no_run
    /// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
    /// if let Some(hold) = pool.try_reserve_seat(12)? {
    ///     let ticket = hold.confirm()?;
    ///     assert_eq!(ticket.id(), 12);
    /// }
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn try_reserve_seat(&self, id: usize) -> Result<Option<Hold<'_>>> {
        self.try_reserve_seat_with(id, &RequestId::new())
    }

    /// [`try_reserve_seat`](Self::try_reserve_seat) under your request id.
    ///
    /// # Errors
    /// As [`try_reserve_seat`](Self::try_reserve_seat) and
    /// [`try_reserve_with`](Self::try_reserve_with).
    ///
    /// ```no_run
    /// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
    /// let hold = pool.try_reserve_seat_with(3, &racefree_redis::RequestId::new())?;
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn try_reserve_seat_with(&self, id: usize, rid: &RequestId) -> Result<Option<Hold<'_>>> {
        Ok(self
            .reserve(Want::Seat(id), rid)?
            .map(|seats| self.hold(seats)))
    }

    /// Holds `k` seats all or nothing: `Ok(None)` (and nothing held) when fewer
    /// than `k` are free at the script's linearization point. The ids come back
    /// sorted ascending.
    ///
    /// # Errors
    /// [`Error::BadGroupSize`] when `k == 0` or `k > capacity()`; transport and
    /// pool errors as for [`available`](Self::available).
    ///
    /// ```no_run
    /// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
    /// if let Some(family) = pool.try_reserve_many(4)? {
    ///     assert_eq!(family.len(), 4);
    ///     let tickets = family.confirm()?;
    /// }
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn try_reserve_many(&self, k: usize) -> Result<Option<Holds<'_>>> {
        self.try_reserve_many_with(k, &RequestId::new())
    }

    /// [`try_reserve_many`](Self::try_reserve_many) under your request id.
    ///
    /// # Errors
    /// As [`try_reserve_many`](Self::try_reserve_many) and
    /// [`try_reserve_with`](Self::try_reserve_with).
    ///
    /// ```no_run
    /// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
    /// let group = pool.try_reserve_many_with(2, &racefree_redis::RequestId::new())?;
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn try_reserve_many_with(&self, k: usize, rid: &RequestId) -> Result<Option<Holds<'_>>> {
        Ok(self
            .reserve(Want::Many(k), rid)?
            .map(|seats| Holds(self.hold(seats))))
    }

    /// Releases a confirmed seat. `Ticket` is not `Clone`, so one ticket cancels
    /// once; the server also checks the ticket's token, so a stale ticket (one
    /// rebuilt with [`Ticket::from_parts`] after its seat was cancelled and sold
    /// again) cannot release someone else's booking.
    ///
    /// # Errors
    /// [`Error::NotBooked`] when the seat is not booked under this ticket;
    /// transport and pool errors as for [`available`](Self::available).
    ///
    /// ```no_run
    /// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
    /// let ticket = pool.try_reserve()?.expect("a free seat").confirm()?;
    /// pool.cancel(ticket)?;
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn cancel(&self, ticket: Ticket) -> Result<()> {
        self.cancel_with(ticket, &RequestId::new())
    }

    /// [`cancel`](Self::cancel) under your request id: a retry returns the first
    /// answer (`Ok`) instead of [`Error::NotBooked`].
    ///
    /// # Errors
    /// As [`cancel`](Self::cancel).
    ///
    /// ```no_run
    /// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
    /// # let ticket = pool.try_reserve()?.unwrap().confirm()?;
    /// pool.cancel_with(ticket, &racefree_redis::RequestId::new())?;
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn cancel_with(&self, ticket: Ticket, rid: &RequestId) -> Result<()> {
        self.cancel_many_with(vec![ticket], rid)
    }

    /// Cancels several tickets in one atomic step, all or none: a group booking
    /// refunded at once (no other client sees some of its seats free and others
    /// booked).
    ///
    /// # Errors
    /// [`Error::NotBooked`] naming the first ticket not booked under its token
    /// (then nothing is cancelled); transport and pool errors as for
    /// [`available`](Self::available). An empty list is `Ok(())`.
    ///
    /// ```no_run
    /// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
    /// let tickets = pool.try_reserve_many(3)?.expect("3 free").confirm()?;
    /// pool.cancel_many(tickets)?;
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn cancel_many(&self, tickets: Vec<Ticket>) -> Result<()> {
        self.cancel_many_with(tickets, &RequestId::new())
    }

    /// [`cancel_many`](Self::cancel_many) under your request id.
    ///
    /// # Errors
    /// As [`cancel_many`](Self::cancel_many); [`Error::RequestIdReused`].
    ///
    /// ```no_run
    /// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
    /// # let tickets = pool.try_reserve_many(3)?.expect("3 free").confirm()?;
    /// pool.cancel_many_with(tickets, &racefree_redis::RequestId::from_string("refund-77")?)?;
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn cancel_many_with(&self, tickets: Vec<Ticket>, rid: &RequestId) -> Result<()> {
        match self.spec.cancel_many(&self.conn.config, &tickets, rid)? {
            Some(call) => self.conn.run(call),
            None => Ok(()),
        }
    }

    // ------------------------------------------------------------ internals

    fn create_inner<T: IntoConnectionInfo>(
        conn_info: T,
        name: &str,
        capacity: usize,
        exclusive: bool,
    ) -> Result<Self> {
        let spec = SeatSpec::new(name, capacity)?;
        let conn = Conn::open(conn_info, Config::default())?;
        conn.run(spec.create(exclusive))?;
        Ok(Self { spec, conn })
    }

    fn reserve(&self, want: Want, rid: &RequestId) -> Result<Option<HeldSeats>> {
        self.conn
            .run(self.spec.reserve(&self.conn.config, want, rid)?)
    }

    /// The hold on one seat.
    fn hold(&self, seats: HeldSeats) -> Hold<'_> {
        Hold(Held::new(self, seats))
    }

    /// Frees the seats `ids` still held under `token`.
    fn release(&self, seats: &HeldSeats) -> Result<()> {
        let (token, ids) = (seats.token(), seats.ids());
        self.conn
            .run(self.spec.release(&self.conn.config, token, ids))
    }

    fn renew(&self, seats: &HeldSeats) -> Result<()> {
        let (token, ids) = (seats.token(), seats.ids());
        self.conn
            .run(self.spec.renew(&self.conn.config, token, ids))
    }

    fn confirm(&self, seats: &HeldSeats, rid: &RequestId) -> Result<()> {
        let (token, ids) = (seats.token(), seats.ids());
        self.conn
            .run(self.spec.confirm(&self.conn.config, token, ids, rid))
    }
}

/// One held seat: booked for you until its lease ends, it is dropped or
/// [`release`](Self::release)d, or [`confirm`](Self::confirm)ed into a
/// [`Ticket`]. Dropping it releases the seat (one best-effort server call).
///
/// ```no_run
/// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
/// let hold = pool.try_reserve_seat(5)?.expect("seat 5 free");
/// assert_eq!(hold.id(), 5);
/// drop(hold); // seat 5 is free again
/// # Ok::<(), racefree_redis::Error>(())
/// ```
#[must_use = "dropping a Hold releases its seat"]
#[derive(Debug)]
pub struct Hold<'a>(Held<&'a RedisSeatPool>);

impl Hold<'_> {
    /// The seat's id.
    pub fn id(&self) -> usize {
        self.0.seats.ids()[0]
    }

    /// The hold token (the id of the request that made it) that fences
    /// [`confirm`](Self::confirm) and [`renew`](Self::renew).
    pub fn token(&self) -> &str {
        self.0.seats.token()
    }

    /// Books the seat: the hold becomes a [`Ticket`] with no lease.
    ///
    /// # Errors
    /// [`Error::HoldExpired`] when the lease ended (or the hold was released)
    /// first — nothing is booked and the seat may be someone else's; transport
    /// errors (the call is retried with one request id, so it books at most
    /// once). On any error the hold is dropped, releasing the seat if it is still
    /// held.
    ///
    /// ```no_run
    /// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
    /// let ticket = pool.try_reserve()?.expect("free seat").confirm()?;
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn confirm(self) -> Result<Ticket> {
        self.confirm_with(&RequestId::new())
    }

    /// [`confirm`](Self::confirm) under your request id.
    ///
    /// # Errors
    /// As [`confirm`](Self::confirm); [`Error::RequestIdReused`].
    ///
    /// ```no_run
    /// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
    /// let hold = pool.try_reserve()?.expect("free seat");
    /// let ticket = hold.confirm_with(&racefree_redis::RequestId::new())?;
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn confirm_with(self, rid: &RequestId) -> Result<Ticket> {
        let mut tickets = self.confirm_seats(rid)?;
        Ok(tickets.remove(0))
    }

    /// Starts a fresh lease of [`Config::lease`] from now (server clock).
    ///
    /// # Errors
    /// [`Error::HoldExpired`] when the lease already ended; transport errors.
    ///
    /// ```no_run
    /// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
    /// let hold = pool.try_reserve()?.expect("free seat");
    /// hold.renew()?; // the customer is still typing their card number
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn renew(&self) -> Result<()> {
        self.0.pool.renew(&self.0.seats)
    }

    /// Releases the seat now and reports whether the server could be told.
    ///
    /// # Errors
    /// Transport errors (the lease frees the seat anyway).
    ///
    /// ```no_run
    /// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
    /// pool.try_reserve()?.expect("free seat").release()?;
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn release(mut self) -> Result<()> {
        self.0.live = false;
        self.0.pool.release(&self.0.seats)
    }

    /// Confirms every seat held; the hold is spent either way (on an error its
    /// drop releases what is still held).
    fn confirm_seats(mut self, rid: &RequestId) -> Result<Vec<Ticket>> {
        self.0.pool.confirm(&self.0.seats, rid)?;
        self.0.live = false;
        Ok(tickets(&self.0.seats))
    }
}

/// A group of seats held all together by
/// [`try_reserve_many`](RedisSeatPool::try_reserve_many); confirmed together or
/// released together (on drop).
///
/// ```no_run
/// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
/// let group = pool.try_reserve_many(3)?.expect("3 free seats");
/// assert_eq!(group.ids().len(), 3);
/// let tickets = group.confirm()?;
/// # Ok::<(), racefree_redis::Error>(())
/// ```
#[must_use = "dropping Holds releases its seats"]
#[derive(Debug)]
pub struct Holds<'a>(Hold<'a>);

/// The group's seats and token: [`ids`](HeldSeats::ids) (ascending),
/// [`len`](HeldSeats::len), [`is_empty`](HeldSeats::is_empty) (always
/// `false`) and [`token`](HeldSeats::token) (the hold token shared by the
/// group).
///
/// ```no_run
/// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
/// let group = pool.try_reserve_many(2)?.expect("2 free seats");
/// assert_eq!((group.len(), group.ids().len()), (2, 2));
/// println!("held {:?} under {}", group.ids(), group.token());
/// # Ok::<(), racefree_redis::Error>(())
/// ```
impl std::ops::Deref for Holds<'_> {
    type Target = HeldSeats;

    fn deref(&self) -> &HeldSeats {
        &(self.0).0.seats
    }
}

impl Holds<'_> {
    /// Books every seat of the group, all or none.
    ///
    /// # Errors
    /// [`Error::HoldExpired`] naming a seat whose lease ended: nothing is booked,
    /// and the seats still held are released. Transport errors as for
    /// [`Hold::confirm`].
    ///
    /// ```no_run
    /// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
    /// let tickets = pool.try_reserve_many(2)?.expect("2 free").confirm()?;
    /// assert_eq!(tickets.len(), 2);
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn confirm(self) -> Result<Vec<Ticket>> {
        self.0.confirm_seats(&RequestId::new())
    }

    /// [`confirm`](Self::confirm) under your request id.
    ///
    /// # Errors
    /// As [`confirm`](Self::confirm); [`Error::RequestIdReused`].
    ///
    /// ```no_run
    /// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
    /// let g = pool.try_reserve_many(2)?.expect("2 free");
    /// let tickets = g.confirm_with(&racefree_redis::RequestId::new())?;
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn confirm_with(self, rid: &RequestId) -> Result<Vec<Ticket>> {
        self.0.confirm_seats(rid)
    }

    /// Starts a fresh lease for every seat of the group.
    ///
    /// # Errors
    /// As [`Hold::renew`].
    ///
    /// ```no_run
    /// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
    /// let g = pool.try_reserve_many(2)?.expect("2 free");
    /// g.renew()?;
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn renew(&self) -> Result<()> {
        self.0.renew()
    }

    /// Releases every seat of the group now.
    ///
    /// # Errors
    /// Transport errors (the lease frees the seats anyway).
    ///
    /// ```no_run
    /// # let pool = racefree_redis::RedisSeatPool::open("redis://127.0.0.1/", "gate-7")?;
    /// pool.try_reserve_many(2)?.expect("2 free").release()?;
    /// # Ok::<(), racefree_redis::Error>(())
    /// ```
    pub fn release(self) -> Result<()> {
        self.0.release()
    }
}

impl HoldPool for &RedisSeatPool {
    fn pool_name(&self) -> &str {
        &self.spec.name
    }

    fn release_dropped(&self, seats: &HeldSeats) {
        let _ = self.release(seats);
    }
}
