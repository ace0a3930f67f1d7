//! The world's part of a report: where each listing is and its content over time, each
//! site's summary, and each agent's profit and loss (summary by kind, one row per agent).
//!
//! Invariant: an agent's cost and revenue are the economy's record of its rent and collected
//! earnings (equal to its journal entries), or, without an economy, the rent it counted.

use crate::agents::Agents;
use crate::config::Scenario;
use crate::economy::Economy;
use crate::economy::tokens::to_tokens;
use crate::ids::{AgentId, IdentityId, SiteId};
use crate::record::{RunRecord, TorrentRecord, class_name};
use crate::sites::{SiteSummary, Sites};
use crate::time::SimTime;
use serde::Serialize;
use std::collections::BTreeMap;

crate::documented! {
    /// A listing's site and content over time (`torrents[].listing` in summary.json).
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct ListingSummary {
        /// The site it is listed on.
        pub site: String,
        /// The content it lists.
        pub content: String,
        /// When it was listed (release, or later); `None` if never.
        pub listed_s: Option<f64>,
        /// Whether it is a fake copy (published by a fake uploader).
        pub fake: bool,
        /// Leechers that completed it and found it fake.
        pub fake_downloads: u32,
        /// Arrivals a finite user population could not serve (every user drawn was busy).
        pub arrivals_without_user: u32,
        /// When every piece was first online at once (on-demand content: its publication);
        /// `None` if never.
        pub first_available_s: Option<f64>,
        /// Time without a full copy online after it first had one, to the end of the run.
        pub unavailable_s: f64,
        /// Times the content came back after being lost.
        pub restorations: u32,
        /// Share of the time from first availability to the end with a full copy online.
        pub available_share: Option<f64>,
    }
}

impl ListingSummary {
    pub fn of(scenario: &Scenario, t: &TorrentRecord, end: SimTime) -> ListingSummary {
        let sites = scenario.sites();
        let unavailable: f64 = t
            .episodes
            .iter()
            .map(|&(lost, back)| back.unwrap_or(end).since(lost).as_secs_f64())
            .fold(0.0, |a, b| a + b);
        let listed = t.first_available_at.map(|l| end.since(l).as_secs_f64());
        ListingSummary {
            site: sites[t.site.index()].name.clone(),
            content: scenario.torrents[t.content.index()].name.clone(),
            listed_s: t.listed_at.map(SimTime::as_secs_f64),
            fake: t.fake,
            fake_downloads: t.fake_downloads,
            arrivals_without_user: t.arrivals_without_user,
            first_available_s: t.first_available_at.map(SimTime::as_secs_f64),
            unavailable_s: unavailable,
            restorations: t.episodes.iter().filter(|e| e.1.is_some()).count() as u32,
            available_share: listed.filter(|&l| l > 0.0).map(|l| 1.0 - unavailable / l),
        }
    }
}

/// Every site's summary, in site order.
pub fn sites(scenario: &Scenario, record: &RunRecord, sites: &Sites) -> Vec<SiteSummary> {
    let class_of = |identity: IdentityId| {
        let host = record.identities[identity.index()].host;
        class_name(scenario, &record.hosts[host.index()])
    };
    (0..sites.len())
        .map(|s| {
            let site = SiteId(s as u32);
            let listings = record.torrents.iter().filter(|t| t.site == site).count();
            sites.summary(site, listings, &class_of)
        })
        .collect()
}

crate::documented! {
    /// Agents of one kind (`summary.json` → `agents.<kind>`).
    #[derive(Clone, Debug, Default, PartialEq, Serialize)]
    pub struct AgentGroup {
        /// Agents of this kind.
        pub count: usize,
        /// Rent paid and owed by these agents, tokens.
        pub cost_tokens: f64,
        /// Earnings these agents collected from their hosts, tokens.
        pub revenue_tokens: f64,
        /// Revenue minus cost, tokens.
        pub net_tokens: f64,
        /// Net / cost (`None` when nothing was spent).
        pub return_on_cost: Option<f64>,
        /// Bytes their hosts uploaded.
        pub uploaded_bytes: u64,
        /// Bytes their hosts downloaded.
        pub downloaded_bytes: u64,
        /// Peers its hosts ran (one per torrent joined).
        pub torrents_joined: usize,
    }
}

