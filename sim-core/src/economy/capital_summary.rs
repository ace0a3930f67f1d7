//! Capital's part of a report: `economy.pools` (each pool's books, its members' income per
//! epoch against solo seeders', hoppers' gain, the pool's share of uploads and the download
//! time in its torrents) and `economy.storage` (holdings, rent, retrievals, restorations,
//! prices of rare content, speculators' return, availability of the catalog).
//!
//! Income per epoch is rebuilt from the journal: a member's epoch income is what its hosts
//! received in settlements (less what went on to its pool) plus its pool's payouts, in the
//! epoch `(k·epoch, (k+1)·epoch]` (payouts at an epoch's end count for that epoch).
//!
//! Invariant: figures are in tokens from integer µT at the end; an empty sample gives `None`
//! or an empty `Stats`, never a dropped value.

use super::Economy;
use super::ledger::{Account, Reason};
use super::storage::GB_MONTH_BYTE_MICROS;
use super::tokens::{MIB, to_tokens, to_tokens_wide};
use crate::config::{AgentConfig, Scenario};
use crate::ids::{AgentId, HostId, PeerId, TorrentId};
use crate::record::RunRecord;
use crate::stats::Stats;
use crate::time::SimTime;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

const GIB: f64 = (1u64 << 30) as f64;

crate::documented! {
    /// Income per epoch of a group of seeders (`economy.pools.<pool>.members`, `.hoppers`,
    /// `economy.solo_seeders`).
    #[derive(Clone, Debug, Default, PartialEq, Serialize)]
    pub struct MemberIncome {
        /// Seeders in the group.
        pub seeders: u64,
        /// Mean over the seeders of their mean income per epoch, tokens.
        pub epoch_income_mean_tokens: Option<f64>,
        /// Mean over the seeders of the standard deviation of their income per epoch, tokens.
        pub epoch_income_sd_tokens: Option<f64>,
        /// Mean over the seeders of their income's coefficient of variation (sd / mean per
        /// epoch; seeders that earned nothing are left out of this mean only).
        pub epoch_income_cv: Option<f64>,
        /// Coefficient of variation of their total incomes across the seeders (sd / mean over
        /// the group: how unequal the same work pays).
        pub income_cv_across_seeders: Option<f64>,
        /// Their income over the bytes they uploaded, tokens per GiB.
        pub income_per_gib_tokens: Option<f64>,
        /// Bytes they uploaded.
        pub uploaded_bytes: u64,
    }
}

crate::documented! {
    /// One seed pool (`economy.pools.<name>`).
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct PoolSummary {
        /// `proportional`, `pplns` or `pps`.
        pub payout: &'static str,
        /// Members that ever joined (hoppers included).
        pub members: u64,
        /// Epochs closed (the last, partial one at the end included).
        pub epochs: u64,
        /// Listings its members joined while in the pool.
        pub selected_listings: u64,
        /// Bytes its members uploaded while in the pool (the contribution log).
        pub uploaded_bytes: u64,
        /// Its members' contributions over all bytes uploaded in the run.
        pub upload_share: Option<f64>,
        /// Its members' settlements routed to it, tokens.
        pub income_tokens: f64,
        /// The operator's fee (to the treasury), tokens.
        pub fees_tokens: f64,
        /// Paid to its members, tokens.
        pub payouts_tokens: f64,
        /// PPS: the reserve minted at the start, tokens.
        pub reserve_minted_tokens: f64,
        /// Its account at the end (reserve left, income not paid), tokens.
        pub balance_end_tokens: f64,
        /// PPS: what it owed its members and could not pay, tokens.
        pub shortfall_tokens: f64,
        /// Epochs with a shortfall.
        pub shortfall_epochs: u64,
        /// Its steady (not hopping) members' income per epoch.
        pub members_income: MemberIncome,
        /// Its hoppers' income per epoch (in and out of the pool).
        pub hoppers_income: MemberIncome,
        /// Hoppers' income per GiB over steady members' − 1 (the gain from hopping).
        pub hopping_gain: Option<f64>,
        /// Download time of users' completed downloads that began while a member of the pool
        /// was in the listing.
        pub download_time_with_pool_s: Stats,
        /// Download time of users' completed downloads that began with no member of the pool
        /// in the listing.
        pub download_time_without_pool_s: Stats,
    }
}

