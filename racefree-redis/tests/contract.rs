//! The seat-pool and counter contracts, against a real `redis-server` started by
//! the test itself (127.0.0.1, temporary directory, killed on drop).

mod common;

use common::{assert_tiles, raw, server, unique, wait_until};
use racefree_conformance::harness::{prepared_together, together};
use racefree_redis::redis::{self, Commands};
use racefree_redis::{
    Config, Error, RedisBoundedCounter, RedisCounter, RedisSeatPool, RequestId, Ticket, MAX_VALUE,
};
use std::collections::HashSet;
use std::time::Duration;

/// A lease short enough for a test to wait out.
const SHORT_LEASE: Duration = Duration::from_millis(200);

/// Creates the pool `name` of `capacity` seats, whose holds last `lease`.
fn pool_with_lease(url: &str, name: &str, capacity: usize, lease: Duration) -> RedisSeatPool {
    RedisSeatPool::create(url, name, capacity)
        .unwrap()
        .with_config(Config::default().lease(lease))
}

#[test]
fn reserve_confirm_cancel() {
    let srv = server();
    let pool = RedisSeatPool::create(srv.url(), "show", 3).unwrap();
    assert_eq!(pool.capacity(), 3);
    assert_eq!(pool.available().unwrap(), 3);

    let hold = pool.try_reserve().unwrap().expect("a free seat");
    let id = hold.id();
    assert!(id < 3);
    assert_eq!(pool.available().unwrap(), 2);
    let ticket = hold.confirm().unwrap();
    assert_eq!(ticket.id(), id);
    assert_eq!(pool.available().unwrap(), 2);

    // A dropped hold frees its seat; a dropped ticket keeps it booked.
    let other = pool.try_reserve().unwrap().unwrap();
    assert_ne!(other.id(), id);
    drop(other);
    assert_eq!(pool.available().unwrap(), 2);
    let (tid, token) = (ticket.id(), ticket.token().to_string());
    drop(ticket);
    assert!(pool.try_reserve_seat(tid).unwrap().is_none(), "booked seat");

    pool.cancel(Ticket::from_parts(tid, token.clone())).unwrap();
    assert_eq!(pool.available().unwrap(), 3);
    // The same ticket cannot release the seat again, even after it is resold.
    let resold = pool
        .try_reserve_seat(tid)
        .unwrap()
        .unwrap()
        .confirm()
        .unwrap();
    assert!(matches!(
        pool.cancel(Ticket::from_parts(tid, token)),
        Err(Error::NotBooked { seat }) if seat == tid
    ));
    assert_eq!(pool.available().unwrap(), 2);
    pool.cancel(resold).unwrap();

    // Explicit release, and a reopened handle sees the same pool.
    pool.try_reserve_seat(1)
        .unwrap()
        .unwrap()
        .release()
        .unwrap();
    let again = RedisSeatPool::open(srv.url(), "show").unwrap();
    assert_eq!(again.capacity(), 3);
    assert_eq!(again.available().unwrap(), 3);
    let h = again.try_reserve_seat(2).unwrap().unwrap();
    assert!(pool.try_reserve_seat(2).unwrap().is_none());
    drop(h);
    assert!(pool.try_reserve_seat(2).unwrap().is_some());
}

#[test]
fn fills_and_empties() {
    let srv = server();
    let pool = RedisSeatPool::create(srv.url(), "full", 5).unwrap();
    let holds: Vec<_> = (0..5)
        .map(|_| pool.try_reserve().unwrap().unwrap())
        .collect();
    let ids: HashSet<usize> = holds.iter().map(|h| h.id()).collect();
    assert_eq!(ids, (0..5).collect());
    assert!(pool.try_reserve().unwrap().is_none());
    assert_eq!(pool.available().unwrap(), 0);
    drop(holds);
    assert_eq!(pool.available().unwrap(), 5);
}

