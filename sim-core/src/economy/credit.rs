//! The credit book: loans and the credit standing of identities. A loan is `Active` from the
//! moment its principal moves to the borrower until it is `Repaid` (the borrower has paid
//! the principal plus interest, routed from its earnings) or `Defaulted` (its identity was
//! offline for `default_after` with debt left). Offers a borrower declined are counted, not
//! kept. Every identity has a reputation (loans repaid, its defaults, the defaults on its IP)
//! and a credit limit from its repayment history; a defaulted identity gets no more credit.
//!
//! This file keeps the state and its rules in integer µT; the money moves (principal,
//! repayments) are the ledger transfers of `lending.rs`, each tagged with its loan.
//!
//! Invariant: for every loan, `0 ≤ repaid ≤ owed`, `owed = principal × (1 + interest)`
//! rounded to µT, state `Repaid` exactly when `repaid == owed`; an identity's `owing` is the
//! sum of `owed − repaid` over its active loans.

use super::credit_limit;
pub use crate::boundary::CreditView;
use crate::config::{LendingConfig, RepayOrder};
use crate::ids::{HostId, IdentityId, IpId, LoanId, PeerId};
use crate::time::SimTime;
use std::collections::BTreeMap;

/// Who lent: an ordinary host (a seeder's lend policy) or a lender agent.
pub use super::ledger::Account as Lender;

/// Where a loan stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoanState {
    Active,
    Repaid,
    Defaulted,
}

impl LoanState {
    pub fn name(self) -> &'static str {
        match self {
            LoanState::Active => "active",
            LoanState::Repaid => "repaid",
            LoanState::Defaulted => "defaulted",
        }
    }
}

/// One loan, µT.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Loan {
    pub lender: Lender,
    pub borrower: IdentityId,
    /// The borrower's host and the peer whose join asked for it.
    pub host: HostId,
    pub peer: PeerId,
    pub issued_at: SimTime,
    pub principal: u64,
    pub interest: f64,
    pub owed: u64,
    pub repaid: u64,
    pub state: LoanState,
    /// When it was repaid or defaulted.
    pub closed_at: Option<SimTime>,
}

impl Loan {
    pub fn outstanding(&self) -> u64 {
        self.owed - self.repaid
    }
}

/// The credit standing of one identity.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IdentityCredit {
    pub ip: IpId,
    pub created_at: SimTime,
    /// µT repaid over its history (the credit limit grows with it).
    pub repaid_tokens: u64,
    pub loans_repaid: u32,
    pub defaults: u32,
    /// Its active loans, in issue order.
    pub active: Vec<LoanId>,
    /// Since when none of its host's peers is online (`None`: online, or never joined).
    pub offline_since: Option<SimTime>,
}

/// The loan book of a run with `[economy.lending]`.
#[derive(Debug)]
pub struct CreditBook {
    config: LendingConfig,
    loans: Vec<Loan>,
    identities: Vec<IdentityCredit>,
    /// Each host's current identity.
    host_identity: Vec<Option<IdentityId>>,
    /// Defaults of the identities on each IP.
    ip_defaults: BTreeMap<IpId, u32>,
    /// Offers made and declined (a better offer was taken, or none was needed any more).
    pub offers: u64,
    pub offers_declined: u64,
}

impl CreditBook {
    pub fn new(config: &LendingConfig) -> CreditBook {
        CreditBook {
            config: config.clone(),
            loans: Vec::new(),
            identities: Vec::new(),
            host_identity: Vec::new(),
            ip_defaults: BTreeMap::new(),
            offers: 0,
            offers_declined: 0,
        }
    }

    pub fn config(&self) -> &LendingConfig {
        &self.config
    }

    pub fn loans(&self) -> &[Loan] {
        &self.loans
    }

    pub fn loan(&self, id: LoanId) -> &Loan {
        &self.loans[id.index()]
    }

    pub fn identities(&self) -> &[IdentityCredit] {
        &self.identities
    }

