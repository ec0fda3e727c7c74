//! Treiber stacks with tagged heads against ABA.
//!
//! | type | needs | head |
//! | --- | --- | --- |
//! | [`ArrayStack<T, N>`](ArrayStack) | core, `usize` CAS | tagged slot index in one `usize` |
//! | [`TreiberStack<T>`](TreiberStack) | `alloc`, double-width CAS | tagged pointer in one `u128` (`u64` on 32-bit) |
//!
//! A Treiber stack pops by reading the top node's `next` and swinging the head
//! from the top to `next` with a compare-and-swap. If the thread is preempted
//! between the read and the CAS while others pop the top, pop more, and push the
//! top node back, a plain CAS still succeeds — it sees the same top — and installs
//! a stale `next`: items are lost or handed out twice (the ABA problem). Both
//! stacks here pack a generation tag beside the link and bump it on every removal,
//! so such a stale CAS fails; each type's docs state how many removals a thread
//! must sleep through before its tag wraps.

mod array;
#[cfg(all(racefree_double_word_cas, feature = "std"))]
mod grace;
mod iter;
mod tagged;
#[cfg(all(test, not(loom)))]
mod test_support;
#[cfg(racefree_double_word_cas)]
mod treiber;

/// Without `std` there are no thread-locals to announce in, and no
/// `TreiberStack::trim` to wait for: a read section is nothing.
#[cfg(all(racefree_double_word_cas, not(feature = "std")))]
mod grace {
    #[inline]
    pub(crate) fn read<R>(f: impl FnOnce() -> R) -> R {
        f()
    }
}

pub use array::ArrayStack;
pub use iter::{IntoIter, PopIter};
#[cfg(racefree_double_word_cas)]
pub use treiber::TreiberStack;