#[test]
fn groups_are_all_or_nothing() {
    let srv = server();
    let pool = RedisSeatPool::create(srv.url(), "groups", 5).unwrap();
    let single = pool.try_reserve_seat(2).unwrap().unwrap();
    let group = pool.try_reserve_many(4).unwrap().expect("4 of 4 free");
    assert_eq!(group.ids(), &[0, 1, 3, 4]);
    assert_eq!(group.len(), 4);
    assert_eq!(pool.available().unwrap(), 0);
    assert!(pool.try_reserve_many(1).unwrap().is_none());
    drop(single);
    // One free seat: a group of 2 fails and keeps nothing.
    assert!(pool.try_reserve_many(2).unwrap().is_none());
    assert_eq!(pool.available().unwrap(), 1);
    let tickets = group.confirm().unwrap();
    assert_eq!(tickets.len(), 4);
    assert!(pool.try_reserve_many(2).unwrap().is_none());
    for t in tickets {
        pool.cancel(t).unwrap();
    }
    let all = pool.try_reserve_many(5).unwrap().unwrap();
    assert_eq!(all.ids(), &[0, 1, 2, 3, 4]);
    all.release().unwrap();
    assert_eq!(pool.available().unwrap(), 5);
}

#[test]
fn last_seat_is_sold_once_under_many_clients() {
    let srv = server();
    const THREADS: usize = 8;
    for round in 0..15 {
        let name = format!("last-{round}");
        RedisSeatPool::create(srv.url(), &name, 1).unwrap();
        let wins: usize = prepared_together(
            THREADS,
            // Each thread is its own client (own handle, own connection).
            |_| RedisSeatPool::open(srv.url(), &name).unwrap(),
            |_, pool| match pool.try_reserve().unwrap() {
                Some(h) => {
                    let _ticket = h.confirm().unwrap();
                    1
                }
                None => 0,
            },
        )
        .into_iter()
        .sum();
        assert_eq!(
            wins, 1,
            "round {round}: the last seat was sold {wins} times"
        );
        let pool = RedisSeatPool::open(srv.url(), &name).unwrap();
        assert_eq!(pool.available().unwrap(), 0);
    }

    // A bigger pool drained by many clients: every seat sold exactly once.
    let pool = RedisSeatPool::create(srv.url(), "drain", 40).unwrap();
    let sold: Vec<usize> = together(THREADS, |t| {
        let mut mine = Vec::new();
        for _ in 0..100 {
            let got = if t % 2 == 0 {
                pool.try_reserve()
                    .unwrap()
                    .map(|h| vec![h.confirm().unwrap()])
            } else {
                pool.try_reserve_many(3)
                    .unwrap()
                    .map(|g| g.confirm().unwrap())
            };
            match got {
                Some(ts) => mine.extend(ts.iter().map(|t| t.id())),
                None if pool.available().unwrap() == 0 => break,
                None => {}
            }
        }
        mine
    })
    .concat();
    let distinct: HashSet<_> = sold.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        sold.len(),
        "a seat was sold twice: {sold:?}"
    );
    assert_eq!(distinct, (0..40).collect(), "every seat sold");
}

#[test]
fn lease_expiry_returns_a_held_seat() {
    let srv = server();
    let pool = pool_with_lease(&srv.url(), "lease", 2, SHORT_LEASE);
    let hold = pool.try_reserve_seat(0).unwrap().unwrap();
    let ticket = pool
        .try_reserve_seat(1)
        .unwrap()
        .unwrap()
        .confirm()
        .unwrap();
    // The client "crashes": the hold is never released.
    std::mem::forget(hold);
    assert!(
        wait_until(Duration::from_secs(10), || pool.available().unwrap() == 1),
        "the lapsed hold did not come back"
    );
    // The seat is free for someone else; the ticket is untouched by any lease.
    let next = pool.try_reserve_seat(0).unwrap().expect("seat 0 returned");
    assert!(pool.try_reserve_seat(1).unwrap().is_none());
    drop(next);
    pool.cancel(ticket).unwrap();
    assert_eq!(pool.available().unwrap(), 2);
}

