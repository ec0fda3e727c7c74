//! Connections, configuration and script calls shared by every type.

use crate::error::{Error, Result};
use racefree_tier::RequestId;
use redis::{Client, Connection, IntoConnectionInfo, Script, ScriptInvocation};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Settings of one handle (seat pool or counter), chosen on the client side.
///
/// ```
/// use racefree_redis::Config;
/// use std::time::Duration;
///
/// let c = Config::default()
///     .lease(Duration::from_secs(120))
///     .timeout(Duration::from_secs(2))
///     .retries(3);
/// assert_eq!(c.lease, Duration::from_secs(120));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// How long an unconfirmed hold lasts (server clock) before its seats return
    /// to the pool. Default 30 s.
    pub lease: Duration,
    /// How long the server remembers each request id's reply, i.e. how long a
    /// retry with the same id returns the first answer. Default 10 min.
    pub reply_ttl: Duration,
    /// Connect, read and write timeout of each call. Default 5 s.
    pub timeout: Duration,
    /// How many times a call that got no reply is sent again, on a fresh
    /// connection, with the same request id (so it acts at most once). Default 2.
    pub retries: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(30),
            reply_ttl: Duration::from_secs(600),
            timeout: Duration::from_secs(5),
            retries: 2,
        }
    }
}

/// Builder methods, one per field: `field(self, value)` sets it.
macro_rules! setters {
    ($($(#[$doc:meta])* $field:ident: $ty:ty;)*) => {
        $(
            $(#[$doc])*
            pub fn $field(mut self, value: $ty) -> Self {
                self.$field = value;
                self
            }
        )*
    };
}

impl Config {
    setters! {
        /// Sets [`lease`](Self::lease) (at least 1 ms is used).
        ///
        /// ```
        /// # use std::time::Duration;
        /// let c = racefree_redis::Config::default().lease(Duration::from_secs(120));
        /// assert_eq!(c.lease, Duration::from_secs(120));
        /// ```
        lease: Duration;
        /// Sets [`reply_ttl`](Self::reply_ttl) (at least 1 ms is used).
        ///
        /// ```
        /// # use std::time::Duration;
        /// let c = racefree_redis::Config::default().reply_ttl(Duration::from_secs(3600));
        /// assert_eq!(c.reply_ttl, Duration::from_secs(3600));
        /// ```
        reply_ttl: Duration;
        /// Sets [`timeout`](Self::timeout) (at least 1 ms is used).
        ///
        /// ```
        /// # use std::time::Duration;
        /// let c = racefree_redis::Config::default().timeout(Duration::from_millis(500));
        /// assert_eq!(c.timeout, Duration::from_millis(500));
        /// ```
        timeout: Duration;
        /// Sets [`retries`](Self::retries).
        ///
        /// ```
        /// assert_eq!(racefree_redis::Config::default().retries(0).retries, 0);
        /// ```
        retries: u32;
    }

    pub(crate) fn lease_ms(&self) -> u64 {
        millis(self.lease)
    }
    pub(crate) fn reply_ttl_ms(&self) -> u64 {
        millis(self.reply_ttl)
    }
    pub(crate) fn timeout_clamped(&self) -> Duration {
        self.timeout.max(Duration::from_millis(1))
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// Checks a user-chosen object name (it goes inside the `{name}` hash tag).
pub(crate) fn check_name(name: &str) -> Result<()> {
    let ok = (1..=200).contains(&name.len())
        && !name
            .chars()
            .any(|c| c == '{' || c == '}' || c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(Error::BadName {
            name: name.to_string(),
        })
    }
}

/// `racefree:{name}:suffix` — every key of one object shares the `{name}` hash
/// tag, so all of them live in one Redis Cluster slot.
pub(crate) fn key(name: &str, suffix: &str) -> String {
    format!("racefree:{{{name}}}:{suffix}")
}

/// One server call, prepared once for both transports (the blocking [`Conn`] and
/// the async one in `aio`): the script, its keys and arguments, and how to read
/// its reply. The transport only sends it and hands the reply to
/// [`finish`](Self::finish).
pub(crate) struct Call<'a, T> {
    script: &'static Script,
    keys: Vec<String>,
    args: Vec<String>,
    /// The object's name and kind, for the error words every script may return.
    name: &'a str,
    kind: &'static str,
    rid: Option<&'a RequestId>,
    decode: Box<dyn FnOnce(Reply) -> Result<T> + Send + 'a>,
}

impl<'a, T> Call<'a, T> {
    /// A call of `script` on the object `name` (a `kind`, e.g. `"seat pool"`);
    /// `decode` turns the reply, its common error words already handled, into
    /// the answer.
    pub(crate) fn new(
        script: &'static Script,
        keys: Vec<String>,
        args: Vec<String>,
        (name, kind): (&'a str, &'static str),
        rid: Option<&'a RequestId>,
        decode: impl FnOnce(Reply) -> Result<T> + Send + 'a,
    ) -> Self {
        Self {
            script,
            keys,
            args,
            name,
            kind,
            rid,
            decode: Box::new(decode),
        }
    }

    /// What goes on the wire: `EVALSHA` of the script with the keys and
    /// arguments (`invoke` / `invoke_async` load it on `NOSCRIPT`, e.g. after a
    /// server restart or `SCRIPT FLUSH`, and send it again).
    pub(crate) fn invocation(&self) -> ScriptInvocation<'static> {
        let mut inv = self.script.prepare_invoke();
        for k in &self.keys {
            inv.key(k.as_str());
        }
        for a in &self.args {
            inv.arg(a.as_str());
        }
        inv
    }

    /// Reads the script's one-line reply.
    pub(crate) fn finish(self, reply: String) -> Result<T> {
        (self.decode)(Reply::parse(reply, self.name, self.kind, self.rid)?)
    }
}

/// Locks a cache mutex; a panic elsewhere cannot leave a `Vec` or an `Option`
/// of connections half-written, so a poisoned one is used as is.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The retry rule both transports share: after `outcome`, whether to send the
/// call again (no reply, and retries left under `config`), counting `attempt`.
pub(crate) fn again<T>(config: &Config, outcome: &Result<T>, attempt: &mut u32) -> bool {
    let retry = matches!(outcome, Err(e) if e.is_transient()) && *attempt < config.retries;
    *attempt += u32::from(retry);
    retry
}

/// A client plus a cache of idle connections. The mutex guards only the cache
/// (a `Vec` push/pop), never a server call: two threads run their calls on two
/// connections at once, and correctness comes from the server-side scripts.
pub(crate) struct Conn {
    client: Client,
    idle: Mutex<Vec<Connection>>,
    pub(crate) config: Config,
}

/// Idle connections kept per handle.
const MAX_IDLE: usize = 16;

impl Conn {
    pub(crate) fn open<T: IntoConnectionInfo>(info: T, config: Config) -> Result<Self> {
        Ok(Self {
            client: client(info)?,
            idle: Mutex::new(Vec::new()),
            config,
        })
    }

    pub(crate) fn set_config(&mut self, config: Config) {
        self.config = config;
        // Connections carry the old timeouts.
        lock(&self.idle).clear();
    }

    fn take(&self) -> Result<Connection> {
        let cached = lock(&self.idle).pop();
        if let Some(c) = cached {
            return Ok(c);
        }
        let t = self.config.timeout_clamped();
        let c = self
            .client
            .get_connection_with_timeout(t)
            .map_err(Error::from_redis)?;
        c.set_read_timeout(Some(t)).map_err(Error::from_redis)?;
        c.set_write_timeout(Some(t)).map_err(Error::from_redis)?;
        Ok(c)
    }

    fn put(&self, c: Connection) {
        let mut idle = lock(&self.idle);
        if idle.len() < MAX_IDLE {
            idle.push(c);
        }
    }

    /// Sends `call` on a connection; on no reply (timeout, dropped connection)
    /// sends it again on a fresh connection, up to `config.retries` times. Every
    /// call is safe to repeat: it carries a request id, or is fenced by a hold
    /// token, or only reads.
    pub(crate) fn run<T>(&self, call: Call<'_, T>) -> Result<T> {
        let inv = call.invocation();
        let mut attempt = 0;
        loop {
            let outcome = self.take().and_then(|mut c| {
                let reply = inv.invoke::<String>(&mut c).map_err(Error::from_redis);
                if !matches!(&reply, Err(e) if e.is_transient()) {
                    self.put(c); // the connection is fine (the call may have failed)
                }
                reply
            });
            if !again(&self.config, &outcome, &mut attempt) {
                return call.finish(outcome?);
            }
        }
    }
}

/// A client for `info` (a URL or any [`IntoConnectionInfo`]); nothing connects yet.
pub(crate) fn client<T: IntoConnectionInfo>(info: T) -> Result<Client> {
    Client::open(info).map_err(Error::from_redis)
}

/// A script reply split into words, with the common error replies decoded.
pub(crate) struct Reply {
    pub(crate) words: Vec<String>,
}

impl Reply {
    /// Parses `reply`; the error words that every script may return (`E type`,
    /// `E nopool`, `E kind`, `E ridreuse`) become errors here.
    pub(crate) fn parse(
        reply: String,
        name: &str,
        expected_kind: &'static str,
        rid: Option<&RequestId>,
    ) -> Result<Self> {
        let words: Vec<String> = reply.split_whitespace().map(str::to_string).collect();
        if words.first().map(String::as_str) == Some("E") {
            match words.get(1).map(String::as_str) {
                Some("type") if words.len() == 5 => {
                    let expected = match words[4].as_str() {
                        "hash" => "hash",
                        "string" => "string",
                        "zset" => "zset",
                        _ => "key",
                    };
                    return Err(Error::WrongType {
                        key: words[2].clone(),
                        found: words[3].clone(),
                        expected,
                    });
                }
                Some("nopool") => {
                    return Err(Error::NotCreated {
                        name: name.to_string(),
                    })
                }
                Some("kind") if words.len() == 3 => {
                    return Err(Error::WrongKind {
                        name: name.to_string(),
                        found: kind_name(&words[2]).to_string(),
                        expected: expected_kind,
                    })
                }
                Some("ridreuse") => {
                    return Err(Error::RequestIdReused {
                        request_id: rid.map(|r| r.as_str().to_string()).unwrap_or_default(),
                    })
                }
                _ => {}
            }
        }
        Ok(Reply { words })
    }

    pub(crate) fn word(&self, i: usize) -> &str {
        self.words.get(i).map(String::as_str).unwrap_or("")
    }

    pub(crate) fn num(&self, i: usize) -> Result<u64> {
        self.word(i).parse().map_err(|_| self.protocol())
    }

    pub(crate) fn protocol(&self) -> Error {
        Error::Protocol(self.words.join(" "))
    }
}

fn kind_name(k: &str) -> &str {
    match k {
        "seats" => "seat pool",
        "counter" => "counter",
        "bounded" => "bounded counter",
        other => other,
    }
}

/// The Lua shared by every script: key type checks, the server clock, and the
/// request-id reply cache (`ARGV[1]` = call signature, `ARGV[2]` = reply TTL in ms,
/// the last key = the request id's key).
pub(crate) const LUA_COMMON: &str = r#"
local function check_types(want)
  for i, k in ipairs(KEYS) do
    local t = redis.call('TYPE', k)['ok']
    if t ~= 'none' and t ~= want[i] then
      return 'E type ' .. k .. ' ' .. t .. ' ' .. want[i]
    end
  end
  return nil
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function replay()
  local prev = redis.call('GET', KEYS[#KEYS])
  if not prev then return nil end
  local nl = string.find(prev, '\n', 1, true)
  if (not nl) or string.sub(prev, 1, nl - 1) ~= ARGV[1] then return 'E ridreuse' end
  return string.sub(prev, nl + 1)
end
local function remember(r)
  redis.call('SET', KEYS[#KEYS], ARGV[1] .. '\n' .. r, 'PX', ARGV[2])
  return r
end
local function fmt(n)
  return string.format('%.0f', n)
end
"#;
