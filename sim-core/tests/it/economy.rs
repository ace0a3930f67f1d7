//! The token economy in whole runs: conservation after every event over many seeds and
//! configurations, determinism, barter fallback, auctions in the engine, economic departure.

use super::{run, scenario};
use sim_core::report::Report;
use sim_core::swarm::Sim;

/// A small swarm with a token market; `economy` is spliced in as the `[economy]` table's
/// body and `seeding` as the torrent's seeding law.
fn market(seed: u64, economy: &str, seeding: &str) -> String {
    format!(
        r#"
        name = "market"
        seed = {seed}
        horizon = "40min"
        sample_interval = "30s"
        [tracker]
        max_connections = 12
        numwant = 8
        min_peers = 4
        [[classes]]
        name = "slow"
        share = 0.6
        upload = "256 kbit/s"
        download = "2 Mbit/s"
        [[classes]]
        name = "fast"
        share = 0.4
        upload = "2 Mbit/s"
        download = "8 Mbit/s"
        [[torrents]]
        name = "a"
        size = "12 MiB"
        piece_size = "256 KiB"
        publishers = {{ count = 1, leave_after = "25min" }}
        arrivals = {{ kind = "flash_crowd", count = 24, window = "5min" }}
        seeding = {seeding}
        abort = {{ mean = "1h" }}
        [economy]
        {economy}
        "#
    )
}

const ECONOMIC_SEEDING: &str = r#"{ kind = "economic", cost_per_hour = { kind = "exponential", mean = 0.5 }, min_time = "1min", max_time = "30min", window = "2min" }"#;

/// Economy configurations covering every policy, both clearing rules, both fee sinks, the
/// faucet, top-ups (small deposits) and mixed participation.
fn economies() -> Vec<&'static str> {
    vec![
        r#"
        endowment = { kind = "uniform", min = 0.0, max = 20.0 }
        channel = { deposit = 0.5, fee = 0.01, open_latency = "5s", settle_latency = "5s", settle_interval = "3min" }
        [[economy.strategies]]
        name = "quote"
        share = 0.5
        paid_slots = 2
        pricing = { kind = "rate_quote", tokens_per_mbit_per_100kbps = 0.01 }
        bidding = { kind = "speed", value_of_time_per_hour = { kind = "lognormal", median = 200.0, sigma = 0.5 } }
        [[economy.strategies]]
        name = "flat"
        share = 0.5
        paid_slots = 1
        reserve_per_mib = { kind = "fixed", tokens = 0.05 }
        pricing = { kind = "fixed", tokens_per_mib = 0.1 }
        bidding = { kind = "fixed", tokens_per_mib = 0.3, budget_share = 0.5 }
        "#,
        r#"
        participation = 0.5
        participation_by_class = { fast = 1.0 }
        clearing = "first_price"
        fees_to = "treasury"
        faucet = { tokens = 1.0, interval = "4min" }
        channel = { deposit = 2.0, fee = 0.05, open_latency = "20s", settle_latency = "30s", settle_interval = "5min" }
        [[economy.strategies]]
        name = "scarce"
        share = 0.6
        pricing = { kind = "scarcity", base_per_mib = 0.05, premium = 3.0, measure = "piece_rarity" }
        bidding = { kind = "speed", value_of_time_per_hour = { kind = "exponential", mean = 100.0 } }
        [[economy.strategies]]
        name = "adaptive"
        share = 0.4
        pricing = { kind = "adaptive", initial_per_mib = 0.1, step = 0.3, max_per_mib = 2.0 }
        bidding = { kind = "fixed", tokens_per_mib = 0.2 }
        "#,
    ]
}

fn step_checked(s: &sim_core::config::Scenario, label: &str) -> Report {
    let mut sim = Sim::new(s);
    while sim.step() {
        if let Err(e) = sim.check_invariants() {
            panic!(
                "{label}: after event {} at {}: {e}",
                sim.events_processed(),
                sim.now()
            );
        }
    }
    sim.finish()
}

