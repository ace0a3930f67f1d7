//! Seed pools: members pool their seeding. What a member sells while it is in its pool goes
//! to the pool's account when it settles (`pool_income`, by the channel's pooled claims); at the end of every epoch
//! the pool counts the bytes each member uploaded in it (the contribution log), keeps the
//! operator's fee of the epoch's income, and pays its members by its payout scheme —
//! proportional, PPLNS or PPS (Rosenfeld 2011) — from its account (`pool_payout`). A PPS pool
//! starts with a minted reserve and records what it could not pay as a shortfall.
//!
//! The payouts are a pure function of the contribution log and the epochs' income
//! ([`payouts`]), so a test can recompute them from the log and compare with the books.
//!
//! Invariant: a pool's account holds its reserve plus its income less its fees and payouts;
//! every movement is a ledger transfer tagged with the pool.

use super::Economy;
use super::ledger::{Account, Reason};
use super::tokens::{charge, from_tokens};
use crate::config::{PayoutScheme, PoolConfig};
use crate::ids::{AgentId, ChannelId, HostId, PoolId, TorrentId};
use crate::time::SimTime;
use std::collections::{BTreeMap, BTreeSet};

/// One member's bytes uploaded for its pool in one epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Contribution {
    pub epoch: u32,
    pub member: AgentId,
    pub bytes: u64,
}

/// One epoch of a pool's books, µT.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EpochBooks {
    pub ended_at: SimTime,
    pub income: u64,
    pub fee: u64,
    /// What each member was paid, in member order.
    pub payouts: Vec<(AgentId, u64)>,
    /// PPS: what it owed and could not pay.
    pub shortfall: u64,
}

/// A member of a pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    pub agent: AgentId,
    pub host: HostId,
    pub hopper: bool,
    /// In the pool now (a hopper leaves and comes back).
    pub active: bool,
}

/// One pool's state.
#[derive(Clone, Debug)]
pub struct Pool {
    pub config: PoolConfig,
    pub members: Vec<Member>,
    pub log: Vec<Contribution>,
    pub epochs: Vec<EpochBooks>,
    /// Income received in the epoch in progress.
    pub income_now: u64,
    /// Each member's host's total upload at the last epoch end (bytes).
    uploaded_at: BTreeMap<AgentId, u64>,
    /// Listings its members joined (the pool's selection).
    pub selected: BTreeSet<TorrentId>,
    pub reserve_minted: u64,
}

