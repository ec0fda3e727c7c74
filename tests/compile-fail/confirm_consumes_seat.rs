// `confirm` consumes the seat guard: a confirmed seat has no guard left to drop.
use racefree::SeatPool;

fn main() {
    let pool = SeatPool::new(1);
    let seat = pool.try_reserve().unwrap();
    let _ticket = seat.confirm();
    drop(seat);
}
