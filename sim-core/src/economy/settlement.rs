//! Batch settlement, payouts and the faucet: the economy's periodic work.
//!
//! Invariant: a payout moves exactly the channel's settling claims (minus one fee) to the
//! seller, and on close the rest of the escrow back to the buyer, leaving it empty. What the
//! seller receives is its income: with lending, its lenders' share of it is routed to them
//! at once (`lending.rs`), and what it earned while in a seed pool goes to the pool
//! (`pools.rs`).

use super::Economy;
use super::channel::ChannelState;
use super::ledger::{Account, Reason};
use super::tokens::from_tokens;
use crate::ids::{ChannelId, HostId};
use crate::time::SimTime;

impl Economy {
    /// Every open channel with released payments starts a settlement; returns the channels
    /// whose payout the engine must schedule after `settle_latency`, in channel order.
    pub fn begin_settlements(&mut self) -> Vec<ChannelId> {
        let mut settling = Vec::new();
        for (i, ch) in self.channels.iter_mut().enumerate() {
            if ch.state == ChannelState::Open && ch.released > 0 {
                ch.begin_settlement();
                settling.push(ChannelId(i as u32));
            }
        }
        settling
    }

    /// An on-chain settlement lands: the seller receives the settling claims minus the fee;
    /// on `close` the buyer gets the rest of the escrow back and the channel is closed.
    pub fn payout(&mut self, now: SimTime, id: ChannelId, close: bool) {
        let ch = &self.channels[id.index()];
        // Once a channel is closing, its close payout pays everything it owes (one fee); an
        // earlier batch payout landing in between does nothing.
        if ch.state == ChannelState::Closed
            || (close && ch.state != ChannelState::Closing)
            || (!close && ch.state == ChannelState::Closing)
        {
            return;
        }
        let escrow = Account::Escrow(id);
        let seller = Account::Host(ch.seller_host);
        let buyer = Account::Host(ch.buyer_host);
        let claims = ch.settling;
        // One fee per on-chain transaction, from the seller's payout first.
        let fee_cap = if close {
            self.ledger.balance(escrow)
        } else {
            claims
        };
        let fee = self.fee.min(fee_cap);
        self.pay_fee(now, escrow, fee);
        let to_seller = claims.saturating_sub(fee);
        self.ledger
            .transfer(now, escrow, seller, to_seller, Reason::Settlement)
            .expect("claims fit in the escrow");
        let seller_host = self.channels[id.index()].seller_host;
        let repaid = self.route_repayment(now, seller_host, to_seller);
        self.route_pool(now, id, (claims, to_seller - repaid));
        let ch = &mut self.channels[id.index()];
        ch.settling = 0;
        if close {
            let rest = self.ledger.balance(escrow);
            self.ledger
                .transfer(now, escrow, buyer, rest, Reason::Refund)
                .expect("the rest of the escrow");
            self.channels[id.index()].state = ChannelState::Closed;
        }
    }

    /// Mints the faucet amount to every participating host among `online` (in that order).
    pub fn faucet(&mut self, now: SimTime, online: impl Iterator<Item = HostId>) {
        let Some(f) = self.config.faucet else { return };
        let amount = from_tokens(f.tokens);
        for host in online {
            let he = &mut self.hosts[host.index()];
            if he.strategy.is_some() {
                he.minted += self
                    .ledger
                    .mint(now, Account::Host(host), amount, Reason::Faucet);
            }
        }
    }
}
