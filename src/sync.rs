//! The one seam for atomics.
//!
//! Every other module imports its atomic types, [`Ordering`], [`CachePadded`] and
//! [`Backoff`] from here and nowhere else. Under `cfg(loom)` they are loom's modelled
//! types, so the model checker sees every load, store and CAS; otherwise they are
//! [`portable_atomic`]'s, which are the `core` atomics where the target has them and
//! add what it lacks (CAS on thumbv6m through the `critical-section` feature, 128-bit
//! CAS on x86_64 and aarch64).
//!
//! Two differences between the worlds are bridged here:
//! - loom's constructors are not `const`: types that offer `const fn new` off-loom
//!   build through [`const_fn!`](crate::const_fn) which drops the `const` under loom.
//! - loom has no `AtomicU128`: [`AtomicDoubleWord`] under loom is a stand-in built on
//!   loom's `Mutex`, which is strictly stronger (sequentially consistent) than the real
//!   CAS, so it checks the algorithm's use of the head, not the head's own orderings.

// Not every target/feature combination uses every item re-exported here.
#![allow(unused_imports, dead_code)]

pub(crate) use core::sync::atomic::Ordering;
pub(crate) use crossbeam_utils::CachePadded;

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicPtr, AtomicUsize};
#[cfg(not(loom))]
#[allow(unused_imports)]
pub(crate) use portable_atomic::{AtomicPtr, AtomicUsize};

/// 64-bit atomics: native on 64-bit targets; absent on thumbv7em/riscv32imac.
#[cfg(loom)]
pub(crate) use loom::sync::atomic::AtomicU64;
#[cfg(all(not(loom), target_has_atomic = "64"))]
pub(crate) use portable_atomic::AtomicU64;

/// Whether 64-bit atomic read-modify-writes are lock-free here: portable-atomic's
/// answer natively; always under loom, which models them.
#[cfg(any(loom, target_has_atomic = "64"))]
pub(crate) fn u64_is_lock_free() -> bool {
    #[cfg(loom)]
    {
        true
    }
    #[cfg(not(loom))]
    {
        AtomicU64::is_lock_free()
    }
}

/// Spin-loop politeness: a CPU hint natively, a scheduling point under loom (loom
/// must see every spin loop yield, or it explores it forever).
#[inline]
#[allow(dead_code)]
pub(crate) fn spin_hint() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    core::hint::spin_loop();
}

/// Exponential backoff for CAS retry loops: crossbeam-utils' natively, a plain yield
/// under loom.
#[allow(dead_code)]
pub(crate) struct Backoff {
    #[cfg(not(loom))]
    inner: crossbeam_utils::Backoff,
}

#[allow(dead_code)]
impl Backoff {
    /// A fresh backoff, at its shortest step.
    #[inline]
    pub(crate) fn new() -> Self {
        Self {
            #[cfg(not(loom))]
            inner: crossbeam_utils::Backoff::new(),
        }
    }

    /// Back off after a failed CAS on a hot word (spins only, never yields the thread).
    #[inline]
    pub(crate) fn spin(&self) {
        #[cfg(loom)]
        loom::thread::yield_now();
        #[cfg(not(loom))]
        self.inner.spin();
    }
}

/// Declares a function that is `const` off-loom and a plain `fn` under loom (whose
/// atomics have no `const` constructors).
#[doc(hidden)]
#[macro_export]
macro_rules! const_fn {
    ($(#[$m:meta])* $vis:vis const fn $($rest:tt)*) => {
        #[cfg(not(loom))]
        $(#[$m])* $vis const fn $($rest)*
        #[cfg(loom)]
        $(#[$m])* $vis fn $($rest)*
    };
}

/// The double-width word of a tagged pointer: `u128` on 64-bit targets, `u64` on
/// 32-bit ones. The address takes the low half, the tag the high half.
#[cfg(target_pointer_width = "64")]
#[allow(dead_code)]
pub(crate) type DoubleWord = u128;
#[cfg(target_pointer_width = "32")]
#[allow(dead_code)]
pub(crate) type DoubleWord = u64;

#[cfg(loom)]
pub(crate) use loom_double_word::AtomicDoubleWord;
/// Atomic [`DoubleWord`]: the head of `TreiberStack`.
#[cfg(all(
    not(loom),
    target_pointer_width = "64",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
pub(crate) use portable_atomic::AtomicU128 as AtomicDoubleWord;
#[cfg(all(not(loom), target_pointer_width = "32", target_has_atomic = "64"))]
pub(crate) use portable_atomic::AtomicU64 as AtomicDoubleWord;

#[cfg(loom)]
mod loom_double_word {
    use super::{DoubleWord, Ordering};

    /// Loom has no 128-bit atomic: a modelled mutex around the value. Every
    /// operation is a loom scheduling point, and it is at least as strong as
    /// the real CAS, so the model checks the algorithm around the head.
    #[derive(Debug)]
    pub(crate) struct AtomicDoubleWord(loom::sync::Mutex<DoubleWord>);

    impl AtomicDoubleWord {
        pub(crate) fn new(v: DoubleWord) -> Self {
            Self(loom::sync::Mutex::new(v))
        }
        pub(crate) fn load(&self, _: Ordering) -> DoubleWord {
            *self.0.lock().unwrap()
        }
        pub(crate) fn compare_exchange_weak(
            &self,
            current: DoubleWord,
            new: DoubleWord,
            _: Ordering,
            _: Ordering,
        ) -> Result<DoubleWord, DoubleWord> {
            self.compare_exchange(current, new, Ordering::SeqCst, Ordering::SeqCst)
        }
        pub(crate) fn compare_exchange(
            &self,
            current: DoubleWord,
            new: DoubleWord,
            _: Ordering,
            _: Ordering,
        ) -> Result<DoubleWord, DoubleWord> {
            let mut v = self.0.lock().unwrap();
            if *v == current {
                *v = new;
                Ok(current)
            } else {
                Err(*v)
            }
        }
        pub(crate) fn is_lock_free() -> bool {
            true
        }
    }
}

/// Interior mutability that loom can check for data races: loom's cell under
/// `cfg(loom)`, a thin wrapper over `core::cell::UnsafeCell` with the same
/// closure-based API otherwise.
#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

#[cfg(not(loom))]
#[derive(Debug)]
#[repr(transparent)]
#[allow(dead_code)]
pub(crate) struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

#[cfg(not(loom))]
#[allow(dead_code)]
impl<T> UnsafeCell<T> {
    /// Wraps `value`.
    #[inline]
    pub(crate) const fn new(value: T) -> Self {
        Self(core::cell::UnsafeCell::new(value))
    }

    /// Runs `f` with a shared raw pointer to the contents.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Runs `f` with a unique raw pointer to the contents.
    #[inline]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
