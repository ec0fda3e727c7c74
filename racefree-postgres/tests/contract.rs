//! The API contract of the PostgreSQL tier against a real PostgreSQL 15 server
//! (started per test on 127.0.0.1, stopped on drop): reserve / confirm /
//! cancel, groups all or nothing, leases and fencing, request ids, bounded
//! counters never out of range, counters never repeating, the caller's own
//! transaction, schema checks and bad input.

mod common;

use common::{client, server, unique, wait_until, waits_on_lock, PgServer};
use racefree_postgres::postgres::Client;
use racefree_postgres::{
    Error, Hold, PgBoundedCounter, PgCounter, PgSeatPool, RequestId, Table, Ticket, MAX_VALUE,
};
use std::collections::HashSet;
use std::time::Duration;

#[test]
fn seats_reserve_confirm_cancel() {
    let srv = server();
    let mut c = client(&srv);
    let t = unique("seats");
    let pool = PgSeatPool::create(&mut c, &t, 4).unwrap();
    assert_eq!(pool.capacity(), 4);
    assert_eq!(pool.available(&mut c).unwrap(), 4);

    // Any seat: the lowest free one; four distinct, then None.
    let holds: Vec<Hold> = (0..4)
        .map(|_| pool.try_reserve(&mut c).unwrap().expect("a free seat"))
        .collect();
    let ids: HashSet<usize> = holds.iter().map(Hold::id).collect();
    assert_eq!(ids, (0..4).collect());
    assert!(pool.try_reserve(&mut c).unwrap().is_none());
    assert!(pool.try_reserve_many(&mut c, 1).unwrap().is_none());
    assert_eq!(pool.available(&mut c).unwrap(), 0);

    // Release one hold; confirm the others into tickets.
    let mut it = holds.into_iter();
    let first = it.next().unwrap();
    let freed = first.id();
    assert_eq!(pool.release(&mut c, first).unwrap(), 1);
    assert_eq!(pool.available(&mut c).unwrap(), 1);
    let tickets: Vec<Ticket> = it.flat_map(|h| pool.confirm(&mut c, h).unwrap()).collect();
    assert_eq!(tickets.len(), 3);

    // A given seat: the freed one is free, a booked one is taken.
    let again = pool.try_reserve_seat(&mut c, freed).unwrap().expect("free");
    assert_eq!(again.id(), freed);
    assert!(pool
        .try_reserve_seat(&mut c, tickets[0].id())
        .unwrap()
        .is_none());
    assert!(matches!(
        pool.try_reserve_seat(&mut c, 4),
        Err(Error::SeatOutOfRange { id: 4, capacity: 4 })
    ));
    // Releasing a hold twice frees nothing the second time (fenced by token).
    let (ids2, tok2) = (again.ids().to_vec(), again.token().to_string());
    assert_eq!(pool.release(&mut c, again).unwrap(), 1);
    assert_eq!(
        pool.release(&mut c, Hold::from_parts(ids2, tok2)).unwrap(),
        0
    );

    // Cancel: frees the seat once; a rebuilt ticket cannot cancel again, nor
    // can a ticket with the wrong token.
    let t0 = tickets.into_iter().next().unwrap();
    let (id0, tok0) = (t0.id(), t0.token().to_string());
    assert!(matches!(
        pool.cancel(&mut c, Ticket::from_parts(id0, "not-the-token")),
        Err(Error::NotBooked { seat }) if seat == id0
    ));
    pool.cancel(&mut c, t0).unwrap();
    assert!(matches!(
        pool.cancel(&mut c, Ticket::from_parts(id0, tok0)),
        Err(Error::NotBooked { .. })
    ));
    assert_eq!(pool.available(&mut c).unwrap(), 2);
}