crate::documented! {
    /// Cold storage and speculators (`economy.storage`).
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct StorageSummary {
        /// Holdings ever started.
        pub holdings: u64,
        /// Holdings still active at the end.
        pub holdings_at_end: u64,
        /// Holdings released by their agent.
        pub released: u64,
        /// Holdings evicted because their agent could not pay the rent.
        pub evicted: u64,
        /// Content held, GB-months (10⁹ bytes × 30 days).
        pub held_gb_months: f64,
        /// Rent paid (burned), tokens.
        pub rent_tokens: f64,
        /// Rent billed and not paid (at evictions), tokens.
        pub rent_unpaid_tokens: f64,
        /// Retrievals asked for.
        pub retrievals: u64,
        /// Retrievals done (the content was seedable again).
        pub retrievals_done: u64,
        /// Unavailable episodes ended by a retrieved seed (a full copy online again).
        pub restorations: u64,
        /// Over restorations: from the loss to the restoration, seconds.
        pub unavailable_before_restoration_s: Stats,
        /// Sales of the seed each done retrieval brought, tokens.
        pub revenue_per_retrieval_tokens: Stats,
        /// Speculators' sales over the bytes they were paid for, tokens per MiB (rare
        /// content's price).
        pub price_rare_per_mib_tokens: Option<f64>,
        /// Every other seller's sales over its paid bytes, tokens per MiB.
        pub price_ordinary_per_mib_tokens: Option<f64>,
        /// Speculators: rent paid plus what their hosts spent buying, tokens.
        pub speculators_cost_tokens: f64,
        /// Speculators: their hosts' sales, tokens.
        pub speculators_revenue_tokens: f64,
        /// Speculators' (revenue − cost) / cost.
        pub speculators_return_on_cost: Option<f64>,
        /// Over genuine listings that were ever available: the share of the time from first
        /// availability to the end with a full copy online.
        pub available_share: Stats,
        /// Genuine listings without a full copy online at the end.
        pub lost_at_end: u64,
        /// Restorations of any listing (by anyone).
        pub restorations_all: u64,
    }
}

/// The pool (index, hopper) and epoch of every `pool_member` agent, in id order.
fn members(scenario: &Scenario) -> Vec<(AgentId, Option<usize>, bool, SimTime)> {
    let pools = scenario.economy.as_ref().map_or(&[][..], |e| &e.pools[..]);
    let mut out = Vec::new();
    let mut id = 0u32;
    for a in &scenario.agents {
        for _ in 0..a.count() {
            if let AgentConfig::PoolMember {
                pool,
                epoch,
                hopper,
                ..
            } = a
            {
                let p = pool
                    .as_ref()
                    .and_then(|n| pools.iter().position(|q| &q.name == n));
                let e = p.map_or(epoch.0, |i| pools[i].epoch.0);
                out.push((AgentId(id), p, *hopper, SimTime::ZERO + e));
            }
            id += 1;
        }
    }
    out
}

/// Each agent's hosts.
fn hosts_of(record: &RunRecord) -> BTreeMap<AgentId, Vec<HostId>> {
    let mut m: BTreeMap<AgentId, Vec<HostId>> = BTreeMap::new();
    for (i, h) in record.hosts.iter().enumerate() {
        if let Some((a, _)) = h.owner {
            m.entry(a).or_default().push(HostId(i as u32));
        }
    }
    m
}