#[test]
fn renew_keeps_a_hold() {
    let srv = server();
    let pool = pool_with_lease(&srv.url(), "renew", 1, Duration::from_secs(30));
    let hold = pool.try_reserve().unwrap().unwrap();
    hold.renew().unwrap();
    let group = {
        drop(hold);
        pool.try_reserve_many(1).unwrap().unwrap()
    };
    group.renew().unwrap();
    assert_eq!(group.confirm().unwrap().len(), 1);
}

#[test]
fn late_confirm_is_fenced() {
    let srv = server();
    let slow = pool_with_lease(&srv.url(), "fence", 1, SHORT_LEASE);
    let fast = RedisSeatPool::open(srv.url(), "fence").unwrap();
    let hold = slow.try_reserve().unwrap().unwrap();
    let group = slow.try_reserve_many(1);
    assert!(group.unwrap().is_none());
    assert!(wait_until(Duration::from_secs(10), || fast
        .available()
        .unwrap()
        == 1));
    // Renewing a lapsed hold fails too.
    assert!(matches!(hold.renew(), Err(Error::HoldExpired { seat: 0 })));
    // Someone else takes the seat; the late confirm must not book it.
    let theirs = fast.try_reserve().unwrap().expect("seat free after lease");
    let late = hold.confirm();
    match late {
        Err(e @ Error::HoldExpired { seat: 0 }) => {
            assert!(e.to_string().contains("expired"), "{e}");
        }
        other => panic!("late confirm should fail, got {other:?}"),
    }
    // The other client's hold survived the failed confirm (and its drop).
    assert_eq!(fast.available().unwrap(), 0);
    let ticket = theirs.confirm().unwrap();
    fast.cancel(ticket).unwrap();

    // A group whose lease lapsed: nothing booked.
    let g = slow.try_reserve_many(1).unwrap().unwrap();
    assert!(wait_until(Duration::from_secs(10), || fast
        .available()
        .unwrap()
        == 1));
    assert!(matches!(g.confirm(), Err(Error::HoldExpired { .. })));
    assert_eq!(fast.available().unwrap(), 1);
}

#[test]
fn retry_with_the_same_request_id_acts_once() {
    let srv = server();
    let pool = RedisSeatPool::create(srv.url(), "idem", 4).unwrap();
    let rid = RequestId::new();
    let a = pool.try_reserve_with(&rid).unwrap().unwrap();
    let b = pool.try_reserve_with(&rid).unwrap().unwrap();
    assert_eq!((a.id(), a.token()), (b.id(), b.token()));
    assert_eq!(pool.available().unwrap(), 3, "the retry took a second seat");
    let confirm_rid = RequestId::new();
    let t1 = a.confirm_with(&confirm_rid).unwrap();
    let t2 = b.confirm_with(&confirm_rid).unwrap();
    assert_eq!(t1, t2);
    let cancel_rid = RequestId::new();
    pool.cancel_with(t1, &cancel_rid).unwrap();
    pool.cancel_with(t2, &cancel_rid).unwrap(); // the first answer, not NotBooked
    assert_eq!(pool.available().unwrap(), 4);

    let g = RequestId::from_string("group-1").unwrap();
    let g1 = pool.try_reserve_many_with(3, &g).unwrap().unwrap();
    let g2 = pool.try_reserve_many_with(3, &g).unwrap().unwrap();
    assert_eq!(g1.ids(), g2.ids());
    assert_eq!(pool.available().unwrap(), 1);
    let s = RequestId::new();
    let s1 = pool.try_reserve_seat_with(3, &s).unwrap().map(|h| h.id());
    let s2 = pool.try_reserve_seat_with(3, &s).unwrap().map(|h| h.id());
    assert_eq!(s1, s2);

    // One id, two different calls: refused.
    assert!(matches!(
        pool.try_reserve_seat_with(0, &g),
        Err(Error::RequestIdReused { .. })
    ));

    let c = RedisCounter::create(srv.url(), "idem-c", 10).unwrap();
    let r = RequestId::new();
    assert_eq!(c.add_with(5, &r).unwrap(), 10);
    assert_eq!(c.add_with(5, &r).unwrap(), 10);
    assert_eq!(c.get().unwrap(), 15);
    assert!(matches!(
        c.add_with(6, &r),
        Err(Error::RequestIdReused { .. })
    ));

    let b = RedisBoundedCounter::create(srv.url(), "idem-b", 3, 5).unwrap();
    let r = RequestId::new();
    assert_eq!(b.try_sub_with(2, &r).unwrap(), Ok(3));
    assert_eq!(b.try_sub_with(2, &r).unwrap(), Ok(3));
    assert_eq!(b.get().unwrap(), 1);
    let r = RequestId::new();
    assert_eq!(b.try_add_with(9, &r).unwrap(), Err(1));
    assert_eq!(b.try_add_with(9, &r).unwrap(), Err(1));
}

