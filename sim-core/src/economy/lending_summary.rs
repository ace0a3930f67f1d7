//! Lending's part of a report: `economy.lending` and `identity` in summary.json and the
//! `loans` table, built from the credit book, the ledger and the plain record of the run.
//!
//! Invariant: figures are in tokens, computed from integer µT at the end; a loan still
//! active at the end has its time to repay censored (counted, never dropped).

use super::Economy;
use super::credit::{CreditBook, LoanState};
use super::ledger::Account;
use super::tokens::{to_tokens, to_tokens_wide};
use crate::ids::{AgentId, HostId, PeerId};
use crate::record::RunRecord;
use crate::stats::Stats;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

crate::documented! {
    /// `summary.json` → `economy.lending`.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct LendingSummary {
        /// Loans made (principal moved to the borrower).
        pub loans_issued: u64,
        /// Principal of the loans made, tokens.
        pub principal_issued_tokens: f64,
        /// Loans repaid in full (principal and interest).
        pub loans_repaid: u64,
        /// Loans whose borrower stayed offline `default_after` with debt left.
        pub loans_defaulted: u64,
        /// Loans still being repaid at the end.
        pub loans_active_at_end: u64,
        /// Principal of the defaulted loans, tokens.
        pub principal_defaulted_tokens: f64,
        /// Defaulted principal / principal issued; empty without loans.
        pub default_rate: Option<f64>,
        /// Every repayment routed to lenders, tokens.
        pub repaid_tokens: f64,
        /// Repayments beyond the principal (the lenders' interest income), tokens.
        pub interest_earned_tokens: f64,
        /// Principal lenders lost: of each defaulted loan, what was not repaid, tokens.
        pub principal_lost_tokens: f64,
        /// Principal lost / principal issued (what defaults cost, unlike `default_rate`,
        /// which counts a defaulted loan's whole principal); empty without loans.
        pub loss_rate: Option<f64>,
        /// Repaid − principal over every loan: the lenders' net at the end (loans still
        /// active count as not yet recovered), tokens.
        pub lenders_net_tokens: f64,
        /// From issue to full repayment, over repaid loans (loans active at the end are
        /// censored: counted below, their observed time in `loans.csv`).
        pub time_to_repay_s: Stats,
        /// Loans active at the end (censored times to repay).
        pub time_to_repay_censored: u64,
        /// Loan offers lenders made.
        pub offers: u64,
        /// Offers not taken (another offer was better, or the borrower no longer needed one).
        pub offers_declined: u64,
        /// Identities that borrowed.
        pub borrowers: u64,
        /// Download time of completed leechers that borrowed (agents' hosts left out).
        pub download_time_borrowers_s: Stats,
        /// Download time of completed leechers that did not borrow (agents' hosts and
        /// publishers left out).
        pub download_time_others_s: Stats,
        /// Share of participating users' hosts with nothing on their account at the end
        /// (the credit squeeze); empty without participants.
        pub zero_balance_share: Option<f64>,
        /// Identities sybils used (one per host they brought up).
        pub sybil_identities: u64,
        /// Principal lenders lost on sybils' loans, tokens.
        pub losses_to_sybils_tokens: f64,
        /// What sybils gained per identity used: the principal of their loans they never
        /// repaid (spent on downloads or kept) minus what their identities cost, tokens;
        /// empty without sybils.
        pub sybil_profit_per_identity_tokens: Option<f64>,
    }
}

crate::documented! {
    /// `summary.json` → `identity` (runs with `[economy.lending]`).
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct IdentitySummary {
        /// Identities created (one per host, plus fresh ones).
        pub identities: u64,
        /// Distinct IP addresses of those identities.
        pub ips: u64,
        /// Most identities behind one IP address.
        pub max_identities_per_ip: u64,
        /// Identities with at least one defaulted loan.
        pub identities_defaulted: u64,
        /// IP addresses with at least one defaulted loan of an identity behind them.
        pub ips_with_defaults: u64,
        /// Reputation at the end of every identity that borrowed (repaid loans − weighted
        /// defaults, its own and its IP's).
        pub reputation_of_borrowers: Stats,
    }
}

