//! Content markets' part of a report: `economy.bounties` and the `bounties` table (from the
//! bounty board), and `economy.arbitrage` (from the listings arbitrageurs created, their
//! money and the record of the run).
//!
//! Invariant: figures are in tokens from integer µT at the end; a bounty still open at the
//! end has its time to fill censored, a (content, target site) never mirrored its mirror
//! delay — counted, never dropped.

use super::Economy;
use super::bounties::{BountyBoard, BountyState, ClaimOutcome};
use super::tokens::{to_tokens, to_tokens_wide};
use crate::config::{AgentConfig, Scenario};
use crate::ids::{AgentId, ContentId, SiteId};
use crate::record::RunRecord;
use crate::stats::Stats;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

crate::documented! {
    /// `summary.json` → `economy.bounties`.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct BountySummary {
        /// Bounties posted.
        pub posted: u64,
        /// Bounties paid to a verified claim.
        pub filled: u64,
        /// Bounties whose deadline passed unfilled (every funder refunded).
        pub expired: u64,
        /// Bounties still open at the end.
        pub open_at_end: u64,
        /// Filled / posted; empty without bounties.
        pub fill_rate: Option<f64>,
        /// From posting to payment, over filled bounties (those open at the end are
        /// censored: counted below, their observed time in `bounties.csv`).
        pub time_to_fill_s: Stats,
        /// Bounties open at the end (censored times to fill).
        pub time_to_fill_censored: u64,
        /// Rewards the requesters posted, tokens.
        pub posted_rewards_tokens: f64,
        /// Pledges leechers added, tokens.
        pub pledged_tokens: f64,
        /// Paid to uploaders (the escrow less the tax), tokens.
        pub rewards_paid_tokens: f64,
        /// The board's tax on the rewards paid, tokens.
        pub tax_tokens: f64,
        /// Refunded to the funders of expired bounties, tokens.
        pub refunds_tokens: f64,
        /// Claims made (publications of wanted content while its bounty was open).
        pub claims: u64,
        /// Claims of a genuine copy.
        pub genuine_claims: u64,
        /// Claims of a fake copy.
        pub fake_claims: u64,
        /// Fake claims found out and rejected (at their copy's first completed download).
        pub fake_claims_rejected: u64,
        /// Genuine claims beaten by an earlier verified one (or by the deadline).
        pub late_claims: u64,
        /// Claims refused because their uploader had a fake claim rejected before.
        pub refused_claims: u64,
        /// Downloads of fake copies of wanted content (completed, then found fake).
        pub downloads_wasted_on_fakes: u64,
        /// Completed downloads of wanted content once published (the bounty's effect on
        /// supply).
        pub downloads_after_publication: u64,
    }
}

crate::documented! {
    /// One bounty (`bounties.csv`).
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct BountyRow {
        /// The bounty's id (its tag in `journal.csv`).
        pub bounty: u32,
        /// The content wanted.
        pub content: String,
        /// The requester agent.
        pub requester: u32,
        /// When it was posted, seconds from the start.
        pub posted_s: f64,
        /// Its deadline, seconds from the start.
        pub deadline_s: f64,
        /// `open`, `filled` or `expired`.
        pub state: &'static str,
        /// Accounts that funded it (the requester and pledging leechers).
        pub funders: u64,
        /// What they put in, tokens.
        pub funded_tokens: f64,
        /// Paid to the winner, tokens.
        pub paid_tokens: f64,
        /// The board's tax kept, tokens.
        pub tax_tokens: f64,
        /// Refunded to its funders, tokens.
        pub refunded_tokens: f64,
        /// Claims on it.
        pub claims: u64,
        /// Claims on it with a fake copy.
        pub fake_claims: u64,
        /// The uploader agent paid; empty unless filled.
        pub winner: Option<u32>,
        /// When it was filled or expired; empty while open.
        pub closed_s: Option<f64>,
        /// From posting to payment; empty unless filled.
        pub time_to_fill_s: Option<f64>,
        /// A bounty open at the end: the time since it was posted (censored), else empty.
        pub time_to_fill_censored_at_s: Option<f64>,
    }
}

