//! [`PgSeatPool`]: the seat pool as a PostgreSQL table.

use crate::common::{
    act, check_functions, exists, framed, lease_ms, num, read_comment, requests_ddl, run_ddl,
    words, Framed, Table, SCHEMA_VERSION,
};
use crate::error::{Error, Result};
use crate::{Hold, RequestId, Ticket};
use postgres::types::Type;
use postgres::GenericClient;
use std::fmt;
use std::time::Duration;

/// The most seats one pool may have (one row each; seat ids are `integer`).
///
/// ```
/// use racefree_postgres::{Error, PgSeatPool, Table, MAX_CAPACITY};
/// let t = Table::public("huge")?;
/// assert!(matches!(
///     PgSeatPool::migration_sql(&t, MAX_CAPACITY + 1),
///     Err(Error::CapacityTooLarge { .. })
/// ));
/// # Ok::<(), racefree_postgres::Error>(())
/// ```
pub const MAX_CAPACITY: usize = 1 << 27;

/// The default lease of an unconfirmed hold (change it with
/// [`PgSeatPool::with_lease`]).
///
/// ```
/// assert_eq!(racefree_postgres::DEFAULT_LEASE.as_secs(), 30);
/// ```
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// "Seat is free" on the row being looked at: nobody's, or an unconfirmed hold
/// whose lease ended by the server clock of this statement.
const FREE: &str = "(token IS NULL OR (NOT booked AND lease_until <= (SELECT now FROM clk)))";

/// The columns `open` checks, with their `information_schema` types.
const COLUMNS: &[(&str, &str)] = &[
    ("seat", "integer"),
    ("token", "text"),
    ("booked", "boolean"),
    ("lease_until", "timestamp with time zone"),
];