#[test]
fn bounded_counter_never_leaves_its_range() {
    let srv = server();
    const MAX: u64 = 10;
    let c = RedisBoundedCounter::create(srv.url(), "coupons", 5, MAX).unwrap();
    assert_eq!(c.max(), MAX);
    let net: i64 = prepared_together(
        8,
        |_| RedisBoundedCounter::open(srv.url(), "coupons").unwrap(),
        |t, c| {
            let t = t as u64;
            let mut net = 0i64;
            for i in 0..60u64 {
                let n = 1 + (t + i) % 4;
                if (t + i).is_multiple_of(2) {
                    match c.try_add(n).unwrap() {
                        Ok(prev) => {
                            assert!(prev + n <= MAX);
                            net += n as i64;
                        }
                        Err(cur) => assert!(cur + n > MAX && cur <= MAX),
                    }
                } else {
                    match c.try_sub(n).unwrap() {
                        Ok(prev) => {
                            assert!(prev >= n && prev <= MAX);
                            net -= n as i64;
                        }
                        Err(cur) => assert!(cur < n),
                    }
                }
                assert!(c.get().unwrap() <= MAX);
            }
            net
        },
    )
    .into_iter()
    .sum();
    assert_eq!(c.get().unwrap() as i64, 5 + net);
}

#[test]
fn counter_never_repeats() {
    let srv = server();
    let c = RedisCounter::create(srv.url(), "ids", 0).unwrap();
    let ranges: Vec<(u64, u64)> = together(8, |t| {
        let t = t as u64;
        (0..80u64)
            .map(|i| {
                let n = if (t + i).is_multiple_of(3) {
                    1 + i % 5
                } else {
                    1
                };
                let prev = if n == 1 {
                    c.increment().unwrap()
                } else {
                    c.add(n).unwrap()
                };
                (prev, prev + n)
            })
            .collect::<Vec<_>>()
    })
    .concat();
    assert_eq!(c.get().unwrap(), assert_tiles(ranges));
}

#[test]
fn counter_range_ends_at_max_value() {
    let srv = server();
    let c = RedisCounter::create(srv.url(), "big", MAX_VALUE - 2).unwrap();
    assert_eq!(c.increment().unwrap(), MAX_VALUE - 2);
    assert_eq!(c.add(1).unwrap(), MAX_VALUE - 1);
    assert!(matches!(
        c.increment(),
        Err(Error::Overflow { value, n: 1 }) if value == MAX_VALUE
    ));
    assert_eq!(c.get().unwrap(), MAX_VALUE);
    assert!(matches!(
        RedisCounter::create(srv.url(), "too-big", MAX_VALUE + 1),
        Err(Error::BadCounter { .. })
    ));
}