    /// `identity` (created at `now` on `ip`) is now `host`'s identity.
    pub fn set_identity(&mut self, now: SimTime, host: HostId, identity: IdentityId, ip: IpId) {
        if self.identities.len() <= identity.index() {
            self.identities
                .resize_with(identity.index() + 1, IdentityCredit::default);
        }
        let id = &mut self.identities[identity.index()];
        id.ip = ip;
        id.created_at = now;
        if self.host_identity.len() <= host.index() {
            self.host_identity.resize(host.index() + 1, None);
        }
        self.host_identity[host.index()] = Some(identity);
    }

    /// `host`'s current identity.
    pub fn identity_of(&self, host: HostId) -> Option<IdentityId> {
        self.host_identity.get(host.index()).copied().flatten()
    }

    /// `repaid loans − default_weight × its defaults − ip_weight × defaults on its IP`.
    pub fn reputation(&self, identity: IdentityId) -> f64 {
        let Some(c) = self.identities.get(identity.index()) else {
            return 0.0;
        };
        let r = &self.config.reputation;
        let on_ip = self.ip_defaults.get(&c.ip).copied().unwrap_or(0);
        f64::from(c.loans_repaid)
            - r.default_weight * f64::from(c.defaults)
            - r.ip_weight * f64::from(on_ip)
    }

    /// µT `identity` owes now.
    pub fn owing(&self, identity: IdentityId) -> u64 {
        self.identities.get(identity.index()).map_or(0, |c| {
            c.active
                .iter()
                .map(|l| self.loans[l.index()].outstanding())
                .sum()
        })
    }

    /// Its credit limit, µT: 0 once it defaulted, else the policy's limit for its history.
    pub fn limit(&self, identity: IdentityId) -> u64 {
        match self.identities.get(identity.index()) {
            Some(c) if c.defaults == 0 => {
                credit_limit::limit(&self.config.credit_limit, c.repaid_tokens)
            }
            _ => 0,
        }
    }

    /// What a lender sees of `identity` at `now`.
    pub fn view(&self, now: SimTime, identity: IdentityId) -> CreditView {
        let created = self
            .identities
            .get(identity.index())
            .map_or(now, |c| c.created_at);
        let age = now.since(created);
        let owing = self.owing(identity);
        let old_enough = age >= self.config.min_identity_age.0;
        CreditView {
            identity,
            age_s: age.as_secs_f64(),
            reputation: self.reputation(identity),
            headroom: if old_enough {
                self.limit(identity).saturating_sub(owing)
            } else {
                0
            },
            owing,
            wants: 0,
        }
    }

    /// Records a new active loan (its principal has moved) and returns its id.
    #[allow(clippy::too_many_arguments)]
    pub fn issue(
        &mut self,
        now: SimTime,
        lender: Lender,
        (borrower, host, peer): (IdentityId, HostId, PeerId),
        principal: u64,
        interest: f64,
    ) -> LoanId {
        let owed = (principal as f64 * (1.0 + interest)).round() as u64;
        let id = LoanId(self.loans.len() as u32);
        self.loans.push(Loan {
            lender,
            borrower,
            host,
            peer,
            issued_at: now,
            principal,
            interest,
            owed: owed.max(principal),
            repaid: 0,
            state: LoanState::Active,
            closed_at: None,
        });
        self.identities[borrower.index()].active.push(id);
        id
    }

    /// How `income` µT that `identity` just received splits among its lenders: up to
    /// `repay_share` of it, in the configured order, each loan taking what it is owed.
    /// Returns (loan, amount) pairs; records nothing (see [`CreditBook::record_repayment`]).
    pub fn repayments(&self, identity: IdentityId, income: u64) -> Vec<(LoanId, u64)> {
        let budget = (income as f64 * self.config.repay_share).floor() as u64;
        self.repayments_in_full(identity, budget)
    }