#[test]
fn tokens_are_conserved_after_every_event_over_many_seeds() {
    let mut traded = 0;
    for seed in 0..16 {
        for (i, econ) in economies().iter().enumerate() {
            for seeding in [
                ECONOMIC_SEEDING,
                r#"{ kind = "exponential", mean = "4min" }"#,
            ] {
                let s = scenario(&market(seed, econ, seeding));
                let r = step_checked(&s, &format!("seed {seed} economy {i} seeding {seeding}"));
                let e = r.summary.economy.as_ref().expect("economy reported");
                let supply = e.minted_tokens - e.burned_tokens;
                assert!(
                    (supply - e.supply_tokens).abs() < 1e-6,
                    "seed {seed} economy {i}: supply {} vs minted − burned {supply}",
                    e.supply_tokens
                );
                traded += e.paid_pieces;
            }
        }
    }
    assert!(
        traded > 1000,
        "the configurations trade ({traded} paid pieces)"
    );
}

#[test]
fn same_seed_same_economy_and_journal() {
    let s = scenario(&market(3, economies()[0], ECONOMIC_SEEDING));
    let (a, b) = (run(&s), run(&s));
    assert_eq!(a, b);
    let e = a.summary.economy.as_ref().unwrap();
    assert!(e.paid_pieces > 0 && !a.economy.as_ref().unwrap().journal.is_empty());
    let other = run(&scenario(&market(4, economies()[0], ECONOMIC_SEEDING)));
    assert_ne!(
        a.economy, other.economy,
        "different seeds trade differently"
    );
}

