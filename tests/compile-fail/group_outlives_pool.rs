// A group of seats borrows its pool, like a single seat.
use racefree::SeatPool;

fn main() {
    let group = {
        let pool = SeatPool::new(2);
        pool.try_reserve_many(2).unwrap()
    };
    println!("{}", group.len());
}
