//! The economy's own part of a report: the `economy` object of summary.json, the per-host
//! balances table, the ledger journal and the run-wide time-series values, built from the
//! economy's state and the plain record of the run.
//!
//! Token figures are reported in tokens (decimal), computed from integer µT at the end.

use super::Economy;
use super::channel::ChannelState;
use super::ledger::{Account, Subject};
use super::tokens::{MIB, to_tokens, to_tokens_wide};
use crate::config::Scenario;
use crate::ids::{ChannelId, HostId};
use crate::record::{RunRecord, class_name};
use crate::stats::Stats;
use crate::time::SimTime;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

crate::documented! {
    /// Holdings of one group of hosts at the end.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct BalanceGroup {
        /// Hosts in the group.
        pub hosts: usize,
        /// Their gross holdings at the end, summed, tokens.
        pub total_tokens: f64,
        /// Their mean gross holdings at the end, tokens.
        pub mean_tokens: f64,
    }
}

crate::documented! {
    /// `summary.json` → `economy`.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct EconomySummary {
        /// Hosts that speak the token extension / all hosts.
        pub participants: usize,
        /// Hosts in the run (participants or not).
        pub hosts: usize,
        /// Tokens minted (endowments, faucet), tokens.
        pub minted_tokens: f64,
        /// Tokens that endowments and the faucet would have minted beyond the supply cap
        /// (10¹² tokens); 0 in any sensible scenario.
        pub mint_refused_tokens: f64,
        /// Tokens burned (fees), tokens.
        pub burned_tokens: f64,
        /// Minted − burned at the end.
        pub supply_tokens: f64,
        /// Tokens held in channel escrows at the end.
        pub escrow_tokens: f64,
        /// Tokens in the treasury at the end.
        pub treasury_tokens: f64,
        /// Fees paid (channel opening and settlement), tokens.
        pub fees_tokens: f64,
        /// Tokens paid for delivered pieces.
        pub traded_volume_tokens: f64,
        /// Pieces delivered on a paid slot.
        pub paid_pieces: u64,
        /// Bytes delivered on paid slots.
        pub paid_bytes: u64,
        /// Paid pieces / all piece transfers.
        pub paid_share: Option<f64>,
        /// Payment channels opened.
        pub channels_opened: u64,
        /// Price per MiB of paid pieces, tokens.
        pub price_per_mib: Stats,
        /// Gini coefficient of gross holdings (balance plus channel claims) of participating hosts.
        pub gini: Option<f64>,
        /// Traded volume / mean supply over the run's samples.
        pub velocity: Option<f64>,
        /// Holdings minus tokens minted to the host, participating hosts, tokens.
        pub net_position_tokens: Stats,
        /// Gross holdings at the end of participating hosts, by class (`publisher` for
        /// publishers).
        pub balances_by_class: BTreeMap<String, BalanceGroup>,
        /// Gross holdings at the end of participating hosts, by strategy.
        pub balances_by_strategy: BTreeMap<String, BalanceGroup>,
        /// Tokens earned by each peer that seeded (completed leechers and publishers).
        pub earnings_per_seeder_tokens: Stats,
        /// Seeding time after completion of peers that left before the end having earned while
        /// seeding. Seeders still online at the end are not counted (their seeding time is
        /// censored), which biases it low when many stay to the end.
        pub seeding_time_paid_s: Stats,
        /// Seeding time after completion of peers that left before the end without earning while seeding (censored ones not counted, as above).
        pub seeding_time_unpaid_s: Stats,
        /// Download rate (size / download time) of completed leechers that paid.
        pub download_rate_payers_bytes_per_s: Stats,
        /// Download rate (size / download time) of completed leechers that did not pay.
        pub download_rate_non_payers_bytes_per_s: Stats,
        /// Loans, repayments, defaults and sybils (with `[economy.lending]`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub lending: Option<super::lending_summary::LendingSummary>,
        /// Bounties posted, filled, expired; rewards, tax, refunds; claims and fakes (with
        /// `[economy.bounties]`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub bounties: Option<super::bounty_summary::BountySummary>,
        /// Mirrors, mirror delays, downloads on mirrors, arbitrageurs' fees and revenue (with
        /// arbitrageurs).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub arbitrage: Option<super::bounty_summary::ArbitrageSummary>,
        /// Seed pools by name: books, members' and hoppers' income per epoch, share of
        /// uploads, download times in their torrents (with `[[economy.pools]]`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub pools: Option<BTreeMap<String, super::capital_summary::PoolSummary>>,
        /// Pool members without a pool (seeding solo): their income per epoch, the pools'
        /// comparison.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub solo_seeders: Option<super::capital_summary::MemberIncome>,
        /// Cold storage: holdings, rent, retrievals, restorations, rare content's price,
        /// speculators' return, the catalog's availability (with `[economy.storage]`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub storage: Option<super::capital_summary::StorageSummary>,
    }
}

