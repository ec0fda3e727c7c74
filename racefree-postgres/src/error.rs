//! [`Error`]: every way a call can fail, each with a message that says what to do.

use racefree_tier::{BadRequestId, Message};
use std::fmt;

/// Why a call on a [`PgSeatPool`](crate::PgSeatPool),
/// [`PgBoundedCounter`](crate::PgBoundedCounter) or [`PgCounter`](crate::PgCounter)
/// failed.
///
/// "Not available right now" is not an error: a full pool answers `Ok(None)`, a
/// bounded counter that would leave its range answers `Ok(Err(current))`.
///
/// ```
/// use racefree_postgres::Error;
///
/// let e = Error::SeatOutOfRange { id: 9, capacity: 4 };
/// assert_eq!(
///     e.to_string(),
///     "seat 9 is out of range for a pool of 4 seats (valid ids are 0..4)"
/// );
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The server could not be reached (connecting failed). Nothing acted.
    Unreachable(postgres::Error),
    /// The connection broke (or the backend was terminated) while a call was in
    /// flight. The call **may or may not have acted**: repeat it on a new
    /// connection with the same request id (the `*_with` methods; `request_id`
    /// says which) and the stored answer comes back instead of a second act.
    /// Inside your own transaction the whole transaction is gone: nothing of it
    /// committed unless the commit itself was the call that broke.
    ConnectionLost {
        /// The id of the call that was in flight, if it had one.
        request_id: Option<String>,
        /// The client's error.
        source: postgres::Error,
    },
    /// The statement was cancelled by `statement_timeout` or `lock_timeout`
    /// (or a cancel request) and rolled back: nothing acted. Inside your own
    /// transaction, that transaction is now aborted.
    Timeout(postgres::Error),
    /// The role may not read or write the tables (SQLSTATE 42501).
    PermissionDenied(postgres::Error),
    /// A serialization failure or deadlock (SQLSTATE 40001 / 40P01): only under
    /// REPEATABLE READ or SERIALIZABLE transactions of yours, never under READ
    /// COMMITTED. Retry your transaction.
    Conflict(postgres::Error),
    /// The table does not exist (or its schema does not): create it first.
    TableMissing {
        /// `schema.table`.
        table: String,
    },
    /// The table exists but is not what this crate made: wrong columns, another
    /// kind of racefree object, or another schema version.
    WrongShape {
        /// `schema.table`.
        table: String,
        /// What is wrong.
        detail: String,
    },
    /// `create` found the table already.
    AlreadyExists {
        /// `schema.table`.
        table: String,
    },
    /// `open_or_create` / `open_expecting` found another capacity (seat pool) or
    /// maximum (bounded counter).
    CapacityMismatch {
        /// `schema.table`.
        table: String,
        /// What the caller asked for.
        expected: u64,
        /// What the database holds.
        found: u64,
    },
    /// A schema or table name that is not a plain identifier (see
    /// [`Table::new`](crate::Table::new)).
    BadName {
        /// The rejected name.
        name: String,
    },
    /// A seat pool needs at least one seat.
    ZeroCapacity,
    /// A capacity above [`MAX_CAPACITY`](crate::MAX_CAPACITY).
    CapacityTooLarge {
        /// The requested capacity.
        capacity: usize,
    },
    /// The seat id is not below the pool's capacity.
    SeatOutOfRange {
        /// The requested seat.
        id: usize,
        /// The pool's capacity: valid ids are `0..capacity`.
        capacity: usize,
    },
    /// A group of `k = 0` seats, or more seats than the pool has.
    BadGroupSize {
        /// The requested group size.
        k: usize,
        /// The pool's capacity.
        capacity: usize,
    },
    /// A request id that is empty, too long, or not `[A-Za-z0-9_-]`.
    BadRequestId {
        /// The rejected id.
        id: String,
    },
    /// A counter's initial value above its maximum, or a value, amount or
    /// maximum above [`MAX_VALUE`](crate::MAX_VALUE).
    BadCounter {
        /// The initial value (or amount) asked for.
        initial: u64,
        /// The maximum asked for.
        max: u64,
    },
    /// A lease of zero or one too long for PostgreSQL's interval.
    BadLease,
    /// An addition that would take a [`PgCounter`](crate::PgCounter) past
    /// [`MAX_VALUE`](crate::MAX_VALUE); nothing changed.
    Overflow {
        /// The value when the call was refused.
        value: u64,
        /// The amount asked for.
        n: u64,
    },
    /// The hold's lease ran out (or the hold was released) before `confirm` or
    /// `renew`: the seat may belong to someone else now. Nothing was confirmed.
    HoldExpired {
        /// The seats of the hold.
        seats: Vec<usize>,
    },
    /// `cancel` of a ticket that is not booked under its token (cancelled
    /// already, or a ticket rebuilt with the wrong token).
    NotBooked {
        /// The ticket's seat.
        seat: usize,
    },
    /// The request id was used before for a different call on this object.
    RequestIdReused {
        /// The id.
        request_id: String,
    },
    /// Two calls with the same request id ran at the same moment; the second
    /// was refused (its statement rolled back). Repeat it to read the first
    /// one's answer.
    RequestInFlight {
        /// The id.
        request_id: String,
    },
    /// Any other error the server returned.
    Db(postgres::Error),
    /// A stored reply this crate does not understand (a bug, or someone
    /// else's rows in the request table).
    Protocol(String),
}

