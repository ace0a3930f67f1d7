//! The ledger: every token movement of a run goes through [`Ledger::mint`],
//! [`Ledger::burn`] or [`Ledger::transfer`], and each is journaled.
//!
//! Invariant: the sum of all accounts (hosts, channel escrows, treasury) equals minted −
//! burned ([`Ledger::check`]); no account ever goes negative (an overdraft is refused, not
//! clamped).

use crate::ids::{AgentId, BountyId, ChannelId, HostId, LoanId, PoolId};
use crate::time::SimTime;
use std::fmt;

/// Most µT in existence at once (10¹² tokens): far below `u64::MAX`, so no account can
/// overflow whatever a scenario mints.
pub const MAX_SUPPLY: u128 = 1_000_000_000_000_000_000;

/// Where tokens can be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Account {
    Host(HostId),
    /// The escrow of one payment channel.
    Escrow(ChannelId),
    Treasury,
    /// A strategic agent's own account (its capital, collected earnings, rent paid from it).
    Agent(AgentId),
    /// The escrow of one bounty (its reward and pledges until paid or refunded).
    Bounty(BountyId),
    /// A seed pool's account (its members' income until paid out, and its reserve).
    Pool(PoolId),
}

impl From<LoanId> for Subject {
    fn from(l: LoanId) -> Subject {
        Subject::Loan(l)
    }
}

impl From<BountyId> for Subject {
    fn from(b: BountyId) -> Subject {
        Subject::Bounty(b)
    }
}

/// What a tagged movement belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    Loan(LoanId),
    Bounty(BountyId),
    Pool(PoolId),
}

impl From<PoolId> for Subject {
    fn from(p: PoolId) -> Subject {
        Subject::Pool(p)
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Account::Host(h) => write!(f, "host:{}", h.0),
            Account::Escrow(c) => write!(f, "escrow:{}", c.0),
            Account::Treasury => write!(f, "treasury"),
            Account::Agent(a) => write!(f, "agent:{}", a.0),
            Account::Bounty(b) => write!(f, "bounty:{}", b.0),
            Account::Pool(p) => write!(f, "pool:{}", p.0),
        }
    }
}

/// Why tokens moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// Initial endowment of a participating host.
    Endowment,
    /// Periodic minting.
    Faucet,
    /// A buyer's deposit into a new channel's escrow.
    ChannelOpen,
    /// A buyer's extra deposit into an open channel.
    ChannelTopUp,
    /// Payments for delivered pieces paid out to the seller.
    Settlement,
    /// The buyer's unspent deposit returned when a channel closes.
    Refund,
    /// An on-chain fee (burned or paid to the treasury).
    Fee,
    /// An agent's starting capital.
    Capital,
    /// Rent an agent pays for its hosts (burned: paid outside the system).
    Rent,
    /// Earnings an agent collects from its hosts' accounts.
    Collect,
    /// The price of a fresh identity on a site (to the treasury).
    FreshIdentity,
    /// A loan's principal, from the lender to the borrower (tagged with the loan).
    Loan,
    /// A repayment routed from the borrower's earnings to its lender (tagged with the loan).
    Repayment,
    /// The price of an identity a sybil buys (to the treasury).
    Identity,
    /// A site's fee for listing content during a run (to the treasury).
    ListingFee,
    /// A bounty's reward, posted into its escrow by the requester.
    BountyPost,
    /// A leecher's pledge added to an open bounty.
    BountyPledge,
    /// A verified claim's reward paid to the uploader.
    BountyReward,
    /// The bounty board's tax on a reward paid.
    BountyTax,
    /// An expired bounty's refund to one of its funders.
    BountyRefund,
    /// A pool member's settlement routed to its pool.
    PoolIncome,
    /// A pool's payout to a member at the end of an epoch.
    PoolPayout,
    /// A pool operator's fee (to the treasury).
    PoolFee,
    /// A pool's reserve, minted at the start (the operator's capital).
    PoolReserve,
    /// Rent of content held in cold storage (paid outside the system: burned).
    StorageRent,
}

