//! Money of agents and identities: an agent's account and starting capital, the hosts it
//! rents (which trade with a given strategy and no endowment of their own), rent paid out of
//! the system, earnings collected from its hosts, and the price of a fresh identity.
//!
//! Invariant: an agent's `rent_paid` and `collected` equal the sums of its `rent` and
//! `collect` journal entries (the P&L reconciles with the journal).

use super::Economy;
use super::ledger::{Account, Reason};
use super::{HostEcon, tokens::from_tokens};
use crate::ids::{AgentId, HostId};
use crate::time::SimTime;

/// An agent's money, µT.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AgentMoney {
    pub capital: u64,
    pub rent_paid: u64,
    /// Rent it could not pay (its balance fell short): a debt, part of its cost.
    pub rent_owed: u64,
    pub collected: u64,
    /// Paid for identities (a sybil's).
    pub identities_paid: u64,
    /// Paid in listing fees (an arbitrageur's).
    pub listing_fees: u64,
    /// Bounty rewards it won (an uploader's).
    pub bounties_won: u64,
    /// Paid out by its seed pool.
    pub pool_payouts: u64,
    /// Cold-storage rent paid (a speculator's).
    pub storage_rent: u64,
}

impl Economy {
    /// A new agent with `capital` tokens minted into its account. Agent ids are dense.
    pub fn add_agent(&mut self, now: SimTime, agent: AgentId, capital: f64) {
        self.ledger.open_agent(agent);
        let minted = self.ledger.mint(
            now,
            Account::Agent(agent),
            from_tokens(capital),
            Reason::Capital,
        );
        debug_assert_eq!(self.agents.len(), agent.index(), "agent ids are dense");
        self.agents.push(AgentMoney {
            capital: minted,
            ..AgentMoney::default()
        });
    }

    /// A host rented by an agent: it trades with strategy `strategy` (default: the first)
    /// and gets no endowment. Host ids are dense.
    pub fn add_agent_host(&mut self, host: HostId, strategy: Option<usize>) {
        self.ledger.open_host(host);
        let s = strategy
            .unwrap_or(0)
            .min(self.config.strategies.len().saturating_sub(1));
        let reserve = self
            .config
            .strategies
            .get(s)
            .map_or(0, |st| match st.reserve_per_mib {
                crate::config::TokenDist::Fixed { tokens } => from_tokens(tokens),
                _ => 0,
            });
        debug_assert_eq!(self.hosts.len(), host.index(), "host ids are dense");
        self.hosts.push(HostEcon {
            strategy: (!self.config.strategies.is_empty()).then_some(s),
            minted: 0,
            reserve_per_mib: reserve,
            pool: None,
        });
    }

    /// `agent` pays up to `amount` µT of rent (burned); what it cannot pay is recorded as
    /// owed. Returns what it paid.
    pub fn pay_rent(&mut self, now: SimTime, agent: AgentId, amount: u64) -> u64 {
        let from = Account::Agent(agent);
        let paid = amount.min(self.ledger.balance(from));
        if paid > 0 {
            self.ledger
                .burn(now, from, paid, Reason::Rent)
                .expect("rent capped by the balance");
        }
        let money = &mut self.agents[agent.index()];
        money.rent_paid += paid;
        money.rent_owed += amount - paid;
        paid
    }

    /// `agent` collects the whole balance of its host `host`; returns the amount.
    pub fn collect(&mut self, now: SimTime, agent: AgentId, host: HostId) -> u64 {
        let amount = self.ledger.balance(Account::Host(host));
        if amount > 0 {
            self.ledger
                .transfer(
                    now,
                    Account::Host(host),
                    Account::Agent(agent),
                    amount,
                    Reason::Collect,
                )
                .expect("the whole balance");
        }
        self.agents[agent.index()].collected += amount;
        amount
    }

    /// `host` pays `cost` tokens for a fresh identity (to the treasury); false (nothing
    /// moves) if its balance cannot cover it.
    pub fn pay_fresh_identity(&mut self, now: SimTime, host: HostId, cost: f64) -> bool {
        let amount = from_tokens(cost);
        if amount == 0 {
            return true;
        }
        self.ledger
            .transfer(
                now,
                Account::Host(host),
                Account::Treasury,
                amount,
                Reason::FreshIdentity,
            )
            .is_ok()
    }

    /// `agent` pays up to `amount` µT for an identity (to the treasury); returns what it
    /// paid.
    pub fn pay_identity(&mut self, now: SimTime, agent: AgentId, amount: u64) -> u64 {
        let from = Account::Agent(agent);
        let paid = amount.min(self.ledger.balance(from));
        if paid > 0 {
            self.ledger
                .transfer(now, from, Account::Treasury, paid, Reason::Identity)
                .expect("capped by the balance");
        }
        self.agents[agent.index()].identities_paid += paid;
        paid
    }

    /// `agent` pays a site's listing fee of `fee` tokens (to the treasury); false (nothing
    /// moves) if its balance cannot cover it.
    pub fn pay_listing_fee(&mut self, now: SimTime, agent: AgentId, fee: f64) -> bool {
        let amount = from_tokens(fee);
        if amount == 0 {
            return true;
        }
        let paid = self
            .ledger
            .transfer(
                now,
                Account::Agent(agent),
                Account::Treasury,
                amount,
                Reason::ListingFee,
            )
            .is_ok();
        if paid {
            self.agents[agent.index()].listing_fees += amount;
        }
        paid
    }

    /// `agent`'s money so far.
    pub fn agent_money(&self, agent: AgentId) -> AgentMoney {
        self.agents.get(agent.index()).copied().unwrap_or_default()
    }

    /// µT on `account`.
    pub fn balance(&self, account: Account) -> u64 {
        self.ledger.balance(account)
    }
}
