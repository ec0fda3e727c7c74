//! [`PgCounter`] and [`PgBoundedCounter`]: one row each.

use crate::common::{
    act, check_functions, exists, framed, num, read_comment, requests_ddl, run_ddl, words, Framed,
    Table, SCHEMA_VERSION,
};
use crate::error::{Error, Result};
use crate::RequestId;
use postgres::types::Type;
use postgres::GenericClient;

/// The largest value a counter holds: `bigint`'s maximum, `i64::MAX`.
///
/// ```
/// assert_eq!(racefree_postgres::MAX_VALUE, i64::MAX as u64);
/// ```
pub const MAX_VALUE: u64 = i64::MAX as u64;

const COLUMNS: &[(&str, &str)] = &[
    ("id", "boolean"),
    ("value", "bigint"),
    ("max", "bigint"),
    ("last_ok", "boolean"),
];

/// The statements of one counter table: `add` and `sub` are functions
/// (`<name>_add`, `<name>_sub`) whose `$3` is the amount.
#[derive(Clone, Debug)]
struct Sql {
    add: Framed,
    sub: Framed,
    get: String,
}

fn build_sql(table: &Table, kind: &str) -> Sql {
    let t = table.q();
    // The UPDATE always writes the row, so it always takes the row lock and
    // evaluates the CASE on the newest version: the refusal's `current` is
    // exact too. `last_ok` records which branch was taken (RETURNING sees only
    // the new row).
    let step = |op: &str, ok: &str, next: &str, prev: &str| {
        framed(
            table,
            kind,
            op,
            &["bigint"],
            &format!(
                "act AS (UPDATE {t} SET value = CASE WHEN {ok} THEN {next} ELSE value END, \
                                        last_ok = ({ok}) \
                         WHERE NOT EXISTS (SELECT 1 FROM prior) RETURNING value, last_ok), \
                 rep AS (SELECT (SELECT CASE WHEN last_ok THEN 'ok ' || ({prev}) \
                                        ELSE 'err ' || value END FROM act) AS reply)"
            ),
        )
    };
    Sql {
        add: step(
            "add",
            "value <= max - $3::bigint",
            "value + $3::bigint",
            "value - $3::bigint",
        ),
        sub: step(
            "sub",
            "value >= $3::bigint",
            "value - $3::bigint",
            "value + $3::bigint",
        ),
        get: format!("SELECT value FROM {t}"),
    }
}

fn ddl(table: &Table, kind: &str, initial: u64, max: u64) -> String {
    let t = table.q();
    let sql = build_sql(table, kind);
    format!(
        "CREATE SCHEMA IF NOT EXISTS {schema};\n\
         CREATE TABLE {t} (\n  id boolean PRIMARY KEY DEFAULT true CHECK (id),\n  \
         value bigint NOT NULL,\n  max bigint NOT NULL,\n  \
         last_ok boolean NOT NULL DEFAULT true,\n  CHECK (value >= 0 AND value <= max)\n);\n\
         INSERT INTO {t} (value, max) VALUES ({initial}, {max});\n\
         COMMENT ON TABLE {t} IS 'racefree-postgres {kind} v{SCHEMA_VERSION} max={max}';\n\
         {req}{add}{sub}",
        schema = table.q_schema(),
        req = requests_ddl(table),
        add = sql.add.ddl,
        sub = sql.sub.ddl,
    )
}

/// Shared by both counters: create / open and the framed step.
#[derive(Clone, Debug)]
struct Row {
    table: Table,
    max: u64,
    sql: Sql,
}

impl Row {
    fn create<C: GenericClient>(
        client: &mut C,
        table: &Table,
        kind: &str,
        initial: u64,
        max: u64,
    ) -> Result<Self> {
        if initial > max || max > MAX_VALUE {
            return Err(Error::BadCounter { initial, max });
        }
        if exists(client, table)? {
            return Err(Error::AlreadyExists {
                table: table.to_string(),
            });
        }
        run_ddl(client, table, &ddl(table, kind, initial, max))?;
        Ok(Self::handle(table, kind, max))
    }