/// The payouts of one epoch, µT: to whom, how much, and the PPS shortfall. `log` holds every
/// contribution so far, this epoch's (number `epoch`) last; `distributable` is what the
/// members are owed (proportional, PPLNS: the pool's account once the fee is paid, so what an
/// epoch could not pay is carried to the next); `balance` what the pool holds once the fee is
/// paid (PPS pays from it). PPLNS counts the last `window` bytes before this epoch — and at
/// the `closing` epoch (the run's end) this epoch's too, so nothing is left unpaid — each
/// worth `1/window` of the amount (a window not yet full pays its share only). Cost
/// O(log) for PPLNS, O(members) otherwise.
pub fn payouts(
    scheme: &PayoutScheme,
    log: &[Contribution],
    (epoch, closing): (u32, bool),
    distributable: u64,
    balance: u64,
) -> (Vec<(AgentId, u64)>, u64) {
    let this: Vec<&Contribution> = log.iter().filter(|c| c.epoch == epoch).collect();
    let split = |weights: &[(AgentId, u64)], amount: u64| -> Vec<(AgentId, u64)> {
        let total: u128 = weights.iter().map(|w| w.1 as u128).sum();
        if total == 0 {
            return Vec::new();
        }
        weights
            .iter()
            .map(|&(a, w)| (a, (amount as u128 * w as u128 / total) as u64))
            .collect()
    };
    match *scheme {
        PayoutScheme::Proportional => {
            let weights: Vec<(AgentId, u64)> = this.iter().map(|c| (c.member, c.bytes)).collect();
            (split(&weights, distributable), 0)
        }
        PayoutScheme::Pplns { window } => {
            // The last `window` bytes contributed before this epoch, newest epoch first; the
            // oldest epoch that does not fit whole is cut pro rata, every member's bytes in
            // it by the same share (an epoch's contributions are simultaneous).
            let mut left = u128::from(window.0);
            let mut weights: BTreeMap<AgentId, u128> = BTreeMap::new();
            let counted = |c: &&Contribution| c.epoch < epoch || (closing && c.epoch == epoch);
            let mut end = log.len();
            while end > 0 && left > 0 {
                let e = log[end - 1].epoch;
                let start = log[..end]
                    .iter()
                    .rposition(|c| c.epoch != e)
                    .map_or(0, |i| i + 1);
                let group: Vec<&Contribution> = log[start..end].iter().filter(counted).collect();
                let total: u128 = group.iter().map(|c| u128::from(c.bytes)).sum();
                for c in &group {
                    let take = if total <= left {
                        u128::from(c.bytes)
                    } else {
                        u128::from(c.bytes) * left / total
                    };
                    *weights.entry(c.member).or_default() += take;
                }
                left = left.saturating_sub(total);
                end = start;
            }
            let counted: u128 = weights.values().sum();
            let ordered: Vec<(AgentId, u64)> =
                weights.into_iter().map(|(a, w)| (a, w as u64)).collect();
            // Each byte of the window is worth 1/window of the amount: while fewer bytes than
            // the window exist (the pool's first epochs) the rest stays in the pool for later
            // epochs, so early bytes are not paid more than later ones. Closing pays it all.
            let amount = if closing || counted >= u128::from(window.0) {
                distributable
            } else {
                (u128::from(distributable) * counted / u128::from(window.0)) as u64
            };
            (split(&ordered, amount), 0)
        }
        PayoutScheme::Pps { tokens_per_mib, .. } => {
            let per_mib = from_tokens(tokens_per_mib);
            let owed: Vec<(AgentId, u64)> = this
                .iter()
                .map(|c| (c.member, charge(per_mib, c.bytes)))
                .collect();
            let total: u128 = owed.iter().map(|o| o.1 as u128).sum();
            if total <= balance as u128 {
                (owed, 0)
            } else {
                let paid = split(&owed, balance);
                let given: u128 = paid.iter().map(|p| p.1 as u128).sum();
                (paid, (total - given) as u64)
            }
        }
    }
}

impl Economy {
    /// The pools (in `[[economy.pools]]` order).
    pub fn pools(&self) -> &[Pool] {
        &self.pools
    }

    /// Opens the pools' accounts and mints PPS reserves.
    pub(super) fn open_pools(&mut self, now: SimTime) {
        for (i, cfg) in self.config.pools.clone().into_iter().enumerate() {
            let id = PoolId(i as u32);
            self.ledger.open_pool(id);
            let reserve = match cfg.payout {
                PayoutScheme::Pps { reserve, .. } => self.ledger.mint_tagged(
                    now,
                    Account::Pool(id),
                    from_tokens(reserve),
                    Reason::PoolReserve,
                    id,
                ),
                _ => 0,
            };
            self.pools.push(Pool {
                config: cfg,
                members: Vec::new(),
                log: Vec::new(),
                epochs: Vec::new(),
                income_now: 0,
                uploaded_at: BTreeMap::new(),
                selected: BTreeSet::new(),
                reserve_minted: reserve,
            });
        }
    }

