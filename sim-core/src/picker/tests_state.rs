//! Bookkeeping outside picking: partials, seeds, full neighbours and misuse panics.
//!
//! Invariant kept by the fixtures: the remote is one of the counted neighbours, and
//! `check_invariants` holds after every step that does not panic on purpose.

use super::tests::{bits, fixture, rarest};
use super::*;
use crate::rng::{Stream, stream};

#[test]
fn abort_keeps_the_largest_partial_and_complete_clears_it() {
    let mut fx = fixture("11", "00", "11", "00");
    fx.peer.begin(0);
    fx.peer.abort(0, 300);
    fx.peer.begin(0);
    fx.peer.abort(0, 100);
    assert_eq!(fx.peer.partial_bytes(0), 300);
    fx.peer.begin(0);
    fx.peer.begin(0);
    assert!(fx.peer.complete(0));
    fx.peer.abort(0, 900);
    assert_eq!(fx.peer.partial_bytes(0), 0, "held pieces keep no partial");
    fx.peer.begin(1);
    fx.peer.abort(1, 0);
    assert_eq!(fx.peer.partial_bytes(1), 0);
    fx.check();
}

#[test]
fn seed_has_everything_and_ignores_neighbours() {
    let mut s = PeerPieces::new_seed(70);
    assert!(s.is_seed() && s.have().is_full() && s.missing() == 0);
    assert_eq!(s.short_have_list(), None, "a seed's list is never short");
    let nb = bits(&"1".repeat(70));
    s.add_neighbour(&nb);
    s.neighbour_has(3);
    assert_eq!(s.availability(3), 0);
    s.remove_neighbour(&nb);
    s.remove_neighbour(&nb);
    assert_eq!(
        s.pick(&rarest(), &nb, None, &mut stream(1, Stream::Picker)),
        None
    );
    s.check_invariants(std::iter::empty())
        .expect("seed invariants");

    // A leecher finishing its last piece drops its counts.
    let mut fx = fixture("21", "10", "11", "01");
    assert!(fx.peer.complete(1));
    assert!(fx.peer.is_seed() && fx.peer.missing() == 0);
    assert_eq!(fx.peer.availability(0), 0);
    fx.peer.remove_neighbour(&fx.neighbours[0]);
    fx.check();
}

#[test]
fn full_neighbour_shift_matches_piecewise_counts() {
    let mut fx = fixture("0121", "0010", "0110", "0000");
    let full = bits("1111");
    let almost = bits("1110");
    for nb in [&full, &almost, &full] {
        fx.peer.add_neighbour(nb);
        fx.neighbours.push(nb.clone());
        fx.check();
    }
    assert_eq!(fx.peer.availability(0), 3);
    for _ in 0..2 {
        fx.peer.remove_neighbour(&full);
        let i = fx
            .neighbours
            .iter()
            .rposition(|n| n == &full)
            .expect("added");
        fx.neighbours.remove(i);
        fx.check();
    }
    assert_eq!(fx.peer.availability(3), 1);
}

#[test]
#[should_panic(expected = "already held")]
fn begin_of_a_held_piece_is_a_bug() {
    fixture("1", "1", "1", "0").peer.begin(0);
}

#[test]
#[should_panic(expected = "not being downloaded")]
fn cancel_without_download_is_a_bug() {
    fixture("1", "0", "1", "0").peer.cancel(0);
}

#[test]
#[should_panic(expected = "would go negative")]
fn removing_an_uncounted_neighbour_is_a_bug() {
    fixture("01", "00", "01", "00")
        .peer
        .remove_neighbour(&bits("10"));
}
