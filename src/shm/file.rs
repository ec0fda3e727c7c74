//! The file format and the mapping: one header page, then the structure.
//!
//! ```text
//! offset  what
//! 0       Meta (72 bytes, written once before the file gets its name):
//!           magic "racefree", version u32, kind u32 (1 pool, 2 counter,
//!           3 bounded counter), endian marker u32, word bytes u32,
//!           seat-header bytes u64, file bytes u64, capacity (pool) or max
//!           (bounded counter) u64, process slots u64, pool identity u64,
//!           FNV-1a checksum of the 64 bytes before it u64
//! 128     control: recovery lock u64, next ticket generation u64,
//!           recovery-pending flag u64
//! 256     a counter's value u64 (counters: the file ends at 4096)
//! 4096    pool: PROCESS_SLOTS slots of 128 bytes (owner, enters, leaves: u64)
//! ..      pool: the seat pool's header (`#[repr(C)]`, the in-process one)
//! ..      pool: bitmap words (usize), one logical word every 128 bytes
//! ..      pool: one owner word (u64) per seat
//! ```
//! Every region starts on a 128-byte boundary; the file is a whole number of
//! 4096-byte pages, and the mapping is page-aligned (asserted), so every atomic
//! is aligned. Integers are native-endian: a file is for the machine that made
//! it (the endian marker and word size are checked).

use std::format;
use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::mem::{align_of, size_of};
use std::path::{Path, PathBuf};
use std::prelude::rust_2021::*;

use memmap2::{MmapOptions, MmapRaw};

use super::ShmError;
use crate::seats::raw::{free_admission, Header, Word};
use crate::seats::words_for;
use crate::sync::{AtomicU64, AtomicUsize};

pub(crate) const MAGIC: [u8; 8] = *b"racefree";
pub(crate) const VERSION: u32 = 1;
const ENDIAN: u32 = 0x0102_0304;
pub(crate) const PAGE: usize = 4096;
const LINE: usize = 128;
pub(crate) const META_BYTES: usize = 72;
pub(crate) const CONTROL: usize = 128;
pub(crate) const VALUE: usize = 256;
pub(crate) const SLOTS: usize = PAGE;
/// Process slots in a pool file.
pub(crate) const PROCESS_SLOTS: usize = 128;
/// Bitmap words from one logical word to the next (128 bytes, as the heap pool).
pub(crate) const STRIDE: usize = LINE / size_of::<Word>();

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    SeatPool = 1,
    Counter = 2,
    BoundedCounter = 3,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::SeatPool => "SharedSeatPool",
            Self::Counter => "SharedCounter",
            Self::BoundedCounter => "SharedBoundedCounter",
        }
    }

    fn from_u32(v: u32) -> Option<Self> {
        match v {
            1 => Some(Self::SeatPool),
            2 => Some(Self::Counter),
            3 => Some(Self::BoundedCounter),
            _ => None,
        }
    }
}

/// Where everything is, computed from the kind and capacity alone (so `open`
/// recomputes it and checks the header against it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) file_bytes: usize,
    pub(crate) header: usize,
    pub(crate) words: usize,
    pub(crate) words_len: usize,
    pub(crate) owners: usize,
}

fn round_up(n: usize, to: usize) -> Option<usize> {
    n.checked_add(to - 1).map(|n| n / to * to)
}

