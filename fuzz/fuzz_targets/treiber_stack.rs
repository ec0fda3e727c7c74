//! `TreiberStack` against `Vec` as the sequential model. Items are boxed so that
//! ASan/LSan catch a double drop, a use after free of a recycled node or a leak.
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
    /// Push several at once (grows the node pool).
    PushMany(u16, u8),
}

fuzz_target!(|ops: Vec<Op>| {
    let mut stack = TreiberStack::<Box<u16>>::new();
    let mut model: Vec<u16> = Vec::new();
    for op in ops {
        match op {
            Op::Push(v) => {
                stack.push(Box::new(v));
                model.push(v);
            }
            Op::Pop => assert_eq!(stack.pop().map(|b| *b), model.pop()),
            Op::IsEmpty => assert_eq!(stack.is_empty(), model.is_empty()),
            Op::Shrink => stack.shrink(),
            Op::PushMany(v, n) => {
                for i in 0..u16::from(n % 32) {
                    stack.push(Box::new(v.wrapping_add(i)));
                    model.push(v.wrapping_add(i));
                }
            }
        }
    }
    // Whatever is left is dropped by the stack (LSan reports a leak otherwise).
});
