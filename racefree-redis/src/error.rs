//! [`Error`]: every way a call can fail, each with a message that says what to do.

use racefree_tier::{BadRequestId, Message};
use std::fmt;

/// Why a call on a [`RedisSeatPool`](crate::RedisSeatPool),
/// [`RedisCounter`](crate::RedisCounter) or
/// [`RedisBoundedCounter`](crate::RedisBoundedCounter) failed.
///
/// "Not available right now" is not an error: a full pool answers `Ok(None)`, a
/// bounded counter that would leave its range answers `Ok(Err(current))`.
///
/// ```
/// use racefree_redis::Error;
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
    /// The server could not be reached, or the connection broke before the call
    /// was sent. Nothing acted.
    Unreachable(redis::RedisError),
    /// No reply came within the configured timeout (after the configured
    /// retries). The call may or may not have acted: repeat it with the same
    /// [`RequestId`](crate::RequestId) (the `*_with` methods) to learn which,
    /// without acting twice.
    Timeout(redis::RedisError),
    /// A key this object uses holds another Redis type (someone else's data).
    WrongType {
        /// The key.
        key: String,
        /// Its Redis type.
        found: String,
        /// The type racefree-redis keeps there.
        expected: &'static str,
    },
    /// The name belongs to another kind of racefree object (e.g. a counter was
    /// opened as a seat pool).
    WrongKind {
        /// The object's name.
        name: String,
        /// What is stored under it.
        found: String,
        /// What was asked for.
        expected: &'static str,
    },
    /// Nothing was created under this name: call `create` or `open_or_create`.
    NotCreated {
        /// The object's name.
        name: String,
    },
    /// `create` found an object of this name already.
    AlreadyExists {
        /// The object's name.
        name: String,
    },
    /// `open_or_create` found the object with another capacity (seat pool) or
    /// maximum (bounded counter).
    CapacityMismatch {
        /// The object's name.
        name: String,
        /// What the caller asked for.
        expected: u64,
        /// What the server holds.
        found: u64,
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
    /// A name that is empty, too long, or holds braces, spaces or control
    /// characters (braces would break the `{name}` hash tag).
    BadName {
        /// The rejected name.
        name: String,
    },
    /// A request id that is empty, too long, or not `[A-Za-z0-9_-]`.
    BadRequestId {
        /// The rejected id.
        id: String,
    },
    /// A counter's initial value above its maximum, or a value or maximum above
    /// [`MAX_VALUE`](crate::MAX_VALUE).
    BadCounter {
        /// The initial value asked for.
        initial: u64,
        /// The maximum asked for (`MAX_VALUE` for an unbounded counter).
        max: u64,
    },
    /// An addition that would take a [`RedisCounter`](crate::RedisCounter) past
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
        /// The first seat of the hold found no longer held.
        seat: usize,
    },
    /// `cancel` of a ticket that is not booked (already cancelled).
    NotBooked {
        /// The ticket's seat.
        seat: usize,
    },
    /// The request id was used before for a different call.
    RequestIdReused {
        /// The id.
        request_id: String,
    },
    /// Any other error the server returned.
    Server(redis::RedisError),
    /// A reply this crate does not understand (a bug, or a foreign script).
    Protocol(String),
}

impl Error {
    /// Classifies a client-library error.
    pub(crate) fn from_redis(e: redis::RedisError) -> Self {
        if e.is_timeout() {
            Error::Timeout(e)
        } else if e.is_io_error() || e.is_connection_refusal() || e.is_connection_dropped() {
            Error::Unreachable(e)
        } else {
            Error::Server(e)
        }
    }

    /// Whether repeating the call (with the same request id) may succeed.
    pub(crate) fn is_transient(&self) -> bool {
        matches!(self, Error::Unreachable(_) | Error::Timeout(_))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unreachable(e) => write!(f, "Redis server unreachable: {e}"),
            Error::Timeout(e) => write!(
                f,
                "no reply from Redis in time ({e}); the call may have acted: \
                 repeat it with the same request id"
            ),
            Error::WrongType {
                key,
                found,
                expected,
            } => write!(
                f,
                "key {key} holds a Redis {found}, not the {expected} racefree-redis keeps there"
            ),
            Error::WrongKind {
                name,
                found,
                expected,
            } => write!(f, "{name} is a racefree {found}, not a {expected}"),
            Error::NotCreated { name } => write!(
                f,
                "no racefree object named {name} on this server: create it first"
            ),
            Error::AlreadyExists { name } => {
                write!(f, "a racefree object named {name} already exists")
            }
            &Error::CapacityMismatch {
                ref name,
                expected,
                found,
            } => Message::capacity_mismatch(name, expected, found).fmt(f),
            Error::ZeroCapacity => Message::zero_capacity().fmt(f),
            Error::CapacityTooLarge { capacity } => write!(
                f,
                "a capacity of {capacity} seats exceeds the most a Redis bitmap holds ({})",
                crate::MAX_CAPACITY
            ),
            &Error::SeatOutOfRange { id, capacity } => {
                Message::seat_out_of_range(id, capacity).fmt(f)
            }
            &Error::BadGroupSize { k, capacity } => Message::bad_group_size(k, capacity).fmt(f),
            Error::BadName { name } => write!(
                f,
                "bad name {name:?}: use 1 to 200 bytes with no braces, spaces or control characters"
            ),
            Error::BadRequestId { id } => Message::bad_request_id(id).fmt(f),
            &Error::BadCounter { initial, max } => {
                Message::bad_counter(initial, max, crate::MAX_VALUE).fmt(f)
            }
            &Error::Overflow { value, n } => Message::overflow(value, n, crate::MAX_VALUE).fmt(f),
            Error::HoldExpired { seat } => write!(
                f,
                "the hold on seat {seat} expired (or was released) before it was confirmed or renewed"
            ),
            &Error::NotBooked { seat } => Message::not_booked(seat).fmt(f),
            Error::RequestIdReused { request_id } => {
                Message::request_id_reused(request_id).fmt(f)
            }
            Error::Server(e) => write!(f, "Redis error: {e}"),
            Error::Protocol(s) => write!(f, "unexpected reply from Redis: {s}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Unreachable(e) | Error::Timeout(e) | Error::Server(e) => Some(e),
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

/// `Result<T, racefree_redis::Error>`.
pub type Result<T> = std::result::Result<T, Error>;