crate::documented! {
    /// One row per host.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct BalanceRow {
        /// The host's id.
        pub host: u32,
        /// Its bandwidth class (`publisher` for publishers).
        pub class: String,
        /// Strategy name, or `barter` for hosts without the token extension.
        pub strategy: String,
        /// Tokens minted to it (endowment, faucet).
        pub minted_tokens: f64,
        /// Its balance at the end, tokens.
        pub balance_end_tokens: f64,
        /// Balance plus claims held in open channels.
        pub holdings_end_tokens: f64,
        /// Tokens it earned selling.
        pub earned_tokens: f64,
        /// Tokens it spent buying.
        pub spent_tokens: f64,
    }
}

crate::documented! {
    /// One ledger movement.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct JournalRow {
        /// When the movement happened, seconds from the start.
        pub time_s: f64,
        /// Account, or `mint`.
        pub from: String,
        /// Account, or `burn`.
        pub to: String,
        /// Amount moved, tokens.
        pub amount_tokens: f64,
        /// Why (`endowment`, `faucet`, `channel_open`, `settlement`, `fee`, `rent`, `loan`,
        /// `repayment`, …).
        pub reason: &'static str,
        /// The loan a principal or repayment belongs to (runs with `[economy.lending]` only;
        /// empty for other movements).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub loan: Option<Option<u32>>,
        /// The bounty a post, pledge, reward, tax or refund belongs to (runs with
        /// `[economy.bounties]` only; empty for other movements).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub bounty: Option<Option<u32>>,
        /// The seed pool an income, fee, payout or reserve belongs to (runs with
        /// `[[economy.pools]]` only; empty for other movements).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub pool: Option<Option<u32>>,
    }
}

/// The economy's tables.
#[derive(Clone, Debug, PartialEq)]
pub struct EconomyTables {
    pub balances: Vec<BalanceRow>,
    pub journal: Vec<JournalRow>,
    /// One row per loan, and the identity summary (with `[economy.lending]`).
    pub loans: Option<Vec<super::lending_summary::LoanRow>>,
    /// One row per bounty (with `[economy.bounties]`).
    pub bounties: Option<Vec<super::bounty_summary::BountyRow>>,
    pub identity: Option<super::lending_summary::IdentitySummary>,
}

/// Gross holdings per host, µT: balance plus the buyer's part of each open channel's escrow
/// and the seller's claims.
fn holdings(econ: &Economy, hosts: usize) -> Vec<u64> {
    let mut h: Vec<u64> = (0..hosts)
        .map(|i| econ.ledger.balance(Account::Host(HostId(i as u32))))
        .collect();
    for (i, ch) in econ.channels.iter().enumerate() {
        if ch.state == ChannelState::Closed {
            continue;
        }
        let escrow = econ.ledger.balance(Account::Escrow(ChannelId(i as u32)));
        let claims = ch.released + ch.settling;
        h[ch.buyer_host.index()] += escrow - claims;
        h[ch.seller_host.index()] += claims;
    }
    h
}

