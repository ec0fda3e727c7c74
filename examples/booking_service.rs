//! A ticket booking service on one `SeatPool`: a seat is held while the customer
//! pays, confirmed into a `Ticket` once the payment clears, released when the
//! payment is declined or arrives after the hold expired, and given back on a
//! refund.
//!
//! - Request threads take customers' requests (1 seat, or 2 for a couple: an
//!   all-or-nothing group). A hold is a guard: dropping it frees the seats, so no
//!   error path can leak a seat.
//! - A payment thread answers over `std::sync::mpsc`. Whether a customer pays,
//!   pays too late or is declined is fixed per customer, and time is a simulated
//!   clock (payment latency in ticks against a hold of `HOLD_TICKS`), so the
//!   example never sleeps.
//! - After the rush, refunds cancel some tickets, and customers on the waitlist
//!   book exactly those seats again by number.
//!
//! Which customers get in depends on the thread schedule (a declined customer's
//! hold can make another one see "sold out" for a moment), so the counts vary from
//! run to run; the checks at the end do not: no seat is ever held by two
//! customers, every unconfirmed hold is released, and every refunded seat is free
//! again.
//!
//! ```text
//! cargo run --example booking_service
//! ```

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;

use racefree::{SeatPool, Ticket};

const SEATS: usize = 24;
const CUSTOMERS: usize = 48;
const REQUEST_THREADS: usize = 4;
/// How long a hold lasts on the simulated clock.
const HOLD_TICKS: u32 = 10;
/// Price of one seat, in cents.
const PRICE: u64 = 4_500;
/// No customer owns a seat.
const NOBODY: usize = usize::MAX;

/// What the payment provider answers, after `ticks` on the simulated clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Payment {
    Approved { ticks: u32 },
    Declined,
}

struct PaymentRequest {
    customer: usize,
    amount: u64,
    reply: mpsc::Sender<Payment>,
}

/// How one request ended.
#[derive(Debug)]
enum Outcome {
    Booked(Vec<Ticket>),
    SoldOut,
    Declined,
    HoldExpired,
}

/// The booking service: the pool, the money it gave back, and (only to check the
/// example) who owns each seat. A real service would keep those in its order
/// records.
struct Venue {
    pool: SeatPool,
    returned: AtomicU64,
    owner: Vec<AtomicUsize>,
}

impl Venue {
    fn new(seats: usize) -> Self {
        Venue {
            pool: SeatPool::new(seats),
            returned: AtomicU64::new(0),
            owner: (0..seats).map(|_| AtomicUsize::new(NOBODY)).collect(),
        }
    }

    /// Records `customer` as the owner of `seat`; panics on a double booking.
    fn record(&self, seat: usize, customer: usize) {
        let previous = self.owner[seat].swap(customer, Ordering::Relaxed);
        assert_eq!(
            previous, NOBODY,
            "seat {seat} sold to {previous} and {customer}"
        );
    }

    /// Cancels a confirmed ticket (a refund) and clears its owner.
    fn refund(&self, ticket: Ticket) -> usize {
        let seat = ticket.id();
        // Cleared before the seat is free again, so a quick re-booking never
        // trips the double-booking check.
        self.owner[seat].store(NOBODY, Ordering::Relaxed);
        self.pool
            .cancel(ticket)
            .expect("a ticket of this pool, cancelled once");
        seat
    }

    /// One booking request: hold `seats` seats, ask for payment, confirm or
    /// release.
    fn book(
        &self,
        customer: usize,
        seats: usize,
        payments: &mpsc::Sender<PaymentRequest>,
    ) -> Outcome {
        if seats == 1 {
            match self.pool.try_reserve() {
                Some(seat) => {
                    let ids = [seat.id()];
                    self.settle(customer, &ids, seat, |s| vec![s.confirm()], payments)
                }
                None => Outcome::SoldOut,
            }
        } else {
            // All or nothing: a couple never gets one seat of two.
            match self.pool.try_reserve_many(seats) {
                Some(group) => {
                    let ids: Vec<usize> = group.ids().collect();
                    self.settle(customer, &ids, group, |g| g.confirm(), payments)
                }
                None => Outcome::SoldOut,
            }
        }
    }

    /// Pays for a hold of the seats `ids`: confirms it into tickets, or drops it.
    /// Generic over the hold, so that single seats and groups share it.
    fn settle<H>(
        &self,
        customer: usize,
        ids: &[usize],
        hold: H,
        confirm: impl FnOnce(H) -> Vec<Ticket>,
        payments: &mpsc::Sender<PaymentRequest>,
    ) -> Outcome {
        let amount = PRICE * ids.len() as u64;
        let (reply, answer) = mpsc::channel();
        payments
            .send(PaymentRequest {
                customer,
                amount,
                reply,
            })
            .expect("the payment thread is running");
        match answer.recv().expect("the payment thread answers") {
            Payment::Approved { ticks } if ticks <= HOLD_TICKS => {
                // Record the owners while the hold still keeps the seats ours.
                for &seat in ids {
                    self.record(seat, customer);
                }
                Outcome::Booked(confirm(hold))
            }
            // Paid after the hold expired: the seats were released at the
            // deadline (here: now, by dropping the hold) and the money goes back.
            Payment::Approved { .. } => {
                self.returned.fetch_add(amount, Ordering::Relaxed);
                Outcome::HoldExpired
            }
            Payment::Declined => Outcome::Declined, // `hold` dropped: seats free
        }
    }
}