/// A seat pool kept in a PostgreSQL table: one row per seat, shared by every
/// process that uses the same table. The same operations as
/// [`racefree::SeatPool`](https://docs.rs/racefree), each **one SQL statement**,
/// correct under READ COMMITTED (PostgreSQL's default), run on **your** client
/// or transaction — so a service can book the seat and insert its order row in
/// one transaction, and a rollback undoes both.
///
/// # Why each statement is correct under READ COMMITTED
///
/// Under READ COMMITTED a statement reads a snapshot taken when it starts, but
/// an `UPDATE` (or `SELECT ... FOR UPDATE`) that meets a row another
/// transaction changed **waits for that transaction, then re-evaluates its
/// `WHERE` on the newest version of the row** (PostgreSQL's EvalPlanQual
/// recheck) and skips the row if it no longer qualifies. Every statement here
/// puts the whole check in that `WHERE`, so the check and the write happen on
/// the same row version under the row lock:
///
/// - **a given seat**: `UPDATE seats SET token = $rid, lease_until = now + lease
///   WHERE seat = $id AND <free>` — two callers racing for seat 7: the second
///   waits, re-checks `<free>` on the first one's version, finds it taken, and
///   updates nothing (`Ok(None)`).
/// - **any seat**: `pick AS MATERIALIZED (SELECT seat FROM seats WHERE <free>
///   ORDER BY seat LIMIT 1 FOR UPDATE SKIP LOCKED)`, then `UPDATE seats ...
///   WHERE seat = (SELECT seat FROM pick) AND <free>` — `pick` locks one free
///   row, *skipping* rows that other callers are busy claiming instead of
///   queueing behind them, and re-checks `<free>` on the locked row's newest
///   version; the `UPDATE` writes the row it locked. Concurrent callers get
///   different seats without waiting for each other. `pick` is a materialized
///   CTE, evaluated once: written as a subquery inside the `UPDATE`'s `WHERE`
///   it answered "no seat" about once in 3,000 calls at 8 clients with a
///   roomy pool (`tests/contention.rs`).
/// - **a group, all or nothing**: one statement: `pick` locks up to `k` free
///   rows (`FOR UPDATE SKIP LOCKED LIMIT k`), and the `UPDATE` writes them only
///   `WHERE (SELECT count(*) FROM pick) = k`. It writes all `k` rows or none;
///   as one statement it commits (or rolls back) whole, so no other session
///   ever sees part of a group.
/// - **confirm / renew** (fenced): `cand` locks the hold's rows `WHERE token =
///   $token AND NOT booked AND lease_until > now` (waiting, then re-checking on
///   the newest version), and the `UPDATE` writes them only if *all* of them
///   qualify. A hold whose lease ended — perhaps re-sold to someone else, whose
///   token is on the row now — books nothing: [`Error::HoldExpired`].
/// - **cancel**: the same shape on `token = $token AND booked`.
/// - **available**: one `count(*)` over one snapshot.
///
/// The statements of reserve (any, a given seat, a group), confirm and cancel
/// are kept in PL/pgSQL functions made with the table (`<name>_reserve_any`,
/// `<name>_reserve_seat`, `<name>_reserve_many`, `<name>_confirm`,
/// `<name>_cancel`): each body is that one statement (with its request-id
/// frame) and nothing else, and a call is the one statement `SELECT ... FROM
/// <name>_confirm($1, ...)`. The function keeps the statement's plan for the
/// session (PL/pgSQL's plan cache) instead of planning the whole CTE on every
/// call; the statement itself is unchanged, runs in the caller's transaction,
/// and under READ COMMITTED takes its own snapshot when it starts (it is the
/// only statement of a `VOLATILE` function) and re-checks rows under their
/// locks as described above. Release, renew and available are plain
/// statements.
///
/// What SKIP LOCKED costs, stated honestly: a seat whose row another
/// transaction has locked is skipped, not waited for. When that transaction
/// takes the seat (the usual case) the answer is exact; when it leaves the seat
/// free (a group claim that found too few seats, or *your own* transaction that
/// claimed a seat and then rolls back) a concurrent `try_reserve` /
/// `try_reserve_many` may answer `None` although that seat is free. A `None`
/// is therefore "no seat was free and unclaimed at that moment"; ask again if
/// you must be sure. In the other direction, [`available`](Self::available)
/// counts a seat that an in-flight claim has locked but not yet committed as
/// free. Both are bounded by the seats that calls still in flight have
/// *promised*: the same slack the in-process pool's admission counter has, and
/// what this crate's linearizability tests check (`SeatModel` with a slack of
/// the other clients' largest claims). Seats themselves are never relaxed: no
/// seat is ever held or booked twice, a group is all or nothing, and a release
/// frees exactly its seats. Likewise, inside a long transaction of yours the
/// rows you claimed stay locked until you commit, and other callers skip them.
///
/// Why not fall back to a waiting `FOR UPDATE` when `SKIP LOCKED` finds
/// nothing? A waiting `FOR UPDATE` keeps its lock on every row it waited for,
/// also on rows that fail the re-check, so it can hold a seat of someone's
/// fresh hold while waiting for another: with a release or confirm that locks
/// the same rows in another order, that is a deadlock. Claims here never wait
/// while holding a lock (a given seat, `try_reserve_seat`, waits for one row
/// and holds nothing else), so no claim can be part of a deadlock; the
/// multi-row statements (confirm, cancel, release, renew) touch only the rows
/// of one hold or of your own tickets.
///
/// # Leases, tokens, tickets
///
/// A reservation is a *hold* ([`Hold`]) with a lease on the **server's clock**
/// (`clock_timestamp()`, read once per statement): if the client dies, its
/// seats are free again when the lease ends, with no clean-up job (the free
/// predicate counts an expired hold as free, and the next claim overwrites
/// it). [`confirm`](Self::confirm) turns a hold into [`Ticket`]s (no lease);
/// only [`cancel`](Self::cancel) frees a ticket's seat. The token of a hold is
/// the request id of the reserve that made it.
///
/// # Request ids
///
/// Every reserve, confirm and cancel stores its reply under its [`RequestId`]
/// in the table's companion `<name>_requests` table **in the same statement**
/// (a data-modifying CTE), so the reply is committed exactly when the act is.
/// If the connection drops mid-call ([`Error::ConnectionLost`]), repeat the
/// call on a new connection with the same id (the `*_with` methods): it returns
/// the first answer if the first call committed, and acts now if it did not —
/// the outcome is read, never guessed. Old replies are removed by
/// [`purge_requests`](crate::purge_requests).
///
/// # Schema
///
/// [`create`](Self::create) runs [`migration_sql`](Self::migration_sql):
///
/// ```sql
/// CREATE SCHEMA IF NOT EXISTS "booking";
/// CREATE TABLE "booking"."seats" (
///   seat integer PRIMARY KEY,
///   token text,                      -- NULL: free; else the hold/ticket token
///   booked boolean NOT NULL DEFAULT false,
///   lease_until timestamptz,         -- end of an unconfirmed hold
///   CHECK (booked = false OR token IS NOT NULL)
/// );
/// INSERT INTO "booking"."seats" (seat) SELECT generate_series(0, 499);
/// COMMENT ON TABLE "booking"."seats" IS 'racefree-postgres seat_pool v2 capacity=500';
/// CREATE TABLE "booking"."seats_requests" (
///   request_id text PRIMARY KEY, signature text NOT NULL,
///   reply text NOT NULL, created_at timestamptz NOT NULL
/// );
/// CREATE OR REPLACE FUNCTION "booking"."seats_reserve_any"(text, text, bigint,
///   OUT o_sig text, OUT o_reply text) LANGUAGE plpgsql VOLATILE AS $racefree$
/// BEGIN
/// WITH clk AS (...), prior AS (...), act AS (UPDATE ...), rep AS (...), ins AS (INSERT ...)
/// SELECT ... INTO o_sig, o_reply;
/// END
/// $racefree$;
/// COMMENT ON FUNCTION "booking"."seats_reserve_any"(text, text, bigint)
///   IS 'racefree-postgres seat_pool v2';
/// -- and likewise seats_reserve_seat, seats_reserve_many, seats_confirm, seats_cancel
/// ```
///
/// Put that in your migrations instead if you prefer; [`open`](Self::open)
/// checks the comment (kind, version, capacity), the columns and the functions
/// (present, with this version's comment). Dropping the table does not drop
/// the functions: drop them too, or `create` replaces them.
///
/// ```no_run
/// use racefree_postgres::{PgSeatPool, Table};
///
/// let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
/// let pool = PgSeatPool::open_or_create(&mut client, &Table::new("booking", "show_42")?, 100)?;
/// // Book a seat and write the order in one transaction: both or neither.
/// let mut tx = client.transaction().map_err(racefree_postgres::Error::Db)?;
/// if let Some(hold) = pool.try_reserve(&mut tx)? {
///     let tickets = pool.confirm(&mut tx, hold)?;
///     tx.execute("INSERT INTO orders (seat) VALUES ($1)", &[&(tickets[0].id() as i32)])
///         .map_err(racefree_postgres::Error::Db)?;
/// }
/// tx.commit().map_err(racefree_postgres::Error::Db)?;
/// # Ok::<(), racefree_postgres::Error>(())
/// ```
#[derive(Clone)]
pub struct PgSeatPool {
    table: Table,
    capacity: usize,
    lease: Duration,
    sql: Sql,
}

