//! Loom models for the seats.
//!
//! Each seat has a loom `UnsafeCell` that a holder writes while it holds the seat:
//! two holders at once, or a new holder whose claim does not happen-after the
//! previous holder's release (a missing Release/Acquire edge), is a data race that
//! loom reports. Every model ends by releasing everything and checking that every
//! seat is free again and the admission count is exact.

use super::model;
use super::venue::Venue;
use racefree::{SeatPool, Ticket};

const BITS: usize = usize::BITS as usize;

impl Venue {
    /// Marks seat `id` as held by `who` (≥ 1); it must have been free.
    fn sit(&self, id: usize, who: usize) {
        // SAFETY: a raw write checked by loom: the seat guard is the only thing that
        // makes it exclusive, which is exactly what is under test.
        self.holder[id].with_mut(|p| unsafe {
            assert_eq!(*p, 0, "seat {id} already held by {}", *p);
            *p = who;
        });
    }

    /// Unmarks seat `id`, which `who` must hold.
    fn leave(&self, id: usize, who: usize) {
        // SAFETY: as in `sit`.
        self.holder[id].with_mut(|p| unsafe {
            assert_eq!(*p, who, "seat {id} not held by {who}");
            *p = 0;
        });
    }

    /// Every seat is free: the count is exact and one group books every seat
    /// (admission alone would not prove it: the group claim spins if a bit is
    /// left set, which loom reports).
    fn assert_all_free(&self) {
        let capacity = self.pool.capacity();
        assert_eq!(self.pool.available(), capacity);
        let all = self
            .pool
            .try_reserve_many(capacity)
            .expect("a seat left taken");
        let mut ids: Vec<usize> = all.ids().collect();
        ids.sort_unstable();
        assert_eq!(ids, (0..capacity).collect::<Vec<_>>());
        drop(all);
        assert_eq!(self.pool.available(), capacity);
    }
}

/// Sells every seat of `venue` but those in `free`, as tickets.
fn sell_all_but(venue: &Venue, free: &[usize]) -> Vec<Ticket> {
    (0..venue.pool.capacity())
        .filter(|i| !free.contains(i))
        .map(|i| venue.pool.try_reserve_seat(i).unwrap().confirm())
        .collect()
}

/// Runs `contenders` for the single free seat `last` of a 2-seat pool; each
/// returns a ticket if it won. Exactly one wins.
fn last_seat(contenders: Vec<fn(&SeatPool) -> Option<Ticket>>) {
    let venue = Venue::new(2);
    let sold = sell_all_but(&venue, &[1]);
    let handles: Vec<_> = contenders
        .into_iter()
        .enumerate()
        .map(|(i, claim)| {
            Venue::spawn(&venue, move |venue| {
                let ticket = claim(&venue.pool)?;
                venue.sit(ticket.id(), i + 1);
                Some((ticket, i + 1))
            })
        })
        .collect();
    let winners: Vec<_> = handles
        .into_iter()
        .filter_map(|h| h.join().unwrap())
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "the last seat was sold {} times",
        winners.len()
    );
    assert_eq!(venue.pool.available(), 0);
    for (ticket, who) in winners {
        assert_eq!(ticket.id(), 1);
        venue.leave(ticket.id(), who);
        venue.pool.cancel(ticket).unwrap();
    }
    for ticket in sold {
        venue.pool.cancel(ticket).unwrap();
    }
    venue.assert_all_free();
}

fn any_seat(pool: &SeatPool) -> Option<Ticket> {
    pool.try_reserve().map(|s| s.confirm())
}

fn seat_one(pool: &SeatPool) -> Option<Ticket> {
    pool.try_reserve_seat(1).ok().map(|s| s.confirm())
}

#[test]
fn last_seat_two_threads() {
    model("seats::last_seat_two_threads", 4, || {
        last_seat(vec![any_seat, seat_one])
    });
}

#[test]
fn last_seat_three_threads() {
    model("seats::last_seat_three_threads", 3, || {
        last_seat(vec![any_seat, any_seat, seat_one])
    });
}

/// Holders that release: the next holder must happen-after the previous one's
/// release (loom flags the cell otherwise), and nobody holds a seat twice.
#[test]
fn hand_over_one_seat() {
    model("seats::hand_over_one_seat", 3, || {
        let venue = Venue::new(1);
        let handles: Vec<_> = (1..=2)
            .map(|who| {
                Venue::spawn(&venue, move |venue| {
                    if let Some(seat) = venue.pool.try_reserve() {
                        venue.sit(seat.id(), who);
                        venue.leave(seat.id(), who);
                    }
                })
            })
            .collect();
        if let Ok(seat) = venue.pool.try_reserve_seat(0) {
            venue.sit(0, 3);
            venue.leave(0, 3);
            drop(seat);
        }
        for h in handles {
            h.join().unwrap();
        }
        venue.assert_all_free();
    });
}

/// A group claim of 2 over seats that straddle two words races a single claim
/// for an exact seat and an any-seat claim; 3 seats are free for 4 wanted.
#[test]
fn group_claim_races_single_claims() {
    model("seats::group_claim_races_single_claims", 3, || {
        // Seats 0..BITS-1 sold in one group (one fetch_or): free are the last
        // seat of word 0 and both seats of word 1.
        let venue = Venue::new(BITS + 2);
        let sold = venue.pool.try_reserve_many(BITS - 1).unwrap();
        assert!(sold.ids().all(|id| id < BITS - 1));

        let group = Venue::spawn(&venue, |venue| match venue.pool.try_reserve_many(2) {
            Some(seats) => {
                assert_eq!(seats.len(), 2);
                let ids: Vec<usize> = seats.ids().collect();
                assert_ne!(ids[0], ids[1]);
                ids.iter().for_each(|&id| venue.sit(id, 1));
                ids.iter().for_each(|&id| venue.leave(id, 1));
                true
            }
            None => false,
        });
        let exact = Venue::spawn(&venue, |venue| match venue.pool.try_reserve_seat(BITS) {
            Ok(seat) => {
                venue.sit(seat.id(), 2);
                venue.leave(seat.id(), 2);
                true
            }
            Err(_) => false,
        });
        let any = match venue.pool.try_reserve() {
            Some(seat) => {
                venue.sit(seat.id(), 3);
                venue.leave(seat.id(), 3);
                true
            }
            None => false,
        };
        let group = group.join().unwrap();
        let exact = exact.join().unwrap();
        // The group fails only if someone else held units at its admission.
        assert!(
            group || exact || any,
            "a group of 2 failed with 3 seats free"
        );
        drop(sold);
        venue.assert_all_free();
    });
}