crate::documented! {
    /// One loan (`loans.csv`).
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct LoanRow {
        /// The loan's id (its tag in `journal.csv`).
        pub loan: u32,
        /// Who lent: `host:N` (a seeder's lend policy) or `agent:N` (a lender agent).
        pub lender: String,
        /// The borrowing identity.
        pub identity: u32,
        /// Its host.
        pub host: u32,
        /// The peer whose join asked for the loan.
        pub peer: u32,
        /// Whether the borrower is a sybil agent's host.
        pub sybil: bool,
        /// When it was made, seconds from the start.
        pub issued_s: f64,
        /// Principal, tokens.
        pub principal_tokens: f64,
        /// Interest rate (0.1 = 10%).
        pub interest: f64,
        /// Principal × (1 + interest), tokens.
        pub owed_tokens: f64,
        /// Repaid so far, tokens.
        pub repaid_tokens: f64,
        /// `active`, `repaid` or `defaulted`.
        pub state: &'static str,
        /// When it was repaid or defaulted; empty while active.
        pub closed_s: Option<f64>,
        /// From issue to full repayment; empty unless repaid.
        pub time_to_repay_s: Option<f64>,
        /// A loan active at the end: the time since its issue (its time to repay is censored
        /// there); else empty.
        pub time_to_repay_censored_at_s: Option<f64>,
    }
}

/// Whether `host` is a sybil agent's, and which agent.
fn sybil_of(record: &RunRecord, host: HostId) -> Option<AgentId> {
    match record.hosts.get(host.index())?.owner {
        Some((agent, "sybil")) => Some(agent),
        _ => None,
    }
}