impl Reason {
    pub fn name(self) -> &'static str {
        match self {
            Reason::Endowment => "endowment",
            Reason::Faucet => "faucet",
            Reason::ChannelOpen => "channel_open",
            Reason::ChannelTopUp => "channel_top_up",
            Reason::Settlement => "settlement",
            Reason::Refund => "refund",
            Reason::Fee => "fee",
            Reason::Capital => "capital",
            Reason::Rent => "rent",
            Reason::Collect => "collect",
            Reason::FreshIdentity => "fresh_identity",
            Reason::Loan => "loan",
            Reason::Repayment => "repayment",
            Reason::Identity => "identity",
            Reason::ListingFee => "listing_fee",
            Reason::BountyPost => "bounty_post",
            Reason::BountyPledge => "bounty_pledge",
            Reason::BountyReward => "bounty_reward",
            Reason::BountyTax => "bounty_tax",
            Reason::BountyRefund => "bounty_refund",
            Reason::PoolIncome => "pool_income",
            Reason::PoolPayout => "pool_payout",
            Reason::PoolFee => "pool_fee",
            Reason::PoolReserve => "pool_reserve",
            Reason::StorageRent => "storage_rent",
        }
    }
}

/// One journaled movement. `from: None` is a mint, `to: None` a burn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub time: SimTime,
    pub from: Option<Account>,
    pub to: Option<Account>,
    /// µT.
    pub amount: u64,
    pub reason: Reason,
}

/// A refused movement: `account` holds less than `needed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("overdraft: {account} holds {available} µT, {needed} µT needed")]
pub struct Overdraft {
    pub account: Account,
    pub available: u64,
    pub needed: u64,
}

/// Balances in µT and the journal.
#[derive(Debug, Default)]
pub struct Ledger {
    hosts: Vec<u64>,
    escrow: Vec<u64>,
    treasury: u64,
    agents: Vec<u64>,
    bounties: Vec<u64>,
    pools: Vec<u64>,
    minted: u128,
    burned: u128,
    /// Running sum of all accounts, updated by every movement (the O(1) check).
    held: u128,
    /// µT not minted because of the supply cap.
    refused: u128,
    journal: Vec<Entry>,
    /// What each tagged movement belongs to: (journal position, subject), in journal order.
    tags: Vec<(u32, Subject)>,
}

impl Ledger {
    /// Makes sure `host` has an account (zero balance when new). Host ids are dense.
    pub fn open_host(&mut self, host: HostId) {
        if self.hosts.len() <= host.index() {
            self.hosts.resize(host.index() + 1, 0);
        }
    }

    /// Makes sure `agent` has an account (zero balance when new). Agent ids are dense.
    pub fn open_agent(&mut self, agent: AgentId) {
        if self.agents.len() <= agent.index() {
            self.agents.resize(agent.index() + 1, 0);
        }
    }

    /// Makes sure `pool` has an account (zero balance when new). Pool ids are dense.
    pub fn open_pool(&mut self, pool: PoolId) {
        if self.pools.len() <= pool.index() {
            self.pools.resize(pool.index() + 1, 0);
        }
    }

    /// A new, empty bounty escrow; its id is the next bounty id.
    pub fn open_bounty(&mut self) -> BountyId {
        self.bounties.push(0);
        BountyId((self.bounties.len() - 1) as u32)
    }

    /// A new, empty escrow account; its id is the next channel id.
    pub fn open_escrow(&mut self) -> ChannelId {
        self.escrow.push(0);
        ChannelId((self.escrow.len() - 1) as u32)
    }

    pub fn balance(&self, account: Account) -> u64 {
        match account {
            Account::Host(h) => self.hosts.get(h.index()).copied().unwrap_or(0),
            Account::Escrow(c) => self.escrow.get(c.index()).copied().unwrap_or(0),
            Account::Treasury => self.treasury,
            Account::Agent(a) => self.agents.get(a.index()).copied().unwrap_or(0),
            Account::Bounty(b) => self.bounties.get(b.index()).copied().unwrap_or(0),
            Account::Pool(p) => self.pools.get(p.index()).copied().unwrap_or(0),
        }
    }

    /// Prefetches `account`'s balance (a hint).
    #[inline]
    pub fn warm(&self, account: Account) {
        let balance = match account {
            Account::Host(h) => self.hosts.get(h.index()),
            Account::Escrow(c) => self.escrow.get(c.index()),
            Account::Treasury | Account::Agent(_) | Account::Bounty(_) | Account::Pool(_) => None,
        };
        if let Some(b) = balance {
            crate::prefetch::prefetch(b);
        }
    }

    fn slot(&mut self, account: Account) -> &mut u64 {
        match account {
            Account::Host(h) => &mut self.hosts[h.index()],
            Account::Escrow(c) => &mut self.escrow[c.index()],
            Account::Treasury => &mut self.treasury,
            Account::Agent(a) => &mut self.agents[a.index()],
            Account::Bounty(b) => &mut self.bounties[b.index()],
            Account::Pool(p) => &mut self.pools[p.index()],
        }
    }

