//! Connection upkeep at a peer's rechokes, after libtorrent: near the connection limit a
//! connection on which neither side has been interested for `inactivity_timeout` is closed
//! (`timed_out_no_interest`), and every `peer_turnover_interval` a peer holding at least
//! `peer_turnover_cutoff_percent` of its limit replaces `peer_turnover_percent` of its
//! connections, least useful first, with members it is not connected to (peer turnover).
//! Without them a group of peers with full connection lists and nothing to trade stays stuck
//! while seeds elsewhere in the swarm are online.
//!
//! Simplification: interest is looked at only at the peer's rechokes, and only while it is
//! near its limit; a quiet spell starts when a look first sees it. New neighbours are drawn
//! from the tracker's members (a client's peer list) without an announce.

use super::Sim;
use super::state::PeerState;
use crate::ids::{ConnId, PeerId};
use crate::time::SimTime;
use rand::RngExt;

/// libtorrent closes quiet connections only within this many connections of the limit
/// (`max_torrent_conns` in `peer_connection::second_tick`).
const QUIET_CLOSE_MARGIN: usize = 5;

impl Sim {
    /// Runs both rules for `peer` (called at the end of its rechoke).
    pub(super) fn upkeep(&mut self, now: SimTime, peer: PeerId) {
        let tracker = self.torrents[self.peers[peer.index()].torrent.index()].tracker;
        let max = tracker.max_connections as usize;
        let held = self.peers[peer.index()].conns.len();
        if tracker.inactivity_timeout.0.0 > 0 && held + QUIET_CLOSE_MARGIN >= max {
            self.close_quiet(now, peer, tracker.inactivity_timeout.0.0);
        }
        if tracker.peer_turnover_percent > 0 && now >= self.peers[peer.index()].next_turnover {
            self.peers[peer.index()].next_turnover = now + tracker.peer_turnover_interval.0;
            let held = self.peers[peer.index()].conns.len();
            if held * 100 >= max * tracker.peer_turnover_cutoff_percent as usize && held > 0 {
                let share = held * tracker.peer_turnover_percent as usize / 100;
                self.turn_over(now, peer, share.max(1));
            }
        }
    }

    /// Closes `peer`'s connections on which neither side has been interested for `timeout`
    /// µs, and starts the quiet clock of those that just became quiet.
    fn close_quiet(&mut self, now: SimTime, peer: PeerId, timeout: u64) {
        let mut close: Vec<ConnId> = Vec::new();
        for i in 0..self.peers[peer.index()].conns.len() {
            let p = &self.peers[peer.index()];
            let remote = p.remotes[i];
            let quiet = !self.interested(peer, remote) && !self.interested(remote, peer);
            let conn = p.conns[i];
            let link = &mut self.peers[peer.index()].links[i];
            if !quiet {
                link.quiet_since = SimTime::NEVER;
            } else if link.quiet_since == SimTime::NEVER {
                link.quiet_since = now;
            } else if now.since(link.quiet_since).0 >= timeout {
                close.push(conn);
            }
        }
        for c in close {
            if self.conns[c.index()].open {
                self.disconnect(now, c);
            }
        }
    }

    /// Closes up to `count` of `peer`'s least useful connections, as many as it finds members
    /// to connect to instead, and connects to those.
    fn turn_over(&mut self, now: SimTime, peer: PeerId, count: usize) {
        let fresh = self.fresh_members(peer, count);
        if fresh.is_empty() {
            return;
        }
        let worst = self.least_useful(now, peer, fresh.len());
        for c in worst {
            if self.conns[c.index()].open {
                self.disconnect(now, c);
            }
        }
        let max = self.torrents[self.peers[peer.index()].torrent.index()]
            .tracker
            .max_connections as usize;
        for m in fresh {
            let full = |s: &Sim, x: PeerId| s.peers[x.index()].conns.len() >= max;
            if full(self, peer) {
                break;
            }
            if !full(self, m) && self.peers[m.index()].is_online() && !self.connected(peer, m) {
                self.connect(now, peer, m);
            }
        }
    }

    /// Up to `count` distinct online members `peer` could connect to (not itself, not a
    /// neighbour, not full, not a seed if it is one), drawn at random from the members.
    fn fresh_members(&mut self, peer: PeerId, count: usize) -> Vec<PeerId> {
        let t = self.peers[peer.index()].torrent;
        let max = self.torrents[t.index()].tracker.max_connections as usize;
        let members_len = self.torrents[t.index()].members.len();
        let seeding = self.peers[peer.index()].state == PeerState::Seeding;
        let mut found: Vec<PeerId> = Vec::with_capacity(count);
        if members_len <= 1 {
            return found;
        }
        for _ in 0..4 * count + 8 {
            if found.len() == count {
                break;
            }
            let m =
                self.torrents[t.index()].members[self.rngs.tracker.random_range(0..members_len)];
            let them = &self.peers[m.index()];
            let useless = m == peer
                || !them.is_online()
                || them.conns.len() >= max
                || (seeding && them.state == PeerState::Seeding)
                || found.contains(&m)
                || self.connected(peer, m);
            if !useless {
                found.push(m);
            }
        }
        found
    }