    /// `agent` (with `host`) joins `pool`, or comes back to it; `uploaded` is its host's total
    /// upload now (bytes), so only what it uploads from now on counts for the pool.
    pub fn join_pool(
        &mut self,
        pool: PoolId,
        (agent, host): (AgentId, HostId),
        hopper: bool,
        uploaded: u64,
    ) {
        let Some(p) = self.pools.get_mut(pool.index()) else {
            return;
        };
        match p.members.iter_mut().find(|m| m.agent == agent) {
            Some(m) => m.active = true,
            None => p.members.push(Member {
                agent,
                host,
                hopper,
                active: true,
            }),
        }
        p.uploaded_at.insert(agent, uploaded);
        if let Some(h) = self.hosts.get_mut(host.index()) {
            h.pool = Some(pool);
        }
    }

    /// `agent` leaves `pool` (a hopper going solo); what it sells from now on stays its own
    /// (its sales while in the pool still go to the pool when they settle).
    pub fn leave_pool(&mut self, pool: PoolId, agent: AgentId) {
        if let Some(m) = self
            .pools
            .get_mut(pool.index())
            .and_then(|p| p.members.iter_mut().find(|m| m.agent == agent))
        {
            m.active = false;
            let host = m.host;
            if let Some(h) = self.hosts.get_mut(host.index()) {
                h.pool = None;
            }
        }
    }

    /// A member's listing joins its pool's selection (for the report).
    pub fn pool_selected(&mut self, pool: PoolId, listing: TorrentId) {
        if let Some(p) = self.pools.get_mut(pool.index()) {
            p.selected.insert(listing);
        }
    }

    /// The pool `host` is an active member of, if any. O(1).
    pub fn pool_of(&self, host: HostId) -> Option<PoolId> {
        self.hosts.get(host.index()).and_then(|h| h.pool)
    }

    /// Channel `id` pays out `claims` µT, of which `income` reached its seller (after the fee
    /// and any loan repayment): the share of the claims earned while the seller was in a pool
    /// goes to that pool — membership counts when the sale was made, not when it settles.
    pub(super) fn route_pool(&mut self, now: SimTime, id: ChannelId, (claims, income): (u64, u64)) {
        let ch = &mut self.channels[id.index()];
        let (Some(pool), true) = (ch.pool, ch.pooled > 0) else {
            return;
        };
        let part = ch.pooled.min(claims);
        ch.pooled -= part;
        let host = ch.seller_host;
        let share = if claims == 0 {
            0
        } else {
            (u128::from(part) * u128::from(income) / u128::from(claims)) as u64
        };
        let amount = share.min(self.ledger.balance(Account::Host(host)));
        if amount > 0
            && self
                .ledger
                .transfer_tagged(
                    now,
                    Account::Host(host),
                    Account::Pool(pool),
                    amount,
                    Reason::PoolIncome,
                    pool,
                )
                .is_ok()
        {
            self.pools[pool.index()].income_now += amount;
        }
    }

    /// The end of an epoch of `pool`: `uploaded` gives each member's host total upload now
    /// (bytes); active members' uploads since the last epoch end are logged, the fee paid and
    /// the members paid by the scheme.
    pub fn pool_epoch(
        &mut self,
        now: SimTime,
        pool: PoolId,
        uploaded: &[(AgentId, u64)],
        closing: bool,
    ) {
        let Some(p) = self.pools.get_mut(pool.index()) else {
            return;
        };
        let epoch = p.epochs.len() as u32;
        for m in p.members.clone() {
            let now_up = uploaded.iter().find(|u| u.0 == m.agent).map_or(0, |u| u.1);
            let before = p.uploaded_at.get(&m.agent).copied().unwrap_or(now_up);
            p.uploaded_at.insert(m.agent, now_up);
            if m.active && now_up > before {
                p.log.push(Contribution {
                    epoch,
                    member: m.agent,
                    bytes: now_up - before,
                });
            }
        }
        let income = std::mem::take(&mut p.income_now);
        let fee = (income as f64 * p.config.fee).floor() as u64;
        let scheme = p.config.payout;
        let account = Account::Pool(pool);
        if fee > 0 {
            self.ledger
                .transfer_tagged(now, account, Account::Treasury, fee, Reason::PoolFee, pool)
                .expect("the fee is part of the epoch's income");
        }
        let balance = self.ledger.balance(account);
        let p = &self.pools[pool.index()];
        let distributable = match scheme {
            PayoutScheme::Pps { .. } => income - fee,
            _ => balance,
        };
        let (paid, shortfall) = payouts(&scheme, &p.log, (epoch, closing), distributable, balance);
        for &(member, amount) in &paid {
            if amount > 0 {
                self.ledger
                    .transfer_tagged(
                        now,
                        account,
                        Account::Agent(member),
                        amount,
                        Reason::PoolPayout,
                        pool,
                    )
                    .expect("payouts fit in the pool's account");
                self.agents[member.index()].pool_payouts += amount;
            }
        }
        self.pools[pool.index()].epochs.push(EpochBooks {
            ended_at: now,
            income,
            fee,
            payouts: paid,
            shortfall,
        });
    }