/// Income per epoch of `agent` (hosts `hosts`) from the journal: settlements to its hosts,
/// less what they passed to a pool, plus pool payouts to it, µT per epoch.
fn epoch_incomes(
    econ: &Economy,
    agent: AgentId,
    hosts: &[HostId],
    epoch: u64,
    end: SimTime,
) -> Vec<i128> {
    let n = end.0.div_ceil(epoch.max(1)).max(1) as usize;
    let mut v = vec![0i128; n];
    let bucket = |t: SimTime| (t.0.saturating_sub(1) / epoch.max(1)) as usize;
    let mine = |a: Option<Account>| matches!(a, Some(Account::Host(h)) if hosts.contains(&h));
    for e in econ.ledger.journal() {
        let k = bucket(e.time).min(n - 1);
        match e.reason {
            Reason::Settlement if mine(e.to) => v[k] += i128::from(e.amount),
            Reason::PoolIncome if mine(e.from) => v[k] -= i128::from(e.amount),
            Reason::PoolPayout if e.to == Some(Account::Agent(agent)) => {
                v[k] += i128::from(e.amount)
            }
            _ => {}
        }
    }
    v
}

/// The income statistics of a group: (agent, epoch incomes µT, bytes uploaded).
fn income_of(group: &[(Vec<i128>, u64)]) -> MemberIncome {
    let mut means = Vec::new();
    let mut sds = Vec::new();
    let mut cvs = Vec::new();
    let mut totals = Vec::new();
    let (mut total, mut bytes) = (0i128, 0u64);
    for (v, up) in group {
        let n = v.len() as f64;
        let tokens: Vec<f64> = v.iter().map(|&x| x as f64 / 1e6).collect();
        let mean = tokens.iter().sum::<f64>() / n;
        let var = tokens.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        means.push(mean);
        sds.push(var.sqrt());
        if mean > 0.0 {
            cvs.push(var.sqrt() / mean);
        }
        total += v.iter().sum::<i128>();
        totals.push(v.iter().sum::<i128>() as f64 / 1e6);
        bytes += up;
    }
    let across = (!totals.is_empty()).then(|| {
        let n = totals.len() as f64;
        let mean = totals.iter().sum::<f64>() / n;
        let var = totals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        (mean > 0.0).then(|| var.sqrt() / mean)
    });
    let avg = |x: &[f64]| (!x.is_empty()).then(|| x.iter().sum::<f64>() / x.len() as f64);
    MemberIncome {
        seeders: group.len() as u64,
        epoch_income_mean_tokens: avg(&means),
        epoch_income_sd_tokens: avg(&sds),
        epoch_income_cv: avg(&cvs),
        income_cv_across_seeders: across.flatten(),
        income_per_gib_tokens: (bytes > 0).then(|| total as f64 / 1e6 * GIB / bytes as f64),
        uploaded_bytes: bytes,
    }
}

/// Bytes uploaded by the peers of `hosts`.
fn uploaded(record: &RunRecord, hosts: &[HostId]) -> u64 {
    record
        .peers
        .iter()
        .filter(|p| hosts.contains(&p.host))
        .map(|p| p.bytes_uploaded)
        .sum()
}

/// Users' completed download times, split by whether a peer of `members` (hosts) was in the
/// listing when the download began.
fn download_times(record: &RunRecord, members: &BTreeSet<HostId>) -> (Stats, Stats) {
    let mut present: BTreeMap<TorrentId, Vec<(SimTime, SimTime)>> = BTreeMap::new();
    for p in record.peers.iter().filter(|p| members.contains(&p.host)) {
        present
            .entry(p.torrent)
            .or_default()
            .push((p.joined_at, p.left_at.unwrap_or(record.end)));
    }
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for p in &record.peers {
        let Some(done) = p.completed_at else { continue };
        if p.publisher || record.hosts[p.host.index()].owner.is_some() {
            continue;
        }
        let t = done.since(p.joined_at).as_secs_f64();
        let pooled = present
            .get(&p.torrent)
            .is_some_and(|v| v.iter().any(|&(a, b)| a <= p.joined_at && p.joined_at < b));
        if pooled {
            with.push(t);
        } else {
            without.push(t);
        }
    }
    (Stats::of(with), Stats::of(without))
}