    /// `peer`'s `count` connections best closed, by libtorrent's `compare_disconnect_peer`:
    /// neighbours it is not interested in first, then non-seeds, then the lowest average
    /// rate received (bytes over seconds connected + 1), then those choking it, then the
    /// longest without data; ties by neighbour id.
    fn least_useful(&self, now: SimTime, peer: PeerId, count: usize) -> Vec<ConnId> {
        let p = &self.peers[peer.index()];
        let mut ranked: Vec<(bool, bool, u64, bool, SimTime, PeerId, ConnId)> = p
            .conns
            .iter()
            .zip(&p.remotes)
            .zip(&p.links)
            .map(|((&c, &remote), link)| {
                let conn = &self.conns[c.index()];
                let inbound = &conn.dirs[conn.side_of(remote)];
                let secs = now.since(link.connected_at).as_secs_f64() as u64;
                (
                    self.interested(remote, peer),
                    self.peers[remote.index()].state == PeerState::Seeding,
                    inbound.delivered / (secs + 1),
                    !inbound.choked,
                    inbound.last_data_at,
                    remote,
                    c,
                )
            })
            .collect();
        ranked.sort_unstable();
        ranked.into_iter().take(count).map(|r| r.6).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Scenario;

    /// A flash crowd of 30 with room for 8 neighbours each and `publishers` publishers, run
    /// for `secs`.
    fn crowd(secs: u64, extra: &str, publishers: u32, max_connections: u32) -> Sim {
        let text = format!(
            r#"
            name = "upkeep"
            seed = 7
            horizon = "2h"
            [tracker]
            max_connections = {max_connections}
            max_initiate = 8
            numwant = 50
            {extra}
            [[classes]]
            name = "c"
            share = 1.0
            upload = "1 Mbit/s"
            download = "8 Mbit/s"
            [[torrents]]
            name = "t"
            size = "8 MiB"
            piece_size = "256 KiB"
            publishers = {{ count = {publishers} }}
            arrivals = {{ kind = "flash_crowd", count = 30, window = "0s" }}
            seeding = {{ kind = "forever" }}
            "#
        );
        let mut s: Scenario = toml::from_str(&text).unwrap();
        s.resolve();
        s.validate().unwrap();
        let mut sim = Sim::new(&s);
        while sim.now().as_secs_f64() < secs as f64 && sim.step() {}
        sim
    }

    #[test]
    fn the_least_useful_connections_are_uninteresting_then_non_seeds_then_slow() {
        let sim = crowd(60, "", 1, 8);
        for i in 0..sim.peers.len() {
            let peer = PeerId(i as u32);
            let p = &sim.peers[i];
            if !p.is_online() || p.conns.len() < 2 {
                continue;
            }
            let ranked = sim.least_useful(sim.now(), peer, p.conns.len());
            let keys: Vec<(bool, bool)> = ranked
                .iter()
                .map(|&c| {
                    let remote = sim.conns[c.index()].other(peer);
                    (
                        sim.interested(remote, peer),
                        sim.peers[remote.index()].state == PeerState::Seeding,
                    )
                })
                .collect();
            let mut sorted = keys.clone();
            sorted.sort();
            assert_eq!(keys, sorted, "peer {i}: interest, then seed, in order");
            assert_eq!(ranked.len(), p.conns.len());
        }
    }

    #[test]
    fn turnover_replaces_connections_of_full_peers_and_never_exceeds_the_limit() {
        // Everybody seeds forever, so the swarm fills up; turnover every minute at 50%.
        let sim = crowd(
            400,
            "peer_turnover_percent = 50\npeer_turnover_interval = \"1min\"",
            1,
            8,
        );
        assert!(sim.check_invariants().is_ok());
        let max = 8;
        assert!(sim.peers.iter().all(|p| p.conns.len() <= max));
        // Connections were closed (not only opened): more were made than are open.
        let open = sim.conns.iter().filter(|c| c.open).count();
        let without = crowd(
            400,
            "peer_turnover_percent = 0\ninactivity_timeout = \"0s\"",
            1,
            8,
        );
        assert!(
            sim.connections_opened() > without.connections_opened(),
            "turnover opens new connections: {} against {}",
            sim.connections_opened(),
            without.connections_opened()
        );
        assert!(open < sim.connections_opened() as usize);
    }

    #[test]
    fn quiet_connections_close_after_the_timeout_only_near_the_limit() {
        // No publisher: nobody holds anything, so nobody is interested in anybody. Near the
        // limit (8 of 8) every connection closes one timeout (plus up to two rechoke
        // intervals) after it opened; far from it (8 of 40) none does.
        let extra = "inactivity_timeout = \"1min\"\npeer_turnover_percent = 0";
        let near = crowd(900, extra, 0, 8);
        // Near its limit a peer keeps no connection quiet for longer than the timeout plus
        // one rechoke interval (its next look closes it).
        for p in near
            .peers
            .iter()
            .filter(|p| p.is_online() && p.conns.len() + 5 >= 8)
        {
            for l in &p.links {
                if l.quiet_since != SimTime::NEVER {
                    let quiet = near.now().since(l.quiet_since).as_secs_f64();
                    assert!(quiet <= 70.0, "quiet for {quiet} s near the limit");
                }
            }
        }
        let made = near.connections_opened() as usize;
        assert!(
            made >= 3 * near.conns.iter().filter(|c| c.open).count(),
            "quiet connections are closed and replaced ({made} made)"
        );
        let oldest = |sim: &Sim| {
            sim.peers
                .iter()
                .filter(|p| p.is_online())
                .flat_map(|p| p.links.iter())
                .map(|l| sim.now().since(l.connected_at).as_secs_f64())
                .fold(0.0f64, f64::max)
        };
        let far = crowd(900, extra, 0, 40);
        assert!(
            oldest(&far) > 800.0,
            "far from the limit quiet connections stay"
        );
    }
}