    /// Every pool's account holds its reserve plus its income less its fees and payouts
    /// (closed epochs and the one in progress); hosts marked as in a pool are its active
    /// members. O(pools × epochs × members).
    pub(super) fn check_pools(&self) -> Result<(), String> {
        for (i, p) in self.pools.iter().enumerate() {
            let mut expect = u128::from(p.reserve_minted) + u128::from(p.income_now);
            for e in &p.epochs {
                let paid: u128 = e.payouts.iter().map(|x| u128::from(x.1)).sum();
                expect = (expect + u128::from(e.income))
                    .checked_sub(u128::from(e.fee) + paid)
                    .ok_or_else(|| format!("pool {i} paid more than it held"))?;
            }
            let held = u128::from(self.ledger.balance(Account::Pool(PoolId(i as u32))));
            if held != expect {
                return Err(format!(
                    "pool {i} holds {held} µT, its books say {expect} µT (reserve {}, income, fees, payouts)",
                    p.reserve_minted
                ));
            }
            for m in &p.members {
                let marked = self.hosts.get(m.host.index()).and_then(|h| h.pool);
                if (marked == Some(PoolId(i as u32))) != m.active {
                    return Err(format!(
                        "pool {i}: member agent {} active = {} but its host is marked {marked:?}",
                        m.agent.0, m.active
                    ));
                }
            }
        }
        Ok(())
    }