    fn open<C: GenericClient>(client: &mut C, table: &Table, kind: &str) -> Result<Self> {
        let rest = read_comment(client, table, kind, COLUMNS)?;
        let max = rest
            .strip_prefix("max=")
            .and_then(|m| m.parse::<u64>().ok())
            .filter(|m| *m <= MAX_VALUE)
            .ok_or_else(|| Error::WrongShape {
                table: table.to_string(),
                detail: format!("bad maximum in comment: {rest:?}"),
            })?;
        let row = Self::handle(table, kind, max);
        check_functions(client, table, kind, &[&row.sql.add, &row.sql.sub])?;
        Ok(row)
    }

    fn handle(table: &Table, kind: &str, max: u64) -> Self {
        Row {
            table: table.clone(),
            max,
            sql: build_sql(table, kind),
        }
    }

    fn get<C: GenericClient>(&self, client: &mut C) -> Result<u64> {
        let row = client
            .query_typed_opt(self.sql.get.as_str(), &[])
            .map_err(|e| Error::from_pg(e, &self.table.to_string(), None))?
            .ok_or_else(|| Error::WrongShape {
                table: self.table.to_string(),
                detail: "its one row is missing".into(),
            })?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    /// `Ok(Ok(previous))` or `Ok(Err(current))`.
    fn step<C: GenericClient>(
        &self,
        client: &mut C,
        add: bool,
        n: u64,
        rid: &RequestId,
    ) -> Result<std::result::Result<u64, u64>> {
        if n > MAX_VALUE {
            return Err(Error::BadCounter {
                initial: n,
                max: self.max,
            });
        }
        let amount = n as i64;
        let (sql, sig) = if add {
            (&self.sql.add.call, format!("add {n}"))
        } else {
            (&self.sql.sub.call, format!("sub {n}"))
        };
        let reply = act(
            client,
            &self.table,
            sql,
            rid,
            &sig,
            &[(&amount, Type::INT8)],
        )?;
        let w = words(&reply);
        match w.first().copied() {
            Some("ok") => Ok(Ok(num(&reply, w.get(1))?)),
            Some("err") => Ok(Err(num(&reply, w.get(1))?)),
            _ => Err(Error::Protocol(format!("counter reply {reply:?}"))),
        }
    }
}

/// A value kept in `0..=max` in a one-row PostgreSQL table: the coupon ("first
/// 100") and the balance ("withdraw only if enough"). `try_add` / `try_sub`
/// answer `Ok(previous)`, or `Err(current)` and nothing changed — never above
/// the maximum, never below zero, however many clients race.
///
/// # Why it is correct under READ COMMITTED
///
/// Each step is one `UPDATE` of the one row: `SET value = CASE WHEN value <=
/// max - $n THEN value + $n ELSE value END`. An `UPDATE` locks the row and, if
/// another transaction changed it meanwhile, waits for that one and evaluates
/// the `CASE` on the **newest** version (EvalPlanQual recheck), never on the
/// snapshot. So the check and the write are one step on one row version; two
/// withdrawals that each see enough money cannot both pass. The row is written
/// even on a refusal (with `last_ok = false`), so the `Err(current)` it reports
/// is read under the same lock, not from a stale snapshot. A `CHECK (value >= 0
/// AND value <= max)` constraint backs this up. The reply is stored under the
/// [`RequestId`] in the same statement (see [`PgSeatPool`](crate::PgSeatPool)).
///
/// That statement lives in a PL/pgSQL function made with the table,
/// `<name>_add` / `<name>_sub` (its body is the statement and nothing else), and
/// a step is the one statement `SELECT ... FROM <name>_add($1, $2, $3)`: the
/// function keeps the statement's plan for the session instead of planning it
/// on every call. It runs in your transaction, and under READ COMMITTED its
/// statement takes its own snapshot when it starts and locks and re-checks the
/// row exactly as above.
///
/// The row lock is held until the transaction ends: inside a long transaction
/// of yours, other writers of this counter wait for your commit. Use it on its
/// own connection (autocommit) when that matters.
///
/// ```no_run
/// use racefree_postgres::{PgBoundedCounter, Table};
///
/// let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
/// let coupons = PgBoundedCounter::open_or_create(&mut client, &Table::public("first_100")?, 0, 100)?;
/// match coupons.try_add(&mut client, 1)? {
///     Ok(before) => println!("coupon #{}", before + 1),
///     Err(_) => println!("all 100 given out"),
/// }
/// # Ok::<(), racefree_postgres::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct PgBoundedCounter(Row);

impl PgBoundedCounter {
    /// The DDL that [`create`](Self::create) runs (for your migrations).
    ///
    /// # Errors
    /// [`Error::BadCounter`] when `initial > max` or `max > MAX_VALUE`.
    ///
    /// ```
    /// use racefree_postgres::{PgBoundedCounter, Table};
    /// let ddl = PgBoundedCounter::migration_sql(&Table::public("coupons")?, 0, 100)?;
    /// assert!(ddl.contains("bounded_counter v2 max=100"));
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn migration_sql(table: &Table, initial: u64, max: u64) -> Result<String> {
        if initial > max || max > MAX_VALUE {
            return Err(Error::BadCounter { initial, max });
        }
        Ok(ddl(table, "bounded_counter", initial, max))
    }