impl Layout {
    pub(crate) fn new(kind: Kind, capacity: u64) -> Result<Self, ShmError> {
        if kind != Kind::SeatPool {
            return Ok(Self {
                file_bytes: PAGE,
                header: 0,
                words: 0,
                words_len: 0,
                owners: 0,
            });
        }
        if capacity == 0 {
            return Err(ShmError::ZeroCapacity);
        }
        let too_large = || ShmError::CapacityTooLarge;
        let capacity = usize::try_from(capacity).map_err(|_| too_large())?;
        let header = SLOTS + PROCESS_SLOTS * LINE;
        let words = header + round_up(size_of::<PoolHeader>(), LINE).ok_or_else(too_large)?;
        let words_len = words_for(capacity)
            .checked_mul(STRIDE)
            .ok_or_else(too_large)?;
        let owners = words_len
            .checked_mul(size_of::<Word>())
            .and_then(|b| b.checked_add(words))
            .and_then(|end| round_up(end, LINE))
            .ok_or_else(too_large)?;
        let file_bytes = capacity
            .checked_mul(8)
            .and_then(|b| b.checked_add(owners))
            .and_then(|end| round_up(end, PAGE))
            .filter(|&b| b <= isize::MAX as usize)
            .ok_or_else(too_large)?;
        Ok(Self {
            file_bytes,
            header,
            words,
            words_len,
            owners,
        })
    }
}

/// The immutable first 72 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) kind: Kind,
    pub(crate) capacity: u64,
    pub(crate) identity: u64,
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Meta {
    fn to_bytes(self, layout: &Layout) -> [u8; META_BYTES] {
        let mut b = [0u8; META_BYTES];
        b[0..8].copy_from_slice(&MAGIC);
        b[8..12].copy_from_slice(&VERSION.to_ne_bytes());
        b[12..16].copy_from_slice(&(self.kind as u32).to_ne_bytes());
        b[16..20].copy_from_slice(&ENDIAN.to_ne_bytes());
        b[20..24].copy_from_slice(&(size_of::<usize>() as u32).to_ne_bytes());
        let header_bytes = if self.kind == Kind::SeatPool {
            size_of::<PoolHeader>()
        } else {
            0
        };
        b[24..32].copy_from_slice(&(header_bytes as u64).to_ne_bytes());
        b[32..40].copy_from_slice(&(layout.file_bytes as u64).to_ne_bytes());
        b[40..48].copy_from_slice(&self.capacity.to_ne_bytes());
        let slots = if self.kind == Kind::SeatPool {
            PROCESS_SLOTS
        } else {
            0
        };
        b[48..56].copy_from_slice(&(slots as u64).to_ne_bytes());
        b[56..64].copy_from_slice(&self.identity.to_ne_bytes());
        let sum = fnv1a(&b[..64]);
        b[64..72].copy_from_slice(&sum.to_ne_bytes());
        b
    }

    /// Validates a header read from a file of `len` bytes, expected to hold `kind`.
    fn parse(b: &[u8; META_BYTES], len: u64, kind: Kind) -> Result<(Self, Layout), ShmError> {
        let u32_at = |i: usize| u32::from_ne_bytes(b[i..i + 4].try_into().unwrap());
        let u64_at = |i: usize| u64::from_ne_bytes(b[i..i + 8].try_into().unwrap());
        if b.iter().all(|&x| x == 0) {
            return Err(ShmError::Uninitialised);
        }
        if b[0..8] != MAGIC {
            return Err(ShmError::BadMagic);
        }
        if u32_at(16) != ENDIAN || u32_at(20) != size_of::<usize>() as u32 {
            return Err(ShmError::IncompatiblePlatform);
        }
        if u32_at(8) != VERSION {
            return Err(ShmError::UnsupportedVersion {
                found: u32_at(8),
                supported: VERSION,
            });
        }
        if u64_at(64) != fnv1a(&b[..64]) {
            return Err(ShmError::Corrupt("header checksum does not match"));
        }
        let found = Kind::from_u32(u32_at(12)).ok_or(ShmError::Corrupt("unknown kind"))?;
        if found != kind {
            return Err(ShmError::WrongKind {
                found: found.name(),
                expected: kind.name(),
            });
        }
        let meta = Self {
            kind,
            capacity: u64_at(40),
            identity: u64_at(56),
        };
        let layout = Layout::new(kind, meta.capacity)
            .map_err(|_| ShmError::Corrupt("capacity out of range"))?;
        if meta.to_bytes(&layout) != *b {
            return Err(ShmError::Corrupt(
                "sizes (file, seat header, process slots) do not match the capacity",
            ));
        }
        // A pool's identity is a `usize` with its top bit set (never an
        // in-process pool's).
        let identity_ok = usize::try_from(meta.identity).is_ok_and(|id| id.leading_zeros() == 0);
        if kind == Kind::SeatPool && !identity_ok {
            return Err(ShmError::Corrupt("pool identity"));
        }
        if len < layout.file_bytes as u64 {
            return Err(ShmError::Truncated {
                len,
                expected: layout.file_bytes as u64,
            });
        }
        Ok((meta, layout))
    }
}