crate::documented! {
    /// `summary.json` → `economy.arbitrage` (runs with arbitrageurs).
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct ArbitrageSummary {
        /// Arbitrageur agents.
        pub arbitrageurs: u64,
        /// Listings arbitrageurs created on target sites (mirrors).
        pub mirrors: u64,
        /// Contents listed on a source site.
        pub source_contents: u64,
        /// Share of the source contents mirrored to at least one target site; empty without
        /// source listings.
        pub mirrored_share: Option<f64>,
        /// From a content's listing on its source site to its first listing on a target site
        /// (the arbitrage gap), over (content, target) pairs mirrored; pairs never mirrored
        /// are censored (counted below).
        pub mirror_delay_s: Stats,
        /// (Content, target) pairs of source contents never mirrored by the end.
        pub mirror_delay_censored: u64,
        /// Completed downloads on the mirrors (served thanks to mirroring, agents' hosts not
        /// counted).
        pub downloads_on_mirrors: u64,
        /// Arrivals at the mirrors.
        pub arrivals_on_mirrors: u64,
        /// Listing fees arbitrageurs paid, tokens.
        pub listing_fees_tokens: f64,
        /// Earnings arbitrageurs collected from their hosts (sales on the source site while
        /// downloading included), tokens.
        pub revenue_tokens: f64,
        /// What arbitrageurs' peers sold on the mirrors (settled or not): the arbitrage's own
        /// income, from the target sites' audiences, tokens.
        pub mirror_sales_tokens: f64,
        /// Revenue − listing fees, tokens.
        pub net_tokens: f64,
        /// Net / listing fees; empty when nothing was paid.
        pub return_on_cost: Option<f64>,
    }
}

/// The bounty summary and table.
pub fn bounties(
    scenario: &Scenario,
    board: &BountyBoard,
    record: &RunRecord,
) -> (BountySummary, Vec<BountyRow>) {
    let secs = |t: crate::time::SimTime| t.as_secs_f64();
    let all = board.bounties();
    let state = |s: BountyState| all.iter().filter(|b| b.state == s).count() as u64;
    let claims = all.iter().flat_map(|b| &b.claims);
    let count_claims = |f: &dyn Fn(&super::bounties::Claim) -> bool| {
        claims.clone().filter(|c| f(c)).count() as u64
    };
    let wanted: BTreeSet<ContentId> = all.iter().map(|b| b.content).collect();
    let (mut wasted, mut after) = (0u64, 0u64);
    for (t, tor) in record.torrents.iter().enumerate() {
        if !wanted.contains(&tor.content) {
            continue;
        }
        if tor.fake {
            wasted += u64::from(tor.fake_downloads);
            continue;
        }
        after += record
            .peers
            .iter()
            .filter(|p| p.torrent.index() == t && !p.publisher && p.completed_at.is_some())
            .filter(|p| record.hosts[p.host.index()].owner.is_none())
            .count() as u64;
    }
    let posted: u128 = all.iter().map(|b| b.funders[0].1 as u128).sum();
    let funded: u128 = all.iter().map(|b| b.funded() as u128).sum();
    let summary = BountySummary {
        posted: all.len() as u64,
        filled: state(BountyState::Filled),
        expired: state(BountyState::Expired),
        open_at_end: state(BountyState::Open),
        fill_rate: (!all.is_empty()).then(|| state(BountyState::Filled) as f64 / all.len() as f64),
        time_to_fill_s: Stats::of(
            all.iter()
                .filter(|b| b.state == BountyState::Filled)
                .filter_map(|b| b.closed_at.map(|c| secs(c) - secs(b.posted_at)))
                .collect(),
        ),
        time_to_fill_censored: state(BountyState::Open),
        posted_rewards_tokens: to_tokens_wide(posted),
        pledged_tokens: to_tokens_wide(funded - posted),
        rewards_paid_tokens: to_tokens_wide(all.iter().map(|b| b.paid as u128).sum()),
        tax_tokens: to_tokens_wide(all.iter().map(|b| b.tax as u128).sum()),
        refunds_tokens: to_tokens_wide(all.iter().map(|b| b.refunded as u128).sum()),
        claims: count_claims(&|_| true),
        genuine_claims: count_claims(&|c| !c.fake),
        fake_claims: count_claims(&|c| c.fake),
        fake_claims_rejected: count_claims(&|c| c.outcome == ClaimOutcome::Rejected),
        late_claims: count_claims(&|c| c.outcome == ClaimOutcome::Late),
        refused_claims: board.refused_claims,
        downloads_wasted_on_fakes: wasted,
        downloads_after_publication: after,
    };
    let rows = all
        .iter()
        .enumerate()
        .map(|(i, b)| BountyRow {
            bounty: i as u32,
            content: scenario.torrents[b.content.index()].name.clone(),
            requester: b.requester.0,
            posted_s: secs(b.posted_at),
            deadline_s: secs(b.deadline),
            state: b.state.name(),
            funders: b.funders.len() as u64,
            funded_tokens: to_tokens(b.funded()),
            paid_tokens: to_tokens(b.paid),
            tax_tokens: to_tokens(b.tax),
            refunded_tokens: to_tokens(b.refunded),
            claims: b.claims.len() as u64,
            fake_claims: b.claims.iter().filter(|c| c.fake).count() as u64,
            winner: b
                .claims
                .iter()
                .find(|c| c.outcome == ClaimOutcome::Paid)
                .map(|c| c.uploader.0),
            closed_s: b.closed_at.map(secs),
            time_to_fill_s: (b.state == BountyState::Filled)
                .then(|| b.closed_at.map(|c| secs(c) - secs(b.posted_at)))
                .flatten(),
            time_to_fill_censored_at_s: (b.state == BountyState::Open)
                .then(|| secs(record.end) - secs(b.posted_at)),
        })
        .collect();
    (summary, rows)
}

