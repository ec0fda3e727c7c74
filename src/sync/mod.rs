//! The one seam for atomics.
//!
//! Every other module imports its atomic types, [`Ordering`], [`CachePadded`],
//! [`Backoff`] and [`UnsafeCell`] from here and nowhere else. The two worlds are
//! two whole modules, chosen once:
//!
//! - `native` (off loom): [`portable_atomic`]'s atomics, which are the `core`
//!   atomics where the target has them and add what it lacks (CAS on thumbv6m
//!   through the `critical-section` feature, 128-bit CAS on x86_64 and aarch64);
//!   crossbeam-utils' backoff; `core`'s `UnsafeCell` behind loom's closure API.
//! - `loom` (under `cfg(loom)`): loom's modelled atomics, cell and thread-locals,
//!   so the model checker sees every load, store and CAS. Loom has no 128-bit
//!   atomic: its `AtomicDoubleWord` is a stand-in on loom's `Mutex`, strictly
//!   stronger than the real CAS, so it checks the algorithm's use of the head,
//!   not the head's own orderings. Loom's constructors are not `const`: types
//!   that offer `const fn new` natively declare it through [`const_fn!`], which
//!   drops the `const` under loom.
//!
//! Both export the same names; the cfgs `racefree_atomic_64` and
//! `racefree_double_word_cas` (named once, in `build.rs`) say which types exist.
//! What is written once for both worlds lives here: the double-word type, the CAS
//! retry loop ([`cas_update`]) and the atomic-word trait it runs on.
#![forbid(unsafe_code)]

#[cfg(loom)]
mod loom;
#[cfg(not(loom))]
mod native;

#[cfg(loom)]
pub(crate) use self::loom::*;
#[cfg(not(loom))]
pub(crate) use self::native::*;

/// A fence for the compiler only: keeps it from moving memory accesses across;
/// the CPU is ordered by someone else (`stack::grace`'s membarrier).
#[cfg(feature = "std")]
pub(crate) use core::sync::atomic::compiler_fence;
pub(crate) use core::sync::atomic::Ordering;
pub(crate) use crossbeam_utils::CachePadded;

/// The double-width word of a tagged pointer: `u128` on 64-bit targets, `u64` on
/// 32-bit ones. The address takes the low half, the tag the high half.
#[cfg(all(racefree_double_word_cas, target_pointer_width = "64"))]
pub(crate) type DoubleWord = u128;
#[cfg(all(racefree_double_word_cas, target_pointer_width = "32"))]
pub(crate) type DoubleWord = u64;

/// An atomic word with the one load and CAS that retry loops need: the
/// `usize`, `u64` and double-width atomics of either world.
pub(crate) trait CasAtomic {
    /// The value held.
    type Value: Copy;
    fn load(&self, order: Ordering) -> Self::Value;
    fn compare_exchange_weak(
        &self,
        current: Self::Value,
        new: Self::Value,
        success: Ordering,
        failure: Ordering,
    ) -> Result<Self::Value, Self::Value>;
}

macro_rules! cas_atomic {
    ($atomic:ty, $value:ty) => {
        impl CasAtomic for $atomic {
            type Value = $value;
            #[inline]
            fn load(&self, order: Ordering) -> $value {
                <$atomic>::load(self, order)
            }
            #[inline]
            fn compare_exchange_weak(
                &self,
                current: $value,
                new: $value,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$value, $value> {
                <$atomic>::compare_exchange_weak(self, current, new, success, failure)
            }
        }
    };
}
cas_atomic!(AtomicUsize, usize);
#[cfg(racefree_atomic_64)]
cas_atomic!(AtomicU64, u64);
// On 32-bit targets the double word is `u64`, whose atomic is already covered.
#[cfg(all(racefree_double_word_cas, target_pointer_width = "64"))]
cas_atomic!(AtomicDoubleWord, DoubleWord);

/// The one compare-and-swap retry loop, like the standard `fetch_update`: loads
/// with `load`, then stores `f(current)` while it is `Some`, retrying with the
/// failure value (never a re-read) and backing off after each lost race. Returns
/// `Ok(previous)`, or `Err(current)` where `f` said `None`.
///
/// Callers name the orderings and the operations they pair with.
#[inline]
pub(crate) fn cas_update<A: CasAtomic>(
    atomic: &A,
    load: Ordering,
    success: Ordering,
    failure: Ordering,
    mut f: impl FnMut(A::Value) -> Option<A::Value>,
) -> Result<A::Value, A::Value> {
    let backoff = Backoff::new();
    let mut current = atomic.load(load);
    loop {
        let Some(new) = f(current) else {
            return Err(current);
        };
        match atomic.compare_exchange_weak(current, new, success, failure) {
            Ok(previous) => return Ok(previous),
            Err(actual) => {
                current = actual;
                backoff.spin();
            }
        }
    }
}

/// Declares a private global atomic: a plain `static` natively, a
/// `loom::lazy_static!` under loom (which must start every explored execution
/// from a fresh value).
/// Use it as `&*NAME` or through a `&Atomic` binding, which both worlds coerce to.
macro_rules! static_atomic {
    ($(#[$m:meta])* static $name:ident: $ty:ty = $init:expr;) => {
        #[cfg(not(loom))]
        $(#[$m])* static $name: $ty = $init;
        #[cfg(loom)]
        loom::lazy_static! {
            $(#[$m])* static ref $name: $ty = $init;
        }
    };
}
pub(crate) use static_atomic;

/// Declares thread-locals: std's natively, loom's under loom (fresh in every
/// explored execution, dropped when each modelled thread ends). An initialiser
/// written `const { ... }` is a `const` one natively (no lazy-init check on
/// access) and a plain one under loom.
#[cfg(feature = "std")]
macro_rules! thread_locals {
    ($($(#[$m:meta])* static $name:ident: $ty:ty = $(const $cinit:block)? $($init:expr)?;)*) => {
        #[cfg(not(loom))]
        std::thread_local! {
            $($(#[$m])* static $name: $ty = $(const $cinit)? $($init)?;)*
        }
        #[cfg(loom)]
        loom::thread_local! {
            $($(#[$m])* static $name: $ty = $($cinit)? $($init)?;)*
        }
    };
}
#[cfg(feature = "std")]
pub(crate) use thread_locals;

/// Declares a function that is `const` natively and a plain `fn` under loom
/// (whose atomics have no `const` constructors). Crate-private.
macro_rules! const_fn {
    ($(#[$m:meta])* $vis:vis const fn $($rest:tt)*) => {
        #[cfg(not(loom))]
        $(#[$m])* $vis const fn $($rest)*
        #[cfg(loom)]
        $(#[$m])* $vis fn $($rest)*
    };
}
pub(crate) use const_fn;