#[derive(Clone)]
struct Sql {
    reserve_any: Framed,
    reserve_seat: Framed,
    reserve_many: Framed,
    confirm: Framed,
    cancel: Framed,
    release: String,
    renew: String,
    available: String,
}

impl fmt::Debug for PgSeatPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgSeatPool")
            .field("table", &self.table)
            .field("capacity", &self.capacity)
            .field("lease", &self.lease)
            .finish()
    }
}

const KIND: &str = "seat_pool";

fn build_sql(table: &Table) -> Sql {
    let t = table.q();
    // $1 request id, $2 signature, $3 lease (ms), $4.. per statement.
    let claim = "SET token = $1, booked = false, \
                 lease_until = (SELECT now FROM clk) + $3::bigint * interval '1 millisecond'";
    let seats_reply = "SELECT CASE WHEN count(*) = 0 THEN 'none' \
                       ELSE 'ok ' || string_agg(seat::text, ' ' ORDER BY seat) END AS reply FROM act";
    Sql {
        reserve_any: framed(
            table,
            KIND,
            "reserve_any",
            &["bigint"],
            &format!(
                "pick AS MATERIALIZED (SELECT seat FROM {t} \
                   WHERE {FREE} AND NOT EXISTS (SELECT 1 FROM prior) \
                   ORDER BY seat LIMIT 1 FOR UPDATE SKIP LOCKED), \
                 act AS (UPDATE {t} {claim} \
                   WHERE seat = (SELECT seat FROM pick) AND {FREE} RETURNING seat), \
                 rep AS ({seats_reply})"
            ),
        ),
        reserve_seat: framed(
            table,
            KIND,
            "reserve_seat",
            &["bigint", "integer"],
            &format!(
                "act AS (UPDATE {t} {claim} \
                   WHERE seat = $4::integer AND {FREE} AND NOT EXISTS (SELECT 1 FROM prior) \
                   RETURNING seat), \
                 rep AS ({seats_reply})"
            ),
        ),
        reserve_many: framed(
            table,
            KIND,
            "reserve_many",
            &["bigint", "bigint"],
            &format!(
                "pick AS MATERIALIZED (SELECT seat FROM {t} \
                   WHERE {FREE} AND NOT EXISTS (SELECT 1 FROM prior) \
                   ORDER BY seat LIMIT $4::bigint FOR UPDATE SKIP LOCKED), \
                 act AS (UPDATE {t} {claim} \
                   WHERE seat IN (SELECT seat FROM pick) AND {FREE} \
                     AND (SELECT count(*) FROM pick) = $4::bigint RETURNING seat), \
                 rep AS ({seats_reply})"
            ),
        ),
        // $3 unused lease slot kept for uniform numbering: $3 = token here.
        confirm: framed(
            table,
            KIND,
            "confirm",
            &["text", "integer[]"],
            &format!(
                "cand AS (SELECT seat FROM {t} WHERE seat = ANY($4::integer[]) AND token = $3::text \
                          AND NOT booked AND lease_until > (SELECT now FROM clk) FOR UPDATE), \
                 act AS (UPDATE {t} SET booked = true, lease_until = NULL \
                   WHERE seat IN (SELECT seat FROM cand) \
                     AND (SELECT count(*) FROM cand) = cardinality($4::integer[]) \
                     AND NOT EXISTS (SELECT 1 FROM prior) RETURNING seat), \
                 rep AS (SELECT CASE WHEN count(*) = cardinality($4::integer[]) THEN 'ok' \
                                ELSE 'expired' END AS reply FROM act)"
            ),
        ),
        // $3 = tokens (text[]), $4 = seats (integer[]), pairwise.
        cancel: framed(
            table,
            KIND,
            "cancel",
            &["text[]", "integer[]"],
            &format!(
                "cand AS (SELECT s.seat FROM {t} s \
                          JOIN unnest($4::integer[], $3::text[]) AS u(seat, token) \
                            ON s.seat = u.seat AND s.token = u.token \
                          WHERE s.booked FOR UPDATE OF s), \
                 act AS (UPDATE {t} SET token = NULL, booked = false, lease_until = NULL \
                   WHERE seat IN (SELECT seat FROM cand) \
                     AND (SELECT count(*) FROM cand) = cardinality($4::integer[]) \
                     AND NOT EXISTS (SELECT 1 FROM prior) RETURNING seat), \
                 rep AS (SELECT CASE WHEN count(*) = cardinality($4::integer[]) THEN 'ok' \
                   ELSE 'notbooked ' || (SELECT min(x) FROM unnest($4::integer[]) x \
                                         WHERE x NOT IN (SELECT seat FROM cand)) END AS reply \
                   FROM act)"
            ),
        ),
        // No request id: fenced by the token, so repeating is harmless.
        release: format!(
            "UPDATE {t} SET token = NULL, booked = false, lease_until = NULL \
             WHERE seat = ANY($1::integer[]) AND token = $2::text AND NOT booked"
        ),
        renew: format!(
            "WITH clk AS (SELECT clock_timestamp() AS now), \
             cand AS (SELECT seat FROM {t} WHERE seat = ANY($1::integer[]) AND token = $2::text \
                      AND NOT booked AND lease_until > (SELECT now FROM clk) FOR UPDATE) \
             UPDATE {t} SET lease_until = (SELECT now FROM clk) + $3::bigint * interval '1 millisecond' \
             WHERE seat IN (SELECT seat FROM cand) \
               AND (SELECT count(*) FROM cand) = cardinality($1::integer[])"
        ),
        available: format!(
            "WITH clk AS (SELECT clock_timestamp() AS now) SELECT count(*) FROM {t} WHERE {FREE}"
        ),
    }
}