    /// Creates up to `amount` µT in `to`, never beyond [`MAX_SUPPLY`]; returns what was
    /// minted (the rest is counted in [`Ledger::refused`]). The cap keeps every account, and
    /// so every transfer, within `u64`.
    pub fn mint(&mut self, now: SimTime, to: Account, amount: u64, reason: Reason) -> u64 {
        let room = MAX_SUPPLY - self.supply().min(MAX_SUPPLY);
        let minted = (amount as u128).min(room) as u64;
        self.refused += (amount - minted) as u128;
        let amount = minted;
        if amount == 0 {
            return 0;
        }
        *self.slot(to) += amount;
        self.minted += amount as u128;
        self.held += amount as u128;
        self.journal.push(Entry {
            time: now,
            from: None,
            to: Some(to),
            amount,
            reason,
        });
        amount
    }

    /// µT that mints would have created beyond [`MAX_SUPPLY`].
    pub fn refused(&self) -> u128 {
        self.refused
    }

    /// Destroys `amount` µT held by `from`.
    pub fn burn(
        &mut self,
        now: SimTime,
        from: Account,
        amount: u64,
        reason: Reason,
    ) -> Result<(), Overdraft> {
        self.debit(from, amount)?;
        if amount > 0 {
            self.burned += amount as u128;
            self.held -= amount as u128;
            self.journal.push(Entry {
                time: now,
                from: Some(from),
                to: None,
                amount,
                reason,
            });
        }
        Ok(())
    }

    /// [`Ledger::transfer`] of a movement that belongs to `subject` (a loan's principal or
    /// repayment, a bounty's reward, pledge, payment or refund): the journal entry is tagged.
    pub fn transfer_tagged(
        &mut self,
        now: SimTime,
        from: Account,
        to: Account,
        amount: u64,
        reason: Reason,
        subject: impl Into<Subject>,
    ) -> Result<(), Overdraft> {
        self.transfer(now, from, to, amount, reason)?;
        if amount > 0 {
            self.tags
                .push(((self.journal.len() - 1) as u32, subject.into()));
        }
        Ok(())
    }

    /// [`Ledger::mint`] of tokens that belong to `subject`; returns what was minted.
    pub fn mint_tagged(
        &mut self,
        now: SimTime,
        to: Account,
        amount: u64,
        reason: Reason,
        subject: impl Into<Subject>,
    ) -> u64 {
        let minted = self.mint(now, to, amount, reason);
        if minted > 0 {
            self.tags
                .push(((self.journal.len() - 1) as u32, subject.into()));
        }
        minted
    }

    /// [`Ledger::burn`] of a movement that belongs to `subject`.
    pub fn burn_tagged(
        &mut self,
        now: SimTime,
        from: Account,
        amount: u64,
        reason: Reason,
        subject: impl Into<Subject>,
    ) -> Result<(), Overdraft> {
        self.burn(now, from, amount, reason)?;
        if amount > 0 {
            self.tags
                .push(((self.journal.len() - 1) as u32, subject.into()));
        }
        Ok(())
    }

    /// The tags of the journal: (entry position, subject), in journal order.
    pub fn tags(&self) -> &[(u32, Subject)] {
        &self.tags
    }

    /// Moves `amount` µT from `from` to `to`, or refuses if `from` holds less.
    pub fn transfer(
        &mut self,
        now: SimTime,
        from: Account,
        to: Account,
        amount: u64,
        reason: Reason,
    ) -> Result<(), Overdraft> {
        self.debit(from, amount)?;
        if amount > 0 {
            *self.slot(to) += amount;
            self.journal.push(Entry {
                time: now,
                from: Some(from),
                to: Some(to),
                amount,
                reason,
            });
        }
        Ok(())
    }

    fn debit(&mut self, from: Account, amount: u64) -> Result<(), Overdraft> {
        let available = self.balance(from);
        if available < amount {
            return Err(Overdraft {
                account: from,
                available,
                needed: amount,
            });
        }
        *self.slot(from) -= amount;
        Ok(())
    }

    pub fn minted(&self) -> u128 {
        self.minted
    }

    pub fn burned(&self) -> u128 {
        self.burned
    }

    /// Tokens in existence: minted − burned.
    pub fn supply(&self) -> u128 {
        self.minted - self.burned
    }

    /// Tokens held in all channel escrows.
    pub fn escrow_total(&self) -> u128 {
        self.escrow.iter().map(|&b| b as u128).sum()
    }

    pub fn journal(&self) -> &[Entry] {
        &self.journal
    }

