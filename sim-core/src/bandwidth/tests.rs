//! Unit tests of the flow model: rates, completion arithmetic, crediting at rate changes,
//! generations and id recycling. Each test pins exact integer values.

use super::FlowNetwork;
use crate::ids::{FlowId, HostId};
use crate::time::{SimDuration, SimTime};

const BIG: u64 = 1_000_000_000;

fn secs(s: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_secs(s)
}

fn retimed(net: &mut FlowNetwork) -> Vec<(FlowId, u32, SimTime)> {
    net.drain_retimed()
        .map(|(flow, generation, at, _)| (flow, generation, at))
        .collect()
}

#[test]
fn single_flow_gets_min_of_up_and_down() {
    let mut net = FlowNetwork::new();
    let a = net.add_host(1000, 70);
    let b = net.add_host(300, 500);
    let ab = net.start(SimTime::ZERO, a, b, 1);
    assert_eq!(net.rate(ab), 500, "down-bound would be 500, up 1000");
    let ba = net.start(SimTime::ZERO, b, a, 1);
    assert_eq!(net.rate(ba), 70, "a downloads at 70 while b uploads 300");
    assert_eq!(net.rate(ab), 500, "opposite directions share nothing");
    assert_eq!((net.active_up(a), net.active_down(a)), (1, 1));
    net.check_invariants().expect("invariants");
}

#[test]
fn two_flows_from_one_uploader_split_its_upload() {
    let mut net = FlowNetwork::new();
    let up = net.add_host(1001, BIG);
    let x = net.add_host(BIG, BIG);
    let y = net.add_host(BIG, BIG);
    let f1 = net.start(SimTime::ZERO, up, x, 10);
    assert_eq!(net.rate(f1), 1001);
    let f2 = net.start(SimTime::ZERO, up, y, 10);
    assert_eq!((net.rate(f1), net.rate(f2)), (500, 500), "floor(1001 / 2)");
    assert_eq!(net.active_up(up), 2);
    net.stop(SimTime::ZERO, f2);
    assert_eq!(
        net.rate(f1),
        1001,
        "the survivor gets the whole upload back"
    );
    net.check_invariants().expect("invariants");
}

#[test]
fn downloader_bound_flow_keeps_rate_when_uploader_gains_a_flow() {
    let mut net = FlowNetwork::new();
    let up = net.add_host(1000, BIG);
    let slow = net.add_host(BIG, 100);
    let fast = net.add_host(BIG, BIG);
    let bound = net.start(SimTime::ZERO, up, slow, 1000);
    assert_eq!(net.rate(bound), 100);
    let before = net.completion(bound);
    retimed(&mut net);
    let other = net.start(secs(1), up, fast, 1000);
    assert_eq!(net.rate(bound), 100, "down share 100 < new up share 500");
    assert_eq!(net.rate(other), 500);
    assert_eq!(net.completion(bound), before, "same time and generation");
    let (t, g) = net.completion(other);
    assert_eq!(
        retimed(&mut net),
        vec![(other, g, t)],
        "only the new flow is re-timed"
    );
}

#[test]
fn completion_time_rounds_up_to_the_microsecond() {
    let mut net = FlowNetwork::new();
    let a = net.add_host(125_000, BIG);
    let b = net.add_host(BIG, BIG);
    let f = net.start(SimTime::ZERO, a, b, 262_144);
    // 262144 B at 125000 B/s = 2.097152 s exactly.
    assert_eq!(net.completion(f).0, SimTime(2_097_152));
    assert_eq!(net.delivered(SimTime(2_097_151), f), 262_143);
    assert_eq!(net.stop(SimTime(2_097_152), f), 262_144);

    let c = net.add_host(3, BIG);
    let g = net.start(secs(5), c, b, 1000);
    // 1000 B at 3 B/s = 333.333333… s, rounded up to the next µs.
    let end = SimTime(5_000_000 + 333_333_334);
    assert_eq!(net.completion(g).0, end);
    assert_eq!(
        net.delivered(SimTime(end.0 - 1), g),
        999,
        "not done 1 µs early"
    );
    assert_eq!(net.delivered(end, g), 1000);
    assert_eq!(
        net.delivered(secs(10_000), g),
        1000,
        "capped at the piece size"
    );
}

#[test]
fn progress_is_credited_at_the_old_rate_before_a_change() {
    let mut net = FlowNetwork::new();
    let up = net.add_host(1000, BIG);
    let x = net.add_host(BIG, BIG);
    let y = net.add_host(BIG, BIG);
    let a = net.start(SimTime::ZERO, up, x, 10_000);
    let (t0, g0) = net.completion(a);
    assert_eq!(t0, secs(10));
    retimed(&mut net);
    let b = net.start(secs(1), up, y, 3_000);
    // A ran 1 s at 1000 B/s: 1000 delivered, 9000 left at 500 B/s → 18 s more.
    assert_eq!(net.delivered(secs(1), a), 1000);
    assert_eq!(net.rate(a), 500);
    assert_eq!(net.completion(a), (secs(19), g0 + 1));
    assert_eq!(net.delivered(secs(3), a), 2000);
    let (tb, gb) = net.completion(b);
    assert_eq!(tb, secs(7));
    assert_eq!(retimed(&mut net), vec![(b, gb, tb), (a, g0 + 1, secs(19))]);
    // B stops at 7 s: A has 6000 left and speeds back up to 1000 B/s.
    assert_eq!(net.stop(secs(7), b), 3_000);
    assert_eq!(net.completion(a), (secs(13), g0 + 2));
    assert_eq!(net.delivered(secs(7), a), 4000);
    net.check_invariants().expect("invariants");
}

