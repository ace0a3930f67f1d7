//! Capital in whole runs: seed pools' books against a slow reference rebuilt from their
//! contribution log and against the journal, under every payout scheme, with conservation
//! checked after every event; cold storage's rent exact in integer µT and lost content
//! restored by a speculator after its retrieval delay.

use super::{run, scenario};
use sim_core::config::PayoutScheme;
use sim_core::economy::ledger::{Account, Reason};
use sim_core::economy::pools::{Contribution, Pool};
use sim_core::economy::storage::GB_MONTH_BYTE_MICROS;
use sim_core::ids::{AgentId, PoolId};
use sim_core::swarm::Sim;
use std::collections::BTreeMap;

/// The regression fixture `pool-small` with the pool's `payout`.
fn pools(seed: u64, payout: &str) -> String {
    let text = include_str!("../../../scenarios/regression/pool-small.toml");
    let text = text.replace(
        r#"payout = { kind = "pplns", window = "200 MiB" }"#,
        &format!("payout = {payout}"),
    );
    text.replace("seed = 1\n", &format!("seed = {seed}\n"))
}

/// The slow reference of one epoch's payouts: what the scheme owes each member, from the
/// whole contribution log, the amount to distribute and the pool's balance.
fn reference(
    scheme: &PayoutScheme,
    log: &[Contribution],
    epoch: u32,
    distributable: u64,
    balance: u64,
) -> BTreeMap<AgentId, u64> {
    // Bytes per epoch per member.
    let mut by_epoch: BTreeMap<u32, BTreeMap<AgentId, u128>> = BTreeMap::new();
    for c in log {
        *by_epoch
            .entry(c.epoch)
            .or_default()
            .entry(c.member)
            .or_default() += u128::from(c.bytes);
    }
    let split = |w: &BTreeMap<AgentId, u128>, amount: u64| -> BTreeMap<AgentId, u64> {
        let total: u128 = w.values().sum();
        w.iter()
            .map(|(&a, &x)| (a, (u128::from(amount) * x / total.max(1)) as u64))
            .collect()
    };
    match *scheme {
        PayoutScheme::Proportional => split(
            &by_epoch.get(&epoch).cloned().unwrap_or_default(),
            distributable,
        ),
        PayoutScheme::Pplns { window } => {
            let mut left = u128::from(window.0);
            let mut w: BTreeMap<AgentId, u128> = BTreeMap::new();
            for (_, members) in by_epoch.range(..epoch).rev() {
                let total: u128 = members.values().sum();
                for (&a, &x) in members {
                    let take = if total <= left { x } else { x * left / total };
                    *w.entry(a).or_default() += take;
                }
                left = left.saturating_sub(total);
                if left == 0 {
                    break;
                }
            }
            let counted: u128 = w.values().sum();
            let amount = if counted >= u128::from(window.0) {
                distributable
            } else {
                (u128::from(distributable) * counted / u128::from(window.0)) as u64
            };
            split(&w, amount)
        }
        PayoutScheme::Pps { tokens_per_mib, .. } => {
            let per_mib = (tokens_per_mib * 1e6).round() as u128;
            let owed: BTreeMap<AgentId, u128> = by_epoch
                .get(&epoch)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|(a, x)| (a, (x * per_mib + (1 << 19)) >> 20))
                .collect();
            let total: u128 = owed.values().sum();
            if total <= u128::from(balance) {
                owed.into_iter().map(|(a, x)| (a, x as u64)).collect()
            } else {
                split(&owed, balance)
            }
        }
    }
}

