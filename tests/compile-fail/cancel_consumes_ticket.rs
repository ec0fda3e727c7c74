// `cancel` takes the ticket by value: it cannot be used again.
use racefree::SeatPool;

fn main() {
    let pool = SeatPool::new(1);
    let ticket = pool.try_reserve().unwrap().confirm();
    let _ = pool.cancel(ticket);
    let _ = pool.cancel(ticket);
}
