//! The reference-client choker (BEP 3 / mainline, libtorrent, Transmission), parameterised
//! entirely by [`ChokerParams`].
//!
//! Invariant: its record of current optimistic unchokes holds at most `optimistic_slots`
//! distinct peers, none of them in the same decision's regular set.

use super::optimistic::{self, OptimisticParams};
use super::ranking::{self, RankBuffer, Ranking, RoundRobin, Slot};
use super::{Candidate, ChokeDecision, ChokeView, Choker};
use crate::config::{ChokerParams, SeedRanking};
use crate::ids::PeerId;
use crate::rng::SimRng;
use crate::time::SimDuration;

/// The reference choker. At each rechoke:
/// 1. **Regular slots**: the interested candidates are ranked by [`ranking::rank`]
///    (leeching: download rate; seeding: upload rate or round robin per `seed_ranking`) and
///    the best `regular_slots` are unchoked. While leeching, snubbing peers come after all
///    others (mainline keeps them out of its rate-ranked set but still uses them to fill
///    slots nobody else wants).
/// 2. **Optimistic slots**: on rechokes number 0, k, 2k, … (k = `optimistic_interval /
///    rechoke_interval`, at least 1) all optimistic slots rotate. On other rechokes a current
///    optimistic peer keeps its slot unless it left, lost interest or was just given a
///    regular slot; freed slots are refilled at once, and the new peer holds it until the next
///    rotation. Picks come from the interested candidates outside the regular set (snubbed
///    allowed) by [`optimistic::pick`]; peers being rotated out are picked only if nobody
///    else is left.
///
/// Between rechokes, [`Choker::fill_free_slots`] ranks the choked eligible candidates the same
/// way.
#[derive(Clone, Debug)]
pub struct ReferenceChoker {
    params: ChokerParams,
    /// Current optimistic unchokes, in the order they were kept/picked.
    optimistic: Vec<PeerId>,
    /// Rechokes done so far.
    rechokes: u64,
}

impl ReferenceChoker {
    /// A choker that has not rechoked yet.
    pub fn new(params: ChokerParams) -> Self {
        ReferenceChoker {
            params,
            optimistic: Vec::new(),
            rechokes: 0,
        }
    }

    /// The parameters it was built with.
    pub fn params(&self) -> &ChokerParams {
        &self.params
    }

    /// Current optimistic unchokes, as recorded by the choker.
    pub fn current_optimistic(&self) -> &[PeerId] {
        &self.optimistic
    }

    /// Rechokes between two optimistic rotations: `optimistic_interval / rechoke_interval`,
    /// at least 1 (validation guarantees an exact positive multiple).
    pub fn optimistic_period(&self) -> u64 {
        let rechoke = self.params.rechoke_interval.as_micros().max(1);
        (self.params.optimistic_interval.as_micros() / rechoke).max(1)
    }

    /// The regular-slot ranking for this view.
    fn ranking(&self, view: &ChokeView) -> Ranking {
        if !view.seeding {
            return Ranking::DownloadRate;
        }
        match self.params.seed_ranking {
            SeedRanking::UploadRate => Ranking::UploadRate,
            SeedRanking::RoundRobin => Ranking::RoundRobin(RoundRobin {
                now: view.now,
                quota_bytes: view
                    .piece_bytes
                    .saturating_mul(u64::from(self.params.seeding_piece_quota)),
                min_hold: self.params.seeding_min_unchoke,
            }),
        }
    }

