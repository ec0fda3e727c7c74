//! [`Message`]: the words of the errors every tier reports alike.

use std::fmt;

/// The text of an error that every tier reports in the same words. Each tier's
/// `Error` keeps its own variants (with their fields) and writes these through
/// this type, so the contract's messages exist once. Made by one constructor per
/// message; shown with [`Display`](fmt::Display).
///
/// ```
/// use racefree_tier::Message;
///
/// assert_eq!(
///     Message::seat_out_of_range(9, 4).to_string(),
///     "seat 9 is out of range for a pool of 4 seats (valid ids are 0..4)"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message<'a>(Kind<'a>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind<'a> {
    ZeroCapacity,
    SeatOutOfRange(usize, usize),
    BadGroupSize(usize, usize),
    BadRequestId(&'a str),
    BadCounter(u64, u64, u64),
    CapacityMismatch(&'a str, u64, u64),
    Overflow(u64, u64, u64),
    NotBooked(usize),
    RequestIdReused(&'a str),
}

impl<'a> Message<'a> {
    /// A seat pool of capacity 0.
    ///
    /// ```
    /// assert_eq!(
    ///     racefree_tier::Message::zero_capacity().to_string(),
    ///     "a seat pool needs a capacity of at least 1"
    /// );
    /// ```
    pub fn zero_capacity() -> Self {
        Message(Kind::ZeroCapacity)
    }

    /// Seat `id` is not below the pool's `capacity`.
    ///
    /// ```
    /// let m = racefree_tier::Message::seat_out_of_range(4, 4);
    /// assert!(m.to_string().starts_with("seat 4 is out of range"));
    /// ```
    pub fn seat_out_of_range(id: usize, capacity: usize) -> Self {
        Message(Kind::SeatOutOfRange(id, capacity))
    }

    /// A group of `k = 0` seats, or more than the pool's `capacity`.
    ///
    /// ```
    /// assert_eq!(
    ///     racefree_tier::Message::bad_group_size(0, 8).to_string(),
    ///     "a group of 0 seats cannot be booked in a pool of 8 (k must be 1..=8)"
    /// );
    /// ```
    pub fn bad_group_size(k: usize, capacity: usize) -> Self {
        Message(Kind::BadGroupSize(k, capacity))
    }

    /// A request id `id` that is empty, too long, or not `[A-Za-z0-9_-]`.
    ///
    /// ```
    /// assert_eq!(
    ///     racefree_tier::Message::bad_request_id("a b").to_string(),
    ///     "bad request id \"a b\": use 1 to 64 characters from [A-Za-z0-9_-]"
    /// );
    /// ```
    pub fn bad_request_id(id: &'a str) -> Self {
        Message(Kind::BadRequestId(id))
    }

    /// A counter's `initial` value (or amount) above its `max`, or either above
    /// the tier's largest value `max_value` (its `MAX_VALUE`).
    ///
    /// ```
    /// assert_eq!(
    ///     racefree_tier::Message::bad_counter(5, 3, 100).to_string(),
    ///     "bad counter: initial 5 must be at most max 3, and both at most 100"
    /// );
    /// ```
    pub fn bad_counter(initial: u64, max: u64, max_value: u64) -> Self {
        Message(Kind::BadCounter(initial, max, max_value))
    }

    /// The object `name` (a key name, `schema.table`, ...) was found with
    /// capacity (seat pool) or maximum (bounded counter) `found`, not the
    /// `expected` one asked for.
    ///
    /// ```
    /// assert_eq!(
    ///     racefree_tier::Message::capacity_mismatch("gate", 4, 5).to_string(),
    ///     "gate exists with capacity (or maximum) 5, not the 4 asked for"
    /// );
    /// ```
    pub fn capacity_mismatch(name: &'a str, expected: u64, found: u64) -> Self {
        Message(Kind::CapacityMismatch(name, expected, found))
    }

    /// Adding `n` to `value` would pass the counter's largest value `max` (the
    /// tier's `MAX_VALUE`); nothing changed.
    ///
    /// ```
    /// assert_eq!(
    ///     racefree_tier::Message::overflow(9, 2, 10).to_string(),
    ///     "adding 2 to 9 would pass the counter's maximum 10; nothing changed"
    /// );
    /// ```
    pub fn overflow(value: u64, n: u64, max: u64) -> Self {
        Message(Kind::Overflow(value, n, max))
    }

    /// A cancel of the ticket for `seat`, which is not booked (under its token).
    ///
    /// ```
    /// assert_eq!(
    ///     racefree_tier::Message::not_booked(3).to_string(),
    ///     "seat 3 is not booked under this ticket (cancelled already?)"
    /// );
    /// ```
    pub fn not_booked(seat: usize) -> Self {
        Message(Kind::NotBooked(seat))
    }

    /// The request id `request_id` was used before for a different call.
    ///
    /// ```
    /// assert_eq!(
    ///     racefree_tier::Message::request_id_reused("pay-1").to_string(),
    ///     "request id pay-1 was already used for a different call"
    /// );
    /// ```
    pub fn request_id_reused(request_id: &'a str) -> Self {
        Message(Kind::RequestIdReused(request_id))
    }
}

impl fmt::Display for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Kind::ZeroCapacity => f.write_str("a seat pool needs a capacity of at least 1"),
            Kind::SeatOutOfRange(id, capacity) => write!(
                f,
                "seat {id} is out of range for a pool of {capacity} seats (valid ids are 0..{capacity})"
            ),
            Kind::BadGroupSize(k, capacity) => write!(
                f,
                "a group of {k} seats cannot be booked in a pool of {capacity} (k must be 1..={capacity})"
            ),
            Kind::BadRequestId(id) => write!(
                f,
                "bad request id {id:?}: use 1 to {} characters from [A-Za-z0-9_-]",
                crate::MAX_REQUEST_ID_LEN
            ),
            Kind::BadCounter(initial, max, max_value) => write!(
                f,
                "bad counter: initial {initial} must be at most max {max}, and both at most {max_value}"
            ),
            Kind::CapacityMismatch(name, expected, found) => write!(
                f,
                "{name} exists with capacity (or maximum) {found}, not the {expected} asked for"
            ),
            Kind::Overflow(value, n, max) => write!(
                f,
                "adding {n} to {value} would pass the counter's maximum {max}; nothing changed"
            ),
            Kind::NotBooked(seat) => write!(
                f,
                "seat {seat} is not booked under this ticket (cancelled already?)"
            ),
            Kind::RequestIdReused(request_id) => write!(
                f,
                "request id {request_id} was already used for a different call"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Message;

    #[test]
    fn the_request_id_message_names_the_limit_the_validation_uses() {
        let m = Message::bad_request_id("").to_string();
        assert!(m.contains(&format!("1 to {} characters", crate::MAX_REQUEST_ID_LEN)));
    }

    #[test]
    fn messages_compare_by_what_they_say() {
        assert_eq!(Message::not_booked(1), Message::not_booked(1));
        assert_ne!(Message::not_booked(1), Message::not_booked(2));
        assert_ne!(
            Message::seat_out_of_range(1, 2),
            Message::bad_group_size(1, 2)
        );
    }
}