impl Sql {
    fn functions(&self) -> [&Framed; 5] {
        [
            &self.reserve_any,
            &self.reserve_seat,
            &self.reserve_many,
            &self.confirm,
            &self.cancel,
        ]
    }

    fn functions_ddl(&self) -> String {
        self.functions().iter().map(|f| f.ddl.as_str()).collect()
    }
}

impl PgSeatPool {
    /// The DDL that [`create`](Self::create) runs: the schema (if missing), the
    /// seat table with `capacity` free rows, its comment (kind, version,
    /// capacity) and the request table. For your own migration tool.
    ///
    /// # Errors
    /// [`Error::ZeroCapacity`], [`Error::CapacityTooLarge`].
    ///
    /// ```
    /// use racefree_postgres::{PgSeatPool, Table};
    ///
    /// let ddl = PgSeatPool::migration_sql(&Table::new("booking", "seats")?, 500)?;
    /// assert!(ddl.contains("generate_series(0, 499)"));
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn migration_sql(table: &Table, capacity: usize) -> Result<String> {
        if capacity == 0 {
            return Err(Error::ZeroCapacity);
        }
        if capacity > MAX_CAPACITY {
            return Err(Error::CapacityTooLarge { capacity });
        }
        let t = table.q();
        Ok(format!(
            "CREATE SCHEMA IF NOT EXISTS {schema};\n\
             CREATE TABLE {t} (\n  seat integer PRIMARY KEY,\n  token text,\n  \
             booked boolean NOT NULL DEFAULT false,\n  lease_until timestamptz,\n  \
             CHECK (booked = false OR token IS NOT NULL)\n);\n\
             INSERT INTO {t} (seat) SELECT generate_series(0, {last});\n\
             COMMENT ON TABLE {t} IS 'racefree-postgres seat_pool v{SCHEMA_VERSION} capacity={capacity}';\n\
             {req}{fns}",
            schema = table.q_schema(),
            last = capacity - 1,
            req = requests_ddl(table),
            fns = build_sql(table).functions_ddl(),
        ))
    }

    /// Creates the pool's tables (one implicit transaction: all or nothing) and
    /// returns its handle.
    ///
    /// # Errors
    /// [`Error::AlreadyExists`]; [`Error::ZeroCapacity`],
    /// [`Error::CapacityTooLarge`]; [`Error::PermissionDenied`]; transport errors.
    ///
    /// ```no_run
    /// use racefree_postgres::{PgSeatPool, Table};
    /// let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// let pool = PgSeatPool::create(&mut client, &Table::public("gate_7")?, 180)?;
    /// assert_eq!(pool.capacity(), 180);
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn create<C: GenericClient>(
        client: &mut C,
        table: &Table,
        capacity: usize,
    ) -> Result<Self> {
        let ddl = Self::migration_sql(table, capacity)?;
        if exists(client, table)? {
            return Err(Error::AlreadyExists {
                table: table.to_string(),
            });
        }
        run_ddl(client, table, &ddl)?;
        Ok(Self::handle(table, capacity))
    }