#[test]
fn bad_input_is_a_clear_error() {
    let srv = server();
    let url = srv.url();
    let e = RedisSeatPool::create(url.as_str(), "zero", 0).unwrap_err();
    assert!(matches!(e, Error::ZeroCapacity), "{e}");
    for bad in ["", "with space", "br{ace", "x}"] {
        assert!(matches!(
            RedisSeatPool::create(url.as_str(), bad, 1),
            Err(Error::BadName { .. })
        ));
    }
    let pool = RedisSeatPool::create(url.as_str(), "p", 4).unwrap();
    let e = pool.try_reserve_seat(4).unwrap_err();
    assert!(
        matches!(e, Error::SeatOutOfRange { id: 4, capacity: 4 }),
        "{e}"
    );
    assert!(e.to_string().contains("out of range"));
    for k in [0, 5] {
        let e = pool.try_reserve_many(k).unwrap_err();
        assert!(matches!(e, Error::BadGroupSize { capacity: 4, .. }), "{e}");
    }
    assert!(matches!(
        RedisSeatPool::create(url.as_str(), "p", 4),
        Err(Error::AlreadyExists { .. })
    ));
    let e = RedisSeatPool::open_or_create(url.as_str(), "p", 5).unwrap_err();
    assert!(
        matches!(
            e,
            Error::CapacityMismatch {
                expected: 5,
                found: 4,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        RedisSeatPool::open_or_create(url.as_str(), "p", 4)
            .unwrap()
            .capacity(),
        4
    );
    let e = RedisSeatPool::open(url.as_str(), "nobody").unwrap_err();
    assert!(matches!(e, Error::NotCreated { .. }), "{e}");
    assert!(e.to_string().contains("create it first"));

    // Someone else's data under our key.
    let mut r = raw(&url);
    let _: () = r.set("racefree:{squatter}:meta", "hello").unwrap();
    let e = RedisSeatPool::open(url.as_str(), "squatter").unwrap_err();
    assert!(
        matches!(&e, Error::WrongType { found, expected: "hash", .. } if found == "string"),
        "{e}"
    );
    let e = RedisSeatPool::create(url.as_str(), "squatter", 3).unwrap_err();
    assert!(matches!(e, Error::WrongType { .. }), "{e}");
    let e = RedisCounter::open(url.as_str(), "squatter").unwrap_err();
    assert!(matches!(e, Error::WrongType { .. }), "{e}");
    let _: () = r.set("racefree:{p}:bits", 5).unwrap();
    let _: () = r.del("racefree:{p}:bits").unwrap();
    let _: () = r.lpush("racefree:{p}:holds", "x").unwrap();
    assert!(matches!(pool.try_reserve(), Err(Error::WrongType { .. })));
    let _: () = r.del("racefree:{p}:holds").unwrap();

    // The wrong kind of object under a name.
    RedisCounter::create(url.as_str(), "ctr", 0).unwrap();
    let e = RedisSeatPool::open(url.as_str(), "ctr").unwrap_err();
    assert!(matches!(e, Error::WrongKind { .. }), "{e}");
    assert!(matches!(
        RedisBoundedCounter::open(url.as_str(), "ctr"),
        Err(Error::WrongKind { .. })
    ));
    assert!(matches!(
        RedisCounter::open(url.as_str(), "p"),
        Err(Error::WrongKind { .. })
    ));
    assert!(matches!(
        RedisBoundedCounter::create(url.as_str(), "b", 6, 5),
        Err(Error::BadCounter { initial: 6, max: 5 })
    ));
    RedisBoundedCounter::create(url.as_str(), "b", 1, 5).unwrap();
    assert!(matches!(
        RedisBoundedCounter::open_or_create(url.as_str(), "b", 1, 6),
        Err(Error::CapacityMismatch { .. })
    ));
    assert!(matches!(
        RequestId::from_string("a b").map_err(Error::from),
        Err(Error::BadRequestId { .. })
    ));

    // No server at all: a clear "unreachable", not a hang or a panic.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = RedisSeatPool::open(format!("redis://127.0.0.1:{dead}/"), "p").unwrap_err();
    assert!(matches!(e, Error::Unreachable(_)), "{e:?}");
    assert!(e.to_string().contains("unreachable"), "{e}");
    assert!(std::error::Error::source(&e).is_some());
}

#[test]
fn scripts_are_reloaded_after_script_flush() {
    let srv = server();
    let pool = RedisSeatPool::create(srv.url(), "flush", 2).unwrap();
    let c = RedisCounter::create(srv.url(), "flush-c", 0).unwrap();
    let hold = pool.try_reserve().unwrap().unwrap();
    assert_eq!(c.increment().unwrap(), 0);
    let mut r = raw(&srv.url());
    let _: () = redis::cmd("SCRIPT").arg("FLUSH").query(&mut r).unwrap();
    // Every call below first gets NOSCRIPT, loads its script and runs it once.
    let ticket = hold.confirm().unwrap();
    assert_eq!(pool.available().unwrap(), 1);
    let _: () = redis::cmd("SCRIPT").arg("FLUSH").query(&mut r).unwrap();
    assert_eq!(c.increment().unwrap(), 1);
    let _: () = redis::cmd("SCRIPT").arg("FLUSH").query(&mut r).unwrap();
    pool.cancel(ticket).unwrap();
    assert_eq!(pool.available().unwrap(), 2);
    let _ = unique("unused");
}

#[test]
fn keys_share_one_hash_tag() {
    let srv = server();
    let pool = RedisSeatPool::create(srv.url(), "tagged", 3).unwrap();
    let _t = pool.try_reserve().unwrap().unwrap().confirm().unwrap();
    let _h = pool.try_reserve().unwrap().unwrap();
    RedisCounter::create(srv.url(), "tagged-c", 0)
        .unwrap()
        .increment()
        .unwrap();
    let mut r = raw(&srv.url());
    let keys: Vec<String> = r.keys("*").unwrap();
    assert!(keys.len() >= 5, "{keys:?}");
    for k in &keys {
        assert!(
            k.starts_with("racefree:{tagged}:") || k.starts_with("racefree:{tagged-c}:"),
            "{k}"
        );
    }
    // The request-id replies expire by themselves; holds and tickets do not
    // depend on key TTLs at all.
    let ttl: i64 = r
        .pttl(keys.iter().find(|k| k.contains(":req:")).unwrap())
        .unwrap();
    assert!(ttl > 0);
}

#[test]
fn cancel_many_is_all_or_nothing() {
    let srv = server();
    let pool = RedisSeatPool::create(srv.url(), "refund", 4).unwrap();
    let tickets = pool
        .try_reserve_many(3)
        .unwrap()
        .unwrap()
        .confirm()
        .unwrap();
    let ids: Vec<(usize, String)> = tickets
        .iter()
        .map(|t| (t.id(), t.token().to_string()))
        .collect();
    // One stale ticket in the list: nothing is cancelled.
    let mut with_stale: Vec<Ticket> = ids
        .iter()
        .map(|(i, tok)| Ticket::from_parts(*i, tok.clone()))
        .collect();
    with_stale.push(Ticket::from_parts(3, "not-a-token"));
    assert!(matches!(
        pool.cancel_many(with_stale),
        Err(Error::NotBooked { seat: 3 })
    ));
    assert_eq!(pool.available().unwrap(), 1);
    // The same seat listed twice is freed once.
    let mut twice: Vec<Ticket> = ids
        .iter()
        .map(|(i, tok)| Ticket::from_parts(*i, tok.clone()))
        .collect();
    twice.push(Ticket::from_parts(ids[0].0, ids[0].1.clone()));
    pool.cancel_many(twice).unwrap();
    assert_eq!(pool.available().unwrap(), 4);
    drop(tickets);
    pool.cancel_many(Vec::new()).unwrap();
}