/// A file mapped shared, read and write.
pub(crate) struct Mapping {
    map: MmapRaw,
}

impl std::fmt::Debug for Mapping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mapping")
            .field("len", &self.map.len())
            .finish()
    }
}

/// Types that may be viewed in place in the mapping: atomics and the seat
/// pool's header (atomics and integers written before the file was published),
/// valid for the all-zero and every other bit pattern their fields allow.
pub(crate) trait InPlace {}
impl InPlace for AtomicU64 {}
impl InPlace for Word {}
impl InPlace for PoolHeader {}

impl Mapping {
    fn new(file: &File, len: usize) -> Result<Self, ShmError> {
        let map = MmapOptions::new()
            .len(len)
            .map_raw(file)
            .map_err(|e| ShmError::io("map", e))?;
        // mmap returns page-aligned memory; every offset used is aligned to its
        // type inside the page, so this makes every atomic aligned.
        assert_eq!(
            map.as_ptr() as usize % PAGE,
            0,
            "racefree::shm: mapping not page-aligned"
        );
        Ok(Self { map })
    }

    /// A reference to the `T` at byte `offset`.
    pub(crate) fn at<T: InPlace>(&self, offset: usize) -> &T {
        self.slice::<T>(offset, 1).first().expect("one element")
    }

    /// A pointer to `len` consecutive `T`s from byte `offset`, checked to be in
    /// bounds and aligned.
    fn ptr<T: InPlace>(&self, offset: usize, len: usize) -> *mut T {
        let bytes = len.checked_mul(size_of::<T>()).expect("slice size");
        assert!(
            offset
                .checked_add(bytes)
                .is_some_and(|end| end <= self.map.len()),
            "racefree::shm: view out of the mapping"
        );
        // SAFETY: `offset` is in bounds (checked above) of the mapping.
        let ptr = unsafe { self.map.as_mut_ptr().add(offset) };
        assert_eq!(
            ptr as usize % align_of::<T>(),
            0,
            "racefree::shm: misaligned view"
        );
        ptr.cast::<T>()
    }

    /// `len` consecutive `T`s from byte `offset`.
    pub(crate) fn slice<T: InPlace>(&self, offset: usize, len: usize) -> &[T] {
        let ptr = self.ptr::<T>(offset, len);
        // `T: InPlace` is an atomic or the seat header: after initialisation every
        // access goes through atomics, or reads integers written before the file
        // was published, which no process writes again.
        // SAFETY: aligned and in bounds (`ptr` checked both), initialised (a file's
        // pages read as zeros), shared as above, and borrowed no longer than the
        // mapping lives (the borrow is tied to `&self`).
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }

    /// Writes `value` at `offset`, before the file is published.
    fn write<T: InPlace>(&self, offset: usize, value: T) {
        let place = self.ptr::<T>(offset, 1);
        // SAFETY: `ptr` checked bounds and alignment; the file is not yet linked
        // under its name, so no other process maps it, and no reference into the
        // mapping exists yet in this one (`create` hands it out only after).
        unsafe { place.write(value) }
    }