    /// Opens an existing pool: checks the table's kind, schema version and
    /// columns, and reads its capacity.
    ///
    /// # Errors
    /// [`Error::TableMissing`], [`Error::WrongShape`]; transport errors.
    ///
    /// ```no_run
    /// use racefree_postgres::{PgSeatPool, Table};
    /// let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// let pool = PgSeatPool::open(&mut client, &Table::public("gate_7")?)?;
    /// println!("{} seats", pool.capacity());
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn open<C: GenericClient>(client: &mut C, table: &Table) -> Result<Self> {
        let rest = read_comment(client, table, KIND, COLUMNS)?;
        let capacity = rest
            .strip_prefix("capacity=")
            .and_then(|c| c.parse::<usize>().ok())
            .filter(|c| (1..=MAX_CAPACITY).contains(c))
            .ok_or_else(|| Error::WrongShape {
                table: table.to_string(),
                detail: format!("bad capacity in comment: {rest:?}"),
            })?;
        let pool = Self::handle(table, capacity);
        check_functions(client, table, KIND, &pool.sql.functions())?;
        Ok(pool)
    }

    /// Opens the pool and checks it has `capacity` seats.
    ///
    /// # Errors
    /// [`Error::CapacityMismatch`]; as [`open`](Self::open).
    ///
    /// ```no_run
    /// use racefree_postgres::{PgSeatPool, Table};
    /// let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// let pool = PgSeatPool::open_expecting(&mut client, &Table::public("gate_7")?, 180)?;
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn open_expecting<C: GenericClient>(
        client: &mut C,
        table: &Table,
        capacity: usize,
    ) -> Result<Self> {
        let pool = Self::open(client, table)?;
        if pool.capacity != capacity {
            return Err(Error::CapacityMismatch {
                table: table.to_string(),
                expected: capacity as u64,
                found: pool.capacity as u64,
            });
        }
        Ok(pool)
    }

    /// Opens the pool, or creates it with `capacity` seats if the table is
    /// missing.
    ///
    /// # Errors
    /// As [`create`](Self::create) and [`open_expecting`](Self::open_expecting).
    ///
    /// ```no_run
    /// use racefree_postgres::{PgSeatPool, Table};
    /// let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// let pool = PgSeatPool::open_or_create(&mut client, &Table::public("gate_7")?, 180)?;
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn open_or_create<C: GenericClient>(
        client: &mut C,
        table: &Table,
        capacity: usize,
    ) -> Result<Self> {
        match Self::create(client, table, capacity) {
            Err(Error::AlreadyExists { .. }) => Self::open_expecting(client, table, capacity),
            other => other,
        }
    }

    fn handle(table: &Table, capacity: usize) -> Self {
        PgSeatPool {
            table: table.clone(),
            capacity,
            lease: DEFAULT_LEASE,
            sql: build_sql(table),
        }
    }

    /// This handle with another lease for the holds it makes (and renews).
    ///
    /// # Errors
    /// [`Error::BadLease`] for zero or more than 100 years.
    ///
    /// ```no_run
    /// use racefree_postgres::{PgSeatPool, Table};
    /// use std::time::Duration;
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// let pool = PgSeatPool::open(&mut client, &Table::public("gate_7")?)?
    ///     .with_lease(Duration::from_secs(300))?;
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn with_lease(mut self, lease: Duration) -> Result<Self> {
        lease_ms(lease)?;
        self.lease = lease;
        Ok(self)
    }

    /// The lease of new holds.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// The pool's table.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// Number of seats (fixed at creation).
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Seats neither held nor booked (holds whose lease ended count as free),
    /// counted over one snapshot.
    ///
    /// # Errors
    /// Transport and table errors.
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgSeatPool, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let pool = PgSeatPool::open(&mut client, &Table::public("gate_7")?)?;
    /// assert!(pool.available(&mut client)? <= pool.capacity());
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn available<C: GenericClient>(&self, client: &mut C) -> Result<usize> {
        let row = client
            .query_typed_one(self.sql.available.as_str(), &[])
            .map_err(|e| self.err(e, None))?;
        Ok(row.get::<_, i64>(0) as usize)
    }

    /// Holds any free seat, or `Ok(None)` when none is free and unclaimed (see
    /// the type's docs on SKIP LOCKED).
    ///
    /// # Errors
    /// Transport and table errors; [`Error::ConnectionLost`] carries the
    /// generated request id: repeat with [`try_reserve_with`](Self::try_reserve_with).
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgSeatPool, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let pool = PgSeatPool::open(&mut client, &Table::public("gate_7")?)?;
    /// match pool.try_reserve(&mut client)? {
    ///     Some(hold) => println!("holding seat {}", hold.id()),
    ///     None => println!("sold out"),
    /// }
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn try_reserve<C: GenericClient>(&self, client: &mut C) -> Result<Option<Hold>> {
        self.try_reserve_with(client, &RequestId::new())
    }

