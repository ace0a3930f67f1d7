//! Who leaves: departures (seeding over, aborts, publishers going offline, economic
//! departure, agents' commands, bans), becoming a seed, and the loss and restoration of a
//! listing's content.

use super::state::{LeaveReason, PeerState};
use super::{Event, Sim};
use crate::boundary::Fact;
use crate::config::SeedingTime;
use crate::ids::{PeerId, TorrentId};
use crate::time::{SimDuration, SimTime};
use rand_distr::{Distribution, Exp, LogNormal};

impl Sim {
    pub(super) fn on_leave(&mut self, now: SimTime, peer: PeerId, reason: LeaveReason) {
        let state = self.peers[peer.index()].state;
        let applies = match reason {
            LeaveReason::Abort => state == PeerState::Leeching,
            LeaveReason::SeedingOver | LeaveReason::Unprofitable | LeaveReason::Fake => {
                state == PeerState::Seeding
            }
            LeaveReason::PublisherOff
            | LeaveReason::Dropped
            | LeaveReason::Offline
            | LeaveReason::Banned => state != PeerState::Gone,
        };
        if !applies {
            return;
        }
        // Gone before disconnecting, so no handler restarts anything for a departing peer.
        self.peers[peer.index()].state = PeerState::Gone;
        for c in self.peers[peer.index()].conns.clone() {
            self.disconnect(now, c);
        }
        let p = &mut self.peers[peer.index()];
        // The peer stays as a tombstone: give back its (now empty) neighbour lists.
        p.conns = Vec::new();
        p.remotes = Vec::new();
        p.leeching_remotes = Vec::new();
        p.links = Vec::new();
        p.unchoked = Vec::new();
        p.left_at = Some(now);
        p.leave_reason = Some(reason);
        let (t, host) = (p.torrent, p.host);
        let tor = &mut self.torrents[t.index()];
        let pos = std::mem::replace(&mut self.peers[peer.index()].member_pos, u32::MAX) as usize;
        debug_assert_eq!(tor.members.get(pos), Some(&peer), "member position");
        tor.members.swap_remove(pos);
        if let Some(&moved) = tor.members.get(pos) {
            self.peers[moved.index()].member_pos = pos as u32;
        }
        for piece in self.peers[peer.index()].pieces.have().iter() {
            let c = &mut tor.copies[piece as usize];
            *c -= 1;
            if *c == 0 {
                tor.pieces_without_copy += 1;
            }
        }
        if state == PeerState::Leeching {
            tor.leechers -= 1;
            self.leechers_online -= 1;
        } else {
            tor.seeds -= 1;
        }
        self.note_piece_loss(now, t);
        let uploaded = self.peers[peer.index()].bytes_uploaded;
        let h = &mut self.hosts[host.index()];
        h.uploaded_by_departed += uploaded;
        h.peers.retain(|&x| x != peer);
        let offline = h.peers.is_empty();
        if h.peers.is_empty()
            && let Some(pos) = h.online_pos.take()
        {
            self.online_hosts.swap_remove(pos);
            if let Some(&moved) = self.online_hosts.get(pos) {
                self.hosts[moved.index()].online_pos = Some(pos);
            }
        }
        if offline {
            self.econ_host_offline(now, host);
        }
        if self.world.is_some() {
            let p = &self.peers[peer.index()];
            let fact = Fact::PeerLeft {
                peer,
                host,
                identity: p.identity,
                listing: t,
                reason,
                downloaded: p.bytes_downloaded,
                uploaded: p.bytes_uploaded,
            };
            self.tell(now, fact);
        }
    }

    /// Records the first moment after release at which the online peers miss some piece,
    /// and (with a world) each later loss as the start of an unavailable episode.
    pub(super) fn note_piece_loss(&mut self, now: SimTime, t: TorrentId) {
        let tor = &mut self.torrents[t.index()];
        let lost = tor.released && tor.ever_available && tor.pieces_without_copy > 0;
        if lost && tor.lost_at.is_none() {
            tor.lost_at = Some(now);
        }
        if self.world.is_some() && lost && tor.episodes.last().is_none_or(|e| e.1.is_some()) {
            tor.episodes.push((now, None));
            self.tell(now, Fact::ContentLost { listing: t });
        }
    }

    /// A seed joined: content not yet available (on demand) becomes available; content that
    /// was lost, with every piece online again, ends its open unavailable episode.
    pub(super) fn note_restoration(&mut self, now: SimTime, t: TorrentId) {
        let tor = &mut self.torrents[t.index()];
        if tor.pieces_without_copy > 0 {
            return;
        }
        if tor.first_available_at.is_none() {
            tor.first_available_at = Some(now);
        }
        if !tor.ever_available {
            tor.ever_available = true;
            return;
        }
        if let Some(last) = tor.episodes.last_mut()
            && last.1.is_none()
        {
            last.1 = Some(now);
            self.tell(now, Fact::ContentRestored { listing: t });
        }
    }

