//! `TreiberStack` against `Vec` as the sequential model, plus the number of
//! recycled nodes (what `trim` must free). Items are boxed so that ASan/LSan catch
//! a double drop, a use after free of a recycled or trimmed node, or a leak.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use racefree::TreiberStack;

#[derive(Arbitrary, Debug)]
enum Op {
    Push(u16),
    Pop,
    IsEmpty,
    /// Frees the recycled nodes.
    Shrink,
    /// Frees the recycled nodes through `&self`, counting them.
    Trim,
    /// Push several at once (grows the node pool).
    PushMany(u16, u8),
}

/// The sequential model: the items, and how many nodes sit on the free list (a
/// pop recycles one, a push reuses one if there is one).
#[derive(Default)]
struct Model {
    items: Vec<u16>,
    recycled: usize,
}

impl Model {
    fn push(&mut self, stack: &TreiberStack<Box<u16>>, v: u16) {
        stack.push(Box::new(v));
        self.items.push(v);
        self.recycled = self.recycled.saturating_sub(1);
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let mut stack = TreiberStack::<Box<u16>>::new();
    let mut model = Model::default();
    for op in ops {
        match op {
            Op::Push(v) => model.push(&stack, v),
            Op::Pop => {
                let popped = stack.pop().map(|b| *b);
                assert_eq!(popped, model.items.pop());
                model.recycled += usize::from(popped.is_some());
            }
            Op::IsEmpty => assert_eq!(stack.is_empty(), model.items.is_empty()),
            Op::Shrink => {
                stack.shrink();
                model.recycled = 0;
            }
            Op::Trim => {
                assert_eq!(stack.trim(), model.recycled);
                model.recycled = 0;
            }
            Op::PushMany(v, n) => {
                for i in 0..u16::from(n % 32) {
                    model.push(&stack, v.wrapping_add(i));
                }
            }
        }
    }
    // Whatever is left is dropped by the stack (LSan reports a leak otherwise).
});