    /// [`try_reserve`](Self::try_reserve) under your request id: repeating it
    /// with the same id returns the same hold instead of taking a second seat.
    /// The id becomes the hold's token.
    ///
    /// # Errors
    /// As [`try_reserve`](Self::try_reserve); [`Error::RequestIdReused`].
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgSeatPool, RequestId, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let pool = PgSeatPool::open(&mut client, &Table::public("gate_7")?)?;
    /// let rid = RequestId::from_string("cart-881")?;
    /// let hold = pool.try_reserve_with(&mut client, &rid)?;
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn try_reserve_with<C: GenericClient>(
        &self,
        client: &mut C,
        rid: &RequestId,
    ) -> Result<Option<Hold>> {
        let lease = lease_ms(self.lease)?;
        let reply = act(
            client,
            &self.table,
            &self.sql.reserve_any.call,
            rid,
            "reserve any",
            &[(&lease, Type::INT8)],
        )?;
        self.hold_reply(&reply, rid, None)
    }

    /// Holds seat `id`, or `Ok(None)` when it is held or booked.
    ///
    /// # Errors
    /// [`Error::SeatOutOfRange`] when `id >= capacity()`; as
    /// [`try_reserve`](Self::try_reserve).
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgSeatPool, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let pool = PgSeatPool::open(&mut client, &Table::public("gate_7")?)?;
    /// if let Some(hold) = pool.try_reserve_seat(&mut client, 12)? {
    ///     assert_eq!(hold.id(), 12);
    /// }
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn try_reserve_seat<C: GenericClient>(
        &self,
        client: &mut C,
        id: usize,
    ) -> Result<Option<Hold>> {
        self.try_reserve_seat_with(client, id, &RequestId::new())
    }

    /// [`try_reserve_seat`](Self::try_reserve_seat) under your request id.
    ///
    /// # Errors
    /// As [`try_reserve_seat`](Self::try_reserve_seat) and
    /// [`try_reserve_with`](Self::try_reserve_with).
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgSeatPool, RequestId, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let pool = PgSeatPool::open(&mut client, &Table::public("gate_7")?)?;
    /// let hold = pool.try_reserve_seat_with(&mut client, 3, &RequestId::new())?;
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn try_reserve_seat_with<C: GenericClient>(
        &self,
        client: &mut C,
        id: usize,
        rid: &RequestId,
    ) -> Result<Option<Hold>> {
        if id >= self.capacity {
            return Err(Error::SeatOutOfRange {
                id,
                capacity: self.capacity,
            });
        }
        let lease = lease_ms(self.lease)?;
        let seat = id as i32;
        let reply = act(
            client,
            &self.table,
            &self.sql.reserve_seat.call,
            rid,
            &format!("reserve seat {id}"),
            &[(&lease, Type::INT8), (&seat, Type::INT4)],
        )?;
        self.hold_reply(&reply, rid, Some(1))
    }

    /// Holds `k` seats all or nothing: `Ok(None)` (and nothing held) when fewer
    /// than `k` are free and unclaimed. The ids come back ascending.
    ///
    /// # Errors
    /// [`Error::BadGroupSize`] when `k == 0` or `k > capacity()`; as
    /// [`try_reserve`](Self::try_reserve).
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgSeatPool, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let pool = PgSeatPool::open(&mut client, &Table::public("gate_7")?)?;
    /// if let Some(family) = pool.try_reserve_many(&mut client, 4)? {
    ///     assert_eq!(family.ids().len(), 4);
    ///     let tickets = pool.confirm(&mut client, family)?;
    /// }
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn try_reserve_many<C: GenericClient>(
        &self,
        client: &mut C,
        k: usize,
    ) -> Result<Option<Hold>> {
        self.try_reserve_many_with(client, k, &RequestId::new())
    }

    /// [`try_reserve_many`](Self::try_reserve_many) under your request id.
    ///
    /// # Errors
    /// As [`try_reserve_many`](Self::try_reserve_many) and
    /// [`try_reserve_with`](Self::try_reserve_with).
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgSeatPool, RequestId, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let pool = PgSeatPool::open(&mut client, &Table::public("gate_7")?)?;
    /// let group = pool.try_reserve_many_with(&mut client, 2, &RequestId::new())?;
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn try_reserve_many_with<C: GenericClient>(
        &self,
        client: &mut C,
        k: usize,
        rid: &RequestId,
    ) -> Result<Option<Hold>> {
        if k == 0 || k > self.capacity {
            return Err(Error::BadGroupSize {
                k,
                capacity: self.capacity,
            });
        }
        let lease = lease_ms(self.lease)?;
        let kk = k as i64;
        let reply = act(
            client,
            &self.table,
            &self.sql.reserve_many.call,
            rid,
            &format!("reserve many {k}"),
            &[(&lease, Type::INT8), (&kk, Type::INT8)],
        )?;
        self.hold_reply(&reply, rid, Some(k))
    }