    /// How `budget` µT go to `identity`'s loans, in the configured order, each taking what it
    /// is owed (all of `budget` may be used, unlike [`CreditBook::repayments`]).
    pub fn repayments_in_full(&self, identity: IdentityId, budget: u64) -> Vec<(LoanId, u64)> {
        let mut budget = budget;
        let Some(c) = self.identities.get(identity.index()) else {
            return Vec::new();
        };
        if c.active.is_empty() {
            return Vec::new();
        }
        let mut order = c.active.clone();
        if self.config.order == RepayOrder::HighestInterestFirst {
            order.sort_by(|a, b| {
                let (la, lb) = (&self.loans[a.index()], &self.loans[b.index()]);
                lb.interest.total_cmp(&la.interest).then(a.cmp(b))
            });
        }
        let mut out = Vec::new();
        for l in order {
            if budget == 0 {
                break;
            }
            let pay = self.loans[l.index()].outstanding().min(budget);
            if pay > 0 {
                out.push((l, pay));
                budget -= pay;
            }
        }
        out
    }

    /// `amount` µT of `loan` were repaid at `now`; a loan paid in full is closed.
    pub fn record_repayment(&mut self, now: SimTime, loan: LoanId, amount: u64) {
        let l = &mut self.loans[loan.index()];
        debug_assert!(amount <= l.outstanding(), "repayment beyond what is owed");
        l.repaid += amount;
        let (borrower, done) = (l.borrower, l.repaid == l.owed);
        let c = &mut self.identities[borrower.index()];
        c.repaid_tokens += amount;
        if done {
            self.loans[loan.index()].state = LoanState::Repaid;
            self.loans[loan.index()].closed_at = Some(now);
            let c = &mut self.identities[borrower.index()];
            c.loans_repaid += 1;
            c.active.retain(|&x| x != loan);
        }
    }

    /// `identity`'s host went offline at `now`; returns whether it owes (then its default
    /// check is due after `default_after`).
    pub fn went_offline(&mut self, now: SimTime, identity: IdentityId) -> bool {
        let owes = self.owing(identity) > 0;
        if let Some(c) = self.identities.get_mut(identity.index())
            && c.offline_since.is_none()
        {
            c.offline_since = Some(now);
        }
        owes
    }

    /// `identity`'s host is online again.
    pub fn came_online(&mut self, identity: IdentityId) {
        if let Some(c) = self.identities.get_mut(identity.index()) {
            c.offline_since = None;
        }
    }

    /// The default check of `identity` at `now`: if it has been offline for `default_after`
    /// and owes, every active loan of it defaults (returned); its reputation falls, with its
    /// IP's.
    pub fn check_default(&mut self, now: SimTime, identity: IdentityId) -> Vec<LoanId> {
        let after = self.config.default_after.0;
        let Some(c) = self.identities.get(identity.index()) else {
            return Vec::new();
        };
        let due = c
            .offline_since
            .is_some_and(|since| now.since(since) >= after);
        if !due || c.active.is_empty() {
            return Vec::new();
        }
        let defaulted = c.active.clone();
        let ip = c.ip;
        for &l in &defaulted {
            let loan = &mut self.loans[l.index()];
            loan.state = LoanState::Defaulted;
            loan.closed_at = Some(now);
        }
        let c = &mut self.identities[identity.index()];
        c.active.clear();
        c.defaults += defaulted.len() as u32;
        *self.ip_defaults.entry(ip).or_default() += defaulted.len() as u32;
        defaulted
    }

