//! Lending's money: loans offered at a borrower's join (by seeders with a `lend` policy) or
//! by lender agents, the principal moved to the borrower, repayments routed from the
//! borrower's settlements to its lenders, and defaults booked as the lenders' losses. The
//! rules and the standing of identities are the credit book's (`credit.rs`).
//!
//! Invariant: every principal and every repayment is one ledger transfer tagged with its loan
//! (`Ledger::tags`), so a loan's repaid amount can be rebuilt from the journal alone; nothing
//! here runs without `[economy.lending]`.

use super::Economy;
use super::credit::{CreditBook, CreditView};
use super::ledger::{Account, Reason};
use super::tokens::from_tokens;
use crate::ids::{AgentId, HostId, IdentityId, IpId, LoanId, PeerId};
use crate::time::{SimDuration, SimTime};

/// A loan offer: from whom, how much (µT), at what interest.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Offer {
    lender: Account,
    principal: u64,
    interest: f64,
}

impl Economy {
    /// The credit book, with `[economy.lending]`.
    pub fn credit(&self) -> Option<&CreditBook> {
        self.credit.as_ref()
    }

    /// `identity` (created at `now` on `ip`) is `host`'s identity from now on. Returns the
    /// identity it replaces if that one owes (its default check is due after
    /// [`Economy::default_after`]: it will never be online again).
    pub fn set_identity(
        &mut self,
        now: SimTime,
        host: HostId,
        identity: IdentityId,
        ip: IpId,
    ) -> Option<IdentityId> {
        let book = self.credit.as_mut()?;
        let old = book.identity_of(host);
        book.set_identity(now, host, identity, ip);
        let old = old.filter(|&o| o != identity)?;
        book.went_offline(now, old).then_some(old)
    }

    /// The delay after which an offline borrower defaults.
    pub fn default_after(&self) -> Option<SimDuration> {
        self.credit.as_ref().map(|b| b.config().default_after.0)
    }

    /// What a lender sees of `host`'s identity at `now`.
    pub fn credit_view(&self, now: SimTime, host: HostId) -> Option<CreditView> {
        let book = self.credit.as_ref()?;
        let mut view = book.view(now, book.identity_of(host)?);
        view.wants = self.wants(host);
        Some(view)
    }

    /// µT `host` would ask to borrow now (its strategy's `borrow` policy, when its balance is
    /// below the threshold), 0 otherwise.
    fn wants(&self, host: HostId) -> u64 {
        let Some(s) = self.hosts[host.index()].strategy else {
            return 0;
        };
        let Some(b) = self.config.strategies[s].borrow else {
            return 0;
        };
        let balance = self.ledger.balance(Account::Host(host));
        if balance < from_tokens(b.below) {
            from_tokens(b.amount)
        } else {
            0
        }
    }

    /// Whether `host`'s strategy picks rarest pieces first while it owes.
    pub fn borrower_rarest_first(&self, host: HostId) -> bool {
        self.hosts[host.index()]
            .strategy
            .and_then(|s| self.config.strategies[s].borrow)
            .is_some_and(|b| b.rarest_first)
    }

    /// `peer` of `host` is joining a torrent whose seeds are on `seeders` (in member order):
    /// if it wants to borrow, each seeder with a `lend` policy makes an offer (within the
    /// borrower's headroom, the policy's `max_loan` and `max_share_of_balance`, and only to
    /// identities of at least its `min_reputation`); the borrower takes the lowest interest
    /// (ties: the first). Call before the peer's budget is set, so the loan is part of it.
    pub fn borrow_at_join(
        &mut self,
        now: SimTime,
        peer: PeerId,
        host: HostId,
        seeders: &[HostId],
    ) -> Option<LoanId> {
        let want = self.wants(host);
        if want == 0 {
            return None;
        }
        let view = self.credit_view(now, host)?;
        let mut best: Option<Offer> = None;
        let mut offers = 0;
        for &s in seeders {
            if s == host {
                continue;
            }
            let Some(strategy) = self.hosts[s.index()].strategy else {
                continue;
            };
            let Some(lend) = self.config.strategies[strategy].lend else {
                continue;
            };
            if view.reputation < lend.min_reputation {
                continue;
            }
            let balance = self.ledger.balance(Account::Host(s));
            let available = (balance as f64 * lend.max_share_of_balance).floor() as u64;
            let principal = want
                .min(view.headroom)
                .min(from_tokens(lend.max_loan))
                .min(available);
            if principal == 0 {
                continue;
            }
            offers += 1;
            if best.is_none_or(|b| lend.interest < b.interest) {
                best = Some(Offer {
                    lender: Account::Host(s),
                    principal,
                    interest: lend.interest,
                });
            }
        }
        let book = self.credit.as_mut().expect("credit_view needs the book");
        book.offers += offers;
        book.offers_declined += offers.saturating_sub(1);
        let offer = best?;
        Some(self.issue_loan(now, offer, view.identity, host, peer))
    }

