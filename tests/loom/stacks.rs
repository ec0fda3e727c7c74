//! Loom models for the stacks: push/pop races and the ABA pattern, each ending by
//! draining the stack and checking every item comes back exactly once. The same ABA
//! model run on the deliberately broken untagged stack (racefree_conformance) must fail.

use racefree_conformance::untagged_stack;

use super::model;
use loom::sync::Arc;
use loom::thread;
use racefree::{ArrayStack, TreiberStack};
use untagged_stack::{check_exactly_once, drain_at_most, TaggedStack, UntaggedStack};

/// A stack as the models see it.
trait Stack: Send + Sync + 'static {
    fn push(&self, v: usize);
    fn pop(&self) -> Option<usize>;
    /// Pops at most `limit + 1` items (a corrupted stack may cycle).
    fn drain(&self, limit: usize) -> Vec<usize> {
        drain_at_most(limit, || self.pop())
    }
}

impl Stack for ArrayStack<usize, 3> {
    fn push(&self, v: usize) {
        // The models never hold more than 3 items or have a push without a completed
        // pop (or a free slot) before it, so a push can never find the stack full.
        ArrayStack::push(self, v).expect("ArrayStack unexpectedly full");
    }
    fn pop(&self) -> Option<usize> {
        ArrayStack::pop(self)
    }
}

impl Stack for TreiberStack<usize> {
    fn push(&self, v: usize) {
        TreiberStack::push(self, v);
    }
    fn pop(&self) -> Option<usize> {
        TreiberStack::pop(self)
    }
}

impl<const TAGGED: bool> Stack for untagged_stack::IndexStack<3, TAGGED> {
    fn push(&self, v: usize) {
        untagged_stack::IndexStack::push(self, v);
    }
    fn pop(&self) -> Option<usize> {
        untagged_stack::IndexStack::pop(self)
    }
}

/// The ABA pattern: the stack holds 0, 1, 2 (0 on top). One thread pops two items
/// and pushes them back in the wrong order (the first one lands on top again, above
/// a different `next`); another pops one and pushes it back. Whatever the
/// interleaving, draining must give 0, 1, 2 exactly once.
fn aba_model<S: Stack>(name: &str, make: fn() -> S) {
    model(name, 3, move || {
        let s = Arc::new(make());
        for i in (0..3).rev() {
            s.push(i);
        }
        let s1 = Arc::clone(&s);
        let t1 = thread::spawn(move || {
            let a = s1.pop().expect("item");
            let b = s1.pop().expect("item");
            s1.push(a);
            s1.push(b);
        });
        let s2 = Arc::clone(&s);
        let t2 = thread::spawn(move || {
            let x = s2.pop().expect("item");
            s2.push(x);
        });
        t1.join().unwrap();
        t2.join().unwrap();
        if let Err(e) = check_exactly_once(3, &s.drain(3)) {
            panic!("{e}");
        }
    });
}

/// One `#[test]` per stack, each running `$model` under the name
/// `stacks::<test name>`; attributes (docs, `should_panic`) go on the test.
macro_rules! stack_models {
    ($model:ident: $($(#[$attr:meta])* $test:ident => $make:expr,)*) => {$(
        #[test]
        $(#[$attr])*
        fn $test() {
            $model(concat!("stacks::", stringify!($test)), $make);
        }
    )*};
}

stack_models! { aba_model:
    array_stack_aba_pattern => ArrayStack::<usize, 3>::new,
    treiber_stack_aba_pattern => TreiberStack::<usize>::new,
    tagged_index_stack_aba_pattern => TaggedStack::<3>::empty,
    /// The deliberately broken stack: loom finds the interleaving that corrupts it.
    #[should_panic(expected = "stack corrupted")]
    untagged_index_stack_aba_pattern_corrupts => UntaggedStack::<3>::empty,
}

/// Two threads each push a distinct item and pop one, racing with the main thread's
/// pop on a stack holding one item. Nothing lost, nothing duplicated.
fn push_pop_race_model<S: Stack>(name: &str, make: fn() -> S) {
    model(name, 3, move || {
        let s = Arc::new(make());
        s.push(0);
        let handles: Vec<_> = (1..3)
            .map(|v| {
                let s = Arc::clone(&s);
                thread::spawn(move || {
                    s.push(v);
                    s.pop()
                })
            })
            .collect();
        let mut all: Vec<usize> = s.pop().into_iter().collect();
        for h in handles {
            all.extend(h.join().unwrap());
        }
        all.extend(s.drain(3));
        if let Err(e) = check_exactly_once(3, &all) {
            panic!("{e}");
        }
    });
}

stack_models! { push_pop_race_model:
    array_stack_push_pop_race => ArrayStack::<usize, 3>::new,
    treiber_stack_push_pop_race => TreiberStack::<usize>::new,
}
