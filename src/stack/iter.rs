//! Draining a stack, for both stacks: [`PopIter`] pops through a shared
//! reference while other threads keep using the stack; [`IntoIter`] owns the
//! stack and empties it. Both yield the newest item first (LIFO).

#![forbid(unsafe_code)]

use core::fmt;
use core::iter::FusedIterator;

/// The one operation the iterators need, implemented by both stacks (sealed:
/// the iterators' bound, not a trait for users).
pub trait Pop: private::Sealed {
    /// The items.
    type Item;
    /// The stack's `pop`.
    fn pop_item(&self) -> Option<Self::Item>;
}

mod private {
    pub trait Sealed {}
}

macro_rules! pop_for {
    ($stack:ty $(, $generic:tt)*) => {
        impl<T $(, const $generic: usize)*> private::Sealed for $stack {}
        impl<T $(, const $generic: usize)*> Pop for $stack {
            type Item = T;
            #[inline]
            fn pop_item(&self) -> Option<T> {
                self.pop()
            }
        }
    };
}
pop_for!(super::ArrayStack<T, N>, N);
#[cfg(racefree_double_word_cas)]
pop_for!(super::TreiberStack<T>);

/// Pops items until the stack is found empty: from `ArrayStack::pop_iter` or
/// `TreiberStack::pop_iter`.
///
/// Each `next` is one `pop`, linearizable on its own; other threads may push and
/// pop in between. The iterator ends at the first `None`, but it is not fused: a
/// push by another thread after that makes the next call yield again.
///
/// ```
/// use racefree::ArrayStack;
///
/// let stack = ArrayStack::<u8, 4>::new();
/// stack.push(1).unwrap();
/// stack.push(2).unwrap();
/// assert_eq!(stack.pop_iter().collect::<Vec<_>>(), [2, 1]);
/// assert!(stack.is_empty());
/// ```
#[must_use = "iterators are lazy: nothing is popped until it is consumed"]
pub struct PopIter<'a, S> {
    stack: &'a S,
}

impl<'a, S: Pop> PopIter<'a, S> {
    #[inline]
    pub(super) fn new(stack: &'a S) -> Self {
        Self { stack }
    }
}

impl<S: Pop> Iterator for PopIter<'_, S> {
    type Item = S::Item;

    #[inline]
    fn next(&mut self) -> Option<S::Item> {
        self.stack.pop_item()
    }
}

impl<S> fmt::Debug for PopIter<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PopIter").finish_non_exhaustive()
    }
}

/// Owns a stack and pops it empty, newest first: the `IntoIterator` of
/// `ArrayStack` and `TreiberStack`. Items not taken are dropped with it.
///
/// ```
/// use racefree::TreiberStack;
///
/// let stack = TreiberStack::new();
/// stack.push("a");
/// stack.push("b");
/// let items: Vec<_> = stack.into_iter().collect();
/// assert_eq!(items, ["b", "a"]);
/// ```
#[must_use = "iterators are lazy: nothing is popped until it is consumed"]
pub struct IntoIter<S> {
    stack: S,
}

impl<S: Pop> IntoIter<S> {
    #[inline]
    pub(super) fn new(stack: S) -> Self {
        Self { stack }
    }
}

impl<S: Pop> Iterator for IntoIter<S> {
    type Item = S::Item;

    #[inline]
    fn next(&mut self) -> Option<S::Item> {
        self.stack.pop_item()
    }
}

/// Nobody else can push to an owned stack: once empty, it stays empty.
impl<S: Pop> FusedIterator for IntoIter<S> {}

impl<S: fmt::Debug> fmt::Debug for IntoIter<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IntoIter").field(&self.stack).finish()
    }
}