/// Checks every closed epoch of `pool` against the reference, and the books against the
/// journal.
fn check_books(seed: u64, pool: &Pool, id: PoolId, journal: &[sim_core::economy::ledger::Entry]) {
    let scheme = pool.config.payout;
    let mut balance = pool.reserve_minted;
    for (k, e) in pool.epochs.iter().enumerate() {
        let k = k as u32;
        let expected_fee = (e.income as f64 * pool.config.fee).floor() as u64;
        assert_eq!(e.fee, expected_fee, "seed {seed} epoch {k}: the fee");
        balance = balance + e.income - e.fee;
        let distributable = match scheme {
            PayoutScheme::Pps { .. } => e.income - e.fee,
            _ => balance,
        };
        let want = reference(&scheme, &pool.log, k, distributable, balance);
        let got: BTreeMap<AgentId, u64> = e.payouts.iter().copied().collect();
        let want: BTreeMap<AgentId, u64> = want.into_iter().filter(|x| x.1 > 0).collect();
        let got_nonzero: BTreeMap<AgentId, u64> = got.into_iter().filter(|x| x.1 > 0).collect();
        assert_eq!(
            got_nonzero, want,
            "seed {seed} {scheme:?} epoch {k}: payouts"
        );
        balance -= e.payouts.iter().map(|p| p.1).sum::<u64>();
    }
    // The journal: what came in, the fees, what each member was paid.
    let pool_account = Account::Pool(id);
    let income: u64 = journal
        .iter()
        .filter(|x| x.reason == Reason::PoolIncome && x.to == Some(pool_account))
        .map(|x| x.amount)
        .sum();
    let booked: u64 = pool.epochs.iter().map(|e| e.income).sum::<u64>() + pool.income_now;
    assert_eq!(
        income, booked,
        "seed {seed}: income in the journal and the books"
    );
    let mut paid: BTreeMap<AgentId, u64> = BTreeMap::new();
    for x in journal
        .iter()
        .filter(|x| x.reason == Reason::PoolPayout && x.from == Some(pool_account))
    {
        let Some(Account::Agent(a)) = x.to else {
            panic!("a payout to {:?}", x.to)
        };
        *paid.entry(a).or_default() += x.amount;
    }
    let mut booked: BTreeMap<AgentId, u64> = BTreeMap::new();
    for e in &pool.epochs {
        for &(a, x) in e.payouts.iter().filter(|p| p.1 > 0) {
            *booked.entry(a).or_default() += x;
        }
    }
    assert_eq!(
        paid, booked,
        "seed {seed}: payouts in the journal and the books"
    );
}

#[test]
fn pool_books_match_a_slow_reference_and_conserve_tokens_after_every_event() {
    let schemes = [
        r#"{ kind = "proportional" }"#,
        r#"{ kind = "pplns", window = "200 MiB" }"#,
        r#"{ kind = "pps", tokens_per_mib = 0.02, reserve = 1.0 }"#,
    ];
    for payout in schemes {
        for seed in 1..=2 {
            let s = scenario(&pools(seed, payout));
            let mut sim = Sim::new(&s);
            while sim.step() {
                if let Err(e) = sim.check_invariants() {
                    panic!(
                        "{payout} seed {seed}: after event {} at {}: {e}",
                        sim.events_processed(),
                        sim.now()
                    );
                }
            }
            let econ = sim.economy().unwrap();
            let pool = &econ.pools()[0];
            assert!(pool.epochs.len() >= 15, "{payout} seed {seed}: epochs ran");
            assert!(
                pool.epochs
                    .iter()
                    .any(|e| e.payouts.iter().any(|p| p.1 > 0)),
                "{payout} seed {seed}: members were paid"
            );
            check_books(seed, pool, PoolId(0), econ.ledger().journal());
            let r = sim.finish();
            let p = &r.summary.economy.as_ref().unwrap().pools.as_ref().unwrap()["small-pool"];
            // Closing the last epoch pays out everything but PPS's reserve left and rounding.
            if !payout.contains("pps") {
                assert!(p.balance_end_tokens < 1e-3, "{payout} seed {seed}: {p:?}");
            }
            assert!(p.upload_share.unwrap() > 0.0 && p.members == 6);
        }
    }
}

