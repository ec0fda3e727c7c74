//! [`ShmError`]: why a shared-memory file could not be created or opened.

use std::fmt;
use std::io;
use std::prelude::rust_2021::*;

/// Why a shared-memory structure could not be created, opened or used.
///
/// ```
/// use racefree::shm::{SharedSeatPool, ShmError};
///
/// let path = std::env::temp_dir().join(format!("racefree-doc-err-{}", std::process::id()));
/// assert!(matches!(SharedSeatPool::open(&path), Err(ShmError::NotFound)));
/// let e = SharedSeatPool::create(&path, 0).unwrap_err();
/// assert_eq!(e.to_string(), "racefree::shm: capacity must be at least 1");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ShmError {
    /// `open`: no file at the path.
    NotFound,
    /// `create`: a file already exists at the path (it is left untouched).
    AlreadyExists,
    /// The file (or its directory) may not be read and written by this process.
    PermissionDenied,
    /// The path names a directory, a device, a FIFO or a socket, not a regular file.
    NotARegularFile,
    /// The file is shorter than its header says, or than any header.
    Truncated {
        /// The file's length in bytes.
        len: u64,
        /// The length it needs.
        expected: u64,
    },
    /// The file's header is all zeros: it was not made by `create` (which
    /// initialises a file before giving it its name), or it was wiped.
    Uninitialised,
    /// The file does not start with racefree's magic bytes: it is not ours.
    BadMagic,
    /// The file was written by a format version this build does not read.
    UnsupportedVersion {
        /// The file's version.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// The file was written on a platform with another word size or byte order.
    IncompatiblePlatform,
    /// The file holds another kind of structure (say, a counter opened as a pool).
    WrongKind {
        /// What the file holds.
        found: &'static str,
        /// What was asked for.
        expected: &'static str,
    },
    /// The header's checksum or one of its invariants does not hold.
    Corrupt(&'static str),
    /// `open_or_create` found a file made with another capacity (or `max`).
    CapacityMismatch {
        /// The file's capacity (or `max`).
        found: u64,
        /// The one asked for.
        requested: u64,
    },
    /// A capacity of 0.
    ZeroCapacity,
    /// A counter's initial value out of its range (above `Counter::MAX`, or
    /// above a bounded counter's `max`).
    InitialOutOfRange {
        /// The initial value asked for.
        initial: u64,
        /// The largest allowed.
        max: u64,
    },
    /// A capacity whose file size overflows.
    CapacityTooLarge,
    /// More processes hold the pool open at once than it has process slots for
    /// ([`SharedSeatPool::PROCESS_SLOTS`](crate::shm::SharedSeatPool::PROCESS_SLOTS)).
    TooManyProcesses,
    /// A shared ticket whose seat is not (or no longer) booked under it: already
    /// cancelled, or never this pool's.
    NotBooked,
    /// Any other I/O error, with the step that failed.
    Io {
        /// What was being done (`"open"`, `"map"`, `"link"`, ...).
        op: &'static str,
        /// The operating system's error.
        source: io::Error,
    },
}

impl ShmError {
    /// Maps an I/O error of step `op` to the variant a caller can act on.
    pub(crate) fn io(op: &'static str, source: io::Error) -> Self {
        match source.kind() {
            io::ErrorKind::NotFound => Self::NotFound,
            io::ErrorKind::AlreadyExists => Self::AlreadyExists,
            io::ErrorKind::PermissionDenied => Self::PermissionDenied,
            _ => Self::Io { op, source },
        }
    }
}

impl fmt::Display for ShmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("racefree::shm: ")?;
        match self {
            Self::NotFound => f.write_str("no such file"),
            Self::AlreadyExists => f.write_str("the file already exists"),
            Self::PermissionDenied => f.write_str("permission denied"),
            Self::NotARegularFile => f.write_str("not a regular file"),
            Self::Truncated { len, expected } => {
                write!(f, "file truncated: {len} bytes, expected {expected}")
            }
            Self::Uninitialised => f.write_str("the file's header is all zeros (not initialised)"),
            Self::BadMagic => f.write_str("not a racefree shared-memory file (wrong magic)"),
            Self::UnsupportedVersion { found, supported } => {
                write!(f, "format version {found}, this build reads {supported}")
            }
            Self::IncompatiblePlatform => {
                f.write_str("the file was written with another word size or byte order")
            }
            Self::WrongKind { found, expected } => {
                write!(f, "the file holds a {found}, not a {expected}")
            }
            Self::Corrupt(what) => write!(f, "corrupt header: {what}"),
            Self::CapacityMismatch { found, requested } => {
                write!(
                    f,
                    "the file has capacity {found}, {requested} was requested"
                )
            }
            Self::ZeroCapacity => f.write_str("capacity must be at least 1"),
            Self::InitialOutOfRange { initial, max } => {
                write!(f, "initial value {initial} is above {max}")
            }
            Self::CapacityTooLarge => f.write_str("capacity too large for a file"),
            Self::TooManyProcesses => f.write_str("every process slot of the pool is in use"),
            Self::NotBooked => f.write_str("the seat is not booked under this ticket"),
            Self::Io { op, source } => write!(f, "{op}: {source}"),
        }
    }
}

impl std::error::Error for ShmError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
