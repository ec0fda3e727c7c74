//! Table names, connecting, and the one helper every acting
//! statement goes through.

use crate::error::{Error, Result};
use postgres::types::{ToSql, Type};
use postgres::GenericClient;
use racefree_tier::RequestId;
use std::fmt;
use std::time::Duration;

/// The current schema version of the tables this crate creates (stored in the
/// table's comment, checked by every `open`).
///
/// ```
/// use racefree_postgres::{PgCounter, Table, SCHEMA_VERSION};
/// let ddl = PgCounter::migration_sql(&Table::public("ids")?, 0)?;
/// assert!(ddl.contains(&format!("counter v{SCHEMA_VERSION}")));
/// # Ok::<(), racefree_postgres::Error>(())
/// ```
pub const SCHEMA_VERSION: u32 = 2;

/// Where an object lives: a schema and a table name, both plain identifiers
/// (`[a-z_][a-z0-9_]*`, at most 50 characters, so that the companion table
/// `<name>_requests` and the functions up to `<name>_reserve_many` fit
/// PostgreSQL's 63-byte limit). They are always quoted in
/// SQL, so they can never inject anything.
///
/// ```
/// use racefree_postgres::Table;
///
/// let t = Table::new("booking", "concert_seats")?;
/// assert_eq!(t.to_string(), "booking.concert_seats");
/// assert!(Table::new("booking", "seats; DROP TABLE x").is_err());
/// assert_eq!(Table::public("coupons")?.schema(), "public");
/// # Ok::<(), racefree_postgres::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Table {
    schema: String,
    name: String,
}

impl Table {
    /// `schema.name`, both checked.
    ///
    /// # Errors
    /// [`Error::BadName`] for anything but `[a-z_][a-z0-9_]{0,49}`.
    pub fn new(schema: &str, name: &str) -> Result<Self> {
        check_ident(schema)?;
        check_ident(name)?;
        Ok(Table {
            schema: schema.to_string(),
            name: name.to_string(),
        })
    }

    /// `public.name`.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn public(name: &str) -> Result<Self> {
        Self::new("public", name)
    }

    /// The schema.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name of the companion table that stores request ids and replies.
    pub fn requests_name(&self) -> String {
        format!("{}_requests", self.name)
    }

    pub(crate) fn q(&self) -> String {
        format!("\"{}\".\"{}\"", self.schema, self.name)
    }

    pub(crate) fn q_requests(&self) -> String {
        format!("\"{}\".\"{}\"", self.schema, self.requests_name())
    }

    pub(crate) fn q_schema(&self) -> String {
        format!("\"{}\"", self.schema)
    }

    /// `schema.name` unquoted, for `to_regclass` (safe: identifiers are checked).
    pub(crate) fn regclass(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

fn check_ident(s: &str) -> Result<()> {
    let mut chars = s.chars();
    let ok = (1..=50).contains(&s.len())
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::BadName {
            name: s.to_string(),
        })
    }
}

/// Connects with a libpq-style string (`host=... port=... user=... dbname=...`
/// or a `postgresql://` URL), without TLS. Any client works with this crate;
/// this one only maps a failure to [`Error::Unreachable`].
///
/// # Errors
/// [`Error::Unreachable`] when the server cannot be reached or refuses the
/// login.
///
/// ```no_run
/// let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
/// # Ok::<(), racefree_postgres::Error>(())
/// ```
pub fn connect(params: &str) -> Result<postgres::Client> {
    postgres::Client::connect(params, postgres::NoTls).map_err(Error::Unreachable)
}