    /// A leecher just completed: it becomes a seed, drops seed–seed connections and schedules
    /// its departure from its seeding-time distribution.
    pub(super) fn become_seed(&mut self, now: SimTime, peer: PeerId) {
        let p = &mut self.peers[peer.index()];
        p.state = PeerState::Seeding;
        p.completed_at = Some(now);
        let t = p.torrent;
        let tor = &mut self.torrents[t.index()];
        tor.leechers -= 1;
        tor.seeds += 1;
        self.leechers_online -= 1;
        // Neighbours stop sending us HAVEs' worth of work: we keep no counts any more.
        for r in self.peers[peer.index()].remotes.clone() {
            let list = &mut self.peers[r.index()].leeching_remotes;
            if let Some(j) = list.iter().position(|&x| x == peer) {
                list.remove(j);
            }
        }
        // Seeds have nothing to trade with seeds; every other neighbour that unchoked us gets
        // its slot back at once (we want nothing more).
        let conns = self.peers[peer.index()].conns.clone();
        for c in conns {
            let other = self.conns[c.index()].other(peer);
            if self.peers[other.index()].state == PeerState::Seeding {
                self.disconnect(now, c);
            } else {
                let inbound = 1 - self.conns[c.index()].side_of(peer);
                self.choke(now, c, inbound);
            }
        }
        self.econ_completed(now, peer);
        self.bounty_completion(now, t);
        let content = self.torrents[t.index()].content;
        let host = self.peers[peer.index()].host;
        if self.world.is_some() {
            let fake = self.torrents[t.index()].fake;
            self.tell(
                now,
                Fact::PeerCompleted {
                    peer,
                    host,
                    listing: t,
                    fake,
                },
            );
            if fake {
                // It finds out at once and leaves; the download was wasted.
                self.torrents[t.index()].fake_downloads += 1;
                self.queue.schedule(
                    now,
                    Event::Leave {
                        peer,
                        reason: LeaveReason::Fake,
                    },
                );
                return;
            }
            // A returning user keeps what it downloaded; an agent's host seeds until told.
            let h = &mut self.hosts[host.index()];
            if (!self.users.is_empty() || h.owner.is_some()) && !h.held.contains(&content) {
                h.held.push(content);
            }
            if h.owner.is_some() {
                return;
            }
        }
        self.start_seeding(now, peer);
    }

    /// `peer` (a user's seed) begins seeding by its torrent's `seeding` rule.
    pub(super) fn start_seeding(&mut self, now: SimTime, peer: PeerId) {
        let t = self.peers[peer.index()].torrent;
        let content = self.torrents[t.index()].content;
        let seeding = self.scenario.torrents[content.index()].seeding;
        if let SeedingTime::UntilRatio { min_time, .. } = seeding {
            self.queue
                .schedule(now + min_time.0, Event::RatioCheck { peer });
        } else if matches!(seeding, SeedingTime::Economic { .. }) {
            self.start_economic_seeding(now, peer, &seeding);
        } else if matches!(seeding, SeedingTime::UntilRepaid { .. }) {
            self.start_seeding_until_repaid(now, peer, &seeding);
        } else if let Some(after) = draw_seeding_time(&seeding, &mut self.rngs.departures) {
            self.queue.schedule(
                now + after,
                Event::Leave {
                    peer,
                    reason: LeaveReason::SeedingOver,
                },
            );
        }
    }
}

/// How long a completed peer seeds; `None` = until the horizon.
fn draw_seeding_time(s: &SeedingTime, rng: &mut crate::rng::SimRng) -> Option<SimDuration> {
    match s {
        SeedingTime::LeaveAtOnce => Some(SimDuration::ZERO),
        SeedingTime::Fixed { time } => Some(time.0),
        SeedingTime::Exponential { mean } => {
            let d = Exp::new(1.0 / mean.as_secs_f64()).expect("validated: mean > 0");
            Some(SimDuration::from_secs_f64(d.sample(rng)))
        }
        SeedingTime::Lognormal { median, sigma } => {
            let d =
                LogNormal::new(median.as_secs_f64().ln(), *sigma).expect("validated: sigma >= 0");
            Some(SimDuration::from_secs_f64(d.sample(rng)))
        }
        SeedingTime::Forever => None,
        SeedingTime::Economic { .. }
        | SeedingTime::UntilRatio { .. }
        | SeedingTime::UntilRepaid { .. } => {
            unreachable!("economic, ratio and repayment seeding are handled by checks")
        }
    }
}