    /// Writes the immutable header bytes, before the file is published.
    fn write_meta(&self, bytes: &[u8; META_BYTES]) {
        assert!(self.map.len() >= META_BYTES);
        // SAFETY: the mapping is at least META_BYTES long (checked) and not yet
        // visible to any other process or reference.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.map.as_mut_ptr(), META_BYTES);
        }
    }

    /// `msync`: asks the kernel to write the mapping's dirty pages to the file's
    /// storage and waits for it.
    pub(crate) fn flush(&self) -> Result<(), ShmError> {
        self.map.flush().map_err(|e| ShmError::io("msync", e))
    }
}

/// A seat pool's header as the file holds it, `repr(C)`: the admission count,
/// then the core's header (capacity, identity). The same bytes, in the same
/// order, as when the count was a field of the core's header (format 1): an
/// in-process pool keeps its count on bitmap word 0's line instead, but moving
/// it here would change the file format.
#[repr(C)]
pub(crate) struct PoolHeader {
    pub(crate) admission: AtomicUsize,
    pub(crate) header: Header,
}

impl PoolHeader {
    /// The header of a new pool of `capacity` free seats.
    pub(crate) fn new(header: Header, capacity: usize) -> Self {
        Self {
            admission: free_admission(capacity),
            header,
        }
    }
}

/// What `create` writes after the header (the rest of the file is zeros).
pub(crate) enum Init {
    /// A seat pool's header (the bitmap and owners start all zero: all free).
    Pool(PoolHeader),
    /// A counter's initial value.
    Value(u64),
}

/// A temporary file, removed when dropped.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// Creates the file at `path`: writes it in full under a temporary name in the
/// same directory, then `link`s it into place, which fails if `path` exists. So
/// no process ever opens a half-written file, and of racing creators exactly one
/// wins. `init` writes what follows the header.
pub(crate) fn create(path: &Path, meta: Meta, init: Init) -> Result<(Mapping, Layout), ShmError> {
    let layout = Layout::new(meta.kind, meta.capacity)?;
    let name = path.file_name().ok_or(ShmError::NotARegularFile)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = TempFile(dir.join(format!(
        ".{}.racefree-init.{}.{}",
        name.to_string_lossy(),
        std::process::id(),
        unique()
    )));
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&tmp.0)
        .map_err(|e| ShmError::io("create", e))?;
    file.set_len(layout.file_bytes as u64)
        .map_err(|e| ShmError::io("set_len", e))?;
    let map = Mapping::new(&file, layout.file_bytes)?;
    match init {
        Init::Pool(header) => map.write(layout.header, header),
        Init::Value(v) => map.write(VALUE, AtomicU64::new(v)),
    }
    map.write_meta(&meta.to_bytes(&layout));
    fs::hard_link(&tmp.0, path).map_err(|e| ShmError::io("link", e))?;
    drop(tmp);
    Ok((map, layout))
}

/// Opens and validates the file at `path`, expected to hold `kind`.
pub(crate) fn open(path: &Path, kind: Kind) -> Result<(Mapping, Meta, Layout), ShmError> {
    let md = fs::metadata(path).map_err(|e| ShmError::io("stat", e))?;
    if !md.is_file() {
        return Err(ShmError::NotARegularFile);
    }
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| ShmError::io("open", e))?;
    let md = file.metadata().map_err(|e| ShmError::io("stat", e))?;
    if !md.is_file() {
        return Err(ShmError::NotARegularFile);
    }
    let len = md.len();
    if len < META_BYTES as u64 {
        return Err(ShmError::Truncated {
            len,
            expected: PAGE as u64,
        });
    }
    let mut bytes = [0u8; META_BYTES];
    file.read_exact(&mut bytes)
        .map_err(|e| ShmError::io("read", e))?;
    let (meta, layout) = Meta::parse(&bytes, len, kind)?;
    let map = Mapping::new(&file, layout.file_bytes)?;
    Ok((map, meta, layout))
}

/// A number not used before in this process (for temporary names and pool
/// identities), mixed with the clock so that processes differ too.
pub(crate) fn unique() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // std's RandomState is seeded from the OS per process, and its keys advance
    // per instance: a fresh 64-bit value each call, without a dependency.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    h.finish()
}