    /// The book's invariant (module docs). Cost O(loans + identities).
    pub fn check(&self) -> Result<(), String> {
        for (i, l) in self.loans.iter().enumerate() {
            if l.repaid > l.owed || l.owed < l.principal {
                return Err(format!("loan {i}: repaid {} of owed {}", l.repaid, l.owed));
            }
            if (l.state == LoanState::Repaid) != (l.repaid == l.owed) {
                return Err(format!(
                    "loan {i}: state {:?} with repaid {} of {}",
                    l.state, l.repaid, l.owed
                ));
            }
            let listed = self.identities[l.borrower.index()]
                .active
                .contains(&LoanId(i as u32));
            if listed != (l.state == LoanState::Active) {
                return Err(format!(
                    "loan {i}: active list disagrees with state {:?}",
                    l.state
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CreditLimit;
    use crate::economy::tokens::MICRO_PER_TOKEN as T;
    use crate::time::SimDuration;

    fn book(repay_share: f64) -> CreditBook {
        let cfg = LendingConfig {
            repay_share,
            credit_limit: CreditLimit::Fixed { tokens: 100.0 },
            ..LendingConfig::default()
        };
        let mut b = CreditBook::new(&cfg);
        b.set_identity(SimTime::ZERO, HostId(0), IdentityId(0), IpId(0));
        b
    }

    #[test]
    fn the_seed_documents_loan_ten_percent_on_fifty_and_half_of_earnings_routed() {
        let mut b = book(0.5);
        let l = b.issue(
            SimTime::ZERO,
            Lender::Host(HostId(9)),
            (IdentityId(0), HostId(0), PeerId(0)),
            50 * T,
            0.10,
        );
        assert_eq!(b.loan(l).owed, 55 * T, "10% interest on 50 tokens: 55 owed");
        let split = b.repayments(IdentityId(0), 20 * T);
        assert_eq!(
            split,
            vec![(l, 10 * T)],
            "earning 20 with repay_share 0.5 repays 10"
        );
        b.record_repayment(SimTime::ZERO, l, 10 * T);
        assert_eq!(b.owing(IdentityId(0)), 45 * T);
        assert_eq!(b.view(SimTime::ZERO, IdentityId(0)).headroom, 55 * T);
        b.record_repayment(SimTime::ZERO, l, 45 * T);
        assert_eq!(b.loan(l).state, LoanState::Repaid);
        assert_eq!(b.reputation(IdentityId(0)), 1.0);
        b.check().unwrap();
    }

    #[test]
    fn an_identity_offline_for_default_after_defaults_and_its_ip_shares_the_penalty() {
        let mut b = book(1.0);
        b.set_identity(SimTime::ZERO, HostId(1), IdentityId(1), IpId(0));
        let l = b.issue(
            SimTime::ZERO,
            Lender::Host(HostId(9)),
            (IdentityId(0), HostId(0), PeerId(0)),
            10 * T,
            0.0,
        );
        let day = SimTime::ZERO + SimDuration::from_secs(86_400);
        assert!(b.went_offline(SimTime::ZERO, IdentityId(0)));
        let early = SimTime::ZERO + SimDuration::from_secs(3_600);
        assert!(b.check_default(early, IdentityId(0)).is_empty());
        assert_eq!(b.check_default(day, IdentityId(0)), vec![l]);
        assert_eq!(b.loan(l).state, LoanState::Defaulted);
        assert_eq!(
            b.limit(IdentityId(0)),
            0,
            "a defaulted identity gets no credit"
        );
        assert_eq!(b.reputation(IdentityId(0)), -1.5);
        assert_eq!(
            b.reputation(IdentityId(1)),
            -0.5,
            "its IP neighbour shares the penalty"
        );
        b.check().unwrap();
    }

    #[test]
    fn repayment_orders() {
        let mut b = book(1.0);
        let old = b.issue(
            SimTime::ZERO,
            Lender::Treasury,
            (IdentityId(0), HostId(0), PeerId(0)),
            5 * T,
            0.0,
        );
        let dear = b.issue(
            SimTime::ZERO,
            Lender::Treasury,
            (IdentityId(0), HostId(0), PeerId(0)),
            5 * T,
            0.2,
        );
        assert_eq!(
            b.repayments(IdentityId(0), 7 * T),
            vec![(old, 5 * T), (dear, 2 * T)]
        );
        b.config.order = RepayOrder::HighestInterestFirst;
        assert_eq!(
            b.repayments(IdentityId(0), 7 * T),
            vec![(dear, 6 * T), (old, T)]
        );
    }
}
