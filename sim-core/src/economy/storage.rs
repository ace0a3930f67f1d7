//! Cold storage (`[economy.storage]`): content a host keeps offline. A holding starts when an
//! agent stores content its host completed and ends when it releases it or cannot pay the
//! rent (evicted); while it lasts the agent pays rent per GB-month, billed every
//! `bill_every`, at the holding's end and at the run's end, burned from its account (paid
//! outside the system). Retrieving a holding makes the content seedable again after the
//! retrieval delay; the holding (and its rent) goes on until it is released.
//!
//! Rent is exact in integer µT: a holding of `b` bytes held for `d` µs at `r` µT per GB-month
//! owes `⌊b·r·d / (10⁹ · 2.592·10¹²)⌋` µT in all, however its time was cut into bills (each
//! bill is the growth of that floor since the last one).
//!
//! Invariant: `rent_billed` of a holding equals the floor of its accrued numerator over the
//! denominator, less what it could not pay; every payment is a `storage_rent` burn.

use super::Economy;
use super::ledger::{Account, Reason};
use super::tokens::from_tokens;
use crate::ids::{AgentId, ContentId, HostId, TorrentId};
use crate::time::SimTime;

/// GB-month in byte-µs: 10⁹ bytes × 30 days in µs.
pub const GB_MONTH_BYTE_MICROS: u128 = 1_000_000_000 * 30 * 86_400 * 1_000_000;

/// One holding of content in cold storage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holding {
    pub agent: AgentId,
    pub host: HostId,
    pub content: ContentId,
    pub bytes: u64,
    pub since: SimTime,
    /// When it ended (released or evicted).
    pub ended_at: Option<SimTime>,
    /// Ended because the agent could not pay the rent.
    pub evicted: bool,
    /// Accrued to here (µs since the start).
    accrued_until: SimTime,
    /// Σ bytes × µT-per-GB-month × µs held so far.
    numerator: u128,
    /// µT billed (paid and unpaid) so far.
    pub rent_billed: u64,
    /// µT of the bills it could not pay.
    pub rent_unpaid: u64,
}

impl Holding {
    /// Accrues rent to `now` at `rate` µT per GB-month; returns the µT newly owed.
    fn accrue(&mut self, now: SimTime, rate: u64) -> u64 {
        if now <= self.accrued_until {
            return 0;
        }
        let dt = u128::from(now.since(self.accrued_until).as_micros());
        self.numerator += u128::from(self.bytes) * u128::from(rate) * dt;
        self.accrued_until = now;
        let owed_total = (self.numerator / GB_MONTH_BYTE_MICROS) as u64;
        let due = owed_total - self.rent_billed;
        self.rent_billed = owed_total;
        due
    }
}

/// A retrieval of held content for seeding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retrieval {
    /// Index into the holdings.
    pub holding: usize,
    pub listing: TorrentId,
    pub asked_at: SimTime,
    /// When the content was seedable again (`None`: still in retrieval at the end, or the
    /// holding ended first).
    pub ready_at: Option<SimTime>,
}

/// Every holding and retrieval of a run.
#[derive(Clone, Debug, Default)]
pub struct StorageBook {
    /// Rent, µT per GB-month.
    pub rate: u64,
    pub holdings: Vec<Holding>,
    pub retrievals: Vec<Retrieval>,
}

impl StorageBook {
    pub fn new(rent_per_gb_month: f64) -> StorageBook {
        StorageBook {
            rate: from_tokens(rent_per_gb_month),
            ..StorageBook::default()
        }
    }

    /// Each holding billed exactly the floor of its accrued rent, nothing unpaid unless it
    /// was evicted, at most one active holding per (host, content), and every retrieval of an
    /// existing holding. O(holdings · log holdings).
    pub fn check(&self) -> Result<(), String> {
        let mut active = std::collections::BTreeSet::new();
        for (i, h) in self.holdings.iter().enumerate() {
            let exact = (h.numerator / GB_MONTH_BYTE_MICROS) as u64;
            if h.rent_billed != exact {
                return Err(format!(
                    "holding {i} billed {} µT, its accrued rent is {exact} µT",
                    h.rent_billed
                ));
            }
            if h.rent_unpaid > 0 && !h.evicted {
                return Err(format!(
                    "holding {i} owes {} µT but was not evicted",
                    h.rent_unpaid
                ));
            }
            if h.ended_at.is_none() && !active.insert((h.host, h.content)) {
                return Err(format!("holding {i} duplicates an active holding"));
            }
        }
        if let Some(r) = self
            .retrievals
            .iter()
            .find(|r| r.holding >= self.holdings.len())
        {
            return Err(format!(
                "a retrieval of holding {} that does not exist",
                r.holding
            ));
        }
        Ok(())
    }

    /// The active holding of `content` by `host`, if any.
    pub fn active(&self, host: HostId, content: ContentId) -> Option<usize> {
        self.holdings
            .iter()
            .position(|h| h.host == host && h.content == content && h.ended_at.is_none())
    }

    /// A retrieval of holding `holding` still in progress.
    pub fn retrieving(&self, holding: usize) -> bool {
        self.retrievals
            .iter()
            .any(|r| r.holding == holding && r.ready_at.is_none())
    }
}

impl Economy {
    /// The cold-storage book, with `[economy.storage]`.
    pub fn storage(&self) -> Option<&StorageBook> {
        self.storage.as_ref()
    }