/// Gini coefficient `ΣΣ|x_i − x_j| / (2 n² μ)` of non-negative values (sorted formula,
/// O(n log n)); `None` for an empty sample or a zero total.
pub fn gini(values: &[u64]) -> Option<f64> {
    let n = values.len();
    let total: u128 = values.iter().map(|&v| v as u128).sum();
    if n == 0 || total == 0 {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    // Σ_i (2i − n − 1) x_i over ascending x (i from 1) = ΣΣ|x_i − x_j| / 2.
    let weighted: i128 = v
        .iter()
        .enumerate()
        .map(|(i, &x)| (2 * (i as i128 + 1) - n as i128 - 1) * x as i128)
        .sum();
    Some(weighted as f64 / (n as f64 * total as f64))
}

fn group(values: impl Iterator<Item = (String, u64)>) -> BTreeMap<String, BalanceGroup> {
    let mut sums: BTreeMap<String, (usize, u128)> = BTreeMap::new();
    for (key, v) in values {
        let e = sums.entry(key).or_default();
        e.0 += 1;
        e.1 += v as u128;
    }
    sums.into_iter()
        .map(|(k, (n, total))| {
            let total = to_tokens_wide(total);
            (
                k,
                BalanceGroup {
                    hosts: n,
                    total_tokens: total,
                    mean_tokens: total / n as f64,
                },
            )
        })
        .collect()
}

/// Builds the economy's summary and tables at the end of a run.
pub fn build(
    scenario: &Scenario,
    econ: &Economy,
    record: &RunRecord,
) -> (EconomySummary, EconomyTables) {
    let (hosts, peers) = (&record.hosts, &record.peers);
    let piece_transfers = record.piece_transfers;
    let held = holdings(econ, hosts.len());
    let participant = |h: usize| econ.hosts[h].strategy.is_some();
    let mut earned = vec![0u64; hosts.len()];
    let mut spent = vec![0u64; hosts.len()];
    for (p, pe) in peers.iter().zip(&econ.peers) {
        earned[p.host.index()] += pe.earned;
        spent[p.host.index()] += pe.spent;
    }
    let balances: Vec<BalanceRow> = hosts
        .iter()
        .enumerate()
        .map(|(i, h)| BalanceRow {
            host: i as u32,
            class: class_name(scenario, h),
            strategy: econ.strategy_name(HostId(i as u32)),
            minted_tokens: to_tokens(econ.hosts[i].minted),
            balance_end_tokens: to_tokens(econ.ledger.balance(Account::Host(HostId(i as u32)))),
            holdings_end_tokens: to_tokens(held[i]),
            earned_tokens: to_tokens(earned[i]),
            spent_tokens: to_tokens(spent[i]),
        })
        .collect();
    let part: Vec<usize> = (0..hosts.len()).filter(|&h| participant(h)).collect();
    let part_holdings: Vec<u64> = part.iter().map(|&h| held[h]).collect();

    let secs = |t: SimTime| t.as_secs_f64();
    let mut seeders = Vec::new();
    let (mut paid_seeding, mut unpaid_seeding) = (Vec::new(), Vec::new());
    let (mut payers, mut non_payers) = (Vec::new(), Vec::new());
    for (p, pe) in peers.iter().zip(&econ.peers) {
        let Some(done) = p.completed_at else { continue };
        seeders.push(to_tokens(pe.earned));
        if p.publisher {
            continue;
        }
        if let Some(left) = p.left_at {
            let t = secs(left) - secs(done);
            if pe.earned_seeding > 0 {
                paid_seeding.push(t);
            } else {
                unpaid_seeding.push(t);
            }
        }
        let d = secs(done) - secs(p.joined_at);
        if d > 0.0 {
            let content = record.torrents[p.torrent.index()].content;
            let rate = scenario.torrents[content.index()].size.0 as f64 / d;
            if pe.spent > 0 {
                payers.push(rate);
            } else {
                non_payers.push(rate);
            }
        }
    }
    let stats = &econ.stats;
    let mean_supply = (stats.samples > 0).then(|| stats.supply_samples / stats.samples as u128);
    let summary = EconomySummary {
        participants: part.len(),
        hosts: hosts.len(),
        minted_tokens: to_tokens_wide(econ.ledger.minted()),
        mint_refused_tokens: to_tokens_wide(econ.ledger.refused()),
        burned_tokens: to_tokens_wide(econ.ledger.burned()),
        supply_tokens: to_tokens_wide(econ.ledger.supply()),
        escrow_tokens: to_tokens_wide(econ.ledger.escrow_total()),
        treasury_tokens: to_tokens(econ.ledger.balance(Account::Treasury)),
        fees_tokens: to_tokens_wide(stats.fees),
        traded_volume_tokens: to_tokens_wide(stats.volume),
        paid_pieces: stats.paid_pieces,
        paid_bytes: stats.paid_bytes,
        paid_share: (piece_transfers > 0)
            .then(|| stats.paid_pieces as f64 / piece_transfers as f64),
        channels_opened: stats.channels_opened,
        price_per_mib: Stats::of(stats.prices.iter().map(|&p| to_tokens(p)).collect()),
        gini: gini(&part_holdings),
        velocity: mean_supply
            .filter(|&m| m > 0)
            .map(|m| stats.volume as f64 / m as f64),
        net_position_tokens: Stats::of(
            part.iter()
                .map(|&h| to_tokens(held[h]) - to_tokens(econ.hosts[h].minted))
                .collect(),
        ),
        balances_by_class: group(
            part.iter()
                .map(|&h| (class_name(scenario, &hosts[h]), held[h])),
        ),
        balances_by_strategy: group(
            part.iter()
                .map(|&h| (econ.strategy_name(HostId(h as u32)), held[h])),
        ),
        earnings_per_seeder_tokens: Stats::of(seeders),
        seeding_time_paid_s: Stats::of(paid_seeding),
        seeding_time_unpaid_s: Stats::of(unpaid_seeding),
        download_rate_payers_bytes_per_s: Stats::of(payers),
        download_rate_non_payers_bytes_per_s: Stats::of(non_payers),
        lending: None,
        bounties: None,
        arbitrage: super::bounty_summary::arbitrage(scenario, econ, record),
        pools: None,
        solo_seeders: None,
        storage: super::capital_summary::storage(scenario, econ, record),
    };
    let (pools, solo_seeders) = super::capital_summary::pools(scenario, econ, record);
    let account = |a: Option<Account>, none: &str| a.map_or(none.to_string(), |a| a.to_string());
    let tags = econ.ledger.tags();
    let mut next_tag = 0;
    let (lending, bounties) = (econ.credit.is_some(), econ.bounties.is_some());
    let has_pools = !econ.pools.is_empty();
    let journal = econ
        .ledger
        .journal()
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let subject = match tags.get(next_tag) {
                Some(&(at, subject)) if at as usize == i => {
                    next_tag += 1;
                    Some(subject)
                }
                _ => None,
            };
            let loan = match subject {
                Some(Subject::Loan(l)) => Some(l.0),
                _ => None,
            };
            let bounty = match subject {
                Some(Subject::Bounty(b)) => Some(b.0),
                _ => None,
            };
            let pool = match subject {
                Some(Subject::Pool(p)) => Some(p.0),
                _ => None,
            };
            JournalRow {
                time_s: secs(e.time),
                from: account(e.from, "mint"),
                to: account(e.to, "burn"),
                amount_tokens: to_tokens(e.amount),
                reason: e.reason.name(),
                loan: lending.then_some(loan),
                bounty: bounties.then_some(bounty),
                pool: has_pools.then_some(pool),
            }
        })
        .collect();
    let mut summary = summary;
    summary.pools = pools;
    summary.solo_seeders = solo_seeders;
    let (loans, identity) = match &econ.credit {
        Some(book) => {
            let (lending, identity, rows) = super::lending_summary::build(econ, book, record);
            summary.lending = Some(lending);
            (Some(rows), Some(identity))
        }
        None => (None, None),
    };
    let bounty_rows = econ.bounties.as_ref().map(|board| {
        let (b, rows) = super::bounty_summary::bounties(scenario, board, record);
        summary.bounties = Some(b);
        rows
    });
    (
        summary,
        EconomyTables {
            balances,
            journal,
            loans,
            bounties: bounty_rows,
            identity,
        },
    )
}

