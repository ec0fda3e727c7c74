//! [`SharedCounter`] and [`SharedBoundedCounter`]: the in-process counters'
//! logic (`crate::counter`), run on a word inside a shared mapping.

use std::path::Path;
use std::prelude::rust_2021::*;

use super::file::{self, Init, Kind, Mapping, Meta, VALUE};
use super::pool::open_or_create;
use super::ShmError;
use crate::counter::{bounded, counter};
use crate::sync::AtomicU64;
use crate::Counter;

/// A [`Counter`] in a shared-memory file: the same operations and semantics
/// (`increment`/`add` are one `fetch_add` returning the previous value; usable
/// range `0..=Counter::MAX`, with the same guard band and exhaustion; `update`
/// is a CAS loop), across processes. The code is `Counter`'s, run on the word in
/// the mapping. A crash cannot leave it half-changed: every operation is one
/// atomic step.
///
/// ```
/// use racefree::shm::SharedCounter;
///
/// let path = std::env::temp_dir().join(format!("racefree-doc-counter-{}", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let ids = SharedCounter::create(&path, 1)?;
/// let same = SharedCounter::open(&path)?; // as another process would
/// assert_eq!(ids.increment(), 1);
/// assert_eq!(same.increment(), 2);
/// assert_eq!(ids.get(), 3);
/// # drop((ids, same)); std::fs::remove_file(&path).unwrap();
/// # Ok::<(), racefree::shm::ShmError>(())
/// ```
#[derive(Debug)]
pub struct SharedCounter {
    map: Mapping,
}

impl SharedCounter {
    fn value(&self) -> &AtomicU64 {
        self.map.at(VALUE)
    }

    /// Creates a counter holding `initial` in a new file at `path`.
    ///
    /// # Errors
    /// [`ShmError::AlreadyExists`]; [`ShmError::InitialOutOfRange`] if
    /// `initial` is above [`Counter::MAX`]; I/O errors.
    ///
    /// ```
    /// use racefree::shm::SharedCounter;
    ///
    /// let path = std::env::temp_dir().join(format!("racefree-doc-cc-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// assert_eq!(SharedCounter::create(&path, 10)?.get(), 10);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), racefree::shm::ShmError>(())
    /// ```
    pub fn create(path: impl AsRef<Path>, initial: u64) -> Result<Self, ShmError> {
        if initial > Counter::MAX {
            return Err(ShmError::InitialOutOfRange {
                initial,
                max: Counter::MAX,
            });
        }
        let meta = Meta {
            kind: Kind::Counter,
            capacity: 0,
            identity: 0,
        };
        let (map, _) = file::create(path.as_ref(), meta, Init::Value(initial))?;
        Ok(Self { map })
    }

