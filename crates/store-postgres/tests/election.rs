//! Electing the one writer of a shared log: a lease row on the database's
//! clock, and fencing terms. A node that holds a live lease cannot be
//! displaced by a campaign; once the lease runs out, the next campaign wins
//! a higher term, and the former writer can neither append nor renew.

// Waiting for the database's clock to pass a lease is bounded by the
// test's own clock.
#![allow(clippy::disallowed_methods)]

mod common;

use std::time::{Duration, Instant};

use corridor_store::{Elector, LogReader, StoreError};
use corridor_store_postgres::{connect, PgLimits};

use common::{batch, checkpoint};

/// Polls the recorded lease until it has run out, with a bound.
fn until_lease_expires(elector: &mut dyn Elector) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while elector.leadership().expect("reads the lease").live {
        assert!(Instant::now() < deadline, "the lease never ran out");
        std::thread::yield_now();
    }
}

#[test]
fn a_live_lease_keeps_the_writer_and_an_expired_one_is_taken_with_a_higher_term() {
    let schema = common::Schema::new("elect");
    let log = connect(&schema.url(), PgLimits::default()).expect("connects");
    let reader = log.reader();
    let mut a = log.elector("http://a", "run-a", Duration::from_millis(300));
    let mut b = log.elector("http://b", "run-b", Duration::from_secs(60));
    let mut leader = a.campaign().expect("campaigns").expect("the free lease is won");
    assert!(b.campaign().expect("campaigns").is_none(), "a live lease is not taken");
    let lead = b.leadership().expect("reads");
    assert_eq!((lead.holder.as_str(), lead.live, lead.term), ("http://a", true, leader.term()));
    leader.append(&batch(0, 2), &checkpoint(2)).expect("the leader appends");
    leader.renew().expect("and renews");

    until_lease_expires(&mut b);
    let mut next = b.campaign().expect("campaigns").expect("the expired lease is won");
    assert!(next.term() > leader.term());
    let err = leader.append(&batch(2, 3), &checkpoint(3)).expect_err("the former leader is fenced");
    assert!(matches!(err, StoreError::Superseded { .. }), "{err}");
    let err = leader.renew().expect_err("and cannot renew");
    assert!(matches!(err, StoreError::Superseded { .. }), "{err}");
    assert_eq!(reader.size().expect("size"), 2, "nothing of the refused batch");
    next.append(&batch(2, 4), &checkpoint(4)).expect("the new leader appends where the log ends");
    assert!(a.campaign().expect("campaigns").is_none(), "the new lease is live");
    assert_eq!(reader.size().expect("size"), 4);
}

#[test]
fn an_append_wakes_a_waiting_follower() {
    let schema = common::Schema::new("notify");
    let log = connect(&schema.url(), PgLimits::default()).expect("connects");
    let mut writer = log
        .elector("http://a", "run-a", Duration::from_secs(60))
        .campaign()
        .expect("campaigns")
        .expect("wins");
    let mut follower = log.elector("http://b", "run-b", Duration::from_secs(60));
    // Listening starts with the first call.
    follower.leadership().expect("reads");
    let waiting = std::thread::spawn(move || {
        let started = Instant::now();
        follower.wait(Duration::from_secs(60)).expect("waits");
        started.elapsed()
    });
    writer.append(&batch(0, 1), &checkpoint(1)).expect("appends");
    let waited = waiting.join().expect("the follower returns");
    assert!(waited < Duration::from_secs(60), "woken by the append's notification, not the timeout");
    assert_eq!(log.reader().size().expect("size"), 1);
}