#[test]
fn stale_generations_are_not_current() {
    let mut net = FlowNetwork::new();
    let a = net.add_host(10, 10);
    let b = net.add_host(10, 10);
    let f = net.start(SimTime::ZERO, a, b, 100);
    let (_, g1) = net.completion(f);
    assert!(net.is_current(f, g1));
    net.restart(secs(1), f, 100);
    let (_, g2) = net.completion(f);
    assert_ne!(g1, g2);
    assert!(!net.is_current(f, g1), "restart supersedes the old event");
    assert!(net.is_current(f, g2));
    net.stop(secs(2), f);
    assert!(
        !net.is_current(f, g2),
        "stopped flows have no current event"
    );
    let again = net.start(secs(2), b, a, 100);
    assert_eq!(again, f, "the slot is recycled");
    let (_, g3) = net.completion(again);
    assert!(net.is_current(again, g3));
    assert!(
        !net.is_current(f, g1) && !net.is_current(f, g2),
        "old occupant's events stay stale"
    );
    assert!(
        !net.is_current(FlowId(99), 0),
        "unknown ids are never current"
    );
}

#[test]
fn restart_leaves_other_flows_untouched() {
    let mut net = FlowNetwork::new();
    let up = net.add_host(900, BIG);
    let hosts: Vec<HostId> = (0..3).map(|_| net.add_host(BIG, 1000)).collect();
    let flows: Vec<FlowId> = hosts
        .iter()
        .map(|&h| net.start(SimTime::ZERO, up, h, 5_000))
        .collect();
    retimed(&mut net);
    let before: Vec<_> = flows.iter().map(|&f| net.completion(f)).collect();
    net.restart(secs(2), flows[1], 6_000);
    let (t, g) = net.completion(flows[1]);
    assert_eq!(t, secs(22), "same rate 300, 6000 B = 20 s from now");
    assert_eq!(g, before[1].1 + 1);
    assert_eq!(
        net.delivered(secs(2), flows[1]),
        0,
        "new piece starts empty"
    );
    assert_eq!(retimed(&mut net), vec![(flows[1], g, t)]);
    assert_eq!(net.completion(flows[0]), before[0]);
    assert_eq!(net.completion(flows[2]), before[2]);
}

#[test]
fn rate_never_drops_below_one() {
    let mut net = FlowNetwork::new();
    let a = net.add_host(1, 1);
    let b = net.add_host(1, 1);
    let f = net.start(SimTime::ZERO, a, b, 2);
    let g = net.start(SimTime::ZERO, a, b, 2);
    assert_eq!((net.rate(f), net.rate(g)), (1, 1));
    assert_eq!(net.completion(f).0, secs(2));
    net.check_invariants().expect("invariants");
}

#[test]
fn ids_are_recycled_last_freed_first() {
    let mut net = FlowNetwork::new();
    let a = net.add_host(10, 10);
    let b = net.add_host(10, 10);
    let ids: Vec<FlowId> = (0..4).map(|_| net.start(SimTime::ZERO, a, b, 1)).collect();
    assert_eq!(ids, (0..4).map(FlowId).collect::<Vec<_>>());
    net.stop(SimTime::ZERO, ids[1]);
    net.stop(SimTime::ZERO, ids[3]);
    assert_eq!(net.active_flows(), 2);
    assert_eq!(net.start(SimTime::ZERO, a, b, 1), ids[3]);
    assert_eq!(net.start(SimTime::ZERO, a, b, 1), ids[1]);
    assert_eq!(net.start(SimTime::ZERO, a, b, 1), FlowId(4));
    net.check_invariants().expect("invariants");
}

#[test]
fn check_invariants_catches_a_wrong_rate() {
    let mut net = FlowNetwork::new();
    let a = net.add_host(100, 100);
    let b = net.add_host(100, 100);
    let f = net.start(SimTime::ZERO, a, b, 1);
    net.check_invariants().expect("consistent before tampering");
    net.flows[f.index()].rate = 99;
    assert!(net.check_invariants().is_err());
}

#[test]
#[should_panic(expected = "is not an active flow")]
fn stopped_flow_has_no_rate() {
    let mut net = FlowNetwork::new();
    let a = net.add_host(100, 100);
    let b = net.add_host(100, 100);
    let f = net.start(SimTime::ZERO, a, b, 1);
    net.stop(SimTime::ZERO, f);
    net.rate(f);
}