#[test]
fn buyers_without_tokens_complete_by_barter() {
    let econ = r#"
        endowment = { kind = "fixed", tokens = 0.0 }
        [[economy.strategies]]
        name = "broke"
        share = 1.0
        pricing = { kind = "fixed", tokens_per_mib = 0.01 }
        bidding = { kind = "speed", value_of_time_per_hour = { kind = "fixed", tokens = 1000.0 } }
    "#;
    let text = market(5, econ, r#"{ kind = "fixed", time = "10min" }"#)
        .replace(r#"abort = { mean = "1h" }"#, "")
        .replace(r#"leave_after = "25min""#, r#"leave_after = "39min""#);
    let r = run(&scenario(&text));
    let t = &r.summary.torrents[0];
    assert_eq!(
        t.completed_downloads, 24,
        "every leecher completes by barter"
    );
    let e = r.summary.economy.as_ref().unwrap();
    assert_eq!((e.paid_pieces, e.channels_opened), (0, 0));
    assert_eq!(e.minted_tokens, 0.0);
}

/// One seed selling its only regular slot; three leechers with fixed bids 0.1, 0.2 and 0.4
/// tokens/MiB who cannot trade with each other (no paid slots of their own, no upload to
/// speak of). The best bid holds the paid slot; second price charges it the next bid.
#[test]
fn best_bid_wins_the_paid_slot_and_pays_the_next_bid() {
    let text = r#"
        name = "auction"
        seed = 9
        horizon = "20min"
        [client.choker]
        profile = "bep3"
        regular_slots = 1
        optimistic_slots = 0
        [[classes]]
        name = "low"
        share = 0.34
        upload = "8 kbit/s"
        download = "8 Mbit/s"
        [[classes]]
        name = "mid"
        share = 0.33
        upload = "8 kbit/s"
        download = "8 Mbit/s"
        [[classes]]
        name = "high"
        share = 0.33
        upload = "8 kbit/s"
        download = "8 Mbit/s"
        [[torrents]]
        name = "a"
        size = "32 MiB"
        piece_size = "256 KiB"
        publishers = { count = 1, upload = "4 Mbit/s", download = "4 Mbit/s" }
        arrivals = { kind = "flash_crowd", count = 30 }
        seeding = { kind = "forever" }
        [economy]
        endowment = { kind = "fixed", tokens = 1000.0 }
        publisher_strategy = "seller"
        clearing = "second_price"
        channel = { open_latency = "1s", deposit = 50.0 }
        [[economy.strategies]]
        name = "seller"
        share = 0.0
        paid_slots = 1
        pricing = { kind = "fixed", tokens_per_mib = 0.05 }
        bidding = { kind = "none" }
        [[economy.strategies]]
        name = "low"
        share = 0.34
        paid_slots = 0
        pricing = { kind = "fixed", tokens_per_mib = 0.0 }
        bidding = { kind = "fixed", tokens_per_mib = 0.1 }
        [[economy.strategies]]
        name = "mid"
        share = 0.33
        paid_slots = 0
        pricing = { kind = "fixed", tokens_per_mib = 0.0 }
        bidding = { kind = "fixed", tokens_per_mib = 0.2 }
        [[economy.strategies]]
        name = "high"
        share = 0.33
        paid_slots = 0
        pricing = { kind = "fixed", tokens_per_mib = 0.0 }
        bidding = { kind = "fixed", tokens_per_mib = 0.4 }
    "#;
    let r = run(&scenario(text));
    let e = r.summary.economy.as_ref().unwrap();
    assert!(
        e.paid_pieces > 20,
        "the seed sells ({} pieces)",
        e.paid_pieces
    );
    // Strategies are drawn independently of classes: find what each bidder bought.
    let bought = |strategy: &str| -> u64 {
        r.peers
            .iter()
            .filter(|p| p.strategy == strategy)
            .map(|p| p.pieces_bought)
            .sum()
    };
    let (low, mid, high) = (bought("low"), bought("mid"), bought("high"));
    assert!(
        high > mid && mid >= low,
        "higher bids buy more: low {low}, mid {mid}, high {high}"
    );
    // While several high bidders compete, the price is their own bid (0.4); when one is left
    // against mid bidders, the next bid (0.2). Never more than 0.4, never below the ask.
    let p = &e.price_per_mib;
    assert!(
        p.p50.unwrap() >= 0.2 - 1e-9 && p.p99.unwrap() <= 0.4 + 1e-9,
        "{p:?}"
    );
    let high_paid: f64 = r
        .peers
        .iter()
        .filter(|p| p.strategy == "high")
        .map(|p| p.tokens_spent)
        .sum();
    let mib = |pieces: u64| pieces as f64 * 0.25;
    assert!(
        high_paid < 0.4 * mib(high) + 1e-6,
        "second price: high bidders pay less than their bids on average ({high_paid} for {} MiB)",
        mib(high)
    );
}

/// A flash crowd with no later arrivals: while leechers buy, seeders earn enough to stay past
/// their minimum seeding time; once everybody is done, earnings dry up and every economic
/// seeder leaves as unprofitable within two earnings windows.
#[test]
fn paid_seeders_leave_when_earnings_dry_up() {
    let econ = r#"
        endowment = { kind = "fixed", tokens = 50.0 }
        [[economy.strategies]]
        name = "quote"
        share = 1.0
        paid_slots = 2
        pricing = { kind = "fixed", tokens_per_mib = 0.5 }
        bidding = { kind = "fixed", tokens_per_mib = 2.0 }
    "#;
    let seeding = r#"{ kind = "economic", cost_per_hour = { kind = "fixed", tokens = 0.1 }, min_time = "1min", max_time = "3h", window = "2min" }"#;
    let text = market(11, econ, seeding)
        .replace(r#"horizon = "40min""#, r#"horizon = "3h""#)
        .replace(r#"abort = { mean = "1h" }"#, "")
        .replace(r#"leave_after = "25min""#, r#"leave_after = "10min""#);
    let r = run(&scenario(&text));
    let last_done = r
        .peers
        .iter()
        .filter_map(|p| p.completed_s.filter(|_| p.class != "publisher"))
        .fold(0.0f64, f64::max);
    let seeders: Vec<_> = r
        .peers
        .iter()
        .filter(|p| p.class != "publisher" && p.completed_s.is_some())
        .collect();
    assert!(seeders.len() >= 20, "most leechers complete");
    let mut stayed_longer = 0;
    for p in &seeders {
        assert_eq!(
            p.leave_reason, "unprofitable",
            "peer {} left for {:?}",
            p.peer, p.leave_reason
        );
        let left = p.left_s.unwrap();
        assert!(
            left <= last_done.max(p.completed_s.unwrap() + 60.0) + 2.0 * 120.0 + 1.0,
            "peer {} left at {left}, last download done at {last_done}",
            p.peer
        );
        if p.seeding_time_s.unwrap() > 61.0 {
            stayed_longer += 1;
            assert!(p.tokens_earned > 0.0, "peer {} stayed unpaid", p.peer);
        }
    }
    assert!(
        stayed_longer > 0,
        "earnings kept some seeders beyond the minimum time"
    );
    assert_eq!(r.summary.torrents[0].seeds_at_end, 0);
}