    /// Lender agent `agent` offers `peer` of `host` up to `amount` µT at `interest`, to
    /// identities of at least `min_reputation`: the borrower takes it if it still wants to
    /// borrow, within its headroom and the agent's balance; the principal joins the peer's
    /// budget. Returns the loan, if one was made.
    pub fn lend_from_agent(
        &mut self,
        now: SimTime,
        agent: AgentId,
        (peer, host): (PeerId, HostId),
        amount: u64,
        interest: f64,
        min_reputation: f64,
    ) -> Option<LoanId> {
        let view = self.credit_view(now, host)?;
        self.credit.as_mut()?.offers += 1;
        let principal = self
            .wants(host)
            .min(amount)
            .min(view.headroom)
            .min(self.ledger.balance(Account::Agent(agent)));
        if principal == 0 || view.reputation < min_reputation {
            self.credit.as_mut()?.offers_declined += 1;
            return None;
        }
        let offer = Offer {
            lender: Account::Agent(agent),
            principal,
            interest,
        };
        let loan = self.issue_loan(now, offer, view.identity, host, peer);
        self.peers[peer.index()].budget += principal;
        Some(loan)
    }

    /// Moves the principal and records the loan.
    fn issue_loan(
        &mut self,
        now: SimTime,
        offer: Offer,
        borrower: IdentityId,
        host: HostId,
        peer: PeerId,
    ) -> LoanId {
        let book = self.credit.as_mut().expect("lending is configured");
        let id = book.issue(
            now,
            offer.lender,
            (borrower, host, peer),
            offer.principal,
            offer.interest,
        );
        self.ledger
            .transfer_tagged(
                now,
                offer.lender,
                Account::Host(host),
                offer.principal,
                Reason::Loan,
                id,
            )
            .expect("the principal is within the lender's balance");
        id
    }

    /// `host` just received `income` µT (a settlement): its identity's lenders get their
    /// share, in the book's order, each repayment a tagged transfer. Returns the µT repaid.
    pub(super) fn route_repayment(&mut self, now: SimTime, host: HostId, income: u64) -> u64 {
        let Some(book) = self.credit.as_ref() else {
            return 0;
        };
        let Some(identity) = book.identity_of(host) else {
            return 0;
        };
        let splits = book.repayments(identity, income);
        self.pay_lenders(now, host, splits)
    }

    /// Moves each (loan, amount) of `splits` from `host` to the loan's lender, tagged, and
    /// records it in the book. Returns the µT moved.
    fn pay_lenders(&mut self, now: SimTime, host: HostId, splits: Vec<(LoanId, u64)>) -> u64 {
        let mut paid = 0;
        for (loan, amount) in splits {
            let book = self.credit.as_mut().expect("lending is configured");
            let lender = book.loan(loan).lender;
            let moved = self.ledger.transfer_tagged(
                now,
                Account::Host(host),
                lender,
                amount,
                Reason::Repayment,
                loan,
            );
            if moved.is_ok() {
                book.record_repayment(now, loan, amount);
                paid += amount;
            }
        }
        paid
    }

    /// `host` repays from its balance what its identity owes (up to all of it), in the
    /// book's order, if its strategy's `borrow` policy says `repay_from_balance`. Returns the
    /// µT repaid.
    pub fn repay_from_balance(&mut self, now: SimTime, host: HostId) -> u64 {
        let Some(book) = self.credit.as_ref() else {
            return 0;
        };
        let repays = self.hosts[host.index()]
            .strategy
            .and_then(|s| self.config.strategies[s].borrow)
            .is_some_and(|b| b.repay_from_balance);
        if !repays {
            return 0;
        }
        let Some(identity) = book.identity_of(host) else {
            return 0;
        };
        let balance = self.ledger.balance(Account::Host(host));
        let splits = book.repayments_in_full(identity, balance);
        self.pay_lenders(now, host, splits)
    }

    /// `host` has no peer online any more: returns its identity if it owes (check it for a
    /// default after [`Economy::default_after`]).
    pub fn host_offline(&mut self, now: SimTime, host: HostId) -> Option<IdentityId> {
        let book = self.credit.as_mut()?;
        let identity = book.identity_of(host)?;
        book.went_offline(now, identity).then_some(identity)
    }

    /// `host` is online again.
    pub fn host_online(&mut self, host: HostId) {
        if let Some(book) = self.credit.as_mut()
            && let Some(identity) = book.identity_of(host)
        {
            book.came_online(identity);
        }
    }

    /// The default check of `identity`: returns the loans that defaulted now.
    pub fn check_default(&mut self, now: SimTime, identity: IdentityId) -> Vec<LoanId> {
        self.credit
            .as_mut()
            .map_or_else(Vec::new, |b| b.check_default(now, identity))
    }

    /// µT `host`'s identity owes now (0 without lending).
    pub fn owing(&self, host: HostId) -> u64 {
        self.credit
            .as_ref()
            .map_or(0, |b| b.identity_of(host).map_or(0, |i| b.owing(i)))
    }
}
