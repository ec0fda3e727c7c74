//! [`ShmStorage`] and [`SharedSeatPool`]: the seat pool with its header,
//! bitmap and holders in a shared memory-mapped file.

use std::num::NonZeroUsize;
use std::path::Path;
use std::prelude::rust_2021::*;

use super::file::{
    self, Init, Kind, Layout, Mapping, Meta, PoolHeader, CONTROL, PROCESS_SLOTS, SLOTS, STRIDE,
};
use super::process::{self, Liveness};
use super::protocol::{self, Slot, CONFIRMED, TAG};
use super::ShmError;
use crate::seats::pool::sealed::{self, Storage as _};
use crate::seats::pool::SeatPoolIn;
use crate::seats::raw::{Core, Header, Hooks, Word};
use crate::seats::Ticket;
use crate::sync::{AtomicU64, Ordering};

/// A seat pool in a shared-memory file, used by several processes at once:
/// [`SeatPoolIn`] over [`ShmStorage`], with every operation of
/// [`SeatPool`](crate::SeatPool) (`try_reserve`, `try_reserve_seat`,
/// `try_reserve_many`, `Seat::confirm`, `cancel`, `available`, `capacity`),
/// plus the constructors and the cross-process calls below. See the
/// [module docs](crate::shm) for the file format and the recovery protocol.
///
/// ```
/// use racefree::shm::SharedSeatPool;
///
/// let path = std::env::temp_dir().join(format!("racefree-doc-pool-{}", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let pool = SharedSeatPool::create(&path, 3)?;
/// // Another process would call `SharedSeatPool::open(&path)`; a second mapping
/// // in this one shows the same seats.
/// let other = SharedSeatPool::open(&path)?;
/// let seat = pool.try_reserve_seat(2).unwrap();
/// assert!(other.try_reserve_seat(2).is_err()); // held in the file
/// let ticket = pool.share(seat.confirm()).unwrap(); // a booking that crosses processes
/// other.cancel_seat(ticket)?; // cancelled from "another process"
/// assert_eq!(pool.available(), 3);
/// # drop((pool, other)); std::fs::remove_file(&path).unwrap();
/// # Ok::<(), racefree::shm::ShmError>(())
/// ```
pub type SharedSeatPool = SeatPoolIn<ShmStorage>;

/// The storage of a [`SharedSeatPool`]: a mapping of the pool's file, and this
/// handle's process slot. Built only by `SharedSeatPool::create`, `open` and
/// `open_or_create`.
///
/// ```
/// use racefree::shm::{SharedSeatPool, ShmStorage};
/// use racefree::SeatPoolIn;
///
/// let path = std::env::temp_dir().join(format!("racefree-doc-storage-{}", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let pool: SeatPoolIn<ShmStorage> = SharedSeatPool::create(&path, 2)?;
/// assert_eq!(pool.capacity(), 2);
/// # drop(pool); std::fs::remove_file(&path).unwrap();
/// # Ok::<(), racefree::shm::ShmError>(())
/// ```
#[derive(Debug)]
pub struct ShmStorage {
    map: Mapping,
    layout: Layout,
    capacity: usize,
    /// This handle's process slot.
    slot: usize,
    /// This process, as recorded in the slot and in the owner words.
    me: u64,
}

/// A confirmed booking of a [`SharedSeatPool`] that can cross a process
/// boundary: the seat id and the booking's generation, a number drawn from the
/// pool (never reused) when the seat was confirmed. Any process that maps the
/// pool can cancel it with [`cancel_seat`](SeatPoolIn::cancel_seat); the
/// generation makes a stale or copied ticket harmless (a second cancel, or one
/// after the seat was booked again, is refused). Serialize it with
/// [`to_bytes`](Self::to_bytes) / [`from_bytes`](Self::from_bytes), or store
/// [`id`](Self::id) and [`generation`](Self::generation).
///
/// ```
/// use racefree::shm::SharedTicket;
///
/// let t = SharedTicket::from_parts(7, 42);
/// assert_eq!(SharedTicket::from_bytes(t.to_bytes()), t);
/// assert_eq!((t.id(), t.generation()), (7, 42));
/// ```
///
/// With the `serde` feature it is `Serialize` and `Deserialize` (as
/// `{ seat, generation }`): the generation fences every copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SharedTicket {
    seat: u64,
    generation: u64,
}