    /// `pool`'s luck as a hopper sees it: (last epoch's payout per MiB contributed, the mean
    /// over its epochs), µT per MiB; `None` before any epoch with contributions.
    pub fn pool_luck(&self, pool: PoolId) -> Option<(f64, f64)> {
        let p = self.pools.get(pool.index())?;
        let per_mib = |e: usize| -> Option<f64> {
            let bytes: u64 = p
                .log
                .iter()
                .filter(|c| c.epoch == e as u32)
                .map(|c| c.bytes)
                .sum();
            let paid: u64 = p.epochs[e].payouts.iter().map(|x| x.1).sum();
            (bytes > 0).then(|| paid as f64 * super::tokens::MIB as f64 / bytes as f64)
        };
        let all: Vec<f64> = (0..p.epochs.len()).filter_map(per_mib).collect();
        let last = per_mib(p.epochs.len().checked_sub(1)?)?;
        Some((last, all.iter().sum::<f64>() / all.len() as f64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Bytes;

    fn c(epoch: u32, member: u32, bytes: u64) -> Contribution {
        Contribution {
            epoch,
            member: AgentId(member),
            bytes,
        }
    }

    /// A hopper (agent 9) present only in the epochs that earn: per byte it gains under
    /// proportional payouts, not under PPLNS (where what a byte earns does not depend on the
    /// epoch it was uploaded in).
    #[test]
    fn a_hopper_gains_under_proportional_and_not_under_pplns() {
        // Two steady members upload 100 bytes every epoch; income alternates 0 and 600 over
        // 40 epochs; the hopper uploads 100 bytes only in the rich epochs.
        let incomes: Vec<u64> = (0..40).map(|e| if e % 2 == 1 { 600 } else { 0 }).collect();
        let run = |scheme: &PayoutScheme| {
            let mut log = Vec::new();
            let mut got: BTreeMap<u32, (u64, u64)> = BTreeMap::new(); // paid, bytes
            for (e, &income) in incomes.iter().enumerate() {
                let e = e as u32;
                log.push(c(e, 0, 100));
                log.push(c(e, 1, 100));
                if income > 0 {
                    log.push(c(e, 9, 100));
                }
                for x in log.iter().filter(|x| x.epoch == e) {
                    got.entry(x.member.0).or_default().1 += x.bytes;
                }
                let (paid, _) = payouts(scheme, &log, (e, false), income, u64::MAX);
                for (a, amount) in paid {
                    got.entry(a.0).or_default().0 += amount;
                }
            }
            let per_byte = |a: u32| got[&a].0 as f64 / got[&a].1 as f64;
            (per_byte(9), per_byte(0))
        };
        let (hopper, steady) = run(&PayoutScheme::Proportional);
        assert!(
            hopper > 1.4 * steady,
            "proportional: the hopper earns {hopper} per byte, a steady member {steady}"
        );
        let (hopper, steady) = run(&PayoutScheme::Pplns {
            window: Bytes(1_000),
        });
        assert!(
            hopper < 1.05 * steady,
            "PPLNS: the hopper earns {hopper} per byte, a steady member {steady}"
        );
    }

    #[test]
    fn pps_pays_a_fixed_price_and_records_what_it_cannot_pay() {
        let log = vec![c(0, 0, 1 << 20), c(0, 1, 3 << 20)];
        let scheme = PayoutScheme::Pps {
            tokens_per_mib: 1.0,
            reserve: 0.0,
        };
        let t = super::super::tokens::MICRO_PER_TOKEN;
        let (paid, short) = payouts(&scheme, &log, (0, false), 0, 10 * t);
        assert_eq!(
            (paid, short),
            (vec![(AgentId(0), t), (AgentId(1), 3 * t)], 0)
        );
        let (paid, short) = payouts(&scheme, &log, (0, false), 0, 2 * t);
        assert_eq!(paid, vec![(AgentId(0), t / 2), (AgentId(1), 3 * t / 2)]);
        assert_eq!(short, 2 * t);
    }

    #[test]
    fn proportional_and_pplns_split_by_bytes() {
        let log = vec![c(0, 0, 300), c(1, 0, 100), c(1, 1, 100)];
        let (p, _) = payouts(&PayoutScheme::Proportional, &log, (1, false), 1000, 0);
        assert_eq!(p, vec![(AgentId(0), 500), (AgentId(1), 500)]);
        // PPLNS at epoch 2 over the last 400 bytes before it: agent 0 has 100 + 200 of them,
        // agent 1 has 100.
        let (p, _) = payouts(
            &PayoutScheme::Pplns { window: Bytes(400) },
            &log,
            (2, false),
            1000,
            0,
        );
        assert_eq!(p, vec![(AgentId(0), 750), (AgentId(1), 250)]);
        // At epoch 1, only epoch 0's 300 bytes count: 300/400 of the amount is paid, the rest
        // stays in the pool.
        let (p, _) = payouts(
            &PayoutScheme::Pplns { window: Bytes(400) },
            &log,
            (1, false),
            1000,
            0,
        );
        assert_eq!(p, vec![(AgentId(0), 750)]);
        // Closing at epoch 1 (the run's end), epoch 1's own bytes count too.
        let (p, _) = payouts(
            &PayoutScheme::Pplns { window: Bytes(400) },
            &log,
            (1, true),
            1000,
            0,
        );
        assert_eq!(p, vec![(AgentId(0), 750), (AgentId(1), 250)]);
    }
}
