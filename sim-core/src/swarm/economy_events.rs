//! The economy's side of membership and time: who speaks the token extension and with which
//! strategy, endowments, budgets, batch settlements and payouts, the faucet, and economic
//! seeding (stay while earnings cover the cost of staying).

use super::state::{LeaveReason, PeerState};
use super::{Event, Sim};
use crate::config::SeedingTime;
use crate::economy::bidding::{bidding_for, budget_share};
use crate::economy::channel::ChannelState;
use crate::economy::ledger::{Account, Reason};
use crate::economy::pricing::pricing_for;
use crate::economy::tokens::{draw, from_tokens, to_tokens, to_tokens_wide};
use crate::economy::{HostEcon, PeerEcon};
use crate::ids::{ChannelId, ClassId, HostId, PeerId};
use crate::report::class_name;
use crate::rng::pick_by_share;
use crate::time::{SimDuration, SimTime};
use rand::RngExt;
use std::borrow::Cow;
use std::collections::BTreeMap;

impl Sim {
    /// Schedules the economy's periodic events (first batch settlement and faucet).
    pub(super) fn schedule_economy(&mut self) {
        let Some(e) = &self.scenario.economy else {
            return;
        };
        let settle = SimTime::ZERO + e.channel.settle_interval.0;
        self.queue.schedule(settle, Event::SettleChannels);
        if let Some(f) = e.faucet {
            self.queue
                .schedule(SimTime::ZERO + f.interval.0, Event::Faucet);
        }
    }

    /// A new host: does it speak the token extension, with which strategy; its endowment and
    /// reserve price. `class` is `None` for publishers.
    pub(super) fn econ_add_host(&mut self, now: SimTime, host: HostId, class: Option<ClassId>) {
        let Some(econ) = self.econ.as_mut() else {
            return;
        };
        let mut rng = econ.host_rng(host);
        let cfg = &econ.config;
        let participates = match class {
            Some(c) => {
                let share = cfg.participation_of(&self.scenario.classes[c.index()].name);
                rng.random::<f64>() < share
            }
            None => cfg.publishers_participate,
        };
        let strategy = if !participates {
            None
        } else if class.is_none() {
            let name = cfg.publisher_strategy.as_ref();
            Some(
                name.and_then(|n| cfg.strategies.iter().position(|s| &s.name == n))
                    .unwrap_or(0),
            )
        } else {
            let u: f64 = rng.random();
            Some(pick_by_share(u, cfg.strategies.iter().map(|s| s.share)))
        };
        econ.ledger.open_host(host);
        let mut h = HostEcon {
            strategy,
            ..HostEcon::default()
        };
        if let Some(s) = strategy {
            let endowment = draw(&econ.config.endowment, &mut rng);
            h.reserve_per_mib = draw(&econ.config.strategies[s].reserve_per_mib, &mut rng);
            h.minted = econ
                .ledger
                .mint(now, Account::Host(host), endowment, Reason::Endowment);
        }
        debug_assert_eq!(econ.hosts.len(), host.index(), "host ids are dense");
        econ.hosts.push(h);
    }

    /// A new peer: its pricing and bidding policies and its budget for this torrent.
    pub(super) fn econ_add_peer(&mut self, peer: PeerId) {
        let host = self.peers[peer.index()].host;
        let Some(econ) = self.econ.as_mut() else {
            return;
        };
        let mut pe = PeerEcon::default();
        if let Some(s) = econ.hosts[host.index()].strategy {
            let strategy = econ.config.strategies[s].clone();
            pe.pricing = Some(pricing_for(&strategy.pricing));
            let mut rng = econ.peer_rng(peer);
            pe.bidding = Some(bidding_for(&strategy.bidding, &mut rng));
            pe.paid_slots = strategy.paid_slots;
            let balance = econ.ledger.balance(Account::Host(host));
            pe.budget = (balance as f64 * budget_share(&strategy.bidding)).floor() as u64;
        }
        debug_assert_eq!(econ.peers.len(), peer.index(), "peer ids are dense");
        econ.peers.push(pe);
    }

    /// Every open channel with released payments starts a settlement, paid out after the
    /// settlement latency. Repeats every `settle_interval`.
    pub(super) fn on_settle_channels(&mut self, now: SimTime) {
        let Some(econ) = self.econ.as_mut() else {
            return;
        };
        let latency = econ.config.channel.settle_latency.0;
        let interval = econ.config.channel.settle_interval.0;
        for (i, ch) in econ.channels.iter_mut().enumerate() {
            if ch.state == ChannelState::Open && ch.released > 0 {
                ch.begin_settlement();
                self.queue.schedule(
                    now + latency,
                    Event::ChannelPayout {
                        channel: ChannelId(i as u32),
                        close: false,
                    },
                );
            }
        }
        if now + interval <= self.horizon {
            self.queue.schedule(now + interval, Event::SettleChannels);
        }
    }