impl SharedTicket {
    /// A ticket from its parts (as stored by a previous process).
    ///
    /// ```
    /// let t = racefree::shm::SharedTicket::from_parts(3, 9);
    /// assert_eq!(t.id(), 3);
    /// ```
    #[must_use]
    pub const fn from_parts(id: u64, generation: u64) -> Self {
        Self {
            seat: id,
            generation,
        }
    }

    /// The booked seat's id.
    ///
    /// ```
    /// assert_eq!(racefree::shm::SharedTicket::from_parts(3, 9).id(), 3);
    /// ```
    #[must_use]
    pub const fn id(&self) -> u64 {
        self.seat
    }

    /// The booking's generation.
    ///
    /// ```
    /// assert_eq!(racefree::shm::SharedTicket::from_parts(3, 9).generation(), 9);
    /// ```
    #[must_use]
    pub const fn generation(&self) -> u64 {
        self.generation
    }

    /// 16 bytes, little-endian: id, then generation.
    ///
    /// ```
    /// let bytes = racefree::shm::SharedTicket::from_parts(1, 2).to_bytes();
    /// assert_eq!(bytes[0], 1);
    /// assert_eq!(bytes[8], 2);
    /// ```
    #[must_use]
    pub fn to_bytes(self) -> [u8; 16] {
        let mut b = [0; 16];
        b[..8].copy_from_slice(&self.seat.to_le_bytes());
        b[8..].copy_from_slice(&self.generation.to_le_bytes());
        b
    }

    /// The ticket [`to_bytes`](Self::to_bytes) wrote.
    ///
    /// ```
    /// use racefree::shm::SharedTicket;
    /// let t = SharedTicket::from_parts(5, 6);
    /// assert_eq!(SharedTicket::from_bytes(t.to_bytes()), t);
    /// ```
    #[must_use]
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        let (id, generation) = bytes.split_at(8);
        Self {
            seat: u64::from_le_bytes(id.try_into().expect("8 bytes")),
            generation: u64::from_le_bytes(generation.try_into().expect("8 bytes")),
        }
    }
}

/// What a [`recover`](SeatPoolIn::recover) pass did.
///
/// ```
/// use racefree::shm::{Recovery, SharedSeatPool};
///
/// let path = std::env::temp_dir().join(format!("racefree-doc-recovery-{}", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let pool = SharedSeatPool::create(&path, 4)?;
/// let report: Recovery = pool.recover();
/// assert_eq!(report.freed(), 0); // nobody died
/// # drop(pool); std::fs::remove_file(&path).unwrap();
/// # Ok::<(), racefree::shm::ShmError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recovery {
    /// Unconfirmed seats whose recorded holder had died: freed.
    pub held: usize,
    /// Seats whose bit a dead process set without recording itself (it died
    /// between the two steps of a claim, or of a release): freed.
    pub orphans: usize,
    /// Admission units a dead process had taken without setting a bit (or
    /// cleared a bit without giving back): given back.
    pub units: usize,
    /// The second pass (orphans and units) did not run: another process was
    /// running it, or live processes were inside a claim or release every time
    /// it looked. It runs again on the next `recover`, `open`, or full claim.
    pub deferred: bool,
}

impl Recovery {
    /// Seats made free again (held + orphans).
    ///
    /// ```
    /// assert_eq!(racefree::shm::Recovery::default().freed(), 0);
    /// ```
    #[must_use]
    pub fn freed(&self) -> usize {
        self.held + self.orphans
    }
}

impl sealed::Storage for ShmStorage {
    const NAME: &'static str = "SharedSeatPool";

    #[inline]
    fn core(&self) -> Core<'_> {
        let mapped = self.mapped_header();
        Core::new(&mapped.admission, &mapped.header, self.words(), STRIDE).with_hooks(self)
    }
}

/// How often the second recovery pass looks for a quiet moment before it
/// defers.
const QUIET_TRIES: usize = 64;

impl ShmStorage {
    fn mapped_header(&self) -> &PoolHeader {
        self.map.at(self.layout.header)
    }

    fn header(&self) -> &Header {
        &self.mapped_header().header
    }