/// The lending summary, the identity summary and the loans table.
pub fn build(
    econ: &Economy,
    book: &CreditBook,
    record: &RunRecord,
) -> (LendingSummary, IdentitySummary, Vec<LoanRow>) {
    let secs = |t: crate::time::SimTime| t.as_secs_f64();
    let end = record.end;
    let loans = book.loans();
    let sum = |f: &dyn Fn(&super::credit::Loan) -> u64| -> u128 {
        loans.iter().map(|l| f(l) as u128).sum()
    };
    let issued = sum(&|l| l.principal);
    let defaulted = sum(&|l| {
        if l.state == LoanState::Defaulted {
            l.principal
        } else {
            0
        }
    });
    let repaid = sum(&|l| l.repaid);
    let interest = sum(&|l| l.repaid.saturating_sub(l.principal));
    let lost = sum(&|l| {
        if l.state == LoanState::Defaulted {
            l.principal.saturating_sub(l.repaid)
        } else {
            0
        }
    });
    let sybil_lost = loans
        .iter()
        .filter(|l| l.state == LoanState::Defaulted && sybil_of(record, l.host).is_some())
        .map(|l| l.principal.saturating_sub(l.repaid) as u128)
        .sum::<u128>();
    let count = |s: LoanState| loans.iter().filter(|l| l.state == s).count() as u64;
    let repay_times: Vec<f64> = loans
        .iter()
        .filter(|l| l.state == LoanState::Repaid)
        .filter_map(|l| l.closed_at.map(|c| secs(c) - secs(l.issued_at)))
        .collect();
    let borrower_peers: BTreeSet<PeerId> = loans.iter().map(|l| l.peer).collect();
    let borrowers: BTreeSet<u32> = loans.iter().map(|l| l.borrower.0).collect();
    let (mut dl_borrowers, mut dl_others) = (Vec::new(), Vec::new());
    for (i, p) in record.peers.iter().enumerate() {
        let host = &record.hosts[p.host.index()];
        if p.publisher || host.owner.is_some() {
            continue;
        }
        let Some(done) = p.completed_at else { continue };
        let d = secs(done) - secs(p.joined_at);
        if borrower_peers.contains(&PeerId(i as u32)) {
            dl_borrowers.push(d);
        } else {
            dl_others.push(d);
        }
    }
    let users: Vec<usize> = (0..record.hosts.len())
        .filter(|&h| record.hosts[h].owner.is_none() && record.hosts[h].class.is_some())
        .filter(|&h| econ.participates(HostId(h as u32)))
        .collect();
    let broke = users
        .iter()
        .filter(|&&h| econ.balance(Account::Host(HostId(h as u32))) == 0)
        .count();
    // Sybils: identities used (one per host), what they took and what identities cost.
    let mut sybil_agents: BTreeSet<AgentId> = BTreeSet::new();
    let mut sybil_identities = 0u64;
    for h in 0..record.hosts.len() {
        let host = HostId(h as u32);
        if let Some(a) = sybil_of(record, host) {
            sybil_agents.insert(a);
            sybil_identities += record.identities.iter().filter(|i| i.host == host).count() as u64;
        }
    }
    let unrepaid: u128 = loans
        .iter()
        .filter(|l| sybil_of(record, l.host).is_some())
        .map(|l| l.principal.saturating_sub(l.repaid) as u128)
        .sum();
    let identity_costs: u128 = sybil_agents
        .iter()
        .map(|&a| econ.agent_money(a).identities_paid as u128)
        .sum();
    let sybil_net = to_tokens_wide(unrepaid) - to_tokens_wide(identity_costs);
    let summary = LendingSummary {
        loans_issued: loans.len() as u64,
        principal_issued_tokens: to_tokens_wide(issued),
        loans_repaid: count(LoanState::Repaid),
        loans_defaulted: count(LoanState::Defaulted),
        loans_active_at_end: count(LoanState::Active),
        principal_defaulted_tokens: to_tokens_wide(defaulted),
        default_rate: (issued > 0).then(|| defaulted as f64 / issued as f64),
        repaid_tokens: to_tokens_wide(repaid),
        interest_earned_tokens: to_tokens_wide(interest),
        principal_lost_tokens: to_tokens_wide(lost),
        loss_rate: (issued > 0).then(|| lost as f64 / issued as f64),
        lenders_net_tokens: to_tokens_wide(repaid) - to_tokens_wide(issued),
        time_to_repay_s: Stats::of(repay_times),
        time_to_repay_censored: count(LoanState::Active),
        offers: book.offers,
        offers_declined: book.offers_declined,
        borrowers: borrowers.len() as u64,
        download_time_borrowers_s: Stats::of(dl_borrowers),
        download_time_others_s: Stats::of(dl_others),
        zero_balance_share: (!users.is_empty()).then(|| broke as f64 / users.len() as f64),
        sybil_identities,
        losses_to_sybils_tokens: to_tokens_wide(sybil_lost),
        sybil_profit_per_identity_tokens: (sybil_identities > 0)
            .then(|| sybil_net / sybil_identities as f64),
    };
    let mut per_ip: BTreeMap<u32, u64> = BTreeMap::new();
    for i in &record.identities {
        *per_ip.entry(i.ip.0).or_default() += 1;
    }
    let credit = book.identities();
    let defaulted_ids = credit.iter().filter(|c| c.defaults > 0).count() as u64;
    let ips_defaulted: BTreeSet<u32> = credit
        .iter()
        .filter(|c| c.defaults > 0)
        .map(|c| c.ip.0)
        .collect();
    let identity = IdentitySummary {
        identities: record.identities.len() as u64,
        ips: per_ip.len() as u64,
        max_identities_per_ip: per_ip.values().copied().max().unwrap_or(0),
        identities_defaulted: defaulted_ids,
        ips_with_defaults: ips_defaulted.len() as u64,
        reputation_of_borrowers: Stats::of(
            borrowers
                .iter()
                .map(|&b| book.reputation(crate::ids::IdentityId(b)))
                .collect(),
        ),
    };
    let rows = loans
        .iter()
        .enumerate()
        .map(|(i, l)| LoanRow {
            loan: i as u32,
            lender: l.lender.to_string(),
            identity: l.borrower.0,
            host: l.host.0,
            peer: l.peer.0,
            sybil: sybil_of(record, l.host).is_some(),
            issued_s: secs(l.issued_at),
            principal_tokens: to_tokens(l.principal),
            interest: l.interest,
            owed_tokens: to_tokens(l.owed),
            repaid_tokens: to_tokens(l.repaid),
            state: l.state.name(),
            closed_s: l.closed_at.map(secs),
            time_to_repay_s: (l.state == LoanState::Repaid)
                .then(|| l.closed_at.map(|c| secs(c) - secs(l.issued_at)))
                .flatten(),
            time_to_repay_censored_at_s: (l.state == LoanState::Active)
                .then(|| secs(end) - secs(l.issued_at)),
        })
        .collect();
    (summary, identity, rows)
}
