//! Content markets in whole runs: arbitrageurs earn only from the target site's audience,
//! and bounties keep the ledger and the board consistent after every event.

use super::{run, scenario};
use sim_core::swarm::Sim;

/// Two releases on a private site; an arbitrageur mirrors them to a public site of
/// `audience`.
fn arbitrage(seed: u64, audience: f64) -> String {
    format!(
        r#"
        name = "arbitrage"
        seed = {seed}
        horizon = "8h"
        sample_interval = "1min"
        [[classes]]
        name = "user"
        share = 1.0
        upload = "2 Mbit/s"
        download = "16 Mbit/s"
        [[sites]]
        name = "private"
        audience = 0.5
        [[sites]]
        name = "public"
        audience = {audience}
        listing_fee = 2.0
        [[agents]]
        kind = "arbitrageur"
        upload = "50 Mbit/s"
        download = "50 Mbit/s"
        capital = 10.0
        strategy = "mirror"
        from = "private"
        to = ["public"]
        selection = {{ kind = "newest", within = "2h", max_torrents = 2 }}
        reselect = "5min"
        [economy]
        endowment = {{ kind = "fixed", tokens = 50.0 }}
        channel = {{ deposit = 2.0, fee = 0.01, open_latency = "10s", settle_latency = "10s", settle_interval = "20min" }}
        [[economy.strategies]]
        name = "user"
        share = 1.0
        pricing = {{ kind = "fixed", tokens_per_mib = 0.01 }}
        bidding = {{ kind = "fixed", tokens_per_mib = 0.05 }}
        [[economy.strategies]]
        name = "mirror"
        share = 0.0
        paid_slots = 3
        pricing = {{ kind = "fixed", tokens_per_mib = 0.02 }}
        bidding = {{ kind = "none" }}
        [[torrents]]
        name = "a"
        size = "32 MiB"
        piece_size = "256 KiB"
        listed_on = ["private"]
        publishers = {{ count = 1, leave_after = "1h" }}
        arrivals = {{ kind = "exponential_decay", lambda0_per_s = 0.02, tau = "30min" }}
        seeding = {{ kind = "exponential", mean = "10min" }}
        [[torrents]]
        name = "b"
        size = "32 MiB"
        piece_size = "256 KiB"
        release = "2h"
        listed_on = ["private"]
        publishers = {{ count = 1, leave_after = "1h" }}
        arrivals = {{ kind = "exponential_decay", lambda0_per_s = 0.02, tau = "30min" }}
        seeding = {{ kind = "exponential", mean = "10min" }}
        "#
    )
}

#[test]
fn an_arbitrageur_earns_only_from_the_target_sites_audience() {
    for seed in 1..=3 {
        let r = run(&scenario(&arbitrage(seed, 2.0)));
        let a = r
            .summary
            .economy
            .as_ref()
            .unwrap()
            .arbitrage
            .clone()
            .unwrap();
        assert_eq!(a.mirrors, 2, "seed {seed}: both releases mirrored");
        assert!(a.downloads_on_mirrors > 20, "seed {seed}: {a:?}");
        assert!(
            a.revenue_tokens > 0.0 && a.listing_fees_tokens == 4.0,
            "seed {seed}: {a:?}"
        );
        assert!(a.mirror_delay_s.count == 2 && a.mirror_delay_s.mean.unwrap() > 0.0);
        // Demand on the public site starts when the content is listed there.
        for t in r
            .summary
            .torrents
            .iter()
            .filter(|t| t.name.ends_with("@public"))
        {
            let listed = t.listing.as_ref().unwrap().listed_s.unwrap();
            let first = r
                .peers
                .iter()
                .filter(|p| p.torrent == t.name && p.class != "arbitrageur")
                .map(|p| p.joined_s)
                .fold(f64::INFINITY, f64::min);
            assert!(
                first >= listed,
                "seed {seed}: {} joined at {first}, listed at {listed}",
                t.name
            );
        }
        // No audience there: the mirrors get nobody and it earns nothing.
        let none = run(&scenario(&arbitrage(seed, 1e-6)));
        let a = none
            .summary
            .economy
            .as_ref()
            .unwrap()
            .arbitrage
            .clone()
            .unwrap();
        assert_eq!(
            (a.arrivals_on_mirrors, a.downloads_on_mirrors),
            (0, 0),
            "seed {seed}"
        );
        assert_eq!(a.mirror_sales_tokens, 0.0, "seed {seed}: {a:?}");
    }
}

