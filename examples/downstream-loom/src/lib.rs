//! A user's crate: a box office that sells the seats of one show through a
//! [`racefree::SeatPool`]. Its loom test (`tests/loom.rs`) model-checks this code
//! with racefree inside: under `RUSTFLAGS="--cfg loom"` racefree's atomics are
//! loom's, so loom sees every step of both.

use racefree::{Seat, SeatPool, Ticket};

/// The seats of one show.
pub struct BoxOffice {
    seats: SeatPool,
}

impl BoxOffice {
    /// A show with `seats` seats, all free.
    pub fn new(seats: usize) -> Self {
        BoxOffice {
            seats: SeatPool::new(seats),
        }
    }

    /// Holds any free seat while the customer pays; dropping the hold frees it.
    /// `None`: sold out.
    pub fn hold(&self) -> Option<Seat<'_>> {
        self.seats.try_reserve()
    }

    /// Sells any free seat outright.
    pub fn sell(&self) -> Option<Ticket> {
        self.hold().map(|seat| seat.confirm())
    }

    /// Takes a sold seat back.
    ///
    /// # Panics
    /// If `ticket` was sold by another box office.
    pub fn refund(&self, ticket: Ticket) {
        self.seats
            .cancel(ticket)
            .expect("a ticket of this box office");
    }

    /// Seats neither held nor sold.
    pub fn available(&self) -> usize {
        self.seats.available()
    }
}