/// Mean price per MiB (tokens) of the bytes paid for since the last sample, if any.
fn interval_price_per_mib(econ: &Economy) -> Option<f64> {
    let s = &econ.stats;
    (s.interval_bytes > 0)
        .then(|| to_tokens_wide(s.interval_volume) * MIB as f64 / s.interval_bytes as f64)
}

impl Economy {
    /// The run-wide time-series values of one sample (torrent column `*`), and the supply
    /// accumulated for velocity. `online` lists the online hosts with their class names, in
    /// host order.
    pub fn sample<'a>(
        &mut self,
        hosts: usize,
        online: impl Iterator<Item = (HostId, Cow<'a, str>)>,
    ) -> Vec<(Cow<'static, str>, f64)> {
        let supply = self.ledger.supply();
        self.stats.supply_samples += supply;
        self.stats.samples += 1;
        let price = interval_price_per_mib(self);
        self.stats.interval_volume = 0;
        self.stats.interval_bytes = 0;
        let stats = &self.stats;
        let mut values: Vec<(Cow<'static, str>, f64)> = vec![
            ("token_supply".into(), to_tokens_wide(supply)),
            (
                "escrow_tokens".into(),
                to_tokens_wide(self.ledger.escrow_total()),
            ),
            (
                "treasury_tokens".into(),
                to_tokens(self.ledger.balance(Account::Treasury)),
            ),
            ("traded_volume_tokens".into(), to_tokens_wide(stats.volume)),
            ("paid_pieces".into(), stats.paid_pieces as f64),
        ];
        if let Some(p) = price {
            values.push(("price_per_mib".into(), p));
        }
        // Mean holdings of the online participating hosts, by class and by strategy.
        let held = holdings(self, hosts);
        let mut groups: BTreeMap<String, (u32, u128)> = BTreeMap::new();
        for (host, class) in online {
            let Some(s) = self.hosts[host.index()].strategy else {
                continue;
            };
            let strategy = &self.config.strategies[s].name;
            for key in [format!("class.{class}"), format!("strategy.{strategy}")] {
                let g = groups.entry(key).or_default();
                g.0 += 1;
                g.1 += held[host.index()] as u128;
            }
        }
        for (key, (n, total)) in groups {
            values.push((
                format!("balance_mean_tokens.{key}").into(),
                to_tokens_wide(total) / f64::from(n),
            ));
        }
        values
    }
}

#[cfg(test)]
mod tests {
    use super::gini;

    #[test]
    fn gini_of_equal_and_concentrated_holdings() {
        assert_eq!(gini(&[5, 5, 5, 5]), Some(0.0));
        // One holder of everything among n: (n − 1) / n.
        assert_eq!(gini(&[0, 0, 0, 8]), Some(0.75));
        // ΣΣ|xi − xj| = 2·(1 + 2 + 1) = 8 for [1, 2, 3]; 8 / (2 · 9 · 2) = 2/9.
        let g = gini(&[3, 1, 2]).unwrap();
        assert!((g - 2.0 / 9.0).abs() < 1e-12, "{g}");
        assert_eq!(gini(&[]), None);
        assert_eq!(gini(&[0, 0]), None);
    }
}