/// Two on-demand contents with a bounty each, an honest and a fake uploader, pledging users.
fn bounties(seed: u64) -> String {
    format!(
        r#"
        name = "bounties"
        seed = {seed}
        horizon = "8h"
        sample_interval = "1min"
        [tracker]
        max_connections = 12
        numwant = 8
        min_peers = 4
        [[classes]]
        name = "user"
        share = 1.0
        upload = "2 Mbit/s"
        download = "16 Mbit/s"
        [economy]
        endowment = {{ kind = "fixed", tokens = 5.0 }}
        channel = {{ deposit = 1.0, fee = 0.01, open_latency = "10s", settle_latency = "10s", settle_interval = "20min" }}
        [[economy.strategies]]
        name = "user"
        share = 1.0
        pricing = {{ kind = "fixed", tokens_per_mib = 0.01 }}
        bidding = {{ kind = "fixed", tokens_per_mib = 0.02 }}
        [economy.bounties]
        tax = 0.1
        verification = "30min"
        pledge_per_arrival = 0.5
        [[agents]]
        kind = "requester"
        torrents = ["a", "b"]
        reward = 10.0
        capital = 20.0
        post_at = "10min"
        deadline = "6h"
        [[agents]]
        kind = "uploader"
        torrents = ["a"]
        upload = "10 Mbit/s"
        preparation = "1h"
        min_reward = 5.0
        [[agents]]
        kind = "uploader"
        torrents = ["a", "b"]
        upload = "5 Mbit/s"
        preparation = "5min"
        fake = true
        fake_appeal = 0.5
        min_reward = 1.0
        [[torrents]]
        name = "a"
        size = "8 MiB"
        piece_size = "256 KiB"
        publish = "on_demand"
        arrivals = {{ kind = "poisson", rate_per_s = 0.003 }}
        seeding = {{ kind = "exponential", mean = "20min" }}
        [[torrents]]
        name = "b"
        size = "8 MiB"
        piece_size = "256 KiB"
        publish = "on_demand"
        arrivals = {{ kind = "poisson", rate_per_s = 0.003 }}
        seeding = {{ kind = "exponential", mean = "20min" }}
        "#
    )
}

#[test]
fn bounties_conserve_tokens_after_every_event_and_pay_the_genuine_claim() {
    for seed in 1..=2 {
        let s = scenario(&bounties(seed));
        let mut sim = Sim::new(&s);
        while sim.step() {
            if let Err(e) = sim.check_invariants() {
                panic!(
                    "seed {seed}: after event {} at {}: {e}",
                    sim.events_processed(),
                    sim.now()
                );
            }
        }
        let r = sim.finish();
        let b = r
            .summary
            .economy
            .as_ref()
            .unwrap()
            .bounties
            .clone()
            .unwrap();
        assert_eq!(b.posted, 2);
        assert_eq!(
            (b.filled, b.expired),
            (1, 1),
            "seed {seed}: a is filled, b expires: {b:?}"
        );
        assert!(
            b.fake_claims == 2 && b.fake_claims_rejected >= 1,
            "seed {seed}: {b:?}"
        );
        assert!(b.downloads_wasted_on_fakes > 0 && b.pledged_tokens > 0.0);
        let paid_plus_tax = b.rewards_paid_tokens + b.tax_tokens;
        let funded = b.posted_rewards_tokens + b.pledged_tokens;
        assert!(
            (paid_plus_tax + b.refunds_tokens - funded).abs() < 1e-6,
            "seed {seed}: every token posted or pledged is paid, taxed or refunded: {b:?}"
        );
        assert!(
            (b.tax_tokens - 0.1 * paid_plus_tax).abs() < 1e-5,
            "seed {seed}: 10% tax"
        );
    }
}
