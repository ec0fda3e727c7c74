// A ticket is not Clone: a confirmed seat cannot be cancelled twice.
use racefree::SeatPool;

fn main() {
    let pool = SeatPool::new(1);
    let ticket = pool.try_reserve().unwrap().confirm();
    let copy = ticket.clone();
    let _ = pool.cancel(ticket);
    let _ = pool.cancel(copy);
}