/// The arbitrage summary, if the scenario has arbitrageurs.
pub fn arbitrage(
    scenario: &Scenario,
    econ: &Economy,
    record: &RunRecord,
) -> Option<ArbitrageSummary> {
    let sites = scenario.sites();
    let site_id = |name: &String| {
        sites
            .iter()
            .position(|s| &s.name == name)
            .map(|i| SiteId(i as u32))
    };
    let mut routes: BTreeSet<(SiteId, SiteId)> = BTreeSet::new();
    let mut count = 0u64;
    for a in &scenario.agents {
        if let AgentConfig::Arbitrageur {
            count: n, from, to, ..
        } = a
        {
            count += u64::from(*n);
            // Routes count even without arbitrageurs (count 0): their gap never closes.
            for t in to {
                if let (Some(f), Some(t)) = (site_id(from), site_id(t)) {
                    routes.insert((f, t));
                }
            }
        }
    }
    if scenario
        .agents
        .iter()
        .all(|a| !matches!(a, AgentConfig::Arbitrageur { .. }))
    {
        return None;
    }
    let secs = |t: crate::time::SimTime| t.as_secs_f64();
    // When each content was first listed on each site.
    let mut listed: BTreeMap<(ContentId, SiteId), f64> = BTreeMap::new();
    for t in record.torrents.iter().filter(|t| !t.fake) {
        if let Some(at) = t.listed_at {
            let e = listed.entry((t.content, t.site)).or_insert(secs(at));
            *e = e.min(secs(at));
        }
    }
    let (mut delays, mut censored) = (Vec::new(), 0u64);
    let mut sources: BTreeSet<ContentId> = BTreeSet::new();
    let mut mirrored: BTreeSet<ContentId> = BTreeSet::new();
    for &(from, to) in &routes {
        for (&(content, site), &at) in &listed {
            if site != from {
                continue;
            }
            sources.insert(content);
            match listed.get(&(content, to)) {
                Some(&there) if there >= at => {
                    delays.push(there - at);
                    mirrored.insert(content);
                }
                Some(_) => {}
                None => censored += 1,
            }
        }
    }
    let arbitrageur = |a: AgentId| {
        record.hosts.iter().any(|h| {
            h.owner
                .is_some_and(|(o, kind)| o == a && kind == "arbitrageur")
        })
    };
    let mirror_ids: Vec<usize> = record
        .torrents
        .iter()
        .enumerate()
        .filter(|(_, t)| t.listed_by.is_some_and(arbitrageur))
        .map(|(i, _)| i)
        .collect();
    let downloads = record
        .peers
        .iter()
        .filter(|p| mirror_ids.contains(&p.torrent.index()) && p.completed_at.is_some())
        .filter(|p| !p.publisher && record.hosts[p.host.index()].owner.is_none())
        .count() as u64;
    let agents: BTreeSet<AgentId> = record
        .hosts
        .iter()
        .filter_map(|h| {
            h.owner
                .filter(|(_, kind)| *kind == "arbitrageur")
                .map(|(a, _)| a)
        })
        .collect();
    let (fees, revenue): (u128, u128) = agents.iter().fold((0, 0), |(f, r), &a| {
        let m = econ.agent_money(a);
        (f + m.listing_fees as u128, r + m.collected as u128)
    });
    let net = to_tokens_wide(revenue) - to_tokens_wide(fees);
    let mirror_sales: u128 = record
        .peers
        .iter()
        .enumerate()
        .filter(|(_, p)| mirror_ids.contains(&p.torrent.index()))
        .filter(|(_, p)| {
            record.hosts[p.host.index()]
                .owner
                .is_some_and(|(_, kind)| kind == "arbitrageur")
        })
        .map(|(i, _)| econ.peer_trade(crate::ids::PeerId(i as u32)).0 as u128)
        .sum();
    Some(ArbitrageSummary {
        arbitrageurs: count,
        mirrors: mirror_ids.len() as u64,
        source_contents: sources.len() as u64,
        mirrored_share: (!sources.is_empty()).then(|| mirrored.len() as f64 / sources.len() as f64),
        mirror_delay_s: Stats::of(delays),
        mirror_delay_censored: censored,
        downloads_on_mirrors: downloads,
        arrivals_on_mirrors: mirror_ids
            .iter()
            .map(|&i| u64::from(record.torrents[i].arrivals))
            .sum(),
        listing_fees_tokens: to_tokens_wide(fees),
        revenue_tokens: to_tokens_wide(revenue),
        mirror_sales_tokens: to_tokens_wide(mirror_sales),
        net_tokens: net,
        return_on_cost: (fees > 0).then(|| net / to_tokens_wide(fees)),
    })
}