    /// An on-chain settlement lands: the seller receives the settling claims minus the fee;
    /// on `close` the buyer gets the rest of the escrow back and the channel is closed.
    pub(super) fn on_channel_payout(&mut self, now: SimTime, id: ChannelId, close: bool) {
        let Some(econ) = self.econ.as_mut() else {
            return;
        };
        let ch = &econ.channels[id.index()];
        // Once a channel is closing, its close payout pays everything it owes (one fee); an
        // earlier batch payout landing in between does nothing.
        if ch.state == ChannelState::Closed
            || (close && ch.state != ChannelState::Closing)
            || (!close && ch.state == ChannelState::Closing)
        {
            return;
        }
        let escrow = Account::Escrow(id);
        let seller = Account::Host(self.peers[ch.seller.index()].host);
        let buyer = Account::Host(self.peers[ch.buyer.index()].host);
        let claims = ch.settling;
        // One fee per on-chain transaction, from the seller's payout first.
        let fee_cap = if close {
            econ.ledger.balance(escrow)
        } else {
            claims
        };
        let fee = econ.fee.min(fee_cap);
        econ.pay_fee(now, escrow, fee);
        let to_seller = claims.saturating_sub(fee);
        econ.ledger
            .transfer(now, escrow, seller, to_seller, Reason::Settlement)
            .expect("claims fit in the escrow");
        let ch = &mut econ.channels[id.index()];
        ch.settling = 0;
        if close {
            let rest = econ.ledger.balance(escrow);
            econ.ledger
                .transfer(now, escrow, buyer, rest, Reason::Refund)
                .expect("the rest of the escrow");
            econ.channels[id.index()].state = ChannelState::Closed;
        }
    }

    /// Mints the faucet amount to every online participating host; repeats every interval.
    pub(super) fn on_faucet(&mut self, now: SimTime) {
        let Some(econ) = self.econ.as_mut() else {
            return;
        };
        let Some(f) = econ.config.faucet else { return };
        let amount = from_tokens(f.tokens);
        for (i, h) in self.hosts.iter().enumerate() {
            let he = &mut econ.hosts[i];
            if he.strategy.is_some() && !h.peers.is_empty() {
                he.minted +=
                    econ.ledger
                        .mint(now, Account::Host(HostId(i as u32)), amount, Reason::Faucet);
            }
        }
        if now + f.interval.0 <= self.horizon {
            self.queue.schedule(now + f.interval.0, Event::Faucet);
        }
    }

    /// A peer just completed under economic seeding: draw its cost of staying and schedule
    /// its first check after `min_time` (without an economy nobody earns, so it leaves then).
    pub(super) fn start_economic_seeding(&mut self, now: SimTime, peer: PeerId, law: &SeedingTime) {
        let SeedingTime::Economic {
            cost_per_hour,
            min_time,
            max_time,
            window,
        } = *law
        else {
            return;
        };
        let cost = draw(&cost_per_hour, &mut self.rngs.departures);
        let first = now + min_time.0;
        match self.econ.as_mut() {
            Some(econ) => {
                let pe = &mut econ.peers[peer.index()];
                pe.cost_per_hour = cost;
                pe.earned_at_check = pe.earned;
                pe.last_check = now;
                pe.seeding_deadline = now + max_time.0;
                pe.check_window = window.0;
                self.queue.schedule(first, Event::SeedCheck { peer });
            }
            None => {
                let reason = if cost == 0 {
                    LeaveReason::SeedingOver
                } else {
                    LeaveReason::Unprofitable
                };
                let at = if cost == 0 { now + max_time.0 } else { first };
                self.queue.schedule(at, Event::Leave { peer, reason });
            }
        }
    }