    fn words(&self) -> &[Word] {
        self.map.slice(self.layout.words, self.layout.words_len)
    }

    fn owners(&self) -> &[AtomicU64] {
        self.map.slice(self.layout.owners, self.capacity)
    }

    fn slot(&self, i: usize) -> Slot<'_> {
        let base = SLOTS + i * 128;
        Slot {
            owner: self.map.at(base),
            enters: self.map.at(base + 8),
            leaves: self.map.at(base + 16),
        }
    }

    /// The recovery lock: the process running the second pass, 0 when none.
    fn lock_word(&self) -> &AtomicU64 {
        self.map.at(CONTROL)
    }

    /// The next ticket generation.
    fn generations(&self) -> &AtomicU64 {
        self.map.at(CONTROL + 8)
    }

    /// Set when a dead process's slot was taken over before a second pass had
    /// run for it: the next full claim then runs recovery.
    fn pending(&self) -> &AtomicU64 {
        self.map.at(CONTROL + 16)
    }

    /// Maps a validated file and takes a process slot.
    fn attach(map: Mapping, layout: Layout, capacity: usize) -> Result<Self, ShmError> {
        let mut storage = Self {
            map,
            layout,
            capacity,
            slot: usize::MAX,
            me: process::me(),
        };
        if storage.header().capacity() != capacity {
            return Err(ShmError::Corrupt(
                "seat header capacity differs from the file's",
            ));
        }
        storage.slot = storage.register()?;
        Ok(storage)
    }

    /// Takes a free process slot, or the slot of a process that died outside
    /// any claim or release (its seats are still recorded in the owner words,
    /// and `open` runs a recovery pass right after).
    fn register(&self) -> Result<usize, ShmError> {
        let mut live = Liveness::default();
        for i in 0..PROCESS_SLOTS {
            let slot = self.slot(i);
            let owner = slot.owner.load(Ordering::SeqCst);
            let free = owner == 0;
            let stealable = !free
                && process::can_check_liveness()
                && !live.alive(owner)
                && slot.enters.load(Ordering::SeqCst) == slot.leaves.load(Ordering::SeqCst);
            if (free || stealable)
                && slot
                    .owner
                    .compare_exchange(owner, self.me, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
            {
                // A previous occupant may have died inside a window: start
                // balanced (only this process touches the slot now).
                slot.leaves
                    .store(slot.enters.load(Ordering::SeqCst), Ordering::SeqCst);
                if stealable {
                    self.pending().store(1, Ordering::SeqCst);
                }
                return Ok(i);
            }
        }
        Err(ShmError::TooManyProcesses)
    }

    /// Whether a recovery pass could free anything: a slot of a dead process,
    /// or a second pass still pending.
    fn may_have_dead_holders(&self) -> bool {
        if !process::can_check_liveness() {
            return false;
        }
        if self.pending().load(Ordering::SeqCst) != 0 {
            return true;
        }
        let mut live = Liveness::default();
        (0..PROCESS_SLOTS).any(|i| {
            let owner = self.slot(i).owner.load(Ordering::SeqCst);
            owner != 0 && !live.alive(owner)
        })
    }

    /// The recovery pass; see "Crash recovery" in the module docs.
    fn recover(&self) -> Recovery {
        let mut report = Recovery::default();
        if !process::can_check_liveness() {
            report.deferred = true;
            return report;
        }
        let mut live = Liveness::default();
        let dead_slots: Vec<(usize, u64)> = (0..PROCESS_SLOTS)
            .filter_map(|i| {
                let owner = self.slot(i).owner.load(Ordering::SeqCst);
                (owner != 0 && !live.alive(owner)).then_some((i, owner))
            })
            .collect();
        // Pass 1: seats whose recorded holder is dead.
        report.held = protocol::free_dead_holders(
            self.core().without_hooks(),
            self.owners(),
            &mut |owner| live.alive(owner),
            &self.slot(self.slot),
        );

        // Pass 2: what a process that died inside a claim or release left behind.
        if !self.lock(&mut live) {
            report.deferred = true;
            return report;
        }
        if self.orphan_pass(&mut live, &mut report) {
            for (i, owner) in dead_slots {
                // Its seats were freed by pass 1 (it could claim none after it
                // died) and its windows by pass 2: the slot is free again.
                let _ = self.slot(i).owner.compare_exchange(
                    owner,
                    0,
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                );
            }
            self.pending().store(0, Ordering::SeqCst);
        } else {
            report.deferred = true;
        }
        self.unlock();
        report
    }

    /// Takes the recovery lock (or the lock of a dead recoverer).
    fn lock(&self, live: &mut Liveness) -> bool {
        let lock = self.lock_word();
        match lock.compare_exchange(0, self.me, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => true,
            Err(holder) if holder != self.me && !live.alive(holder) => lock
                .compare_exchange(holder, self.me, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok(),
            Err(_) => false,
        }
    }

    fn unlock(&self) {
        let _ = self
            .lock_word()
            .compare_exchange(self.me, 0, Ordering::SeqCst, Ordering::SeqCst);
    }

    /// Pass 2, tried until it finds a quiet moment (see `protocol`). Returns
    /// whether it did.
    fn orphan_pass(&self, live: &mut Liveness, report: &mut Recovery) -> bool {
        let slots = |i: usize| self.slot(i);
        for _ in 0..QUIET_TRIES {
            if let Some((orphans, units)) = protocol::orphan_pass_once(
                self.core().without_hooks(),
                self.owners(),
                &slots,
                PROCESS_SLOTS,
                &mut |owner| live.alive(owner),
                &self.slot(self.slot),
            ) {
                report.orphans += orphans;
                report.units += units;
                return true;
            }
            std::thread::yield_now();
        }
        false
    }
}

impl Hooks for ShmStorage {
    #[inline]
    fn enter(&self) {
        protocol::enter(&self.slot(self.slot));
    }

    #[inline]
    fn leave(&self) {
        protocol::leave(&self.slot(self.slot));
    }

    #[inline]
    fn claimed(&self, id: usize) {
        protocol::claimed(self.owners(), id, self.me);
    }

    #[inline]
    fn releasing(&self, id: usize) {
        protocol::releasing(self.owners(), id);
    }

    fn confirmed(&self, id: usize) -> u64 {
        // Relaxed: only distinct numbers are needed; nothing is published.
        let generation = (self.generations().fetch_add(1, Ordering::Relaxed) + 1) & !TAG;
        // Release: pairs with the Acquire loads in `share`, `cancel_seat` and
        // recovery.
        self.owners()[id].store(CONFIRMED | generation, Ordering::Release);
        generation
    }

    fn cancelling(&self, id: usize, booking: u64) -> bool {
        protocol::take_booking(self.owners(), id, booking)
    }

    fn recover_when_full(&self) -> bool {
        self.may_have_dead_holders() && self.recover().freed() > 0
    }
}

impl Drop for ShmStorage {
    fn drop(&mut self) {
        if self.slot == usize::MAX {
            return; // `attach` failed before taking a slot
        }
        // Seats still held through `mem::forget` stay recorded under this
        // process and are recovered once it exits.
        let _ = self.slot(self.slot).owner.compare_exchange(
            self.me,
            0,
            Ordering::SeqCst,
            Ordering::SeqCst,
        );
    }
}

/// Tries `open`, then `create`, until one of them decides (a bounded loop: a
/// file that racing processes keep removing and recreating ends in an error).
pub(crate) fn open_or_create<T>(
    open: impl Fn() -> Result<T, ShmError>,
    create: impl Fn() -> Result<T, ShmError>,
) -> Result<T, ShmError> {
    let mut last = ShmError::NotFound;
    for _ in 0..64 {
        match open() {
            Err(ShmError::NotFound) => {}
            other => return other,
        }
        match create() {
            Err(e @ ShmError::AlreadyExists) => last = e,
            other => return other,
        }
    }
    Err(last)
}

impl SeatPoolIn<ShmStorage> {
    /// Process slots in a pool file: how many handles (`create`/`open` calls
    /// not yet dropped, across all processes) may have the pool open at once.
    pub const PROCESS_SLOTS: usize = PROCESS_SLOTS;

    /// Creates a pool of `capacity` free seats in a new file at `path` (in
    /// `/dev/shm` for memory only, or any directory). The file is written in
    /// full under a temporary name and then linked into place, so no process
    /// ever opens it half-written.
    ///
    /// # Errors
    /// [`ShmError::AlreadyExists`] if `path` exists; [`ShmError::ZeroCapacity`],
    /// [`ShmError::CapacityTooLarge`]; I/O errors ([`ShmError::PermissionDenied`],
    /// [`ShmError::Io`]).
    ///
    /// ```
    /// use racefree::shm::{SharedSeatPool, ShmError};
    ///
    /// let path = std::env::temp_dir().join(format!("racefree-doc-create-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let pool = SharedSeatPool::create(&path, 100)?;
    /// assert_eq!(pool.available(), 100);
    /// assert!(matches!(SharedSeatPool::create(&path, 100), Err(ShmError::AlreadyExists)));
    /// # drop(pool); std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), ShmError>(())
    /// ```
    pub fn create(path: impl AsRef<Path>, capacity: usize) -> Result<Self, ShmError> {
        if capacity == 0 {
            return Err(ShmError::ZeroCapacity);
        }
        // Top bit set: never an in-process pool's identity (those count up from
        // 1), so an in-process ticket is never accepted here, nor the reverse.
        let top = 1 << (usize::BITS - 1);
        let identity = top | (file::unique() as usize & (top - 1));
        let header =
            Header::with_identity(capacity, NonZeroUsize::new(identity).expect("top bit set"));
        let meta = Meta {
            kind: Kind::SeatPool,
            capacity: capacity as u64,
            identity: identity as u64,
        };
        let header = PoolHeader::new(header, capacity);
        let (map, layout) = file::create(path.as_ref(), meta, Init::Pool(header))?;
        Ok(Self::from_storage(ShmStorage::attach(
            map, layout, capacity,
        )?))
    }

    /// Opens the pool in the file at `path`, validating its header, and runs a
    /// [`recover`](Self::recover) pass.
    ///
    /// # Errors
    /// [`ShmError::NotFound`], [`ShmError::NotARegularFile`],
    /// [`ShmError::PermissionDenied`], [`ShmError::Truncated`],
    /// [`ShmError::Uninitialised`], [`ShmError::BadMagic`],
    /// [`ShmError::UnsupportedVersion`], [`ShmError::IncompatiblePlatform`],
    /// [`ShmError::WrongKind`], [`ShmError::Corrupt`],
    /// [`ShmError::TooManyProcesses`], [`ShmError::Io`].
    ///
    /// ```
    /// use racefree::shm::SharedSeatPool;
    ///
    /// let path = std::env::temp_dir().join(format!("racefree-doc-open-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let made = SharedSeatPool::create(&path, 8)?;
    /// let ticket = made.try_reserve().unwrap().confirm();
    /// drop(made); // the booking is in the file
    /// let pool = SharedSeatPool::open(&path)?;
    /// assert_eq!(pool.available(), 7);
    /// # let _ = ticket;
    /// # drop(pool); std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), racefree::shm::ShmError>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ShmError> {
        let (map, meta, layout) = file::open(path.as_ref(), Kind::SeatPool)?;
        let capacity = usize::try_from(meta.capacity).map_err(|_| ShmError::CapacityTooLarge)?;
        let pool = Self::from_storage(ShmStorage::attach(map, layout, capacity)?);
        let _ = pool.recover();
        Ok(pool)
    }

    /// Opens the pool at `path`, or creates it with `capacity` seats. Processes
    /// racing here all end up on the same file (one `create` wins the link, the
    /// others open its file).
    ///
    /// # Errors
    /// As [`open`](Self::open) and [`create`](Self::create), and
    /// [`ShmError::CapacityMismatch`] if the file exists with another capacity.
    ///
    /// ```
    /// use racefree::shm::{SharedSeatPool, ShmError};
    ///
    /// let path = std::env::temp_dir().join(format!("racefree-doc-ooc-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let a = SharedSeatPool::open_or_create(&path, 5)?; // creates
    /// let b = SharedSeatPool::open_or_create(&path, 5)?; // opens
    /// let _seat = a.try_reserve().unwrap();
    /// assert_eq!(b.available(), 4);
    /// assert!(matches!(
    ///     SharedSeatPool::open_or_create(&path, 6),
    ///     Err(ShmError::CapacityMismatch { found: 5, requested: 6 })
    /// ));
    /// # drop(_seat); drop((a, b)); std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), ShmError>(())
    /// ```
    pub fn open_or_create(path: impl AsRef<Path>, capacity: usize) -> Result<Self, ShmError> {
        let path = path.as_ref();
        if capacity == 0 {
            return Err(ShmError::ZeroCapacity);
        }
        let pool = open_or_create(|| Self::open(path), || Self::create(path, capacity))?;
        if pool.capacity() != capacity {
            return Err(ShmError::CapacityMismatch {
                found: pool.capacity() as u64,
                requested: capacity as u64,
            });
        }
        Ok(pool)
    }

    /// Turns a ticket of this pool into a [`SharedTicket`] that any process can
    /// store and later cancel with [`cancel_seat`](Self::cancel_seat). A ticket
    /// of another pool comes back in `Err`.
    ///
    /// # Errors
    /// `Err(ticket)` if `ticket` is not this pool's, or its seat is no longer
    /// booked under it.
    ///
    /// ```
    /// use racefree::shm::SharedSeatPool;
    ///
    /// let path = std::env::temp_dir().join(format!("racefree-doc-share-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let pool = SharedSeatPool::create(&path, 2)?;
    /// let shared = pool.share(pool.try_reserve_seat(1).unwrap().confirm()).unwrap();
    /// assert_eq!(shared.id(), 1);
    /// let bytes = shared.to_bytes(); // store it, send it to another process ...
    /// # drop(pool); std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), racefree::shm::ShmError>(())
    /// ```
    pub fn share(&self, ticket: Ticket) -> Result<SharedTicket, Ticket> {
        let core = self.storage().core();
        if ticket.pool != core.identity("SharedSeatPool::share") || ticket.seat >= self.capacity() {
            return Err(ticket);
        }
        // Acquire: pairs with the Release store in `confirmed`.
        let owner = self.storage().owners()[ticket.seat].load(Ordering::Acquire);
        if owner != CONFIRMED | ticket.booking {
            return Err(ticket); // cancelled elsewhere (and maybe booked again)
        }
        Ok(SharedTicket {
            seat: ticket.seat as u64,
            generation: ticket.booking,
        })
    }

    /// The confirmed bookings in the pool now, as shared tickets (to rebuild a
    /// service's state after a restart). A snapshot.
    ///
    /// ```
    /// use racefree::shm::SharedSeatPool;
    ///
    /// let path = std::env::temp_dir().join(format!("racefree-doc-bookings-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let pool = SharedSeatPool::create(&path, 4)?;
    /// let _t = pool.try_reserve_seat(3).unwrap().confirm();
    /// let _held = pool.try_reserve_seat(0).unwrap(); // held, not confirmed
    /// let booked = pool.bookings();
    /// assert_eq!(booked.len(), 1);
    /// assert_eq!(booked[0].id(), 3);
    /// # drop(_held); drop(pool); std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), racefree::shm::ShmError>(())
    /// ```
    #[must_use]
    pub fn bookings(&self) -> Vec<SharedTicket> {
        self.storage()
            .owners()
            .iter()
            .enumerate()
            .filter_map(|(id, owner)| {
                // Acquire: pairs with the Release store in `confirmed`.
                let owner = owner.load(Ordering::Acquire);
                (owner & TAG == CONFIRMED).then_some(SharedTicket {
                    seat: id as u64,
                    generation: owner & !TAG,
                })
            })
            .collect()
    }

    /// Releases the seat booked under `ticket`, from any process. A ticket
    /// cancelled before (or whose seat has since been booked again) is refused:
    /// the owner word is compared and cleared in one CAS, so a booking is
    /// released at most once.
    ///
    /// # Errors
    /// [`ShmError::NotBooked`] if the seat is not booked under this ticket.
    ///
    /// ```
    /// use racefree::shm::{SharedSeatPool, ShmError};
    ///
    /// let path = std::env::temp_dir().join(format!("racefree-doc-cancel-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let pool = SharedSeatPool::create(&path, 1)?;
    /// let t = pool.share(pool.try_reserve().unwrap().confirm()).unwrap();
    /// pool.cancel_seat(t)?;
    /// assert!(matches!(pool.cancel_seat(t), Err(ShmError::NotBooked)));
    /// assert_eq!(pool.available(), 1);
    /// # drop(pool); std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), ShmError>(())
    /// ```
    pub fn cancel_seat(&self, ticket: SharedTicket) -> Result<(), ShmError> {
        let storage = self.storage();
        let id = usize::try_from(ticket.seat)
            .ok()
            .filter(|&id| id < self.capacity())
            .ok_or(ShmError::NotBooked)?;
        storage.enter();
        let won = protocol::take_booking(storage.owners(), id, ticket.generation);
        if won {
            storage.core().without_hooks().release_id(id);
        }
        storage.leave();
        if won {
            Ok(())
        } else {
            Err(ShmError::NotBooked)
        }
    }

    /// Frees what dead processes left: unconfirmed seats whose holder has died,
    /// and what a process that died in the middle of a claim or release left
    /// behind. Confirmed bookings are never touched. `open` runs it, and so
    /// does a claim that finds the pool full while a dead process's slot is
    /// still recorded. Lock-free for everyone else: claims never wait for it.
    ///
    /// Needs `/proc` (Linux): elsewhere it frees nothing and reports `deferred`.
    ///
    /// ```
    /// use racefree::shm::SharedSeatPool;
    ///
    /// let path = std::env::temp_dir().join(format!("racefree-doc-recover-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let pool = SharedSeatPool::create(&path, 2)?;
    /// let _mine = pool.try_reserve().unwrap();
    /// assert_eq!(pool.recover().freed(), 0); // a live holder keeps its seat
    /// assert_eq!(pool.available(), 1);
    /// # drop(_mine); drop(pool); std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), racefree::shm::ShmError>(())
    /// ```
    pub fn recover(&self) -> Recovery {
        self.storage().recover()
    }

    /// Asks the kernel to write the pool's pages to the file's storage and
    /// waits (`msync`). Processes see each other's changes without it (they
    /// share the page cache); it matters only for a machine crash, and even
    /// then a claim between two flushes is lost: for durability across machine
    /// crashes, use a database.
    ///
    /// # Errors
    /// [`ShmError::Io`] if `msync` fails.
    ///
    /// ```
    /// use racefree::shm::SharedSeatPool;
    ///
    /// let path = std::env::temp_dir().join(format!("racefree-doc-flush-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let pool = SharedSeatPool::create(&path, 2)?;
    /// let _t = pool.try_reserve().unwrap().confirm();
    /// pool.flush()?;
    /// # drop(pool); std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), racefree::shm::ShmError>(())
    /// ```
    pub fn flush(&self) -> Result<(), ShmError> {
        self.storage().map.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shm::protocol::HELD;

    /// A holder word of a process that cannot exist (pid above Linux's
    /// pid_max): dead.
    const DEAD: u64 = HELD | 0xFFFF_FFFF;

    /// A pool in a fresh temporary file, removed again on drop. Every test here
    /// stages dead processes, so each is ignored where this platform cannot tell
    /// a live process from a dead one (no `/proc`), and asserts that it can.
    fn pool(tag: &str, capacity: usize) -> TempPool {
        assert!(
            process::can_check_liveness(),
            "no /proc/<pid>/task/<pid>/stat"
        );
        let path = std::env::temp_dir().join(format!(
            "racefree-unit-{tag}-{}-{}",
            std::process::id(),
            file::unique()
        ));
        let pool = SharedSeatPool::create(&path, capacity).unwrap();
        TempPool { pool, path }
    }

    /// Claims a seat and records a dead process as its holder, as if the holder
    /// had been killed after `try_reserve`: the seat id.
    fn claim_for_a_dead_holder(pool: &SharedSeatPool) -> usize {
        let s = pool.storage();
        let id = s.core().without_hooks().try_reserve().unwrap();
        s.owners()[id].store(DEAD, Ordering::SeqCst);
        id
    }

    struct TempPool {
        pool: SharedSeatPool,
        path: std::path::PathBuf,
    }

    impl core::ops::Deref for TempPool {
        type Target = SharedSeatPool;
        fn deref(&self) -> &SharedSeatPool {
            &self.pool
        }
    }

    impl Drop for TempPool {
        fn drop(&mut self) {
            // Unlinking a mapped file is fine: the mapping goes with `pool`.
            std::fs::remove_file(&self.path).unwrap();
        }
    }

    /// Crash windows staged by hand: a dead holder and orphans (bit set, no
    /// owner) are recovered; a live holder and a confirmed booking are not.
    #[test]
    #[cfg_attr(not(target_os = "linux"), ignore = "needs /proc")]
    fn recovery_frees_each_crash_window() {
        let pool = pool("windows", 70);
        let dead = claim_for_a_dead_holder(&pool);
        let raw = pool.storage().core().without_hooks();
        // Orphans: claimed, killed before recording.
        let orphan = raw.try_reserve().unwrap();
        let orphan2 = raw.try_reserve_seat(69).unwrap();
        let live = pool.try_reserve().unwrap();
        let ticket = pool.try_reserve().unwrap().confirm();
        let booked = ticket.id();
        assert_eq!(pool.available(), 70 - 5);

        let r = pool.recover();
        assert!(!r.deferred, "{r:?}");
        assert_eq!(r.held, 1, "{r:?}");
        assert_eq!(r.orphans, 2, "{r:?}");
        assert_eq!(pool.available(), 70 - 2);
        assert!(pool.try_reserve_seat(live.id()).is_err());
        assert!(pool.try_reserve_seat(booked).is_err());
        for id in [dead, orphan, orphan2] {
            assert!(pool.try_reserve_seat(id).is_ok(), "seat {id} recovered");
        }
        drop(live);
        pool.cancel(ticket).unwrap();
    }

    /// Admission units taken by a claimer that died before setting a bit.
    #[test]
    #[cfg_attr(not(target_os = "linux"), ignore = "needs /proc")]
    fn recovery_gives_back_lost_units() {
        let pool = pool("units", 5);
        let raw = pool.storage().core().without_hooks();
        // Two units taken with no bit set, as claimers killed between
        // admission and their fetch_or leave the pool: claim, then clear the
        // bits by hand.
        let a = raw.try_reserve().unwrap();
        let b = raw.try_reserve().unwrap();
        let words = pool.storage().words();
        words[0].fetch_and(!((1 << a) | (1 << b)), Ordering::SeqCst);
        assert_eq!(pool.available(), 3);
        let r = pool.recover();
        assert_eq!((r.units, r.freed(), r.deferred), (2, 0, false), "{r:?}");
        assert_eq!(pool.available(), 5);
        assert!(pool.try_reserve_many(5).is_some());
    }

    /// A live process inside a claim (its window open) defers the second pass:
    /// its owner-less bit is not taken for an orphan.
    #[test]
    #[cfg_attr(not(target_os = "linux"), ignore = "needs /proc")]
    fn a_live_claim_in_flight_is_not_an_orphan() {
        let pool = pool("inflight", 3);
        let s = pool.storage();
        s.enter(); // a claim in flight ...
        let id = s.core().without_hooks().try_reserve().unwrap(); // ... bit won, owner not yet recorded
        let r = pool.recover();
        assert!(r.deferred);
        assert_eq!(r.freed(), 0);
        assert!(pool.try_reserve_seat(id).is_err());
        s.claimed(id); // the claim records itself and ends
        s.leave();
        let r = pool.recover();
        assert_eq!((r.freed(), r.units, r.deferred), (0, 0, false));
        assert!(pool.try_reserve_seat(id).is_err(), "still held by us");
    }

    /// A full pool with a dead process's slot recovers inside the claim.
    #[test]
    #[cfg_attr(not(target_os = "linux"), ignore = "needs /proc")]
    fn a_full_claim_recovers_dead_holders() {
        let pool = pool("full", 2);
        claim_for_a_dead_holder(&pool);
        claim_for_a_dead_holder(&pool);
        let s = pool.storage();
        // Record a dead process in a free slot, as if it had opened the pool.
        let slot = (0..PROCESS_SLOTS)
            .find(|&i| s.slot(i).owner.load(Ordering::SeqCst) == 0)
            .unwrap();
        s.slot(slot).owner.store(DEAD, Ordering::SeqCst);
        assert!(pool.try_reserve().is_some(), "recovered inside the claim");
        assert_eq!(s.slot(slot).owner.load(Ordering::SeqCst), 0, "slot freed");
    }
}