    /// Books every seat of `hold`, all or none: the hold becomes tickets with
    /// no lease. Fenced: only while the hold is still this token's and its
    /// lease has not ended (server clock).
    ///
    /// # Errors
    /// [`Error::HoldExpired`] when the lease ended or the hold was released
    /// first — nothing is booked; transport errors ([`Error::ConnectionLost`]
    /// carries the request id: repeat with [`confirm_with`](Self::confirm_with),
    /// rebuilding the hold with [`Hold::from_parts`]).
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgSeatPool, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let pool = PgSeatPool::open(&mut client, &Table::public("gate_7")?)?;
    /// let hold = pool.try_reserve(&mut client)?.expect("a free seat");
    /// let tickets = pool.confirm(&mut client, hold)?;
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn confirm<C: GenericClient>(&self, client: &mut C, hold: Hold) -> Result<Vec<Ticket>> {
        self.confirm_with(client, hold, &RequestId::new())
    }

    /// [`confirm`](Self::confirm) under your request id.
    ///
    /// # Errors
    /// As [`confirm`](Self::confirm); [`Error::RequestIdReused`].
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgSeatPool, RequestId, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let pool = PgSeatPool::open(&mut client, &Table::public("gate_7")?)?;
    /// let hold = pool.try_reserve(&mut client)?.expect("a free seat");
    /// let tickets = pool.confirm_with(&mut client, hold, &RequestId::from_string("pay-77")?)?;
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn confirm_with<C: GenericClient>(
        &self,
        client: &mut C,
        hold: Hold,
        rid: &RequestId,
    ) -> Result<Vec<Ticket>> {
        let seats = self.seat_array(hold.ids())?;
        let list: Vec<String> = hold.ids().iter().map(usize::to_string).collect();
        let sig = format!("confirm {} {}", hold.token(), list.join(","));
        let reply = act(
            client,
            &self.table,
            &self.sql.confirm.call,
            rid,
            &sig,
            &[(&hold.token(), Type::TEXT), (&seats, Type::INT4_ARRAY)],
        )?;
        match reply.as_str() {
            "ok" => Ok(hold
                .ids()
                .iter()
                .map(|&id| Ticket::from_parts(id, hold.token()))
                .collect()),
            "expired" => Err(Error::HoldExpired {
                seats: hold.into_parts().0,
            }),
            _ => Err(Error::Protocol(format!("confirm reply {reply:?}"))),
        }
    }

    /// Starts a fresh lease for every seat of `hold` (all or none).
    ///
    /// # Errors
    /// [`Error::HoldExpired`] when the lease already ended; transport errors.
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgSeatPool, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let pool = PgSeatPool::open(&mut client, &Table::public("gate_7")?)?;
    /// let hold = pool.try_reserve(&mut client)?.expect("a free seat");
    /// pool.renew(&mut client, &hold)?; // the customer is still typing
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn renew<C: GenericClient>(&self, client: &mut C, hold: &Hold) -> Result<()> {
        let seats = self.seat_array(hold.ids())?;
        let lease = lease_ms(self.lease)?;
        let n = client
            .execute_typed(
                self.sql.renew.as_str(),
                &[
                    (&seats, Type::INT4_ARRAY),
                    (&hold.token(), Type::TEXT),
                    (&lease, Type::INT8),
                ],
            )
            .map_err(|e| self.err(e, None))?;
        if n as usize == hold.len() {
            Ok(())
        } else {
            Err(Error::HoldExpired {
                seats: hold.ids().to_vec(),
            })
        }
    }

    /// Releases a hold now (the seats still held under its token; a lapsed
    /// seat someone else took is left alone). Returns how many seats it freed.
    /// Fenced by the token, so repeating it is harmless; if it never runs, the
    /// lease frees the seats anyway.
    ///
    /// # Errors
    /// Transport errors.
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgSeatPool, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let pool = PgSeatPool::open(&mut client, &Table::public("gate_7")?)?;
    /// let hold = pool.try_reserve(&mut client)?.expect("a free seat");
    /// pool.release(&mut client, hold)?;
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn release<C: GenericClient>(&self, client: &mut C, hold: Hold) -> Result<usize> {
        let seats = self.seat_array(hold.ids())?;
        let n = client
            .execute_typed(
                self.sql.release.as_str(),
                &[(&seats, Type::INT4_ARRAY), (&hold.token(), Type::TEXT)],
            )
            .map_err(|e| self.err(e, None))?;
        Ok(n as usize)
    }

    /// Releases a confirmed seat. `Ticket` is not `Clone`, so one ticket
    /// cancels once; the statement also checks the ticket's token, so a stale
    /// ticket cannot release someone else's booking of the same seat.
    ///
    /// # Errors
    /// [`Error::NotBooked`]; transport errors.
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgSeatPool, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let pool = PgSeatPool::open(&mut client, &Table::public("gate_7")?)?;
    /// let hold = pool.try_reserve(&mut client)?.expect("a free seat");
    /// let ticket = pool.confirm(&mut client, hold)?.remove(0);
    /// pool.cancel(&mut client, ticket)?;
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn cancel<C: GenericClient>(&self, client: &mut C, ticket: Ticket) -> Result<()> {
        self.cancel_many_with(client, vec![ticket], &RequestId::new())
    }