/// Removes stored replies older than `age` from `table`'s request table: after
/// that, a retry with one of their ids acts anew. Run it now and then (a day is
/// a safe age: far longer than any client retries). Returns how many it removed.
///
/// # Errors
/// Transport and table errors.
///
/// ```no_run
/// use racefree_postgres::{purge_requests, Table};
/// use std::time::Duration;
///
/// let mut client = racefree_postgres::connect("host=127.0.0.1 user=app dbname=shop")?;
/// let gone = purge_requests(&mut client, &Table::public("seats")?, Duration::from_secs(86_400))?;
/// # Ok::<(), racefree_postgres::Error>(())
/// ```
pub fn purge_requests<C: GenericClient>(
    client: &mut C,
    table: &Table,
    age: Duration,
) -> Result<u64> {
    let sql = format!(
        "DELETE FROM {} WHERE created_at < clock_timestamp() - $1::bigint * interval '1 millisecond'",
        table.q_requests()
    );
    let ms = i64::try_from(age.as_millis()).map_err(|_| Error::BadLease)?;
    client
        .execute(sql.as_str(), &[&ms])
        .map_err(|e| Error::from_pg(e, &table.to_string(), None))
}

/// A lease as whole milliseconds for `$n::bigint * interval '1 millisecond'`.
pub(crate) fn lease_ms(d: Duration) -> Result<i64> {
    let ms = d.as_millis();
    if ms == 0 || ms > 100 * 365 * 86_400_000 {
        return Err(Error::BadLease);
    }
    Ok(ms as i64)
}

/// The frame of every acting statement: `$1` is the request id, `$2` the call's
/// signature. `body` defines the CTEs `act` (guarded by `NOT EXISTS (SELECT 1
/// FROM prior)`) and `rep` (exactly one row, column `reply`); this adds the
/// server clock `clk`, the stored reply `prior`, and the INSERT that stores
/// `rep` under the id — all in the one statement that acts.
pub(crate) fn frame(requests: &str, body: &str) -> String {
    format!(
        "WITH clk AS (SELECT clock_timestamp() AS now), \
         prior AS (SELECT signature, reply FROM {requests} WHERE request_id = $1), \
         {body}, \
         ins AS (INSERT INTO {requests} (request_id, signature, reply, created_at) \
                 SELECT $1, $2, rep.reply, (SELECT now FROM clk) FROM rep \
                 WHERE rep.reply IS NOT NULL AND NOT EXISTS (SELECT 1 FROM prior)) \
         SELECT (SELECT signature FROM prior), \
                COALESCE((SELECT reply FROM prior), (SELECT reply FROM rep))"
    )
}

/// One acting operation, kept in the database as a PL/pgSQL function named
/// after the table (`<schema>.<name>_<op>`) whose body is the one framed
/// statement ([`frame`]) and nothing else: `SELECT ... INTO o_sig, o_reply`.
/// A call is the one statement `SELECT o_sig, o_reply FROM fn($1, $2, ...)`.
///
/// Why a function: PL/pgSQL keeps the inner statement's plan for the rest of
/// the session (after five calls, a generic plan if it is no costlier), so a
/// call no longer parses
/// and plans the whole CTE (about 0.8 ms of planning, measured, on a statement
/// that runs in about as long). The inner statement is the same SQL as before,
/// run by the same executor in the caller's transaction: under READ COMMITTED
/// it takes its own snapshot when it starts (a `VOLATILE` function's statement
/// does) and its `UPDATE` / `FOR UPDATE` re-check the newest row version
/// exactly as the plain statement did; the reply is stored in the same
/// statement, so it commits or rolls back with the act. The function has no
/// `EXCEPTION` block (no subtransaction) and no `SET` clause.
#[derive(Clone, Debug)]
pub(crate) struct Framed {
    /// The call: `SELECT o_sig, o_reply FROM "s"."<name>_<op>"($1, ...)`.
    pub(crate) call: String,
    /// `CREATE OR REPLACE FUNCTION ...; COMMENT ON FUNCTION ...;`
    pub(crate) ddl: String,
    /// The function as `to_regprocedure` reads it: `"s"."<name>_<op>"(text,...)`.
    pub(crate) regproc: String,
}

/// The longest `op` suffix, so that `<name>_<op>` fits 63 bytes.
const MAX_OP: usize = 12;

