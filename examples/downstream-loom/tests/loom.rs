//! Loom models of the box office, racefree inside. Run with
//! `RUSTFLAGS="--cfg loom" cargo test --release` (see racefree's
//! `ci/downstream-loom.sh`).
#![cfg(loom)]

use downstream_loom::BoxOffice;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;

/// Runs `f` under every interleaving up to 3 preemptions (plenty for two threads
/// of a few steps) and prints how many executions that was: a model that runs only
/// a handful would mean racefree's atomics were not loom's.
fn model(name: &str, f: impl Fn() + Sync + Send + 'static) {
    let executions = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = executions.clone();
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(move || {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f();
    });
    let n = executions.load(std::sync::atomic::Ordering::Relaxed);
    println!("model {name}: {n} executions");
}

/// Two buyers try for the last seat at once, and each keeps what it got until
/// both have tried: exactly one of them holds it. Once both holds are dropped,
/// the seat is free again.
#[test]
fn last_seat_goes_to_exactly_one_buyer() {
    model("last_seat_goes_to_exactly_one_buyer", || {
        let office = Arc::new(BoxOffice::new(1));
        let winners = Arc::new(AtomicUsize::new(0));
        let tried = Arc::new(AtomicUsize::new(0));

        let buyers: Vec<_> = (0..2)
            .map(|_| {
                let (office, winners, tried) = (office.clone(), winners.clone(), tried.clone());
                thread::spawn(move || {
                    let hold = office.hold();
                    if hold.is_some() {
                        winners.fetch_add(1, SeqCst);
                    }
                    // Keep the hold until the other buyer has tried too.
                    tried.fetch_add(1, SeqCst);
                    while tried.load(SeqCst) < 2 {
                        thread::yield_now();
                    }
                    drop(hold);
                })
            })
            .collect();
        for buyer in buyers {
            buyer.join().unwrap();
        }

        assert_eq!(winners.load(SeqCst), 1, "the last seat went to one buyer");
        assert_eq!(
            office.available(),
            1,
            "both holds dropped: the seat is free"
        );
    });
}

/// Two buyers race to buy the last seat outright: one ticket is sold, the other
/// buyer is told "sold out", and a refund makes the seat available again.
#[test]
fn last_seat_is_sold_once_and_refunded() {
    model("last_seat_is_sold_once_and_refunded", || {
        let office = Arc::new(BoxOffice::new(1));
        let buyers: Vec<_> = (0..2)
            .map(|_| {
                let office = office.clone();
                thread::spawn(move || office.sell())
            })
            .collect();
        let mut tickets: Vec<_> = buyers
            .into_iter()
            .filter_map(|b| b.join().unwrap())
            .collect();

        assert_eq!(tickets.len(), 1, "one ticket for the last seat");
        assert_eq!(office.available(), 0);
        office.refund(tickets.pop().unwrap());
        assert_eq!(office.available(), 1);
    });
}

/// The model in racefree's README ("Model-check your own code with loom"), word
/// for word, so that the README's code is known to compile and pass.
#[test]
fn last_seat_goes_to_one_buyer() {
    loom::model(|| {
        let show = loom::sync::Arc::new(racefree::SeatPool::new(1));
        let buyers: Vec<_> = (0..2)
            .map(|_| {
                let show = show.clone();
                loom::thread::spawn(move || show.try_reserve().map(|seat| seat.confirm()))
            })
            .collect();
        let tickets: Vec<_> = buyers
            .into_iter()
            .filter_map(|b| b.join().unwrap())
            .collect();
        assert_eq!(tickets.len(), 1); // never two tickets for the last seat
        for ticket in tickets {
            show.cancel(ticket).unwrap();
        }
        assert_eq!(show.available(), 1);
    });
}
