//! Whole-state consistency checks. Cost O(peers · neighbours · pieces): run after every
//! sample in debug builds, and after every event in the invariant tests.

use super::Sim;
use super::state::PeerState;

impl Sim {
    /// Checks every engine invariant; the first violation is described.
    pub fn check_invariants(&self) -> Result<(), String> {
        self.net
            .check_invariants()
            .map_err(|e| format!("bandwidth: {e}"))?;
        self.check_economy()?;
        let mut flows = 0;
        for (i, conn) in self.conns.iter().enumerate() {
            if !conn.open {
                if conn.dirs.iter().any(|d| d.flow.is_some()) {
                    return Err(format!("closed connection {i} still carries a flow"));
                }
                continue;
            }
            for side in 0..2 {
                let (up, down) = (
                    &self.peers[conn.peers[side].index()],
                    &self.peers[conn.peers[1 - side].index()],
                );
                if !up.is_online() || !down.is_online() {
                    return Err(format!("open connection {i} has a departed endpoint"));
                }
                let dir = &conn.dirs[side];
                if let Some(f) = dir.flow {
                    flows += 1;
                    if dir.choked {
                        return Err(format!("connection {i} side {side}: flow while choked"));
                    }
                    if down.pieces.have().contains(dir.piece) {
                        return Err(format!(
                            "connection {i} side {side}: downloading piece {} already held",
                            dir.piece
                        ));
                    }
                    let tag = super::state::direction_tag(crate::ids::ConnId(i as u32), side);
                    if self.net.owner(f) != tag {
                        return Err(format!("flow {f:?} owner mismatch"));
                    }
                }
            }
        }
        if flows != self.net.active_flows() {
            return Err(format!(
                "{flows} directions carry flows but the network has {}",
                self.net.active_flows()
            ));
        }
        for (i, p) in self.peers.iter().enumerate() {
            if !p.is_online() {
                if !p.conns.is_empty() {
                    return Err(format!("departed peer {i} keeps connections"));
                }
                continue;
            }
            let mut unchoked: Vec<crate::ids::PeerId> = p
                .conns
                .iter()
                .filter_map(|c| {
                    let conn = &self.conns[c.index()];
                    let me = crate::ids::PeerId(i as u32);
                    (!conn.dirs[conn.side_of(me)].choked).then(|| conn.other(me))
                })
                .collect();
            let mut listed = p.unchoked.clone();
            unchoked.sort_unstable();
            listed.sort_unstable();
            let uploads = p
                .conns
                .iter()
                .filter(|c| {
                    let conn = &self.conns[c.index()];
                    conn.dirs[conn.side_of(crate::ids::PeerId(i as u32))]
                        .flow
                        .is_some()
                })
                .count() as u32;
            if uploads != p.uploads {
                return Err(format!(
                    "peer {i}: {uploads} outbound transfers but counter says {}",
                    p.uploads
                ));
            }
            let me = crate::ids::PeerId(i as u32);
            let leeching = p
                .remotes
                .iter()
                .copied()
                .filter(|r| self.peers[r.index()].state == PeerState::Leeching);
            if !leeching.eq(p.leeching_remotes.iter().copied()) {
                return Err(format!("peer {i}: list of leeching neighbours out of sync"));
            }
            if !p
                .conns
                .iter()
                .map(|c| self.conns[c.index()].other(me))
                .eq(p.remotes.iter().copied())
            {
                return Err(format!(
                    "peer {i}: neighbour list out of sync with its connections"
                ));
            }
            if p.links.len() != p.conns.len() {
                return Err(format!(
                    "peer {i}: {} links for {} connections",
                    p.links.len(),
                    p.conns.len()
                ));
            }
            if unchoked != listed {
                return Err(format!(
                    "peer {i}: neighbours {unchoked:?} unchoked but the list says {listed:?}"
                ));
            }
            if p.state == PeerState::Leeching {
                let neighbours = p.conns.iter().map(|c| {
                    let other = self.conns[c.index()].other(crate::ids::PeerId(i as u32));
                    self.peers[other.index()].pieces.have()
                });
                p.pieces
                    .check_invariants(neighbours)
                    .map_err(|e| format!("peer {i} pieces: {e}"))?;
            }
        }
        for (t, tor) in self.torrents.iter().enumerate() {
            let mut copies = vec![0u32; tor.num_pieces as usize];
            let (mut seeds, mut leechers) = (0, 0);
            for p in self
                .peers
                .iter()
                .filter(|p| p.is_online() && p.torrent.index() == t)
            {
                for piece in p.pieces.have().iter() {
                    copies[piece as usize] += 1;
                }
                match p.state {
                    PeerState::Leeching => leechers += 1,
                    _ => seeds += 1,
                }
            }
            if copies != tor.copies {
                return Err(format!(
                    "torrent {t}: copy counts differ from the online peers' bitfields"
                ));
            }
            if (seeds, leechers) != (tor.seeds, tor.leechers)
                || tor.members.len() as u32 != seeds + leechers
            {
                return Err(format!("torrent {t}: seed/leecher counts differ"));
            }
            for (i, &m) in tor.members.iter().enumerate() {
                let p = &self.peers[m.index()];
                if p.torrent.index() != t || !p.is_online() || p.member_pos as usize != i {
                    return Err(format!(
                        "torrent {t}: member {i} is peer {m:?} (online {}, position {})",
                        p.is_online(),
                        p.member_pos
                    ));
                }
            }
            let zero = copies.iter().filter(|&&c| c == 0).count() as u32;
            if zero != tor.pieces_without_copy {
                return Err(format!(
                    "torrent {t}: pieces without copy {} but counted {zero}",
                    tor.pieces_without_copy
                ));
            }
        }
        self.check_world()
    }