/// Builds operation `op` of `table` (a table of `kind`): `args` are the SQL
/// types of `$3`, `$4`, ... (`$1` request id and `$2` signature are `text`);
/// `body` as for [`frame`].
pub(crate) fn framed(table: &Table, kind: &str, op: &str, args: &[&str], body: &str) -> Framed {
    debug_assert!(op.len() <= MAX_OP);
    let f = format!("{}.\"{}_{op}\"", table.q_schema(), table.name());
    let types = ["text", "text"]
        .iter()
        .chain(args)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let placeholders = (1..=args.len() + 2)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let stmt = frame(&table.q_requests(), body);
    Framed {
        call: format!("SELECT o_sig, o_reply FROM {f}({placeholders})"),
        ddl: format!(
            "CREATE OR REPLACE FUNCTION {f}({types}, OUT o_sig text, OUT o_reply text)\n\
             LANGUAGE plpgsql VOLATILE AS $racefree$\nBEGIN\n{stmt}\nINTO o_sig, o_reply;\nEND\n$racefree$;\n\
             COMMENT ON FUNCTION {f}({types}) IS '{}';\n",
            fn_comment(kind)
        ),
        regproc: format!("{f}({})", types.replace(' ', "")),
    }
}

/// The comment on every function of a table of `kind`.
fn fn_comment(kind: &str) -> String {
    format!("racefree-postgres {kind} v{SCHEMA_VERSION}")
}

/// Checks that every function of `ops` exists and carries this version's
/// comment.
pub(crate) fn check_functions<C: GenericClient>(
    client: &mut C,
    table: &Table,
    kind: &str,
    ops: &[&Framed],
) -> Result<()> {
    let names: Vec<&str> = ops.iter().map(|o| o.regproc.as_str()).collect();
    let rows = client
        .query(
            "SELECT f, obj_description(to_regprocedure(f), 'pg_proc') \
             FROM unnest($1::text[]) AS f",
            &[&names],
        )
        .map_err(|e| Error::from_pg(e, &table.to_string(), None))?;
    let want = fn_comment(kind);
    for row in rows {
        let f: String = row.get(0);
        let comment: Option<String> = row.get(1);
        if comment.as_deref() != Some(want.as_str()) {
            return Err(Error::WrongShape {
                table: table.to_string(),
                detail: match comment {
                    None => format!("its function {f} is missing (or has no comment)"),
                    Some(c) => format!("its function {f} is {c:?}, this crate speaks {want:?}"),
                },
            });
        }
    }
    Ok(())
}

/// A statement parameter with its type: statements are sent with
/// `query_typed` (Parse, Bind and Execute in one round trip, no separate
/// prepare).
pub(crate) type Param<'a> = (&'a (dyn ToSql + Sync), Type);

