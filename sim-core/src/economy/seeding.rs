//! Economic seeding: a seeder stays while its recent earnings cover its cost of staying.
//!
//! Invariant: a check compares integers only: earned µT · 1 h ≥ cost per hour · span.

use super::Economy;
use crate::ids::PeerId;
use crate::time::{SimDuration, SimTime};

/// What an economic seeding check decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedVerdict {
    /// Its deadline passed: it leaves (seeding over).
    Deadline,
    /// Its earnings over the window fell short of its cost: it leaves (unprofitable).
    Unprofitable,
    /// It stays and checks again at this time.
    CheckAt(SimTime),
}

impl Economy {
    /// `peer` completed under economic seeding with a cost of staying of `cost_per_hour` µT:
    /// remember its earnings now, its deadline and its check window.
    pub fn start_seeding(
        &mut self,
        peer: PeerId,
        now: SimTime,
        cost_per_hour: u64,
        max_time: SimDuration,
        window: SimDuration,
    ) {
        let pe = &mut self.peers[peer.index()];
        pe.cost_per_hour = cost_per_hour;
        pe.earned_at_check = pe.earned;
        pe.last_check = now;
        pe.seeding_deadline = now + max_time;
        pe.check_window = window;
    }

    /// Economic seeding check of `peer`: leave at the deadline, or when the tokens earned
    /// since the last check, per hour, fall below the cost of staying; otherwise check again
    /// one window later (never past the deadline).
    pub fn seed_check(&mut self, peer: PeerId, now: SimTime) -> SeedVerdict {
        let pe = &mut self.peers[peer.index()];
        if now >= pe.seeding_deadline {
            return SeedVerdict::Deadline;
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
            return SeedVerdict::Unprofitable;
        }
        pe.earned_at_check = pe.earned;
        pe.last_check = now;
        SeedVerdict::CheckAt((now + pe.check_window).min(pe.seeding_deadline))
    }
}