    /// Cancels several tickets in one statement, all or none (a group refund:
    /// nobody sees some of its seats free and others booked).
    ///
    /// # Errors
    /// [`Error::NotBooked`] naming the lowest seat not booked under its token
    /// (then nothing is cancelled); transport errors. An empty list is `Ok(())`.
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgSeatPool, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let pool = PgSeatPool::open(&mut client, &Table::public("gate_7")?)?;
    /// let group = pool.try_reserve_many(&mut client, 3)?.expect("3 free");
    /// let tickets = pool.confirm(&mut client, group)?;
    /// pool.cancel_many(&mut client, tickets)?;
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn cancel_many<C: GenericClient>(
        &self,
        client: &mut C,
        tickets: Vec<Ticket>,
    ) -> Result<()> {
        self.cancel_many_with(client, tickets, &RequestId::new())
    }

    /// [`cancel_many`](Self::cancel_many) under your request id: a retry
    /// returns the first answer (`Ok`) instead of [`Error::NotBooked`].
    ///
    /// # Errors
    /// As [`cancel_many`](Self::cancel_many); [`Error::RequestIdReused`].
    ///
    /// ```no_run
    /// # use racefree_postgres::{PgSeatPool, RequestId, Table};
    /// # let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
    /// # let pool = PgSeatPool::open(&mut client, &Table::public("gate_7")?)?;
    /// # let hold = pool.try_reserve(&mut client)?.expect("a free seat");
    /// # let tickets = pool.confirm(&mut client, hold)?;
    /// pool.cancel_many_with(&mut client, tickets, &RequestId::from_string("refund-9")?)?;
    /// # Ok::<(), racefree_postgres::Error>(())
    /// ```
    pub fn cancel_many_with<C: GenericClient>(
        &self,
        client: &mut C,
        tickets: Vec<Ticket>,
        rid: &RequestId,
    ) -> Result<()> {
        if tickets.is_empty() {
            return Ok(());
        }
        let mut sorted: Vec<usize> = tickets.iter().map(Ticket::id).collect();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            // The same seat twice: the second cannot be booked any more.
            return Err(Error::NotBooked { seat: w[0] });
        }
        if let Some(t) = tickets.iter().find(|t| t.id() >= self.capacity) {
            return Err(Error::NotBooked { seat: t.id() });
        }
        let ids: Vec<usize> = tickets.iter().map(Ticket::id).collect();
        let seats = self.seat_array(&ids)?;
        let tokens: Vec<String> = tickets.iter().map(|t| t.token().to_string()).collect();
        let pairs: Vec<String> = tickets
            .iter()
            .map(|t| format!("{}:{}", t.id(), t.token()))
            .collect();
        let sig = format!("cancel {}", pairs.join(","));
        let reply = act(
            client,
            &self.table,
            &self.sql.cancel.call,
            rid,
            &sig,
            &[(&tokens, Type::TEXT_ARRAY), (&seats, Type::INT4_ARRAY)],
        )?;
        let w = words(&reply);
        match w.first().copied() {
            Some("ok") => Ok(()),
            Some("notbooked") => Err(Error::NotBooked {
                seat: num(&reply, w.get(1))?,
            }),
            _ => Err(Error::Protocol(format!("cancel reply {reply:?}"))),
        }
    }

    // ------------------------------------------------------------ internals

    fn err(&self, e: postgres::Error, rid: Option<&RequestId>) -> Error {
        Error::from_pg(e, &self.table.to_string(), rid.map(RequestId::as_str))
    }

    fn seat_array(&self, ids: &[usize]) -> Result<Vec<i32>> {
        ids.iter()
            .map(|&id| {
                if id < self.capacity {
                    Ok(id as i32)
                } else {
                    Err(Error::SeatOutOfRange {
                        id,
                        capacity: self.capacity,
                    })
                }
            })
            .collect()
    }

    fn hold_reply(&self, reply: &str, rid: &RequestId, k: Option<usize>) -> Result<Option<Hold>> {
        let w = words(reply);
        match w.first().copied() {
            Some("none") => Ok(None),
            Some("ok") => {
                let ids = w[1..]
                    .iter()
                    .map(|s| s.parse::<usize>())
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|_| Error::Protocol(format!("reserve reply {reply:?}")))?;
                if ids.is_empty() || k.is_some_and(|k| k != ids.len()) {
                    return Err(Error::Protocol(format!("reserve reply {reply:?}")));
                }
                Ok(Some(Hold::from_parts(ids, rid.as_str())))
            }
            _ => Err(Error::Protocol(format!("reserve reply {reply:?}"))),
        }
    }
}