/// `economy.pools` (by name) and `economy.solo_seeders`, if the run has pools or solo
/// seeders.
pub fn pools(
    scenario: &Scenario,
    econ: &Economy,
    record: &RunRecord,
) -> (Option<BTreeMap<String, PoolSummary>>, Option<MemberIncome>) {
    let roster = members(scenario);
    let hosts = hosts_of(record);
    let none = Vec::new();
    let incomes = |agent: AgentId, epoch: SimTime| {
        let h = hosts.get(&agent).unwrap_or(&none);
        (
            epoch_incomes(econ, agent, h, epoch.0, record.end),
            uploaded(record, h),
        )
    };
    let solo: Vec<(Vec<i128>, u64)> = roster
        .iter()
        .filter(|m| m.1.is_none())
        .map(|m| incomes(m.0, m.3))
        .collect();
    let solo = (!solo.is_empty()).then(|| income_of(&solo));
    if econ.pools().is_empty() {
        return (None, solo);
    }
    let all_uploaded: u64 = record.peers.iter().map(|p| p.bytes_uploaded).sum();
    let mut out = BTreeMap::new();
    for (i, pool) in econ.pools().iter().enumerate() {
        let group = |hopper: bool| -> Vec<(Vec<i128>, u64)> {
            roster
                .iter()
                .filter(|m| m.1 == Some(i) && m.2 == hopper)
                .map(|m| incomes(m.0, m.3))
                .collect()
        };
        let (steady, hoppers) = (income_of(&group(false)), income_of(&group(true)));
        let hopping_gain = match (hoppers.income_per_gib_tokens, steady.income_per_gib_tokens) {
            (Some(h), Some(s)) if s > 0.0 => Some(h / s - 1.0),
            _ => None,
        };
        let contributed: u64 = pool.log.iter().map(|c| c.bytes).sum();
        let sum = |f: &dyn Fn(&super::pools::EpochBooks) -> u64| -> u128 {
            pool.epochs.iter().map(|e| u128::from(f(e))).sum()
        };
        let member_hosts: BTreeSet<HostId> = pool.members.iter().map(|m| m.host).collect();
        let (with, without) = download_times(record, &member_hosts);
        out.insert(
            pool.config.name.clone(),
            PoolSummary {
                payout: match pool.config.payout {
                    crate::config::PayoutScheme::Proportional => "proportional",
                    crate::config::PayoutScheme::Pplns { .. } => "pplns",
                    crate::config::PayoutScheme::Pps { .. } => "pps",
                },
                members: pool.members.len() as u64,
                epochs: pool.epochs.len() as u64,
                selected_listings: pool.selected.len() as u64,
                uploaded_bytes: contributed,
                upload_share: (all_uploaded > 0).then(|| contributed as f64 / all_uploaded as f64),
                income_tokens: to_tokens_wide(sum(&|e| e.income)),
                fees_tokens: to_tokens_wide(sum(&|e| e.fee)),
                payouts_tokens: to_tokens_wide(sum(&|e| e.payouts.iter().map(|p| p.1).sum())),
                reserve_minted_tokens: to_tokens(pool.reserve_minted),
                balance_end_tokens: to_tokens(
                    econ.ledger
                        .balance(Account::Pool(crate::ids::PoolId(i as u32))),
                ),
                shortfall_tokens: to_tokens_wide(sum(&|e| e.shortfall)),
                shortfall_epochs: pool.epochs.iter().filter(|e| e.shortfall > 0).count() as u64,
                members_income: steady,
                hoppers_income: hoppers,
                hopping_gain,
                download_time_with_pool_s: with,
                download_time_without_pool_s: without,
            },
        );
    }
    (Some(out), solo)
}