    /// `agent` stores `content` (`bytes`) of its `host`: a new holding from now, unless it
    /// holds it already. Returns whether a holding is active.
    pub fn store(
        &mut self,
        now: SimTime,
        (agent, host): (AgentId, HostId),
        content: ContentId,
        bytes: u64,
    ) -> bool {
        let Some(book) = self.storage.as_mut() else {
            return false;
        };
        if book.active(host, content).is_none() {
            book.holdings.push(Holding {
                agent,
                host,
                content,
                bytes,
                since: now,
                ended_at: None,
                evicted: false,
                accrued_until: now,
                numerator: 0,
                rent_billed: 0,
                rent_unpaid: 0,
            });
        }
        true
    }

    /// Bills holding `i` to `now`: burns what its agent can pay of the rent due; if it
    /// cannot pay it all, the holding is evicted (ended). Returns whether it was evicted.
    fn bill_holding(&mut self, now: SimTime, i: usize) -> bool {
        let Some(book) = self.storage.as_mut() else {
            return false;
        };
        let rate = book.rate;
        let h = &mut book.holdings[i];
        if h.ended_at.is_some() {
            return false;
        }
        let due = h.accrue(now, rate);
        let agent = h.agent;
        let from = Account::Agent(agent);
        let paid = due.min(self.ledger.balance(from));
        if paid > 0 {
            self.ledger
                .burn(now, from, paid, Reason::StorageRent)
                .expect("rent capped by the balance");
        }
        self.agents[agent.index()].storage_rent += paid;
        let book = self.storage.as_mut().expect("checked above");
        let h = &mut book.holdings[i];
        if paid < due {
            h.rent_unpaid += due - paid;
            h.ended_at = Some(now);
            h.evicted = true;
            return true;
        }
        false
    }

    /// Bills every active holding to `now`; returns the (host, content) of those evicted.
    pub fn bill_storage(&mut self, now: SimTime) -> Vec<(HostId, ContentId)> {
        let n = self.storage.as_ref().map_or(0, |b| b.holdings.len());
        let mut evicted = Vec::new();
        for i in 0..n {
            if self.bill_holding(now, i) {
                let h = &self.storage.as_ref().expect("n > 0").holdings[i];
                evicted.push((h.host, h.content));
            }
        }
        evicted
    }

    /// `host` releases its holding of `content`: billed to now, then ended. Returns whether
    /// there was one.
    pub fn release(&mut self, now: SimTime, host: HostId, content: ContentId) -> bool {
        let Some(i) = self.storage.as_ref().and_then(|b| b.active(host, content)) else {
            return false;
        };
        if !self.bill_holding(now, i) {
            let book = self.storage.as_mut().expect("found a holding");
            book.holdings[i].ended_at = Some(now);
        }
        true
    }

    /// Asks for the retrieval of `host`'s holding of `content` for `listing`; returns the
    /// retrieval's index, or `None` without an active holding or with one in progress.
    pub fn retrieve(
        &mut self,
        now: SimTime,
        host: HostId,
        content: ContentId,
        listing: TorrentId,
    ) -> Option<usize> {
        let book = self.storage.as_mut()?;
        let holding = book.active(host, content)?;
        if book.retrieving(holding) {
            return None;
        }
        book.retrievals.push(Retrieval {
            holding,
            listing,
            asked_at: now,
            ready_at: None,
        });
        Some(book.retrievals.len() - 1)
    }

    /// Retrieval `r` is done now; returns whether its holding is still active (then the
    /// content can be seeded).
    pub fn retrieved(&mut self, now: SimTime, r: usize) -> bool {
        let Some(book) = self.storage.as_mut() else {
            return false;
        };
        let holding = book.retrievals[r].holding;
        if book.holdings[holding].ended_at.is_some() {
            return false;
        }
        book.retrievals[r].ready_at = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimDuration;

    fn holding(bytes: u64) -> Holding {
        Holding {
            agent: AgentId(0),
            host: HostId(0),
            content: ContentId(0),
            bytes,
            since: SimTime::ZERO,
            ended_at: None,
            evicted: false,
            accrued_until: SimTime::ZERO,
            numerator: 0,
            rent_billed: 0,
            rent_unpaid: 0,
        }
    }

    /// A GB held for a month at 4,000 µT (0.004 tokens) per GB-month owes exactly 4,000 µT.
    #[test]
    fn a_gb_month_costs_the_rate() {
        let mut h = holding(1_000_000_000);
        let month = SimTime::ZERO + SimDuration::from_secs(30 * 86_400);
        assert_eq!(h.accrue(month, 4_000), 4_000);
    }

    /// However the holding's time is cut into bills, the total is the floor of the whole
    /// period's rent: exact integer µT, no rounding drift.
    #[test]
    fn rent_over_irregular_periods_is_exact() {
        let bytes = 734_003_200; // 700 MiB
        let rate = 4_000;
        let cuts_s = [
            1u64, 7, 3_599, 86_400, 13, 604_800, 2_592_000, 17, 1_000_003,
        ];
        let mut h = holding(bytes);
        let (mut t, mut billed) = (SimTime::ZERO, 0u64);
        for &c in &cuts_s {
            t += SimDuration::from_secs(c);
            billed += h.accrue(t, rate);
        }
        let total_us = u128::from(t.since(SimTime::ZERO).as_micros());
        let exact = (u128::from(bytes) * u128::from(rate) * total_us / GB_MONTH_BYTE_MICROS) as u64;
        assert_eq!(billed, exact);
        assert_eq!(h.rent_billed, exact);
        // A single bill over the same time owes the same.
        let mut once = holding(bytes);
        assert_eq!(once.accrue(t, rate), exact);
    }

    /// Billing twice at the same instant owes nothing the second time.
    #[test]
    fn billing_is_idempotent_at_an_instant() {
        let mut h = holding(5_000_000_000);
        let t = SimTime::ZERO + SimDuration::from_secs(86_400);
        let first = h.accrue(t, 4_000);
        assert!(first > 0);
        assert_eq!(h.accrue(t, 4_000), 0);
    }
}