    /// The world's invariants: a listing has an open unavailable episode exactly while some
    /// piece has no copy online (once it has been available); episodes are ordered and closed ones end
    /// after they start; a peer's identity exists and was its host's; agents' hosts are never
    /// offered to ordinary arrivals; online hosts are exactly those with peers.
    fn check_world(&self) -> Result<(), String> {
        if self.world.is_none() {
            return Ok(());
        }
        for (t, tor) in self.torrents.iter().enumerate() {
            let open = tor.episodes.last().is_some_and(|e| e.1.is_none());
            if tor.released && tor.ever_available && open != (tor.pieces_without_copy > 0) {
                return Err(format!(
                    "listing {t}: open episode {open} but {} pieces without a copy",
                    tor.pieces_without_copy
                ));
            }
            for w in tor.episodes.windows(2) {
                if w[0].1.is_none_or(|end| end > w[1].0) {
                    return Err(format!("listing {t}: episodes overlap or are out of order"));
                }
            }
            if tor
                .episodes
                .iter()
                .any(|e| e.1.is_some_and(|end| end < e.0))
            {
                return Err(format!("listing {t}: an episode ends before it starts"));
            }
        }
        for (i, p) in self.peers.iter().enumerate() {
            let Some(id) = self.identities.get(p.identity.index()) else {
                return Err(format!("peer {i}: unknown identity {}", p.identity.0));
            };
            if id.host != p.host {
                return Err(format!(
                    "peer {i}: identity {} is another host's",
                    p.identity.0
                ));
            }
        }
        for (h, host) in self.hosts.iter().enumerate() {
            if host.owner.is_some() && host.online_pos.is_some() {
                return Err(format!("host {h}: an agent's host is offered to arrivals"));
            }
            if host.online_pos.is_some() && host.peers.is_empty() {
                return Err(format!("host {h}: listed online without a peer"));
            }
            if self.identities[host.identity.index()].host.index() != h {
                return Err(format!("host {h}: its identity is another host's"));
            }
        }
        Ok(())
    }
}

/// One online leecher as a liveness check sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeecherProgress {
    /// The peer's index.
    pub peer: u32,
    /// Bytes it has downloaded so far (grows with every delivery).
    pub bytes_downloaded: u64,
    /// Some other online peer of its torrent holds a piece it lacks.
    pub supplied: bool,
}

impl Sim {
    /// Every online leecher's progress and whether the swarm could supply it, for liveness
    /// checks in tests. Cost O(leechers · online peers · pieces / 64).
    pub fn leecher_progress(&self) -> Vec<LeecherProgress> {
        let online: Vec<usize> = (0..self.peers.len())
            .filter(|&i| self.peers[i].is_online())
            .collect();
        online
            .iter()
            .filter(|&&i| self.peers[i].state == PeerState::Leeching)
            .map(|&i| {
                let p = &self.peers[i];
                LeecherProgress {
                    peer: i as u32,
                    bytes_downloaded: p.bytes_downloaded,
                    supplied: online.iter().any(|&j| {
                        let q = &self.peers[j];
                        j != i
                            && q.torrent == p.torrent
                            && q.pieces.have().has_any_missing_from(p.pieces.have())
                    }),
                }
            })
            .collect()
    }
}
