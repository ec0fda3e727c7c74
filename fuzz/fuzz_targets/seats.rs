//! Seat pool against a sequential model (a `Vec<bool>` of taken seats), for both
//! forms: every answer, every id and `available()` must match the model.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use racefree::{words_for, ArraySeatPool, SeatError, SeatPool, Ticket};

const MAX_CAPACITY: usize = 200;

#[derive(Arbitrary, Debug)]
enum Op {
    Reserve,
    ReserveSeat(u8),
    ReserveMany(u8),
    DropSeat(u8),
    DropGroup(u8),
    ConfirmSeat(u8),
    ConfirmGroup(u8),
    Cancel(u8),
    /// Cancel a ticket in the other pool: must come back untouched.
    CancelInOther(u8),
}

#[derive(Arbitrary, Debug)]
struct Input {
    capacity: u8,
    array_form: bool,
    ops: Vec<Op>,
}

/// Both forms behind one interface.
trait Pool {
    fn reserve(&self) -> Option<racefree::Seat<'_>>;
    fn reserve_seat(&self, id: usize) -> Result<racefree::Seat<'_>, SeatError>;
    fn reserve_many(&self, k: usize) -> Option<racefree::SeatGroup<'_>>;
    fn cancel(&self, t: Ticket) -> Result<(), Ticket>;
    fn available(&self) -> usize;
}

macro_rules! impl_pool {
    ($t:ty) => {
        impl Pool for $t {
            fn reserve(&self) -> Option<racefree::Seat<'_>> {
                self.try_reserve()
            }
            fn reserve_seat(&self, id: usize) -> Result<racefree::Seat<'_>, SeatError> {
                self.try_reserve_seat(id)
            }
            fn reserve_many(&self, k: usize) -> Option<racefree::SeatGroup<'_>> {
                self.try_reserve_many(k)
            }
            fn cancel(&self, t: Ticket) -> Result<(), Ticket> {
                <$t>::cancel(self, t)
            }
            fn available(&self) -> usize {
                <$t>::available(self)
            }
        }
    };
}
impl_pool!(SeatPool);
impl_pool!(ArraySeatPool<{ words_for(MAX_CAPACITY) }>);

fn pick<T>(v: &mut Vec<T>, i: u8) -> Option<T> {
    if v.is_empty() {
        None
    } else {
        let i = usize::from(i) % v.len();
        Some(v.swap_remove(i))
    }
}

fn run(pool: &dyn Pool, other: &dyn Pool, capacity: usize, ops: &[Op]) {
    let mut taken = vec![false; capacity];
    let free = |taken: &[bool]| taken.iter().filter(|t| !**t).count();
    let mut seats = Vec::new();
    let mut groups = Vec::new();
    let mut tickets: Vec<Ticket> = Vec::new();
    for op in ops {
        match *op {
            Op::Reserve => match pool.reserve() {
                Some(seat) => {
                    assert!(!taken[seat.id()], "seat {} handed out twice", seat.id());
                    taken[seat.id()] = true;
                    seats.push(seat);
                }
                None => assert_eq!(free(&taken), 0, "None with free seats"),
            },
            Op::ReserveSeat(id) => {
                let id = usize::from(id);
                match pool.reserve_seat(id) {
                    Ok(seat) => {
                        assert_eq!(seat.id(), id);
                        assert!(!taken[id]);
                        taken[id] = true;
                        seats.push(seat);
                    }
                    Err(SeatError::OutOfRange { id: e, capacity: c }) => {
                        assert_eq!((e, c), (id, capacity));
                        assert!(id >= capacity);
                    }
                    Err(SeatError::Taken) => assert!(taken[id]),
                    Err(e) => panic!("unexpected {e}"),
                }
            }
            Op::ReserveMany(k) => {
                let k = usize::from(k);
                let before = free(&taken);
                match pool.reserve_many(k) {
                    Some(group) => {
                        assert!(k <= before);
                        assert_eq!(group.len(), k);
                        assert_eq!(group.ids().count(), k);
                        for id in group.ids() {
                            assert!(!taken[id], "group took a taken seat {id}");
                            taken[id] = true;
                        }
                        groups.push(group);
                    }
                    None => assert!(k > before, "group of {k} refused with {before} free"),
                }
            }
            Op::DropSeat(i) => {
                if let Some(seat) = pick(&mut seats, i) {
                    taken[seat.id()] = false;
                }
            }
            Op::DropGroup(i) => {
                if let Some(group) = pick(&mut groups, i) {
                    group.ids().for_each(|id| taken[id] = false);
                }
            }
            Op::ConfirmSeat(i) => {
                if let Some(seat) = pick(&mut seats, i) {
                    tickets.push(seat.confirm());
                }
            }
            Op::ConfirmGroup(i) => {
                if let Some(group) = pick(&mut groups, i) {
                    tickets.extend(group.confirm());
                }
            }
            Op::Cancel(i) => {
                if let Some(t) = pick(&mut tickets, i) {
                    let id = t.id();
                    pool.cancel(t).expect("own ticket refused");
                    taken[id] = false;
                }
            }
            Op::CancelInOther(i) => {
                if let Some(t) = pick(&mut tickets, i) {
                    let before = other.available();
                    let t = other.cancel(t).expect_err("foreign ticket accepted");
                    assert_eq!(other.available(), before);
                    tickets.push(t);
                }
            }
        }
        assert_eq!(pool.available(), free(&taken));
    }
    drop(seats);
    drop(groups);
    for t in tickets {
        pool.cancel(t).unwrap();
    }
    assert_eq!(pool.available(), capacity);
    assert_eq!(pool.reserve_many(capacity).map(|g| g.len()), Some(capacity));
}

fuzz_target!(|input: Input| {
    let capacity = 1 + usize::from(input.capacity) % MAX_CAPACITY;
    let other = SeatPool::new(3);
    // `other` has issued tickets too, so identities are really compared.
    let _other_ticket = other.try_reserve().unwrap().confirm();
    if input.array_form {
        let pool = ArraySeatPool::<{ words_for(MAX_CAPACITY) }>::new(capacity);
        run(&pool, &other, capacity, &input.ops);
    } else {
        let pool = SeatPool::new(capacity);
        run(&pool, &other, capacity, &input.ops);
    }
});