    /// The O(1) conservation check run after every event in debug builds: the running sum of
    /// accounts equals minted − burned.
    pub fn totals_balance(&self) -> bool {
        self.burned <= self.minted && self.held == self.minted - self.burned
    }

    /// Conservation: every account summed equals minted − burned. Cost O(accounts).
    pub fn check(&self) -> Result<(), String> {
        let held: u128 = self.hosts.iter().map(|&b| b as u128).sum::<u128>()
            + self.escrow_total()
            + self.treasury as u128
            + self.agents.iter().map(|&b| b as u128).sum::<u128>()
            + self.bounties.iter().map(|&b| b as u128).sum::<u128>()
            + self.pools.iter().map(|&b| b as u128).sum::<u128>();
        if self.burned > self.minted || held != self.minted - self.burned || held != self.held {
            return Err(format!(
                "token conservation broken: accounts hold {held} µT, minted {} − burned {}",
                self.minted, self.burned
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: SimTime = SimTime::ZERO;
    const A: Account = Account::Host(HostId(0));
    const B: Account = Account::Host(HostId(1));

    fn two_hosts() -> Ledger {
        let mut l = Ledger::default();
        l.open_host(HostId(0));
        l.open_host(HostId(1));
        l
    }

    #[test]
    fn transfers_move_tokens_and_are_journaled() {
        let mut l = two_hosts();
        l.mint(T0, A, 100, Reason::Endowment);
        l.transfer(T0, A, B, 30, Reason::Settlement).unwrap();
        assert_eq!((l.balance(A), l.balance(B)), (70, 30));
        assert_eq!(l.journal().len(), 2);
        let last = l.journal()[1];
        assert_eq!(
            (last.from, last.to, last.amount, last.reason),
            (Some(A), Some(B), 30, Reason::Settlement)
        );
        l.check().unwrap();
    }

    #[test]
    fn overdraft_is_refused_and_changes_nothing() {
        let mut l = two_hosts();
        l.mint(T0, A, 10, Reason::Endowment);
        let e = l.transfer(T0, A, B, 11, Reason::Settlement).unwrap_err();
        assert_eq!((e.available, e.needed), (10, 11));
        assert_eq!((l.balance(A), l.balance(B)), (10, 0));
        assert!(l.burn(T0, B, 1, Reason::Fee).is_err());
        assert_eq!(l.journal().len(), 1);
        l.check().unwrap();
    }

    #[test]
    fn escrow_release_and_refund_conserve_tokens() {
        let mut l = two_hosts();
        l.mint(T0, A, 100, Reason::Endowment);
        let ch = l.open_escrow();
        l.transfer(T0, A, Account::Escrow(ch), 40, Reason::ChannelOpen)
            .unwrap();
        assert_eq!(l.escrow_total(), 40);
        // 25 released to the seller, the rest refunded on close.
        l.transfer(T0, Account::Escrow(ch), B, 25, Reason::Settlement)
            .unwrap();
        l.transfer(T0, Account::Escrow(ch), A, 15, Reason::Refund)
            .unwrap();
        assert_eq!((l.balance(A), l.balance(B), l.escrow_total()), (75, 25, 0));
        l.check().unwrap();
    }

    #[test]
    fn fees_burn_or_go_to_the_treasury() {
        let mut l = two_hosts();
        l.mint(T0, A, 100, Reason::Endowment);
        l.burn(T0, A, 3, Reason::Fee).unwrap();
        l.transfer(T0, A, Account::Treasury, 2, Reason::Fee)
            .unwrap();
        assert_eq!(l.supply(), 97);
        assert_eq!(l.balance(Account::Treasury), 2);
        assert_eq!(l.balance(A), 95);
        l.check().unwrap();
    }

    #[test]
    fn mints_stop_at_the_supply_cap() {
        let mut l = two_hosts();
        let big = (MAX_SUPPLY / 2) as u64;
        assert_eq!(l.mint(T0, A, big, Reason::Faucet), big);
        assert_eq!(l.mint(T0, B, big + 7, Reason::Faucet), big);
        assert_eq!(l.refused(), 7);
        assert_eq!(l.mint(T0, A, 1, Reason::Faucet), 0);
        assert_eq!(l.supply(), MAX_SUPPLY);
        l.check().unwrap();
    }

    #[test]
    fn check_detects_a_broken_sum() {
        let mut l = two_hosts();
        l.mint(T0, A, 5, Reason::Endowment);
        l.hosts[1] += 1; // a bug elsewhere would look like this
        assert!(l.check().is_err());
    }
}
