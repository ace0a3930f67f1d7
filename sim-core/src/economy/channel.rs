//! Payment channels: one per (buyer peer, seller peer) pair that traded.
//!
//! The buyer's deposit sits in the channel's escrow account in the ledger. Each piece's price
//! is *committed* before its transfer starts, *released* to the seller on delivery (the
//! seller then holds a claim, counted as its earnings) and *refunded* if the transfer fails.
//! Released claims reach the seller's balance at the next batch settlement or at close, after
//! the settlement latency.
//!
//! Invariant: `released + settling + pending <= escrow balance`, so a claim can always be paid.

use crate::ids::{HostId, PeerId};
use crate::time::SimTime;

/// Where a channel is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelState {
    /// Carries payments from `usable_at` on.
    Open,
    /// Closed by a departure or disconnect; the final payout is scheduled.
    Closing,
    /// Fully paid out; the escrow is empty.
    Closed,
}

#[derive(Clone, Debug)]
pub struct Channel {
    pub buyer: PeerId,
    pub seller: PeerId,
    /// The hosts whose accounts pay into and are paid out of the escrow.
    pub buyer_host: HostId,
    pub seller_host: HostId,
    pub state: ChannelState,
    /// When the opening transaction is confirmed.
    pub usable_at: SimTime,
    /// µT committed to transfers in progress.
    pub pending: u64,
    /// µT released to the seller and not yet in a settlement.
    pub released: u64,
    /// µT in a settlement whose payout is scheduled.
    pub settling: u64,
    /// A payout event is scheduled.
    pub payout_scheduled: bool,
    /// µT of the seller's claims (released or settling) earned while its host was in a seed
    /// pool, and that pool: their payout goes to the pool, whenever it lands.
    pub pooled: u64,
    pub pool: Option<crate::ids::PoolId>,
}

impl Channel {
    pub fn new(
        (buyer, buyer_host): (PeerId, HostId),
        (seller, seller_host): (PeerId, HostId),
        usable_at: SimTime,
    ) -> Self {
        Channel {
            buyer,
            seller,
            buyer_host,
            seller_host,
            state: ChannelState::Open,
            usable_at,
            pending: 0,
            released: 0,
            settling: 0,
            payout_scheduled: false,
            pooled: 0,
            pool: None,
        }
    }

    /// µT of the deposit not yet promised to anybody.
    pub fn available(&self, escrow: u64) -> u64 {
        escrow.saturating_sub(self.pending + self.released + self.settling)
    }

    /// Whether it can carry a new payment at `now`.
    pub fn usable(&self, now: SimTime) -> bool {
        self.state == ChannelState::Open && now >= self.usable_at
    }

    /// Promises `amount` for a transfer about to start; false (and no change) if the deposit
    /// cannot cover it.
    pub fn commit(&mut self, escrow: u64, amount: u64) -> bool {
        if self.available(escrow) < amount {
            return false;
        }
        self.pending += amount;
        true
    }

    /// The transfer was delivered: the seller now holds the claim.
    pub fn release(&mut self, amount: u64) {
        debug_assert!(self.pending >= amount, "release of an uncommitted amount");
        self.pending -= amount;
        self.released += amount;
    }

    /// The transfer failed: the buyer gets its promise back.
    pub fn refund(&mut self, amount: u64) {
        debug_assert!(self.pending >= amount, "refund of an uncommitted amount");
        self.pending -= amount;
    }

    /// Moves released claims into a settlement; returns the µT moved.
    pub fn begin_settlement(&mut self) -> u64 {
        let amount = self.released;
        self.settling += amount;
        self.released = 0;
        amount
    }

    /// Checks the channel's own invariant against its escrow balance.
    pub fn check(&self, escrow: u64) -> Result<(), String> {
        if self.pending + self.released + self.settling > escrow {
            return Err(format!(
                "channel {}→{} promises {} µT (pending {}, released {}, settling {}) but escrow holds {escrow}",
                self.buyer.0,
                self.seller.0,
                self.pending + self.released + self.settling,
                self.pending,
                self.released,
                self.settling
            ));
        }
        if self.state == ChannelState::Closed && escrow != 0 {
            return Err(format!(
                "closed channel {}→{} still holds {escrow} µT",
                self.buyer.0, self.seller.0
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimDuration;

    fn at(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    fn channel() -> Channel {
        Channel::new((PeerId(1), HostId(1)), (PeerId(2), HostId(2)), at(5))
    }

    #[test]
    fn commit_release_and_refund_track_the_deposit() {
        let mut c = channel();
        let escrow = 100;
        assert!(c.commit(escrow, 60));
        assert!(!c.commit(escrow, 41), "only 40 left");
        assert!(c.commit(escrow, 40));
        c.release(60);
        c.refund(40);
        assert_eq!((c.pending, c.released, c.available(escrow)), (0, 60, 40));
        assert_eq!(c.begin_settlement(), 60);
        assert_eq!((c.released, c.settling), (0, 60));
        c.check(escrow).unwrap();
        assert!(c.check(59).is_err());
    }

    #[test]
    fn usable_only_after_confirmation_and_while_open() {
        let mut c = channel();
        assert!(!c.usable(at(4)));
        assert!(c.usable(at(5)));
        c.state = ChannelState::Closing;
        assert!(!c.usable(at(6)));
    }
}