crate::documented! {
    /// One agent (`agents.csv`).
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct AgentRow {
        /// The agent's id.
        pub agent: u32,
        /// Its kind (`seedbox`, `uploader`, …).
        pub kind: &'static str,
        /// Its `[[agents]]` entry.
        pub entry: usize,
        /// Hosts it ran.
        pub hosts: usize,
        /// Capital it started with, tokens.
        pub capital_tokens: f64,
        /// Rent paid (cold storage included), plus rent it could not pay (without an economy:
        /// the rent it owed).
        pub cost_tokens: f64,
        /// Earnings collected from its hosts (settled sales) and its pool's payouts.
        pub revenue_tokens: f64,
        /// Sales of its hosts' peers, settled or not (claims still in channels at the end).
        pub earned_tokens: f64,
        /// Revenue minus cost, tokens.
        pub net_tokens: f64,
        /// Net / cost; empty when nothing was spent.
        pub return_on_cost: Option<f64>,
        /// Its account's balance at the end, tokens.
        pub balance_end_tokens: f64,
        /// Bytes its hosts uploaded.
        pub uploaded_bytes: u64,
        /// Bytes its hosts downloaded.
        pub downloaded_bytes: u64,
        /// Peers its hosts ran (one per torrent joined).
        pub torrents_joined: usize,
    }
}

/// Agents' P&L by kind and one row per agent.
pub fn agents(
    _scenario: &Scenario,
    record: &RunRecord,
    econ: Option<&Economy>,
    agents: &Agents,
) -> (BTreeMap<String, AgentGroup>, Vec<AgentRow>) {
    let mut rows = Vec::new();
    let mut groups: BTreeMap<String, AgentGroup> = BTreeMap::new();
    for a in 0..agents.len() {
        let id = AgentId(a as u32);
        let agent = agents.get(id);
        let hosts = agent.hosts();
        let (capital, cost, revenue, balance) = match econ {
            Some(e) => {
                let m = e.agent_money(id);
                let balance = e.balance(crate::economy::ledger::Account::Agent(id));
                // A lender's cost is what it lent, its revenue what came back.
                let (lent, recovered) = e.credit().map_or((0, 0), |book| {
                    book.loans()
                        .iter()
                        .filter(|l| l.lender == crate::economy::ledger::Account::Agent(id))
                        .fold((0, 0), |(a, b), l| (a + l.principal, b + l.repaid))
                });
                // A requester's cost is the reward of its bounties that were paid.
                let rewards = e.bounty_board().map_or(0, |board| {
                    board
                        .bounties()
                        .iter()
                        .filter(|b| b.requester == id)
                        .filter(|b| b.state == crate::economy::bounties::BountyState::Filled)
                        .map(|b| b.funders[0].1)
                        .sum::<u64>()
                });
                (
                    m.capital,
                    m.rent_paid
                        + m.rent_owed
                        + m.identities_paid
                        + m.listing_fees
                        + m.storage_rent
                        + lent
                        + rewards,
                    m.collected + recovered + m.bounties_won + m.pool_payouts,
                    balance,
                )
            }
            None => (0, agent.unbooked_cost(record.end), 0, 0),
        };
        let (mut up, mut down, mut joined, mut earned) = (0, 0, 0, 0);
        for (i, p) in record.peers.iter().enumerate() {
            if !hosts.contains(&p.host) {
                continue;
            }
            up += p.bytes_uploaded;
            down += p.bytes_downloaded;
            joined += 1;
            earned += econ.map_or(0, |e| e.peer_trade(crate::ids::PeerId(i as u32)).0);
        }
        let (cost_t, revenue_t) = (to_tokens(cost), to_tokens(revenue));
        let net = revenue_t - cost_t;
        let roc = (cost > 0).then(|| net / cost_t);
        rows.push(AgentRow {
            agent: id.0,
            kind: agents.kind(id),
            entry: agents.entry(id),
            hosts: hosts.len(),
            capital_tokens: to_tokens(capital),
            cost_tokens: cost_t,
            revenue_tokens: revenue_t,
            earned_tokens: to_tokens(earned),
            net_tokens: net,
            return_on_cost: roc,
            balance_end_tokens: to_tokens(balance),
            uploaded_bytes: up,
            downloaded_bytes: down,
            torrents_joined: joined,
        });
        let g = groups.entry(agents.kind(id).to_string()).or_default();
        g.count += 1;
        g.cost_tokens += cost_t;
        g.revenue_tokens += revenue_t;
        g.net_tokens += net;
        g.uploaded_bytes += up;
        g.downloaded_bytes += down;
        g.torrents_joined += joined;
    }
    for g in groups.values_mut() {
        g.return_on_cost = (g.cost_tokens > 0.0).then(|| g.net_tokens / g.cost_tokens);
    }
    (groups, rows)
}