    /// Creates the counter's tables with `initial` in `0..=max`.
    ///
    /// # Errors
    /// [`Error::AlreadyExists`], [`Error::BadCounter`]; transport errors.
    ///
    /// ```no_run
    /// use racefree_postgres::{PgBoundedCounter, Table};
    /// let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// let balance = PgBoundedCounter::create(&mut client, &Table::public("acct_9")?, 500, 1_000_000)?;
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn create<C: GenericClient>(
        client: &mut C,
        table: &Table,
        initial: u64,
        max: u64,
    ) -> Result<Self> {
        Row::create(client, table, "bounded_counter", initial, max).map(Self)
    }

    /// Opens an existing counter (kind, version and columns checked).
    ///
    /// # Errors
    /// [`Error::TableMissing`], [`Error::WrongShape`]; transport errors.
    ///
    /// ```no_run
    /// use racefree_postgres::{PgBoundedCounter, Table};
    /// let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// let coupons = PgBoundedCounter::open(&mut client, &Table::public("first_100")?)?;
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn open<C: GenericClient>(client: &mut C, table: &Table) -> Result<Self> {
        Row::open(client, table, "bounded_counter").map(Self)
    }

    /// Opens the counter, or creates it; an existing one must have this `max`.
    ///
    /// # Errors
    /// [`Error::CapacityMismatch`]; as [`create`](Self::create).
    ///
    /// ```no_run
    /// use racefree_postgres::{PgBoundedCounter, Table};
    /// let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// let c = PgBoundedCounter::open_or_create(&mut client, &Table::public("first_100")?, 0, 100)?;
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn open_or_create<C: GenericClient>(
        client: &mut C,
        table: &Table,
        initial: u64,
        max: u64,
    ) -> Result<Self> {
        match Self::create(client, table, initial, max) {
            Err(Error::AlreadyExists { .. }) => {
                let c = Self::open(client, table)?;
                if c.max() != max {
                    return Err(Error::CapacityMismatch {
                        table: table.to_string(),
                        expected: max,
                        found: c.max(),
                    });
                }
                Ok(c)
            }
            other => other,
        }
    }

    /// The table.
    pub fn table(&self) -> &Table {
        &self.0.table
    }

    /// The maximum (fixed at creation).
    pub fn max(&self) -> u64 {
        self.0.max
    }

    /// The value now (one snapshot read).
    ///
    /// # Errors
    /// Transport and table errors.
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgBoundedCounter, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let c = PgBoundedCounter::open(&mut client, &Table::public("first_100")?)?;
    /// assert!(c.get(&mut client)? <= c.max());
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn get<C: GenericClient>(&self, client: &mut C) -> Result<u64> {
        self.0.get(client)
    }

    /// Adds `n` if the result stays `<= max`: `Ok(Ok(previous))`, or
    /// `Ok(Err(current))` and nothing changed.
    ///
    /// # Errors
    /// [`Error::BadCounter`] for `n > MAX_VALUE`; transport and table errors
    /// ([`Error::ConnectionLost`] carries the request id: repeat with
    /// [`try_add_with`](Self::try_add_with)).
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgBoundedCounter, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let c = PgBoundedCounter::open(&mut client, &Table::public("first_100")?)?;
    /// if c.try_add(&mut client, 1)?.is_ok() { /* issue the coupon */ }
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn try_add<C: GenericClient>(
        &self,
        client: &mut C,
        n: u64,
    ) -> Result<std::result::Result<u64, u64>> {
        self.0.step(client, true, n, &RequestId::new())
    }

