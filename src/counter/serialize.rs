//! The `serde` feature for the counters: each serializes as a snapshot of its
//! value (as serde does for `AtomicU64`: one load, no lock), and deserializes
//! into a new counter with that value. A value the counter cannot hold is a
//! deserialization error, never a panic.

use serde::de::{Deserialize, Deserializer, Error};
use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::{BoundedCounter, Counter};

/// `Counter` is its value, a `u64`.
impl Serialize for Counter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.get())
    }
}

/// A `u64` up to [`Counter::MAX`].
impl<'de> Deserialize<'de> for Counter {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = u64::deserialize(deserializer)?;
        if value > Counter::MAX {
            return Err(D::Error::custom(format_args!(
                "a Counter holds at most {}, not {value}",
                Counter::MAX
            )));
        }
        Ok(Counter::new(value))
    }
}

/// `BoundedCounter` is `{ value, max }`.
impl Serialize for BoundedCounter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("BoundedCounter", 2)?;
        s.serialize_field("value", &self.get())?;
        s.serialize_field("max", &self.max())?;
        s.end()
    }
}

/// `{ value, max }` with `value <= max`.
impl<'de> Deserialize<'de> for BoundedCounter {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(rename = "BoundedCounter", deny_unknown_fields)]
        struct Snapshot {
            value: u64,
            max: u64,
        }
        let Snapshot { value, max } = Snapshot::deserialize(deserializer)?;
        BoundedCounter::try_new(value, max).ok_or_else(|| {
            D::Error::custom(format_args!(
                "a BoundedCounter's value {value} is above its max {max}"
            ))
        })
    }
}

/// `StripedCounter` is its [`sum`](crate::StripedCounter::sum), a `u64` (a
/// snapshot: exact when no add runs at the same time).
#[cfg(feature = "alloc")]
impl Serialize for crate::StripedCounter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.sum())
    }
}

/// Any `u64`, into a counter with the default number of cells.
#[cfg(feature = "alloc")]
impl<'de> Deserialize<'de> for crate::StripedCounter {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let sum = u64::deserialize(deserializer)?;
        let counter = crate::StripedCounter::new();
        counter.add(sum);
        Ok(counter)
    }
}
