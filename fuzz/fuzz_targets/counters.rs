//! Drives `Counter`, `BoundedCounter` and `StripedCounter` with an arbitrary
//! operation sequence and checks every return value against a sequential model
//! built from plain `u64` and checked arithmetic.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use racefree::{BoundedCounter, Counter, StripedCounter};

/// Small amounts reach the bounds and interesting states; big ones the edges of u64.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Amount {
    Small(u8),
    Big(u64),
    NearMax(u8),
}

impl Amount {
    fn get(self) -> u64 {
        match self {
            Amount::Small(n) => u64::from(n),
            Amount::Big(n) => n,
            Amount::NearMax(n) => u64::MAX - u64::from(n),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Op {
    CounterIncrement,
    CounterAdd(Amount),
    CounterUpdateCheckedAdd(Amount),
    CounterUpdateSet(Amount),
    CounterUpdateRefuse,
    CounterGet,
    BoundedAdd(Amount),
    BoundedSub(Amount),
    BoundedGet,
    StripedIncrement,
    StripedAdd(Amount),
    StripedSum,
    StripedReset,
}

#[derive(Arbitrary, Debug)]
struct Input {
    counter_start: Amount,
    bounded_start: Amount,
    bounded_max: Amount,
    cells: u8,
    ops: Vec<Op>,
}

fuzz_target!(|input: Input| {
    // The counter's model: its value, or `None` once an add overshot
    // `Counter::MAX` and left it exhausted (a value in the guard band above MAX).
    let start = input.counter_start.get() >> 1; // NearMax lands near Counter::MAX
    let mut counter_model = Some(start);
    let counter = Counter::new(start);

    let (start, max) = (input.bounded_start.get(), input.bounded_max.get());
    let tried = BoundedCounter::try_new(start, max);
    assert_eq!(tried.is_none(), start > max);
    let (start, max) = (start.min(max), start.max(max));
    let bounded = tried.unwrap_or_else(|| BoundedCounter::new(start, max));
    let mut bounded_model = start;
    assert_eq!(bounded.max(), max);

    let cells = usize::from(input.cells) % 64 + 1;
    let striped = StripedCounter::with_cells(cells);
    assert_eq!(striped.cells(), cells.next_power_of_two());
    let mut striped_model = 0u64;

    for op in input.ops {
        match op {
            Op::CounterIncrement | Op::CounterAdd(_) => {
                let n = match op {
                    Op::CounterAdd(a) => a.get(),
                    _ => 1,
                };
                let fits = counter_model
                    .and_then(|v| v.checked_add(n))
                    .is_some_and(|next| next <= Counter::MAX);
                if fits {
                    // `add` panics where `checked_add` says `None` (libFuzzer aborts
                    // on panics), so it is only called where it must succeed.
                    let prev = if n == 1 && matches!(op, Op::CounterIncrement) {
                        counter.increment()
                    } else {
                        counter.add(n)
                    };
                    assert_eq!(Some(prev), counter_model);
                    counter_model = counter_model.map(|v| v + n);
                } else {
                    let before = counter.get();
                    assert_eq!(counter.checked_add(n), None);
                    // Amounts above 2^32 take the CAS path, which refuses without a
                    // trace; smaller ones overshoot with their fetch_add and exhaust.
                    if n <= 1 << 32 {
                        counter_model = None;
                    } else {
                        assert_eq!(counter.get(), before);
                    }
                }
            }
            Op::CounterUpdateCheckedAdd(a) => {
                let n = a.get();
                let current = counter.get();
                let expected = match current.checked_add(n).filter(|&v| v <= Counter::MAX) {
                    Some(next) => {
                        counter_model = Some(next);
                        Ok(current)
                    }
                    None => Err(current),
                };
                assert_eq!(counter.update(|v| v.checked_add(n)), expected);
            }
            Op::CounterUpdateSet(a) => {
                let n = a.get();
                let current = counter.get();
                if n <= Counter::MAX {
                    assert_eq!(counter.update(|_| Some(n)), Ok(current));
                    counter_model = Some(n);
                } else {
                    // Never stored above MAX.
                    assert_eq!(counter.update(|_| Some(n)), Err(current));
                }
            }
            Op::CounterUpdateRefuse => {
                let current = counter.get();
                let mut seen = None;
                let r = counter.update(|v| {
                    seen = Some(v);
                    None
                });
                assert_eq!(r, Err(current));
                assert_eq!(seen, Some(current));
            }
            Op::CounterGet => match counter_model {
                Some(v) => assert_eq!(counter.get(), v),
                None => assert!(counter.get() > Counter::MAX, "exhausted: in the guard band"),
            },
            Op::BoundedAdd(a) => {
                let n = a.get();
                let expected = match bounded_model.checked_add(n).filter(|&v| v <= max) {
                    Some(next) => Ok(std::mem::replace(&mut bounded_model, next)),
                    None => Err(bounded_model),
                };
                assert_eq!(bounded.try_add(n), expected);
            }
            Op::BoundedSub(a) => {
                let n = a.get();
                let expected = match bounded_model.checked_sub(n) {
                    Some(next) => Ok(std::mem::replace(&mut bounded_model, next)),
                    None => Err(bounded_model),
                };
                assert_eq!(bounded.try_sub(n), expected);
            }
            Op::BoundedGet => assert_eq!(bounded.get(), bounded_model),
            Op::StripedIncrement => {
                striped.increment();
                striped_model = striped_model.wrapping_add(1);
            }
            Op::StripedAdd(a) => {
                striped.add(a.get());
                striped_model = striped_model.wrapping_add(a.get());
            }
            Op::StripedSum => assert_eq!(striped.sum(), striped_model),
            Op::StripedReset => {
                assert_eq!(striped.reset(), striped_model);
                striped_model = 0;
            }
        }
        assert!(bounded.get() <= max, "BoundedCounter left 0..=max");
    }

    match counter_model {
        Some(v) => assert_eq!(counter.into_inner(), v),
        None => assert!(counter.into_inner() > Counter::MAX),
    }
    assert_eq!(bounded.into_inner(), bounded_model);
    assert_eq!(striped.sum(), striped_model);
    assert_eq!(
        format!("{striped:?}"),
        format!(
            "StripedCounter {{ sum: {striped_model}, cells: {} }}",
            striped.cells()
        )
    );
});