/// `economy.storage`, with `[economy.storage]`.
pub fn storage(scenario: &Scenario, econ: &Economy, record: &RunRecord) -> Option<StorageSummary> {
    let book = econ.storage()?;
    let end = record.end;
    let speculators: BTreeSet<HostId> = record
        .hosts
        .iter()
        .enumerate()
        .filter(|(_, h)| h.owner.is_some_and(|(_, kind)| kind == "speculator"))
        .map(|(i, _)| HostId(i as u32))
        .collect();
    let held_byte_us: u128 = book
        .holdings
        .iter()
        .map(|h| {
            u128::from(h.bytes) * u128::from(h.ended_at.unwrap_or(end).since(h.since).as_micros())
        })
        .sum();
    let billed: u64 = book.holdings.iter().map(|h| h.rent_billed).sum();
    let unpaid: u64 = book.holdings.iter().map(|h| h.rent_unpaid).sum();
    let (mut restored, mut revenue) = (Vec::new(), Vec::new());
    let mut episodes: BTreeSet<(TorrentId, SimTime)> = BTreeSet::new();
    for r in &book.retrievals {
        let Some(ready) = r.ready_at else { continue };
        let host = book.holdings[r.holding].host;
        if let Some((i, _)) = record
            .peers
            .iter()
            .enumerate()
            .find(|(_, p)| p.host == host && p.torrent == r.listing && p.joined_at == ready)
        {
            revenue.push(to_tokens(econ.peer_sales(PeerId(i as u32)).0));
        }
        if let Some(&(lost, _)) = record.torrents[r.listing.index()]
            .episodes
            .iter()
            .find(|e| e.1 == Some(ready))
            && episodes.insert((r.listing, lost))
        {
            // Two speculators retrieving at once restore one episode.
            restored.push(ready.since(lost).as_secs_f64());
        }
    }
    let (mut rare, mut ordinary) = ((0u128, 0u128), (0u128, 0u128));
    let (mut spent, mut sold) = (0u128, 0u128);
    for (i, p) in record.peers.iter().enumerate() {
        let (earned, bytes) = econ.peer_sales(PeerId(i as u32));
        let bucket = if speculators.contains(&p.host) {
            spent += u128::from(econ.peer_trade(PeerId(i as u32)).1);
            sold += u128::from(earned);
            &mut rare
        } else {
            &mut ordinary
        };
        bucket.0 += u128::from(earned);
        bucket.1 += u128::from(bytes);
    }
    let price = |(earned, bytes): (u128, u128)| {
        (bytes > 0).then(|| earned as f64 / 1e6 * MIB as f64 / bytes as f64)
    };
    let rent = billed - unpaid;
    let cost = u128::from(rent) + spent;
    let (mut shares, mut lost_at_end, mut restorations_all) = (Vec::new(), 0u64, 0u64);
    for t in record.torrents.iter().filter(|t| !t.fake) {
        let s = crate::report::world::ListingSummary::of(scenario, t, end);
        if let Some(a) = s.available_share {
            shares.push(a);
        }
        if t.episodes.last().is_some_and(|e| e.1.is_none()) {
            lost_at_end += 1;
        }
        restorations_all += u64::from(s.restorations);
    }
    Some(StorageSummary {
        holdings: book.holdings.len() as u64,
        holdings_at_end: book
            .holdings
            .iter()
            .filter(|h| h.ended_at.is_none())
            .count() as u64,
        released: book
            .holdings
            .iter()
            .filter(|h| h.ended_at.is_some() && !h.evicted)
            .count() as u64,
        evicted: book.holdings.iter().filter(|h| h.evicted).count() as u64,
        held_gb_months: held_byte_us as f64 / GB_MONTH_BYTE_MICROS as f64,
        rent_tokens: to_tokens(rent),
        rent_unpaid_tokens: to_tokens(unpaid),
        retrievals: book.retrievals.len() as u64,
        retrievals_done: book
            .retrievals
            .iter()
            .filter(|r| r.ready_at.is_some())
            .count() as u64,
        restorations: restored.len() as u64,
        unavailable_before_restoration_s: Stats::of(restored),
        revenue_per_retrieval_tokens: Stats::of(revenue),
        price_rare_per_mib_tokens: price(rare),
        price_ordinary_per_mib_tokens: price(ordinary),
        speculators_cost_tokens: to_tokens_wide(cost),
        speculators_revenue_tokens: to_tokens_wide(sold),
        speculators_return_on_cost: (cost > 0).then(|| (sold as f64 - cost as f64) / cost as f64),
        available_share: Stats::of(shares),
        lost_at_end,
        restorations_all,
    })
}