    /// Subtracts `n` if the result stays `>= 0`: `Ok(Ok(previous))`, or
    /// `Ok(Err(current))` and nothing changed.
    ///
    /// # Errors
    /// As [`try_add`](Self::try_add).
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgBoundedCounter, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let balance = PgBoundedCounter::open(&mut client, &Table::public("acct_9")?)?;
    /// match balance.try_sub(&mut client, 30)? {
    ///     Ok(before) => println!("paid; {} left", before - 30),
    ///     Err(now) => println!("only {now} left: declined"),
    /// }
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn try_sub<C: GenericClient>(
        &self,
        client: &mut C,
        n: u64,
    ) -> Result<std::result::Result<u64, u64>> {
        self.0.step(client, false, n, &RequestId::new())
    }

    /// [`try_add`](Self::try_add) under your request id: a retry returns the
    /// first answer instead of adding twice.
    ///
    /// # Errors
    /// As [`try_add`](Self::try_add); [`Error::RequestIdReused`].
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgBoundedCounter, RequestId, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let c = PgBoundedCounter::open(&mut client, &Table::public("acct_9")?)?;
    /// let deposit = RequestId::from_string("deposit-5521")?;
    /// let first = c.try_add_with(&mut client, 100, &deposit)?;
    /// assert_eq!(c.try_add_with(&mut client, 100, &deposit)?, first); // no second deposit
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn try_add_with<C: GenericClient>(
        &self,
        client: &mut C,
        n: u64,
        rid: &RequestId,
    ) -> Result<std::result::Result<u64, u64>> {
        self.0.step(client, true, n, rid)
    }

    /// [`try_sub`](Self::try_sub) under your request id.
    ///
    /// # Errors
    /// As [`try_add_with`](Self::try_add_with).
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgBoundedCounter, RequestId, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let c = PgBoundedCounter::open(&mut client, &Table::public("acct_9")?)?;
    /// let r = c.try_sub_with(&mut client, 30, &RequestId::from_string("pay-1")?)?;
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn try_sub_with<C: GenericClient>(
        &self,
        client: &mut C,
        n: u64,
        rid: &RequestId,
    ) -> Result<std::result::Result<u64, u64>> {
        self.0.step(client, false, n, rid)
    }
}

/// An ID generator in a one-row PostgreSQL table: `increment` / `add` return
/// the **previous** value, and no two calls ever get the same one.
///
/// # `PgCounter` or a `SEQUENCE`?
///
/// A `SEQUENCE` (`nextval`) is faster and never blocks: it is not
/// transactional, so concurrent callers never wait for each other — but a
/// value taken by a transaction that rolls back is gone (gaps), and after a
/// crash a sequence may skip ahead (it logs values in batches). Use a
/// sequence for surrogate keys, where only uniqueness matters.
///
/// `PgCounter` is transactional: its step is an `UPDATE` of the one row
/// (`SET value = value + $n`, re-evaluated on the newest row version under the
/// row lock, so no two callers read the same value), so a rollback gives the
/// value back — **no gaps**, exactly one value per committed call (invoice
/// numbers, ticket serials that auditors count) — and a retry with the same
/// [`RequestId`] returns the same value. The price: the row lock is held until
/// the caller's transaction ends, so callers of one counter run one at a time
/// through commit.
///
/// ```no_run
/// use racefree_postgres::{PgCounter, Table};
///
/// let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
/// let invoices = PgCounter::open_or_create(&mut client, &Table::public("invoice_no")?, 1000)?;
/// let no = invoices.increment(&mut client)?; // 1000, then 1001, ...
/// # Ok::<(), racefree_postgres::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct PgCounter(Row);

impl PgCounter {
    /// The DDL that [`create`](Self::create) runs (for your migrations).
    ///
    /// # Errors
    /// [`Error::BadCounter`] when `initial > MAX_VALUE`.
    ///
    /// ```
    /// use racefree_postgres::{PgCounter, Table};
    /// let ddl = PgCounter::migration_sql(&Table::public("ids")?, 1)?;
    /// assert!(ddl.contains("racefree-postgres counter v2"));
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn migration_sql(table: &Table, initial: u64) -> Result<String> {
        if initial > MAX_VALUE {
            return Err(Error::BadCounter {
                initial,
                max: MAX_VALUE,
            });
        }
        Ok(ddl(table, "counter", initial, MAX_VALUE))
    }

