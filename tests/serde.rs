//! The `serde` feature: round trips through JSON, and bad input refused with an
//! error (never a panic, never a counter outside its contract).
#![cfg(feature = "serde")]

use racefree::{BoundedCounter, Counter, SeatError, SeatPool, StripedCounter};

#[test]
fn counters_round_trip_as_snapshots() {
    let c = Counter::new(41);
    c.increment();
    assert_eq!(serde_json::to_string(&c).unwrap(), "42");
    assert_eq!(serde_json::from_str::<Counter>("42").unwrap().get(), 42);

    let b = BoundedCounter::new(3, 10);
    let json = serde_json::to_string(&b).unwrap();
    assert_eq!(json, r#"{"value":3,"max":10}"#);
    let back: BoundedCounter = serde_json::from_str(&json).unwrap();
    assert_eq!((back.get(), back.max()), (3, 10));

    let s = StripedCounter::new();
    s.add(7);
    s.add(5);
    assert_eq!(serde_json::to_string(&s).unwrap(), "12");
    assert_eq!(
        serde_json::from_str::<StripedCounter>("12").unwrap().sum(),
        12
    );
}

#[test]
fn out_of_contract_counters_are_errors() {
    let too_big = (Counter::MAX + 1).to_string();
    let e = serde_json::from_str::<Counter>(&too_big).unwrap_err();
    assert!(e.to_string().contains("at most"), "{e}");
    let e = serde_json::from_str::<BoundedCounter>(r#"{"value":11,"max":10}"#).unwrap_err();
    assert!(e.to_string().contains("above its max"), "{e}");
    assert!(serde_json::from_str::<BoundedCounter>(r#"{"value":1}"#).is_err());
    assert!(serde_json::from_str::<BoundedCounter>(r#"{"value":1,"max":2,"x":0}"#).is_err());
    assert!(serde_json::from_str::<Counter>("-1").is_err());
}

#[test]
fn seat_errors_round_trip() {
    for e in [
        SeatError::Taken,
        SeatPool::new(2).try_reserve_seat(5).unwrap_err(),
        SeatPool::try_new(0).unwrap_err(),
    ] {
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(
            serde_json::from_str::<SeatError>(&json).unwrap(),
            e,
            "{json}"
        );
    }
}

#[test]
fn tickets_serialize_for_records() {
    let pool = SeatPool::new(4);
    let ticket = pool.try_reserve_seat(3).unwrap().confirm();
    let json = serde_json::to_value(&ticket).unwrap();
    assert_eq!(json["seat"], 3);
    assert!(json["pool"].as_u64().is_some_and(|p| p != 0));
    pool.cancel(ticket).unwrap();
}

#[cfg(feature = "shm")]
#[test]
fn shared_tickets_round_trip() {
    let t = racefree::shm::SharedTicket::from_parts(7, 42);
    let json = serde_json::to_string(&t).unwrap();
    assert_eq!(json, r#"{"seat":7,"generation":42}"#);
    assert_eq!(
        serde_json::from_str::<racefree::shm::SharedTicket>(&json).unwrap(),
        t
    );
}
