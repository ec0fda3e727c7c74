//! [`RequestId`]: the idempotency key every acting call of every tier carries.

use crate::Message;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The longest id [`RequestId::from_string`] accepts, in characters (all of
/// them ASCII, so bytes too).
///
/// ```
/// use racefree_tier::{RequestId, MAX_REQUEST_ID_LEN};
///
/// assert!(RequestId::from_string("a".repeat(MAX_REQUEST_ID_LEN)).is_ok());
/// assert!(RequestId::from_string("a".repeat(MAX_REQUEST_ID_LEN + 1)).is_err());
/// ```
pub const MAX_REQUEST_ID_LEN: usize = 64;

/// An idempotency key: one per mutating call. The server stores a call's
/// answer under its id in the same atomic step that acts, so repeating the
/// call with the same id (after a timeout, a dropped connection, a crash of
/// your own) returns the first answer instead of acting again.
///
/// A tier's plain methods (`try_reserve`, `add`, ...) make a fresh id per call
/// and reuse it for their own retries; the `*_with` methods take yours.
///
/// ```
/// use racefree_tier::RequestId;
///
/// let a = RequestId::new();
/// assert_ne!(a, RequestId::new());
/// let order = RequestId::from_string("order-1234").unwrap();
/// assert_eq!(order.as_str(), "order-1234");
/// assert_eq!(format!("{order} {order:?}"), "order-1234 RequestId(order-1234)");
/// assert!(RequestId::from_string("no spaces").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "String", into = "String"))]
pub struct RequestId(String);

/// [`RequestId::from_string`] as a conversion; with the `serde` feature, a
/// `RequestId` deserializes through it.
///
/// ```
/// use racefree_tier::RequestId;
///
/// assert!(RequestId::try_from(String::from("order-7")).is_ok());
/// assert!(RequestId::try_from(String::new()).is_err());
/// ```
impl TryFrom<String> for RequestId {
    type Error = BadRequestId;

    fn try_from(id: String) -> Result<Self, BadRequestId> {
        RequestId::from_string(id)
    }
}

/// The id's text.
///
/// ```
/// let id = racefree_tier::RequestId::from_string("order-7").unwrap();
/// assert_eq!(String::from(id), "order-7");
/// ```
impl From<RequestId> for String {
    fn from(id: RequestId) -> String {
        id.0
    }
}

impl RequestId {
    /// A fresh random id: 32 hex digits (128 bits from a per-process random
    /// hasher seeded by the OS, hashing a counter, the process id and the time).
    ///
    /// ```
    /// let id = racefree_tier::RequestId::new();
    /// assert_eq!(id.as_str().len(), 32);
    /// assert!(id.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
    /// ```
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        RequestId(random_hex128())
    }

    /// An id of your own (an order number, a message id, an idempotency key from
    /// your API's caller): 1 to [`MAX_REQUEST_ID_LEN`] characters from
    /// `[A-Za-z0-9_-]`.
    ///
    /// # Errors
    /// [`BadRequestId`] otherwise; each tier's `Error` converts it (with `?`)
    /// into its `Error::BadRequestId`.
    ///
    /// ```
    /// use racefree_tier::RequestId;
    ///
    /// assert_eq!(RequestId::from_string("cart_881-B")?.as_str(), "cart_881-B");
    /// let e = RequestId::from_string("").unwrap_err();
    /// assert_eq!(e.id(), "");
    /// # Ok::<(), racefree_tier::BadRequestId>(())
    /// ```
    pub fn from_string(id: impl Into<String>) -> Result<Self, BadRequestId> {
        let id = id.into();
        let ok = (1..=MAX_REQUEST_ID_LEN).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(RequestId(id))
        } else {
            Err(BadRequestId { id })
        }
    }

    /// The id as text.
    ///
    /// ```
    /// let id = racefree_tier::RequestId::from_string("pay-77")?;
    /// assert_eq!(id.as_str(), "pay-77");
    /// # Ok::<(), racefree_tier::BadRequestId>(())
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestId({})", self.0)
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A string that [`RequestId::from_string`] refused: empty, longer than
/// [`MAX_REQUEST_ID_LEN`], or with a character outside `[A-Za-z0-9_-]`.
///
/// ```
/// use racefree_tier::RequestId;
///
/// let e = RequestId::from_string("no spaces").unwrap_err();
/// assert_eq!(e.id(), "no spaces");
/// assert_eq!(
///     e.to_string(),
///     "bad request id \"no spaces\": use 1 to 64 characters from [A-Za-z0-9_-]"
/// );
/// assert_eq!(e.into_id(), "no spaces");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRequestId {
    id: String,
}