    /// Creates the counter's tables, starting at `initial`.
    ///
    /// # Errors
    /// [`Error::AlreadyExists`], [`Error::BadCounter`]; transport errors.
    ///
    /// ```no_run
    /// use racefree_postgres::{PgCounter, Table};
    /// let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// let ids = PgCounter::create(&mut client, &Table::public("ids")?, 1)?;
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn create<C: GenericClient>(client: &mut C, table: &Table, initial: u64) -> Result<Self> {
        Row::create(client, table, "counter", initial, MAX_VALUE).map(Self)
    }

    /// Opens an existing counter (kind, version and columns checked).
    ///
    /// # Errors
    /// [`Error::TableMissing`], [`Error::WrongShape`]; transport errors.
    ///
    /// ```no_run
    /// use racefree_postgres::{PgCounter, Table};
    /// let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// let ids = PgCounter::open(&mut client, &Table::public("ids")?)?;
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn open<C: GenericClient>(client: &mut C, table: &Table) -> Result<Self> {
        Row::open(client, table, "counter").map(Self)
    }

    /// Opens the counter, or creates it at `initial`.
    ///
    /// # Errors
    /// As [`create`](Self::create) and [`open`](Self::open).
    ///
    /// ```no_run
    /// use racefree_postgres::{PgCounter, Table};
    /// let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// let ids = PgCounter::open_or_create(&mut client, &Table::public("ids")?, 1)?;
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn open_or_create<C: GenericClient>(
        client: &mut C,
        table: &Table,
        initial: u64,
    ) -> Result<Self> {
        match Self::create(client, table, initial) {
            Err(Error::AlreadyExists { .. }) => Self::open(client, table),
            other => other,
        }
    }

    /// The table.
    pub fn table(&self) -> &Table {
        &self.0.table
    }

    /// The value now: the next `increment` returns it (one snapshot read).
    ///
    /// # Errors
    /// Transport and table errors.
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgCounter, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let ids = PgCounter::open(&mut client, &Table::public("ids")?)?;
    /// println!("next id {}", ids.get(&mut client)?);
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn get<C: GenericClient>(&self, client: &mut C) -> Result<u64> {
        self.0.get(client)
    }

    /// Adds 1 and returns the previous value.
    ///
    /// # Errors
    /// [`Error::Overflow`] at [`MAX_VALUE`]; transport and table errors.
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgCounter, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let ids = PgCounter::open(&mut client, &Table::public("ids")?)?;
    /// let id = ids.increment(&mut client)?;
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn increment<C: GenericClient>(&self, client: &mut C) -> Result<u64> {
        self.add_with(client, 1, &RequestId::new())
    }

    /// Adds `n` and returns the previous value: the caller owns `previous ..
    /// previous + n` (a block of ids).
    ///
    /// # Errors
    /// As [`increment`](Self::increment).
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgCounter, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let ids = PgCounter::open(&mut client, &Table::public("ids")?)?;
    /// let first = ids.add(&mut client, 100)?; // ids first..first+100 are ours
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn add<C: GenericClient>(&self, client: &mut C, n: u64) -> Result<u64> {
        self.add_with(client, n, &RequestId::new())
    }

    /// [`increment`](Self::increment) under your request id.
    ///
    /// # Errors
    /// As [`add_with`](Self::add_with).
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgCounter, RequestId, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let ids = PgCounter::open(&mut client, &Table::public("ids")?)?;
    /// let rid = RequestId::from_string("order-17")?;
    /// assert_eq!(ids.increment_with(&mut client, &rid)?, ids.increment_with(&mut client, &rid)?);
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn increment_with<C: GenericClient>(&self, client: &mut C, rid: &RequestId) -> Result<u64> {
        self.add_with(client, 1, rid)
    }

    /// [`add`](Self::add) under your request id: a retry returns the same
    /// previous value instead of taking a second block.
    ///
    /// # Errors
    /// As [`increment`](Self::increment); [`Error::RequestIdReused`].
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgCounter, RequestId, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let ids = PgCounter::open(&mut client, &Table::public("ids")?)?;
    /// let first = ids.add_with(&mut client, 10, &RequestId::new())?;
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn add_with<C: GenericClient>(
        &self,
        client: &mut C,
        n: u64,
        rid: &RequestId,
    ) -> Result<u64> {
        match self.0.step(client, true, n, rid)? {
            Ok(prev) => Ok(prev),
            Err(value) => Err(Error::Overflow { value, n }),
        }
    }
}
