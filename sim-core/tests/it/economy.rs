//! The token economy in whole runs: conservation after every event over many seeds and
//! configurations, determinism, barter fallback, auctions in the engine, economic departure.

use super::{run, run_checked, scenario};
use sim_core::report::Report;

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
                let r = run_checked(&s, &format!("seed {seed} economy {i} seeding {seeding}"));
                let e = r.summary.economy.as_ref().expect("economy reported");
                // The report's holdings (balances plus channel claims) and the treasury
                // account for every token in existence.
                let held: f64 = r
                    .economy
                    .as_ref()
                    .unwrap()
                    .balances
                    .iter()
                    .map(|b| b.holdings_end_tokens)
                    .sum();
                assert!(
                    (held + e.treasury_tokens - e.supply_tokens).abs() < 1e-6,
                    "seed {seed} economy {i}: holdings {held} + treasury {} vs supply {}",
                    e.treasury_tokens,
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

/// One seed selling its only regular slot to leechers with fixed bids of 0.1, 0.2 and 0.4
/// tokens/MiB who cannot trade with each other (no paid slots of their own, almost no upload).
fn auction_scenario(seed: u64, clearing: &str, leechers: u32) -> String {
    format!(
        r#"
        name = "auction"
        seed = {seed}
        horizon = "20min"
        [client.choker]
        profile = "bep3"
        regular_slots = 1
        optimistic_slots = 0
        [[classes]]
        name = "all"
        share = 1.0
        upload = "8 kbit/s"
        download = "8 Mbit/s"
        [[torrents]]
        name = "a"
        size = "32 MiB"
        piece_size = "256 KiB"
        publishers = {{ count = 1, upload = "4 Mbit/s", download = "4 Mbit/s" }}
        arrivals = {{ kind = "flash_crowd", count = {leechers} }}
        seeding = {{ kind = "forever" }}
        [economy]
        endowment = {{ kind = "fixed", tokens = 1000.0 }}
        publisher_strategy = "seller"
        clearing = "{clearing}"
        channel = {{ open_latency = "1s", deposit = 50.0 }}
        [[economy.strategies]]
        name = "seller"
        share = 0.0
        paid_slots = 1
        pricing = {{ kind = "fixed", tokens_per_mib = 0.05 }}
        bidding = {{ kind = "none" }}
        [[economy.strategies]]
        name = "low"
        share = 0.34
        paid_slots = 0
        pricing = {{ kind = "fixed", tokens_per_mib = 0.0 }}
        bidding = {{ kind = "fixed", tokens_per_mib = 0.1 }}
        [[economy.strategies]]
        name = "mid"
        share = 0.33
        paid_slots = 0
        pricing = {{ kind = "fixed", tokens_per_mib = 0.0 }}
        bidding = {{ kind = "fixed", tokens_per_mib = 0.2 }}
        [[economy.strategies]]
        name = "high"
        share = 0.33
        paid_slots = 0
        pricing = {{ kind = "fixed", tokens_per_mib = 0.0 }}
        bidding = {{ kind = "fixed", tokens_per_mib = 0.4 }}
        "#
    )
}

fn bought(r: &Report, strategy: &str) -> (u64, f64) {
    r.peers
        .iter()
        .filter(|p| p.strategy == strategy)
        .fold((0, 0.0), |(n, t), p| {
            (n + p.pieces_bought, t + p.tokens_spent)
        })
}

/// The best bids win: with ten bidders per level, the high bidders buy most, then the mid
/// ones, then the low ones (each level waits for the one above to finish).
#[test]
fn higher_bids_buy_paid_slots_first() {
    let r = run(&scenario(&auction_scenario(9, "second_price", 30)));
    let e = r.summary.economy.as_ref().unwrap();
    assert!(
        e.paid_pieces > 20,
        "the seed sells ({} pieces)",
        e.paid_pieces
    );
    let (low, mid, high) = (
        bought(&r, "low").0,
        bought(&r, "mid").0,
        bought(&r, "high").0,
    );
    assert!(
        high > mid && mid > low,
        "higher bids buy more: low {low}, mid {mid}, high {high}"
    );
}

/// One high bidder (0.4) against mid bidders (0.2): under second price it pays the best
/// losing bid, 0.2 per MiB; under first price its own, 0.4. The population is the same under
/// both rules (host draws do not depend on the auction), so only the clearing rule differs.
#[test]
fn second_price_charges_the_next_bid_and_first_price_the_own_bid() {
    let strategies = |r: &Report, name: &str| r.peers.iter().filter(|p| p.strategy == name).count();
    let seed = (1..200)
        .find(|&seed| {
            let r = run(&scenario(&auction_scenario(seed, "second_price", 6)));
            strategies(&r, "high") == 1 && strategies(&r, "mid") >= 2
        })
        .expect("some seed draws one high and two mid bidders among six");
    let per_mib = |clearing: &str| {
        let r = run(&scenario(&auction_scenario(seed, clearing, 6)));
        let (pieces, spent) = bought(&r, "high");
        assert!(
            pieces > 40,
            "seed {seed} {clearing}: the high bidder buys ({pieces})"
        );
        spent / (pieces as f64 * 0.25)
    };
    let (second, first) = (per_mib("second_price"), per_mib("first_price"));
    assert!(
        (0.2..0.2 * 1.05).contains(&second),
        "seed {seed}: second price paid {second} per MiB"
    );
    assert!(
        (0.4..0.4 * 1.05).contains(&first),
        "seed {seed}: first price paid {first} per MiB"
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

/// A seeder with no cost of staying stays until `max_time`, even with `min_time` 0.
#[test]
fn free_economic_seeders_stay_until_max_time() {
    let econ = r#"
        [[economy.strategies]]
        name = "s"
        share = 1.0
        pricing = { kind = "fixed", tokens_per_mib = 0.1 }
        bidding = { kind = "none" }
    "#;
    let seeding = r#"{ kind = "economic", cost_per_hour = { kind = "fixed", tokens = 0.0 }, min_time = "0s", max_time = "5min", window = "1min" }"#;
    let r = run(&scenario(&market(2, econ, seeding)));
    let seeders: Vec<_> = r
        .peers
        .iter()
        .filter(|p| p.class != "publisher" && p.left_s.is_some() && p.completed_s.is_some())
        .collect();
    assert!(!seeders.is_empty());
    for p in seeders {
        assert_eq!(p.leave_reason, "seeding_over", "peer {}", p.peer);
        assert!(
            (p.seeding_time_s.unwrap() - 300.0).abs() < 1e-6,
            "peer {}",
            p.peer
        );
    }
}