impl Error {
    /// Classifies a client error of a call with request id `rid`, on `table`.
    pub(crate) fn from_pg(e: postgres::Error, table: &str, rid: Option<&str>) -> Self {
        use postgres::error::SqlState;
        if e.is_closed() {
            return Error::ConnectionLost {
                request_id: rid.map(str::to_string),
                source: e,
            };
        }
        let Some(code) = e.code().cloned() else {
            // No SQLSTATE: an I/O error on the socket.
            return Error::ConnectionLost {
                request_id: rid.map(str::to_string),
                source: e,
            };
        };
        let class = &code.code()[..2];
        if class == "08"
            || code == SqlState::ADMIN_SHUTDOWN
            || code == SqlState::CRASH_SHUTDOWN
            || code == SqlState::CANNOT_CONNECT_NOW
        {
            Error::ConnectionLost {
                request_id: rid.map(str::to_string),
                source: e,
            }
        } else if code == SqlState::QUERY_CANCELED || code == SqlState::LOCK_NOT_AVAILABLE {
            Error::Timeout(e)
        } else if code == SqlState::INSUFFICIENT_PRIVILEGE {
            Error::PermissionDenied(e)
        } else if code == SqlState::T_R_SERIALIZATION_FAILURE
            || code == SqlState::T_R_DEADLOCK_DETECTED
        {
            Error::Conflict(e)
        } else if code == SqlState::UNDEFINED_TABLE || code == SqlState::INVALID_SCHEMA_NAME {
            Error::TableMissing {
                table: table.to_string(),
            }
        } else if code == SqlState::UNDEFINED_COLUMN
            || code == SqlState::DATATYPE_MISMATCH
            || code == SqlState::UNDEFINED_FUNCTION
            || code == SqlState::WRONG_OBJECT_TYPE
        {
            Error::WrongShape {
                table: table.to_string(),
                detail: e
                    .as_db_error()
                    .map(|d| d.message().to_string())
                    .unwrap_or_default(),
            }
        } else if code == SqlState::UNIQUE_VIOLATION && rid.is_some() {
            Error::RequestInFlight {
                request_id: rid.unwrap_or_default().to_string(),
            }
        } else {
            Error::Db(e)
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unreachable(e) => write!(f, "PostgreSQL server unreachable: {e}"),
            Error::ConnectionLost { request_id, source } => {
                write!(f, "connection to PostgreSQL lost mid-call ({source}); ")?;
                match request_id {
                    Some(r) => write!(
                        f,
                        "the call may have acted: repeat it on a new connection with request id {r}"
                    ),
                    None => f.write_str("the call may have acted"),
                }
            }
            Error::Timeout(e) => write!(
                f,
                "statement cancelled (statement_timeout or lock_timeout?) and rolled back, nothing acted: {e}"
            ),
            Error::PermissionDenied(e) => write!(
                f,
                "permission denied: grant this role SELECT, INSERT, UPDATE, DELETE on the tables (and EXECUTE on their functions): {e}"
            ),
            Error::Conflict(e) => write!(
                f,
                "serialization failure or deadlock under your transaction's isolation level; retry it: {e}"
            ),
            Error::TableMissing { table } => {
                write!(f, "table {table} does not exist: create it first")
            }
            Error::WrongShape { table, detail } => write!(
                f,
                "table {table} is not a racefree-postgres table of this kind and version: {detail}"
            ),
            Error::AlreadyExists { table } => write!(f, "table {table} already exists"),
            &Error::CapacityMismatch {
                ref table,
                expected,
                found,
            } => Message::capacity_mismatch(table, expected, found).fmt(f),
            Error::BadName { name } => write!(
                f,
                "bad name {name:?}: use 1 to 50 characters from [a-z0-9_], starting with a letter or _"
            ),
            Error::ZeroCapacity => Message::zero_capacity().fmt(f),
            Error::CapacityTooLarge { capacity } => write!(
                f,
                "a capacity of {capacity} seats exceeds the most a pool holds ({})",
                crate::MAX_CAPACITY
            ),
            &Error::SeatOutOfRange { id, capacity } => {
                Message::seat_out_of_range(id, capacity).fmt(f)
            }
            &Error::BadGroupSize { k, capacity } => Message::bad_group_size(k, capacity).fmt(f),
            Error::BadRequestId { id } => Message::bad_request_id(id).fmt(f),
            &Error::BadCounter { initial, max } => {
                Message::bad_counter(initial, max, crate::MAX_VALUE).fmt(f)
            }
            Error::BadLease => f.write_str("a lease must be between 1 ms and 100 years"),
            &Error::Overflow { value, n } => Message::overflow(value, n, crate::MAX_VALUE).fmt(f),
            Error::HoldExpired { seats } => write!(
                f,
                "the hold on seats {seats:?} expired (or was released) before it was confirmed or renewed"
            ),
            &Error::NotBooked { seat } => Message::not_booked(seat).fmt(f),
            Error::RequestIdReused { request_id } => {
                Message::request_id_reused(request_id).fmt(f)
            }
            Error::RequestInFlight { request_id } => write!(
                f,
                "another call with request id {request_id} was running at the same time; repeat to read its answer"
            ),
            Error::Db(e) => write!(f, "PostgreSQL error: {e}"),
            Error::Protocol(s) => write!(f, "unexpected reply from PostgreSQL: {s}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Unreachable(e)
            | Error::Timeout(e)
            | Error::PermissionDenied(e)
            | Error::Conflict(e)
            | Error::Db(e)
            | Error::ConnectionLost { source: e, .. } => Some(e),
            _ => None,
        }
    }
}

/// A string [`RequestId::from_string`](crate::RequestId::from_string) refused
/// becomes [`Error::BadRequestId`], so `?` works in functions returning
/// [`Result`].
impl From<BadRequestId> for Error {
    fn from(e: BadRequestId) -> Self {
        Error::BadRequestId { id: e.into_id() }
    }
}

/// `Result<T, racefree_postgres::Error>`.
pub type Result<T> = std::result::Result<T, Error>;