    /// The best `best` interested candidates of `pool` for regular slots, best first: those
    /// not snubbing us (every one when seeding), then, while leeching, the snubbing ones.
    /// Draws one random tie-break per interested candidate, however many are returned.
    fn rank_regular<'a>(
        &self,
        pool: impl Iterator<Item = &'a Candidate> + Clone,
        view: &ChokeView,
        best: usize,
        rng: &mut SimRng,
    ) -> Vec<PeerId> {
        // Scratch for this decision only: a buffer kept per choker would hold up to 5 KB for
        // every peer ever seen (500 MB over 100,000 peers), for one allocation saved.
        let mut buffer = RankBuffer::default();
        let mut ranked = Vec::new();
        let seeding = view.seeding;
        let preferred = pool
            .clone()
            .filter(|c| c.interested && (seeding || !c.snubbed));
        self.rank(preferred, view, best, &mut buffer, &mut ranked, rng);
        let snubbing = pool.filter(|c| c.interested && !seeding && c.snubbed);
        let rest = best - ranked.len();
        self.rank(snubbing, view, rest, &mut buffer, &mut ranked, rng);
        ranked
    }

    /// Regular slots minus the given unchoked interested peers that are not optimistic
    /// unchokes.
    fn free_slots_besides(&self, unchoked_interested: impl Iterator<Item = PeerId>) -> usize {
        let used = unchoked_interested
            .filter(|&p| !self.is_optimistic(p))
            .count();
        (self.params.regular_slots as usize).saturating_sub(used)
    }

    fn is_optimistic(&self, peer: PeerId) -> bool {
        self.optimistic.contains(&peer)
    }

    /// Where `c` stands: waiting (choked or optimistic) or holding a regular slot.
    fn slot(&self, c: &Candidate) -> Slot {
        if !c.unchoked || self.is_optimistic(c.peer) {
            Slot::Waiting
        } else {
            Slot::Held
        }
    }

    /// Appends the best `best` of `pool` by this view's ranking to `out`, best first.
    fn rank<'a>(
        &self,
        pool: impl Iterator<Item = &'a Candidate>,
        view: &ChokeView,
        best: usize,
        buffer: &mut RankBuffer,
        out: &mut Vec<PeerId>,
        rng: &mut SimRng,
    ) {
        let ranking = self.ranking(view);
        ranking::rank(pool, ranking, |c| self.slot(c), best, buffer, out, rng);
    }

    fn optimistic_params(&self) -> OptimisticParams {
        OptimisticParams {
            rule: self.params.optimistic_rule,
            new_peer_weight: self.params.new_peer_weight,
            new_peer_age: self.params.new_peer_age,
        }
    }
}

impl Choker for ReferenceChoker {
    fn rechoke(&mut self, view: &ChokeView, rng: &mut SimRng) -> ChokeDecision {
        let slots = self
            .params
            .regular_slots
            .saturating_sub(view.reserved_slots) as usize;
        let regular = self.rank_regular(view.candidates.iter(), view, slots, rng);

        let rotate = self.rechokes.is_multiple_of(self.optimistic_period());
        let previous = std::mem::take(&mut self.optimistic);
        let kept: Vec<PeerId> = if rotate {
            Vec::new()
        } else {
            previous
                .iter()
                .copied()
                .filter(|&p| {
                    !regular.contains(&p)
                        && view.candidates.iter().any(|c| c.peer == p && c.interested)
                })
                .take(self.params.optimistic_slots as usize)
                .collect()
        };

        let need = (self.params.optimistic_slots as usize).saturating_sub(kept.len());
        self.optimistic = kept;
        // Picking none draws nothing, so the pools are built only when a slot is open.
        if need > 0 {
            let (outgoing, fresh): (Vec<&Candidate>, Vec<&Candidate>) = view
                .candidates
                .iter()
                .filter(|c| {
                    c.interested && !regular.contains(&c.peer) && !self.optimistic.contains(&c.peer)
                })
                .partition(|c| previous.contains(&c.peer));
            let params = self.optimistic_params();
            let mut picks = optimistic::pick(&fresh, need, view.now, &params, rng);
            if picks.len() < need {
                let more = optimistic::pick(&outgoing, need - picks.len(), view.now, &params, rng);
                picks.extend(more);
            }
            self.optimistic.extend(picks);
        }
        self.rechokes += 1;
        ChokeDecision {
            regular,
            optimistic: self.optimistic.clone(),
        }
    }

    /// Draws no random number when no regular slot is free.
    fn fill_free_slots(&mut self, view: &ChokeView, rng: &mut SimRng) -> Vec<PeerId> {
        let busy = view
            .candidates
            .iter()
            .filter(|c| c.unchoked && c.interested)
            .map(|c| c.peer);
        let free = self.free_slots_besides(busy);
        if free == 0 {
            return Vec::new();
        }
        let pool = view.candidates.iter().filter(|c| !c.unchoked);
        self.rank_regular(pool, view, free, rng)
    }

    /// Regular slots minus the unchoked interested peers that are not optimistic unchokes.
    fn free_regular_slots(&self, unchoked_interested: &[PeerId]) -> usize {
        self.free_slots_besides(unchoked_interested.iter().copied())
    }

    fn forget(&mut self, peer: PeerId) {
        self.optimistic.retain(|&p| p != peer);
    }

    fn rechoke_interval(&self) -> SimDuration {
        self.params.rechoke_interval
    }
}
