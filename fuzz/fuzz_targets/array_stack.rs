//! `ArrayStack` against `Vec` as the sequential model. Items are boxed so that
//! ASan/LSan catch a double drop, a use after move-out or a leak.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use racefree::ArrayStack;

/// Small capacity so that "full" and slot recycling happen constantly.
const N: usize = 5;

#[derive(Arbitrary, Debug)]
enum Op {
    Push(u16),
    Pop,
    IsEmpty,
    Capacity,
    /// Push until full, checking the value handed back.
    Fill(u16),
}

fuzz_target!(|ops: Vec<Op>| {
    let stack = ArrayStack::<Box<u16>, N>::new();
    let mut model: Vec<u16> = Vec::new();
    for op in ops {
        match op {
            Op::Push(v) => match stack.push(Box::new(v)) {
                Ok(()) => {
                    assert!(model.len() < N, "push accepted beyond capacity");
                    model.push(v);
                }
                Err(back) => {
                    assert_eq!(model.len(), N, "push refused below capacity");
                    assert_eq!(*back, v, "refused push handed back another value");
                }
            },
            Op::Pop => assert_eq!(stack.pop().map(|b| *b), model.pop()),
            Op::IsEmpty => assert_eq!(stack.is_empty(), model.is_empty()),
            Op::Capacity => assert_eq!(stack.capacity(), N),
            Op::Fill(v) => {
                while model.len() < N {
                    stack
                        .push(Box::new(v))
                        .expect("push refused below capacity");
                    model.push(v);
                }
                assert_eq!(stack.push(Box::new(v)).map_err(|b| *b), Err(v));
            }
        }
    }
    // Whatever is left is dropped by the stack (LSan reports a leak otherwise).
});
