//! The `serde` feature: tickets and request ids round-trip; a bad request id
//! is refused on the way in with the same rule as `RequestId::from_string`.
#![cfg(feature = "serde")]

use racefree_tier::{RequestId, Ticket};

#[test]
fn tickets_round_trip() {
    let t = Ticket::from_parts(7, "order-1");
    let json = serde_json::to_string(&t).unwrap();
    assert_eq!(json, r#"{"id":7,"token":"order-1"}"#);
    assert_eq!(serde_json::from_str::<Ticket>(&json).unwrap(), t);
}

#[test]
fn request_ids_round_trip_and_bad_ones_are_refused() {
    let id = RequestId::from_string("order-1234").unwrap();
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(json, r#""order-1234""#);
    assert_eq!(serde_json::from_str::<RequestId>(&json).unwrap(), id);
    for bad in [
        r#""""#,
        r#""no spaces""#,
        &format!("\"{}\"", "a".repeat(65)),
    ] {
        let e = serde_json::from_str::<RequestId>(bad).unwrap_err();
        assert!(e.to_string().contains("request id"), "{bad}: {e}");
    }
}
