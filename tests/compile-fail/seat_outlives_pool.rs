// A seat borrows its pool: it cannot outlive it (its drop releases the seat).
use racefree::SeatPool;

fn main() {
    let seat = {
        let pool = SeatPool::new(1);
        pool.try_reserve().unwrap()
    };
    println!("{}", seat.id());
}