/// A small deterministic hash (SplitMix64), so each customer behaves the same in
/// every run.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The payment provider: 70% pay within 1..=8 ticks, 15% pay late, 15% are declined.
fn payment_provider(customer: usize) -> Payment {
    let h = mix(customer as u64);
    match h % 100 {
        0..=69 => Payment::Approved {
            ticks: 1 + (h >> 8) as u32 % 8,
        },
        70..=84 => Payment::Approved {
            ticks: HOLD_TICKS + 1 + (h >> 8) as u32 % 20,
        },
        _ => Payment::Declined,
    }
}

/// Seats a customer asks for: every fourth request is a couple.
fn party_size(customer: usize) -> usize {
    if mix(customer as u64 ^ 0xC0FFEE) % 4 == 0 {
        2
    } else {
        1
    }
}

#[derive(Default)]
struct Tally {
    booked: Vec<(usize, Vec<Ticket>)>,
    sold_out: usize,
    declined: usize,
    expired: usize,
}

fn main() {
    let venue = Venue::new(SEATS);
    let (payments, requests) = mpsc::channel::<PaymentRequest>();
    let charged = AtomicU64::new(0);

    let mut tally = thread::scope(|s| {
        // The payment thread: answers until every request thread has hung up.
        let charged = &charged;
        s.spawn(move || {
            for req in requests {
                let answer = payment_provider(req.customer);
                if answer != Payment::Declined {
                    charged.fetch_add(req.amount, Ordering::Relaxed);
                }
                req.reply.send(answer).expect("the request thread waits");
            }
        });

        let workers: Vec<_> = (0..REQUEST_THREADS)
            .map(|w| {
                let (venue, payments) = (&venue, payments.clone());
                s.spawn(move || {
                    let mut tally = Tally::default();
                    // Request thread `w` serves customers w, w + 4, w + 8, ...
                    for customer in (w..CUSTOMERS).step_by(REQUEST_THREADS) {
                        match venue.book(customer, party_size(customer), &payments) {
                            Outcome::Booked(tickets) => tally.booked.push((customer, tickets)),
                            Outcome::SoldOut => tally.sold_out += 1,
                            Outcome::Declined => tally.declined += 1,
                            Outcome::HoldExpired => tally.expired += 1,
                        }
                    }
                    tally
                })
            })
            .collect();
        drop(payments); // the payment thread ends once every worker's clone is gone

        let mut all = Tally::default();
        for w in workers {
            let t = w.join().expect("a request thread panicked");
            all.booked.extend(t.booked);
            all.sold_out += t.sold_out;
            all.declined += t.declined;
            all.expired += t.expired;
        }
        all
    });
    tally.booked.sort_by_key(|(customer, _)| *customer);

    let sold: usize = tally.booked.iter().map(|(_, t)| t.len()).sum();
    println!(
        "booking_service: {SEATS} seats, {CUSTOMERS} customers on {REQUEST_THREADS} request threads, \
         holds of {HOLD_TICKS} ticks"
    );
    println!(
        "  booked       {:>3} customers, {sold} seats",
        tally.booked.len()
    );
    println!("  declined     {:>3} (hold released)", tally.declined);
    println!(
        "  paid late    {:>3} (hold expired and released, payment returned)",
        tally.expired
    );
    println!("  sold out     {:>3}", tally.sold_out);

    // Nothing oversold, nothing leaked: every seat not on a ticket is free.
    assert!(sold <= SEATS, "oversold: {sold} seats for {SEATS}");
    assert_eq!(
        venue.pool.available(),
        SEATS - sold,
        "a released hold leaked"
    );
    let mut ids: Vec<usize> = tally
        .booked
        .iter()
        .flat_map(|(_, tickets)| tickets.iter().map(Ticket::id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), sold, "two tickets for one seat");
    // Money: what was charged, less what late payers got back, is exactly the
    // price of the seats sold.
    let kept_money = charged.load(Ordering::Relaxed) - venue.returned.load(Ordering::Relaxed);
    assert_eq!(
        kept_money,
        sold as u64 * PRICE,
        "someone paid for no seat, or got one free"
    );

    // Refunds: every third booked customer changes their mind.
    let mut refunded = Vec::new();
    let mut kept = Vec::new();
    for (i, (customer, tickets)) in tally.booked.into_iter().enumerate() {
        if i % 3 == 2 {
            refunded.extend(tickets.into_iter().map(|t| venue.refund(t)));
        } else {
            kept.push((customer, tickets));
        }
    }
    refunded.sort_unstable();
    let kept_seats: usize = kept.iter().map(|(_, t)| t.len()).sum();
    assert_eq!(
        venue.pool.available(),
        SEATS - kept_seats,
        "every refunded seat is free"
    );
    println!("  refunded     {:>3} seats: {refunded:?}", refunded.len());

    // The waitlist books exactly the refunded seats, by number: each must be free.
    let mut waitlist = Vec::new();
    for (n, &seat) in refunded.iter().enumerate() {
        let customer = CUSTOMERS + n;
        let hold = venue
            .pool
            .try_reserve_seat(seat)
            .unwrap_or_else(|e| panic!("refunded seat {seat} is not free: {e}"));
        venue.record(seat, customer);
        waitlist.push(hold.confirm());
    }
    println!(
        "  waitlist     {:>3} seats re-sold, the same numbers",
        waitlist.len()
    );
    assert_eq!(venue.pool.available(), SEATS - kept_seats - waitlist.len());

    // The show is over: every ticket is cancelled, once, and the pool is empty.
    for ticket in kept.into_iter().flat_map(|(_, t)| t).chain(waitlist) {
        venue.refund(ticket);
    }
    assert_eq!(venue.pool.available(), SEATS);
    println!("  checks: no seat sold twice, no hold leaked, every refunded seat free again: ok");
}