#[test]
fn seats_groups_all_or_nothing() {
    let srv = server();
    let mut c = client(&srv);
    let pool = PgSeatPool::create(&mut c, &unique("groups"), 5).unwrap();
    let g = pool.try_reserve_many(&mut c, 3).unwrap().expect("3 free");
    assert_eq!(g.ids(), &[0, 1, 2]);
    // Two free: a group of 3 gets nothing and holds nothing.
    assert!(pool.try_reserve_many(&mut c, 3).unwrap().is_none());
    assert_eq!(pool.available(&mut c).unwrap(), 2);
    let pair = pool.try_reserve_many(&mut c, 2).unwrap().expect("2 free");
    assert_eq!(pair.ids(), &[3, 4]);
    assert_eq!(pool.available(&mut c).unwrap(), 0);
    assert!(matches!(
        pool.try_reserve_many(&mut c, 0),
        Err(Error::BadGroupSize { k: 0, capacity: 5 })
    ));
    assert!(matches!(
        pool.try_reserve_many(&mut c, 6),
        Err(Error::BadGroupSize { k: 6, .. })
    ));
    // Group confirm books all; group cancel frees all, or none when one ticket
    // is not booked.
    let tickets = pool.confirm(&mut c, g).unwrap();
    assert_eq!(
        tickets.iter().map(Ticket::id).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    let mut bad: Vec<Ticket> = tickets
        .iter()
        .map(|t| Ticket::from_parts(t.id(), t.token()))
        .collect();
    bad.push(Ticket::from_parts(3, "someone-else"));
    assert!(matches!(
        pool.cancel_many(&mut c, bad),
        Err(Error::NotBooked { seat: 3 })
    ));
    assert_eq!(
        pool.available(&mut c).unwrap(),
        0,
        "a failed cancel freed seats"
    );
    pool.cancel_many(&mut c, tickets).unwrap();
    assert_eq!(pool.available(&mut c).unwrap(), 3);
    assert_eq!(pool.release(&mut c, pair).unwrap(), 2);
    // The whole pool as one group, then released.
    let all = pool.try_reserve_many(&mut c, 5).unwrap().expect("all free");
    assert_eq!(all.len(), 5);
    assert_eq!(pool.release(&mut c, all).unwrap(), 5);
}

/// Short, but long enough for the next statement on a loaded machine.
const LEASE: Duration = Duration::from_millis(1500);

#[test]
fn seats_leases_and_fencing() {
    let srv = server();
    let mut c = client(&srv);
    let pool = PgSeatPool::create(&mut c, &unique("lease"), 2)
        .unwrap()
        .with_lease(LEASE)
        .unwrap();
    let h = pool.try_reserve_seat(&mut c, 0).unwrap().unwrap();
    pool.renew(&mut c, &h).unwrap();
    // The lease ends on the server clock: the seat is free again by itself.
    assert!(wait_until(Duration::from_secs(20), || pool
        .available(&mut c)
        .unwrap()
        == 2));
    assert!(matches!(
        pool.renew(&mut c, &h),
        Err(Error::HoldExpired { .. })
    ));
    // Someone else takes it; the late confirm books nothing.
    let (ids, tok) = (h.ids().to_vec(), h.token().to_string());
    let other = pool
        .try_reserve_seat(&mut c, 0)
        .unwrap()
        .expect("lapsed seat is free");
    assert!(matches!(
        pool.confirm(&mut c, Hold::from_parts(ids.clone(), tok.clone())),
        Err(Error::HoldExpired { seats }) if seats == [0]
    ));
    // ... and its release does not free the new holder's seat.
    assert_eq!(pool.release(&mut c, Hold::from_parts(ids, tok)).unwrap(), 0);
    let t = pool.confirm(&mut c, other).unwrap();
    assert_eq!(t[0].id(), 0);
    // A ticket has no lease: still booked after a whole lease has passed.
    std::thread::sleep(LEASE + Duration::from_millis(100));
    assert_eq!(pool.available(&mut c).unwrap(), 1);
    assert!(matches!(
        PgSeatPool::create(&mut c, &unique("x"), 1)
            .unwrap()
            .with_lease(Duration::ZERO),
        Err(Error::BadLease)
    ));
}

#[test]
fn request_ids_return_the_first_answer() {
    let srv = server();
    let mut c = client(&srv);
    let pool = PgSeatPool::create(&mut c, &unique("rid"), 3).unwrap();
    let rid = RequestId::from_string("cart-1").unwrap();
    let a = pool.try_reserve_with(&mut c, &rid).unwrap().unwrap();
    let b = pool.try_reserve_with(&mut c, &rid).unwrap().unwrap();
    assert_eq!(a, b, "a retry must return the same hold");
    assert_eq!(
        pool.available(&mut c).unwrap(),
        2,
        "a retry took a second seat"
    );
    // The same id for another call is refused.
    assert!(matches!(
        pool.try_reserve_many_with(&mut c, 2, &rid),
        Err(Error::RequestIdReused { .. })
    ));
    // Confirm retried: same tickets, booked once.
    let crid = RequestId::new();
    let t1 = pool.confirm_with(&mut c, a, &crid).unwrap();
    let t2 = pool.confirm_with(&mut c, b, &crid).unwrap();
    assert_eq!(t1, t2);
    // Cancel retried: Ok both times (the stored answer), not NotBooked.
    let krid = RequestId::new();
    pool.cancel_many_with(&mut c, t1, &krid).unwrap();
    pool.cancel_many_with(&mut c, t2, &krid).unwrap();
    assert_eq!(pool.available(&mut c).unwrap(), 3);

    // Counters: a retried deposit or id is not applied twice.
    let acct = PgBoundedCounter::create(&mut c, &unique("acct"), 10, 100).unwrap();
    let dep = RequestId::new();
    assert_eq!(acct.try_add_with(&mut c, 50, &dep).unwrap(), Ok(10));
    assert_eq!(acct.try_add_with(&mut c, 50, &dep).unwrap(), Ok(10));
    assert_eq!(acct.get(&mut c).unwrap(), 60);
    let ids = PgCounter::create(&mut c, &unique("ids"), 7).unwrap();
    let r = RequestId::new();
    assert_eq!(ids.increment_with(&mut c, &r).unwrap(), 7);
    assert_eq!(ids.increment_with(&mut c, &r).unwrap(), 7);
    assert_eq!(ids.increment(&mut c).unwrap(), 8);
    // Old replies can be purged.
    let gone =
        racefree_postgres::purge_requests(&mut c, pool.table(), Duration::from_millis(1)).unwrap();
    assert!(gone >= 3);
}

/// Runs `work` on `clients` threads at once, each on its own connection to
/// `srv`; their results, in thread order.
fn on_clients<T: Send>(
    srv: &PgServer,
    clients: usize,
    work: impl Fn(&mut Client) -> T + Sync,
) -> Vec<T> {
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..clients)
            .map(|_| s.spawn(|| work(&mut client(srv))))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn bounded_counter_never_out_of_range() {
    let srv = server();
    let mut c = client(&srv);
    let coupons = PgBoundedCounter::create(&mut c, &unique("coupons"), 0, 3).unwrap();
    assert_eq!(coupons.max(), 3);
    assert_eq!(coupons.try_add(&mut c, 2).unwrap(), Ok(0));
    assert_eq!(coupons.try_add(&mut c, 2).unwrap(), Err(2));
    assert_eq!(coupons.try_add(&mut c, 1).unwrap(), Ok(2));
    assert_eq!(coupons.try_add(&mut c, 1).unwrap(), Err(3));
    assert_eq!(coupons.try_sub(&mut c, 4).unwrap(), Err(3));
    assert_eq!(coupons.try_sub(&mut c, 3).unwrap(), Ok(3));
    assert_eq!(coupons.try_sub(&mut c, 1).unwrap(), Err(0));
    assert_eq!(coupons.try_add(&mut c, 0).unwrap(), Ok(0));
    assert_eq!(coupons.get(&mut c).unwrap(), 0);
    assert!(matches!(
        coupons.try_add(&mut c, u64::MAX),
        Err(Error::BadCounter { .. })
    ));
    assert!(matches!(
        PgBoundedCounter::create(&mut c, &unique("bad"), 5, 4),
        Err(Error::BadCounter { initial: 5, max: 4 })
    ));
    // At the top of the range: no overflow inside PostgreSQL either.
    let big = PgBoundedCounter::create(&mut c, &unique("big"), MAX_VALUE - 1, MAX_VALUE).unwrap();
    assert_eq!(big.try_add(&mut c, MAX_VALUE).unwrap(), Err(MAX_VALUE - 1));
    assert_eq!(big.try_add(&mut c, 1).unwrap(), Ok(MAX_VALUE - 1));

    // Many clients race for 20 coupons, 5 at a time: exactly 20 are issued.
    let coupons = PgBoundedCounter::create(&mut c, &unique("race"), 0, 20).unwrap();
    let won: usize = on_clients(&srv, 8, |c| {
        (0..5)
            .filter(|_| coupons.try_add(c, 1).unwrap().is_ok())
            .count()
    })
    .into_iter()
    .sum();
    assert_eq!(won, 20);
    assert_eq!(coupons.get(&mut c).unwrap(), 20);
}

#[test]
fn counter_never_repeats() {
    let srv = server();
    let mut c = client(&srv);
    let ids = PgCounter::create(&mut c, &unique("ids"), 1).unwrap();
    assert_eq!(ids.increment(&mut c).unwrap(), 1);
    assert_eq!(ids.add(&mut c, 10).unwrap(), 2);
    assert_eq!(ids.get(&mut c).unwrap(), 12);
    let got: Vec<u64> = on_clients(&srv, 6, |c| {
        (0..40)
            .map(|_| ids.increment(c).unwrap())
            .collect::<Vec<_>>()
    })
    .concat();
    let set: HashSet<u64> = got.iter().copied().collect();
    assert_eq!(set.len(), got.len(), "an id was handed out twice");
    assert_eq!(set, (12..12 + 240).collect());
    // Overflow is an error, and nothing changes.
    let top = PgCounter::create(&mut c, &unique("top"), MAX_VALUE - 1).unwrap();
    assert_eq!(top.increment(&mut c).unwrap(), MAX_VALUE - 1);
    assert!(matches!(
        top.increment(&mut c),
        Err(Error::Overflow { value, n: 1 }) if value == MAX_VALUE
    ));
}

/// The caller's own transaction: the seat and the order row commit together,
/// or roll back together.
#[test]
fn works_inside_the_callers_transaction() {
    let srv = server();
    let mut c = client(&srv);
    let pool = PgSeatPool::create(&mut c, &unique("tx"), 2).unwrap();
    let ids = PgCounter::create(&mut c, &unique("order_no"), 100).unwrap();
    c.batch_execute("CREATE TABLE t.orders (no bigint PRIMARY KEY, seat int NOT NULL)")
        .unwrap();

    // Rolled back: no seat taken, no order number used (no gap).
    {
        let mut tx = c.transaction().unwrap();
        let h = pool.try_reserve(&mut tx).unwrap().unwrap();
        let _ = pool.confirm(&mut tx, h).unwrap();
        let no = ids.increment(&mut tx).unwrap();
        assert_eq!(no, 100);
        tx.rollback().unwrap();
    }
    assert_eq!(pool.available(&mut c).unwrap(), 2);
    assert_eq!(ids.get(&mut c).unwrap(), 100);

    // Committed: both.
    let mut tx = c.transaction().unwrap();
    let h = pool.try_reserve(&mut tx).unwrap().unwrap();
    let t = pool.confirm(&mut tx, h).unwrap().remove(0);
    let no = ids.increment(&mut tx).unwrap();
    tx.execute(
        "INSERT INTO t.orders VALUES ($1, $2)",
        &[&(no as i64), &(t.id() as i32)],
    )
    .unwrap();
    tx.commit().unwrap();
    assert_eq!(pool.available(&mut c).unwrap(), 1);
    let n: i64 = c
        .query_one("SELECT count(*) FROM t.orders", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

#[test]
fn schema_checks_and_bad_input() {
    let srv = server();
    let mut c = client(&srv);
    for bad in ["", "Seats", "1abc", "a-b", "a b", "x\"y", &"a".repeat(51)] {
        assert!(
            matches!(Table::new("t", bad), Err(Error::BadName { .. })),
            "{bad:?}"
        );
    }
    assert!(RequestId::from_string("").is_err());
    assert!(RequestId::from_string("a".repeat(65)).is_err());
    let t = unique("shape");
    assert!(matches!(
        PgSeatPool::open(&mut c, &t),
        Err(Error::TableMissing { .. })
    ));
    assert!(matches!(
        PgSeatPool::create(&mut c, &t, 0),
        Err(Error::ZeroCapacity)
    ));
    let pool = PgSeatPool::create(&mut c, &t, 3).unwrap();
    assert!(matches!(
        PgSeatPool::create(&mut c, &t, 3),
        Err(Error::AlreadyExists { .. })
    ));
    assert_eq!(PgSeatPool::open(&mut c, &t).unwrap().capacity(), 3);
    assert!(matches!(
        PgSeatPool::open_or_create(&mut c, &t, 4),
        Err(Error::CapacityMismatch {
            expected: 4,
            found: 3,
            ..
        })
    ));
    // A seat pool is not a counter, and vice versa.
    assert!(matches!(
        PgCounter::open(&mut c, &t),
        Err(Error::WrongShape { .. })
    ));
    let ct = unique("ctr");
    PgCounter::create(&mut c, &ct, 0).unwrap();
    assert!(matches!(
        PgBoundedCounter::open(&mut c, &ct),
        Err(Error::WrongShape { .. })
    ));
    // A foreign table of the same name, and a newer schema version.
    let foreign = unique("foreign");
    c.batch_execute(&format!(
        "CREATE TABLE t.{} (seat int); COMMENT ON TABLE t.{} IS 'racefree-postgres seat_pool v1 capacity=3'",
        foreign.name(),
        foreign.name()
    ))
    .unwrap();
    assert!(matches!(
        PgSeatPool::open(&mut c, &foreign),
        Err(Error::WrongShape { .. })
    ));
    c.batch_execute(&format!(
        "COMMENT ON TABLE t.{} IS 'racefree-postgres seat_pool v9 capacity=3'",
        t.name()
    ))
    .unwrap();
    assert!(matches!(
        PgSeatPool::open(&mut c, &t),
        Err(Error::WrongShape { detail, .. }) if detail.contains("v9")
    ));
    // The functions are part of the shape: one of another version, or missing,
    // and open refuses; a handle opened before gets WrongShape from the call.
    let cf = unique("ctrfn");
    let before = PgBoundedCounter::create(&mut c, &cf, 0, 5).unwrap();
    c.batch_execute(&format!(
        "COMMENT ON FUNCTION t.{}_sub(text, text, bigint) IS 'racefree-postgres bounded_counter v1'",
        cf.name()
    ))
    .unwrap();
    assert!(matches!(
        PgBoundedCounter::open(&mut c, &cf),
        Err(Error::WrongShape { detail, .. }) if detail.contains("v1")
    ));
    c.batch_execute(&format!(
        "DROP FUNCTION t.{}_sub(text, text, bigint)",
        cf.name()
    ))
    .unwrap();
    assert!(matches!(
        PgBoundedCounter::open(&mut c, &cf),
        Err(Error::WrongShape { detail, .. }) if detail.contains("missing")
    ));
    assert!(matches!(
        before.try_sub(&mut c, 1),
        Err(Error::WrongShape { .. })
    ));
    assert_eq!(before.try_add(&mut c, 1).unwrap(), Ok(0));
    let pf = unique("poolfn");
    PgSeatPool::create(&mut c, &pf, 2).unwrap();
    c.batch_execute(&format!(
        "DROP FUNCTION t.{}_confirm(text, text, text, integer[])",
        pf.name()
    ))
    .unwrap();
    assert!(matches!(
        PgSeatPool::open(&mut c, &pf),
        Err(Error::WrongShape { detail, .. }) if detail.contains("confirm")
    ));
    // The longest name: its functions' names fit PostgreSQL's 63 bytes.
    let long = Table::new("t", &"l".repeat(50)).unwrap();
    let lp = PgSeatPool::create(&mut c, &long, 4).unwrap();
    let lp = PgSeatPool::open(&mut c, lp.table()).unwrap();
    let g = lp.try_reserve_many(&mut c, 2).unwrap().unwrap();
    assert_eq!(lp.confirm(&mut c, g).unwrap().len(), 2);
    let lc = PgCounter::create(&mut c, &Table::new("t", &"m".repeat(50)).unwrap(), 7).unwrap();
    assert_eq!(lc.increment(&mut c).unwrap(), 7);

    // The table dropped under an open handle.
    c.batch_execute(&format!("DROP TABLE t.{}", t.name()))
        .unwrap();
    assert!(matches!(
        pool.try_reserve(&mut c),
        Err(Error::TableMissing { .. })
    ));

    // A role without grants: permission denied, with a clear error.
    let p = PgSeatPool::create(&mut c, &unique("perm"), 2).unwrap();
    c.batch_execute("CREATE ROLE nobody LOGIN; GRANT USAGE ON SCHEMA t TO nobody")
        .unwrap();
    let mut weak = racefree_postgres::connect(&srv.conn_str_as("nobody")).unwrap();
    let e = p.try_reserve(&mut weak).unwrap_err();
    assert!(matches!(e, Error::PermissionDenied(_)), "{e}");
    assert!(e.to_string().contains("permission denied"));

    // Statement timeout: a reserve blocked behind a lock is cancelled, and
    // nothing acted.
    let mut holder = client(&srv);
    let mut tx = holder.transaction().unwrap();
    let _h = p.try_reserve_seat(&mut tx, 0).unwrap().unwrap();
    c.batch_execute("SET statement_timeout = '200ms'").unwrap();
    let e = p.try_reserve_seat(&mut c, 0).unwrap_err();
    assert!(matches!(e, Error::Timeout(_)), "{e}");
    c.batch_execute("SET statement_timeout = 0").unwrap();
    tx.rollback().unwrap();
    assert_eq!(p.available(&mut c).unwrap(), 2);

    // Unreachable server.
    let e = racefree_postgres::connect("host=127.0.0.1 port=1 user=x connect_timeout=2");
    assert!(matches!(e, Err(Error::Unreachable(_))));
}

/// Two calls with one request id at the same moment: the second waits for the
/// first one's reply row, is refused as a whole (its claim rolls back with
/// it), and repeating it returns the first one's answer.
#[test]
fn same_request_id_at_once_acts_once() {
    let srv = server();
    let mut admin = client(&srv);
    let pool = PgSeatPool::create(&mut admin, &unique("dup"), 3).unwrap();
    let rid = RequestId::from_string("twice-at-once").unwrap();
    let mut a = client(&srv);
    let mut b = client(&srv);
    let bpid: i32 = b.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
    let mut tx = a.transaction().unwrap();
    let first = pool.try_reserve_with(&mut tx, &rid).unwrap().unwrap();
    let second = std::thread::scope(|s| {
        let h = s.spawn(|| pool.try_reserve_with(&mut b, &rid));
        // Bounded wait until b waits on a's uncommitted reply row.
        assert!(wait_until(Duration::from_secs(20), || waits_on_lock(
            &mut admin, bpid
        )));
        tx.commit().unwrap();
        h.join().unwrap()
    });
    assert!(
        matches!(&second, Err(Error::RequestInFlight { request_id }) if request_id == rid.as_str()),
        "{second:?}"
    );
    assert_eq!(
        pool.available(&mut admin).unwrap(),
        2,
        "the refused call kept a seat"
    );
    let again = pool.try_reserve_with(&mut b, &rid).unwrap().unwrap();
    assert_eq!(again, first);
}