/// Runs one framed statement and returns the reply (the stored one on a retry).
pub(crate) fn act<C: GenericClient>(
    client: &mut C,
    table: &Table,
    sql: &str,
    rid: &RequestId,
    sig: &str,
    params: &[Param<'_>],
) -> Result<String> {
    let mut all: Vec<Param<'_>> = Vec::with_capacity(params.len() + 2);
    let rid_s = rid.as_str();
    all.push((&rid_s, Type::TEXT));
    all.push((&sig, Type::TEXT));
    all.extend(params.iter().cloned());
    let row = client
        .query_typed_one(sql, &all)
        .map_err(|e| Error::from_pg(e, &table.to_string(), Some(rid.as_str())))?;
    let prior_sig: Option<String> = row.get(0);
    let reply: Option<String> = row.get(1);
    if let Some(s) = prior_sig {
        if s != sig {
            return Err(Error::RequestIdReused {
                request_id: rid.as_str().to_string(),
            });
        }
    }
    reply.ok_or_else(|| Error::Protocol(format!("no reply from {table} (is its row missing?)")))
}

/// Reads the table's comment and checks kind and version; returns the
/// `key=value` part (e.g. `capacity=500`).
pub(crate) fn read_comment<C: GenericClient>(
    client: &mut C,
    table: &Table,
    kind: &str,
    columns: &[(&str, &str)],
) -> Result<String> {
    let tname = table.to_string();
    let row = client
        .query_one(
            "SELECT c.oid IS NOT NULL, obj_description(c.oid, 'pg_class'), \
                    to_regclass($2) IS NOT NULL \
             FROM (SELECT to_regclass($1)::oid AS oid) c",
            &[
                &table.regclass(),
                &format!("{}.{}", table.schema(), table.requests_name()),
            ],
        )
        .map_err(|e| Error::from_pg(e, &tname, None))?;
    let exists: bool = row.get(0);
    if !exists {
        return Err(Error::TableMissing { table: tname });
    }
    let comment: Option<String> = row.get(1);
    let has_requests: bool = row.get(2);
    let wrong = |detail: String| Error::WrongShape {
        table: tname.clone(),
        detail,
    };
    let comment = comment.ok_or_else(|| wrong("no racefree-postgres comment on it".into()))?;
    let words: Vec<&str> = comment.split_whitespace().collect();
    match words.as_slice() {
        ["racefree-postgres", k, v, rest @ ..] => {
            if *k != kind {
                return Err(wrong(format!("it is a {k}, not a {kind}")));
            }
            if *v != format!("v{SCHEMA_VERSION}") {
                return Err(wrong(format!(
                    "schema version {v}, this crate speaks v{SCHEMA_VERSION}"
                )));
            }
            if !has_requests {
                return Err(wrong(format!(
                    "its request table {} is missing",
                    table.requests_name()
                )));
            }
            check_columns(client, table, columns)?;
            Ok(rest.join(" "))
        }
        _ => Err(wrong(format!("unexpected comment {comment:?}"))),
    }
}

fn check_columns<C: GenericClient>(
    client: &mut C,
    table: &Table,
    columns: &[(&str, &str)],
) -> Result<()> {
    let rows = client
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name = $2",
            &[&table.schema(), &table.name()],
        )
        .map_err(|e| Error::from_pg(e, &table.to_string(), None))?;
    for (col, ty) in columns {
        let found = rows
            .iter()
            .find(|r| r.get::<_, String>(0) == *col)
            .map(|r| r.get::<_, String>(1));
        if found.as_deref() != Some(*ty) {
            return Err(Error::WrongShape {
                table: table.to_string(),
                detail: format!("column {col} should be {ty}, found {found:?}"),
            });
        }
    }
    Ok(())
}

/// Whether `table` exists.
pub(crate) fn exists<C: GenericClient>(client: &mut C, table: &Table) -> Result<bool> {
    let row = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table.regclass()])
        .map_err(|e| Error::from_pg(e, &table.to_string(), None))?;
    Ok(row.get(0))
}

/// DDL of the request table.
pub(crate) fn requests_ddl(table: &Table) -> String {
    format!(
        "CREATE TABLE {} (\n  request_id text PRIMARY KEY,\n  signature text NOT NULL,\n  \
         reply text NOT NULL,\n  created_at timestamptz NOT NULL\n);\n",
        table.q_requests()
    )
}

/// Runs DDL; maps "already exists" to [`Error::AlreadyExists`].
pub(crate) fn run_ddl<C: GenericClient>(client: &mut C, table: &Table, ddl: &str) -> Result<()> {
    client.batch_execute(ddl).map_err(|e| {
        if e.code() == Some(&postgres::error::SqlState::DUPLICATE_TABLE) {
            Error::AlreadyExists {
                table: table.to_string(),
            }
        } else {
            Error::from_pg(e, &table.to_string(), None)
        }
    })
}

/// Splits a reply into words.
pub(crate) fn words(reply: &str) -> Vec<&str> {
    reply.split_whitespace().collect()
}

/// Parses a number in a reply.
pub(crate) fn num<T: std::str::FromStr>(reply: &str, w: Option<&&str>) -> Result<T> {
    w.and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::Protocol(format!("reply {reply:?}")))
}