/// A pool of identical members shares out the lottery of solo seeding: income across
/// members varies far less in the pool than among solo seeders betting on one release each.
#[test]
fn a_pool_evens_out_its_members_income() {
    for seed in 1..=3 {
        let r = run(&scenario(&pools(seed, r#"{ kind = "proportional" }"#)));
        let e = r.summary.economy.as_ref().unwrap();
        let members = &e.pools.as_ref().unwrap()["small-pool"].members_income;
        let solo = e.solo_seeders.as_ref().unwrap();
        let (m, s) = (
            members.income_cv_across_seeders.unwrap(),
            solo.income_cv_across_seeders.unwrap(),
        );
        assert!(
            m < 0.5 * s,
            "seed {seed}: across members {m}, across solo seeders {s}"
        );
    }
}

/// The regression fixture `storage-small`.
fn storage(seed: u64) -> String {
    include_str!("../../../scenarios/regression/storage-small.toml")
        .replace("seed = 1\n", &format!("seed = {seed}\n"))
}

#[test]
fn rent_is_exact_and_a_speculator_restores_lost_content_after_its_retrieval_delay() {
    for seed in 1..=3 {
        let s = scenario(&storage(seed));
        let delay = s
            .economy
            .as_ref()
            .unwrap()
            .storage
            .unwrap()
            .retrieval_delay
            .0;
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
        let econ = sim.economy().unwrap();
        let book = econ.storage().unwrap();
        assert!(!book.holdings.is_empty(), "seed {seed}: it stored content");
        // Every retrieval done took exactly the delay.
        let mut done = Vec::new();
        for r in &book.retrievals {
            if let Some(ready) = r.ready_at {
                assert_eq!(ready.since(r.asked_at), delay, "seed {seed}: {r:?}");
                done.push((r.listing, ready));
            }
        }
        assert!(!done.is_empty(), "seed {seed}: some content was retrieved");
        // Rent, billed to the run's end, is the exact floor of bytes × rate × time held.
        let rate = u128::from(book.rate);
        let holdings: Vec<_> = book.holdings.clone();
        let horizon = s.horizon.0;
        let burned: u64 = econ
            .ledger()
            .journal()
            .iter()
            .filter(|x| x.reason == Reason::StorageRent)
            .map(|x| x.amount)
            .sum();
        let billed: u64 = holdings.iter().map(|h| h.rent_billed - h.rent_unpaid).sum();
        assert_eq!(
            burned, billed,
            "seed {seed}: rent in the journal and the books"
        );
        let r = sim.finish();
        let end = sim_core::time::SimTime::ZERO + horizon;
        let exact: u64 = holdings
            .iter()
            .map(|h| {
                let held = u128::from(h.ended_at.unwrap_or(end).since(h.since).as_micros());
                (u128::from(h.bytes) * rate * held / GB_MONTH_BYTE_MICROS) as u64
            })
            .sum();
        let st = r.summary.economy.as_ref().unwrap().storage.clone().unwrap();
        assert!(
            ((st.rent_tokens + st.rent_unpaid_tokens) - exact as f64 / 1e6).abs() < 1e-9,
            "seed {seed}: rent {} + {} tokens, exact {exact} µT",
            st.rent_tokens,
            st.rent_unpaid_tokens
        );
        // The content came back: the speculator's seed joined at the retrieval's end and
        // ended an unavailable episode.
        assert!(st.restorations >= 1, "seed {seed}: {st:?}");
        for (listing, ready) in done {
            let name = &r.summary.torrents[listing.index()].name;
            assert!(
                r.peers.iter().any(|p| &p.torrent == name
                    && p.class == "speculator"
                    && (p.joined_s - ready.as_secs_f64()).abs() < 1e-6),
                "seed {seed}: the speculator seeds {name} from {ready}"
            );
        }
        // Without the speculator the catalog stays lost longer.
        let none = run(&scenario(&storage(seed).replace(
            "kind = \"speculator\"\n",
            "kind = \"speculator\"\ncount = 0\n",
        )));
        let share = |r: &sim_core::report::Report| {
            r.summary
                .economy
                .as_ref()
                .unwrap()
                .storage
                .as_ref()
                .unwrap()
                .available_share
                .mean
                .unwrap()
        };
        assert!(
            share(&r) > share(&none),
            "seed {seed}: {} vs {}",
            share(&r),
            share(&none)
        );
    }
}