impl BadRequestId {
    /// The rejected string.
    ///
    /// ```
    /// let e = racefree_tier::RequestId::from_string("a/b").unwrap_err();
    /// assert_eq!(e.id(), "a/b");
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The rejected string, owned (for a tier's `Error::BadRequestId { id }`).
    ///
    /// ```
    /// let e = racefree_tier::RequestId::from_string("a/b").unwrap_err();
    /// assert_eq!(e.into_id(), "a/b");
    /// ```
    pub fn into_id(self) -> String {
        self.id
    }
}

impl fmt::Display for BadRequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Message::bad_request_id(&self.id).fmt(f)
    }
}

impl std::error::Error for BadRequestId {}

fn random_hex128() -> String {
    static SEED: OnceLock<RandomState> = OnceLock::new();
    static N: AtomicU64 = AtomicU64::new(0);
    let seed = SEED.get_or_init(RandomState::new);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let half = |salt: u8| seed.hash_one((salt, n, std::process::id(), nanos));
    format!("{:016x}{:016x}", half(1), half(2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn empty_is_refused() {
        let e = RequestId::from_string("").unwrap_err();
        assert_eq!(e.id(), "");
    }

    #[test]
    fn sixty_four_characters_pass_sixty_five_do_not() {
        let ok = "a".repeat(64);
        assert_eq!(RequestId::from_string(ok.clone()).unwrap().as_str(), ok);
        let long = "a".repeat(65);
        assert_eq!(RequestId::from_string(long.clone()).unwrap_err().id(), long);
        assert!(
            RequestId::from_string("x").is_ok(),
            "one character is enough"
        );
    }

    #[test]
    fn only_ascii_letters_digits_dash_and_underscore() {
        let all = "ABCXYZabcxyz0189-_";
        assert_eq!(RequestId::from_string(all).unwrap().as_str(), all);
        for bad in [
            "a b",
            " a",
            "a\n",
            "a\0",
            "a.b",
            "a/b",
            "a:b",
            "{a}",
            "a%20",
            "é",
            "ä-1",
            "a\u{200b}",
            "ｆｕｌｌ",
        ] {
            assert_eq!(
                RequestId::from_string(bad),
                Err(BadRequestId { id: bad.into() })
            );
        }
        // Multi-byte characters count as bytes: 22 three-byte characters are
        // 66 bytes, refused for the characters anyway.
        assert!(RequestId::from_string("€".repeat(22)).is_err());
    }

    #[test]
    fn new_ids_are_valid_and_unique() {
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let id = RequestId::new();
            assert_eq!(RequestId::from_string(id.as_str()).as_ref(), Ok(&id));
            assert!(seen.insert(id), "RequestId::new() repeated an id");
        }
    }

    #[test]
    fn new_ids_are_unique_across_threads() {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| (0..2_000).map(|_| RequestId::new()).collect::<Vec<_>>())
            })
            .collect();
        let mut seen = HashSet::new();
        for h in handles {
            for id in h.join().unwrap() {
                assert!(seen.insert(id), "two threads got the same id");
            }
        }
        assert_eq!(seen.len(), 8_000);
    }

    #[test]
    fn debug_and_display() {
        let id = RequestId::from_string("order-1").unwrap();
        assert_eq!(format!("{id:?}"), "RequestId(order-1)");
        assert_eq!(id.to_string(), "order-1");
    }
}