    /// Economic seeding check: leave at the deadline, or when the tokens earned since the last
    /// check, per hour, fall below the cost of staying; otherwise check again in `window`.
    pub(super) fn on_seed_check(&mut self, now: SimTime, peer: PeerId) {
        if self.peers[peer.index()].state != PeerState::Seeding {
            return;
        }
        let Some(econ) = self.econ.as_mut() else {
            return;
        };
        let pe = &mut econ.peers[peer.index()];
        if now >= pe.seeding_deadline {
            self.queue.schedule(
                now,
                Event::Leave {
                    peer,
                    reason: LeaveReason::SeedingOver,
                },
            );
            return;
        }
        let span = now.since(pe.last_check).as_micros();
        let earned = (pe.earned - pe.earned_at_check) as u128;
        // earned / span ≥ cost / hour  ⇔  earned · 3600 s ≥ cost · span
        // A free seeder always stays (until its deadline); at the very moment of completing
        // (`min_time` 0) nothing can have been earned yet, so a costly one leaves.
        let enough = pe.cost_per_hour == 0
            || (span > 0
                && earned * SimDuration::from_secs(3600).as_micros() as u128
                    >= pe.cost_per_hour as u128 * span as u128);
        if !enough {
            self.queue.schedule(
                now,
                Event::Leave {
                    peer,
                    reason: LeaveReason::Unprofitable,
                },
            );
            return;
        }
        pe.earned_at_check = pe.earned;
        pe.last_check = now;
        let next = (now + pe.check_window).min(pe.seeding_deadline);
        self.queue.schedule(next, Event::SeedCheck { peer });
    }
}

impl Sim {
    /// Appends the economy's run-wide time-series values and accumulates supply for velocity.
    pub(super) fn sample_economy(&mut self, now: SimTime) {
        let Some(econ) = self.econ.as_mut() else {
            return;
        };
        let supply = econ.ledger.supply();
        econ.stats.supply_samples += supply;
        econ.stats.samples += 1;
        let price = crate::report::economy::interval_price_per_mib(econ);
        econ.stats.interval_volume = 0;
        econ.stats.interval_bytes = 0;
        let econ = self.econ.as_ref().expect("checked above");
        let stats = &econ.stats;
        let mut values: Vec<(Cow<'static, str>, f64)> = vec![
            ("token_supply".into(), to_tokens_wide(supply)),
            (
                "escrow_tokens".into(),
                to_tokens_wide(econ.ledger.escrow_total()),
            ),
            (
                "treasury_tokens".into(),
                to_tokens(econ.ledger.balance(Account::Treasury)),
            ),
            ("traded_volume_tokens".into(), to_tokens_wide(stats.volume)),
            ("paid_pieces".into(), stats.paid_pieces as f64),
        ];
        if let Some(p) = price {
            values.push(("price_per_mib".into(), p));
        }
        // Mean holdings of the online participating hosts, by class and by strategy.
        let held = crate::report::economy::holdings(econ, self.hosts.len(), &self.peers);
        let mut groups: BTreeMap<String, (u32, u128)> = BTreeMap::new();
        for (i, h) in self.hosts.iter().enumerate() {
            let Some(s) = econ.hosts[i].strategy else {
                continue;
            };
            if h.peers.is_empty() {
                continue;
            }
            let class = class_name(&self.scenario, h);
            let strategy = &econ.config.strategies[s].name;
            for key in [format!("class.{class}"), format!("strategy.{strategy}")] {
                let g = groups.entry(key).or_default();
                g.0 += 1;
                g.1 += held[i] as u128;
            }
        }
        for (key, (n, total)) in groups {
            values.push((
                format!("balance_mean_tokens.{key}").into(),
                to_tokens_wide(total) / f64::from(n),
            ));
        }
        for (metric, value) in values {
            self.recorder.push_global(now, metric, value);
        }
    }

    /// Economic invariants (token conservation, channels, commitments on live transfers).
    pub(super) fn check_economy(&self) -> Result<(), String> {
        let Some(econ) = &self.econ else {
            return Ok(());
        };
        econ.check().map_err(|e| format!("economy: {e}"))?;
        for (i, conn) in self.conns.iter().enumerate() {
            for side in 0..2 {
                let t = econ.dir(crate::ids::ConnId(i as u32), side);
                if t.commit > 0 && conn.dirs[side].flow.is_none() {
                    return Err(format!(
                        "economy: connection {i} side {side} holds a commitment without a transfer"
                    ));
                }
                if conn.dirs[side].paid != (t.award.is_some() || t.commit > 0) {
                    return Err(format!(
                        "economy: connection {i} side {side}: the paid flag disagrees with its \
                         trade state"
                    ));
                }
                if t.award.is_some() && (conn.dirs[side].choked || !conn.open) {
                    return Err(format!(
                        "economy: connection {i} side {side} holds a paid slot while choked"
                    ));
                }
            }
        }
        Ok(())
    }
}