    /// Opens the counter in the file at `path`.
    ///
    /// # Errors
    /// As [`SharedSeatPool::open`](crate::shm::SharedSeatPool::open), with
    /// [`ShmError::WrongKind`] for a file that holds something else.
    ///
    /// ```
    /// use racefree::shm::{SharedCounter, SharedSeatPool, ShmError};
    ///
    /// let path = std::env::temp_dir().join(format!("racefree-doc-co-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let _c = SharedCounter::create(&path, 0)?;
    /// assert!(matches!(SharedSeatPool::open(&path), Err(ShmError::WrongKind { .. })));
    /// assert_eq!(SharedCounter::open(&path)?.get(), 0);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), ShmError>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ShmError> {
        let (map, _, _) = file::open(path.as_ref(), Kind::Counter)?;
        Ok(Self { map })
    }

    /// Opens the counter at `path`, or creates it holding `initial`. An existing
    /// counter keeps its value.
    ///
    /// # Errors
    /// As [`open`](Self::open) and [`create`](Self::create).
    ///
    /// ```
    /// use racefree::shm::SharedCounter;
    ///
    /// let path = std::env::temp_dir().join(format!("racefree-doc-coc-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// SharedCounter::open_or_create(&path, 5)?.add(2);
    /// assert_eq!(SharedCounter::open_or_create(&path, 5)?.get(), 7);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), racefree::shm::ShmError>(())
    /// ```
    pub fn open_or_create(path: impl AsRef<Path>, initial: u64) -> Result<Self, ShmError> {
        let path = path.as_ref();
        open_or_create(|| Self::open(path), || Self::create(path, initial))
    }

    /// As [`Counter::get`].
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("racefree-doc-cg-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let c = racefree::shm::SharedCounter::create(&path, 4)?;
    /// assert_eq!(c.get(), 4);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), racefree::shm::ShmError>(())
    /// ```
    #[must_use]
    pub fn get(&self) -> u64 {
        counter::get(self.value())
    }

    /// As [`Counter::increment`]: adds one, returns the previous value.
    ///
    /// # Panics
    /// If the counter would pass [`Counter::MAX`] (as [`Counter::add`]).
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("racefree-doc-ci-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let c = racefree::shm::SharedCounter::create(&path, 4)?;
    /// assert_eq!(c.increment(), 4);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), racefree::shm::ShmError>(())
    /// ```
    #[track_caller]
    pub fn increment(&self) -> u64 {
        counter::add(self.value(), 1, "shm::SharedCounter")
    }

    /// As [`Counter::add`]: adds `n`, returns the previous value.
    ///
    /// # Panics
    /// If the counter would pass [`Counter::MAX`]; it is then exhausted.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("racefree-doc-ca-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let c = racefree::shm::SharedCounter::create(&path, 0)?;
    /// assert_eq!(c.add(10), 0);
    /// assert_eq!(c.get(), 10);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), racefree::shm::ShmError>(())
    /// ```
    #[track_caller]
    pub fn add(&self, n: u64) -> u64 {
        counter::add(self.value(), n, "shm::SharedCounter")
    }

    /// As [`Counter::checked_add`]: `None` (and exhausted) instead of a panic.
    ///
    /// ```
    /// use racefree::{shm::SharedCounter, Counter};
    /// # let path = std::env::temp_dir().join(format!("racefree-doc-cca-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let c = SharedCounter::create(&path, Counter::MAX)?;
    /// assert_eq!(c.checked_add(1), None);
    /// assert_eq!(c.checked_add(0), None); // exhausted
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), racefree::shm::ShmError>(())
    /// ```
    #[must_use = "a None means nothing was handed out"]
    pub fn checked_add(&self, n: u64) -> Option<u64> {
        counter::checked_add(self.value(), n)
    }

    /// As [`Counter::update`]: a CAS loop; never stores above [`Counter::MAX`].
    ///
    /// # Errors
    /// `Err(current)` when `f` returned `None` (or a value above `MAX`).
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("racefree-doc-cu-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let c = racefree::shm::SharedCounter::create(&path, 10)?;
    /// assert_eq!(c.update(|v| Some(v * 2)), Ok(10));
    /// assert_eq!(c.get(), 20);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), racefree::shm::ShmError>(())
    /// ```
    pub fn update(&self, f: impl FnMut(u64) -> Option<u64>) -> Result<u64, u64> {
        counter::update(self.value(), f)
    }

    /// `msync`, as [`SharedSeatPool::flush`](crate::shm::SharedSeatPool::flush).
    ///
    /// # Errors
    /// [`ShmError::Io`] if `msync` fails.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("racefree-doc-cf-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let c = racefree::shm::SharedCounter::create(&path, 0)?;
    /// c.increment();
    /// c.flush()?;
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), racefree::shm::ShmError>(())
    /// ```
    pub fn flush(&self) -> Result<(), ShmError> {
        self.map.flush()
    }
}

/// A [`BoundedCounter`](crate::BoundedCounter) in a shared-memory file: a value
/// kept in `0..=max` across processes, `try_add`/`try_sub` one CAS loop each
/// (`Ok(previous)`, or `Err(current)` and nothing changed). The code is
/// `BoundedCounter`'s; `max` is fixed in the file's header.
///
/// ```
/// use racefree::shm::SharedBoundedCounter;
///
/// let path = std::env::temp_dir().join(format!("racefree-doc-bounded-{}", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let coupons = SharedBoundedCounter::create(&path, 100)?; // first 100 customers
/// assert_eq!(coupons.try_add(100), Ok(0));
/// assert_eq!(SharedBoundedCounter::open(&path)?.try_add(1), Err(100)); // never 101
/// # drop(coupons); std::fs::remove_file(&path).unwrap();
/// # Ok::<(), racefree::shm::ShmError>(())
/// ```
#[derive(Debug)]
pub struct SharedBoundedCounter {
    map: Mapping,
    max: u64,
}

impl SharedBoundedCounter {
    fn value(&self) -> &AtomicU64 {
        self.map.at(VALUE)
    }

    /// Creates a counter at 0 with bound `max` in a new file at `path`.
    ///
    /// # Errors
    /// [`ShmError::AlreadyExists`]; I/O errors.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("racefree-doc-bc-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let c = racefree::shm::SharedBoundedCounter::create(&path, 3)?;
    /// assert_eq!((c.get(), c.max()), (0, 3));
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), racefree::shm::ShmError>(())
    /// ```
    pub fn create(path: impl AsRef<Path>, max: u64) -> Result<Self, ShmError> {
        Self::create_at(path, 0, max)
    }

    /// Creates a counter holding `initial` with bound `max` (a balance that
    /// starts full, say).
    ///
    /// # Errors
    /// [`ShmError::InitialOutOfRange`] if `initial > max`; as [`create`](Self::create).
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("racefree-doc-bca-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let balance = racefree::shm::SharedBoundedCounter::create_at(&path, 100, u64::MAX)?;
    /// assert_eq!(balance.try_sub(80), Ok(100));
    /// assert_eq!(balance.try_sub(50), Err(20));
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), racefree::shm::ShmError>(())
    /// ```
    pub fn create_at(path: impl AsRef<Path>, initial: u64, max: u64) -> Result<Self, ShmError> {
        if initial > max {
            return Err(ShmError::InitialOutOfRange { initial, max });
        }
        let meta = Meta {
            kind: Kind::BoundedCounter,
            capacity: max,
            identity: 0,
        };
        let (map, _) = file::create(path.as_ref(), meta, Init::Value(initial))?;
        Ok(Self { map, max })
    }

    /// Opens the counter in the file at `path`.
    ///
    /// # Errors
    /// As [`SharedCounter::open`], and [`ShmError::Corrupt`] if the stored
    /// value is above `max`.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("racefree-doc-bo-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// use racefree::shm::SharedBoundedCounter;
    /// SharedBoundedCounter::create(&path, 9)?;
    /// assert_eq!(SharedBoundedCounter::open(&path)?.max(), 9);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), racefree::shm::ShmError>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ShmError> {
        let (map, meta, _) = file::open(path.as_ref(), Kind::BoundedCounter)?;
        let this = Self {
            map,
            max: meta.capacity,
        };
        if this.get() > this.max {
            return Err(ShmError::Corrupt("value above max"));
        }
        Ok(this)
    }

    /// Opens the counter at `path`, or creates it at 0 with bound `max`.
    ///
    /// # Errors
    /// As [`open`](Self::open) and [`create`](Self::create), and
    /// [`ShmError::CapacityMismatch`] if the file's `max` differs.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("racefree-doc-booc-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// use racefree::shm::SharedBoundedCounter;
    /// let a = SharedBoundedCounter::open_or_create(&path, 10)?;
    /// let b = SharedBoundedCounter::open_or_create(&path, 10)?;
    /// a.try_add(4).unwrap();
    /// assert_eq!(b.get(), 4);
    /// assert!(SharedBoundedCounter::open_or_create(&path, 11).is_err());
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), racefree::shm::ShmError>(())
    /// ```
    pub fn open_or_create(path: impl AsRef<Path>, max: u64) -> Result<Self, ShmError> {
        let path = path.as_ref();
        let this = open_or_create(|| Self::open(path), || Self::create(path, max))?;
        if this.max != max {
            return Err(ShmError::CapacityMismatch {
                found: this.max,
                requested: max,
            });
        }
        Ok(this)
    }

    /// As [`BoundedCounter::get`](crate::BoundedCounter::get).
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("racefree-doc-bg-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// assert_eq!(racefree::shm::SharedBoundedCounter::create(&path, 5)?.get(), 0);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), racefree::shm::ShmError>(())
    /// ```
    #[must_use]
    pub fn get(&self) -> u64 {
        bounded::get(self.value())
    }

    /// The bound.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("racefree-doc-bm-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// assert_eq!(racefree::shm::SharedBoundedCounter::create(&path, 5)?.max(), 5);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), racefree::shm::ShmError>(())
    /// ```
    #[must_use]
    pub fn max(&self) -> u64 {
        self.max
    }

    /// As [`BoundedCounter::try_add`](crate::BoundedCounter::try_add).
    ///
    /// # Errors
    /// `Err(current)` if the sum would pass `max`; nothing changed.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("racefree-doc-ba-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let c = racefree::shm::SharedBoundedCounter::create(&path, 5)?;
    /// assert_eq!(c.try_add(5), Ok(0));
    /// assert_eq!(c.try_add(1), Err(5));
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), racefree::shm::ShmError>(())
    /// ```
    pub fn try_add(&self, n: u64) -> Result<u64, u64> {
        bounded::try_add(self.value(), self.max, n)
    }

    /// As [`BoundedCounter::try_sub`](crate::BoundedCounter::try_sub).
    ///
    /// # Errors
    /// `Err(current)` if the result would go below 0; nothing changed.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("racefree-doc-bs-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let c = racefree::shm::SharedBoundedCounter::create(&path, 5)?;
    /// assert_eq!(c.try_sub(1), Err(0));
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), racefree::shm::ShmError>(())
    /// ```
    pub fn try_sub(&self, n: u64) -> Result<u64, u64> {
        bounded::try_sub(self.value(), n)
    }

    /// `msync`, as [`SharedSeatPool::flush`](crate::shm::SharedSeatPool::flush).
    ///
    /// # Errors
    /// [`ShmError::Io`] if `msync` fails.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("racefree-doc-bf-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// racefree::shm::SharedBoundedCounter::create(&path, 5)?.flush()?;
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), racefree::shm::ShmError>(())
    /// ```
    pub fn flush(&self) -> Result<(), ShmError> {
        self.map.flush()
    }
}
