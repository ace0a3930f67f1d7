//! The engine's entities: hosts, peers (a host in a torrent), connections and torrents.
//!
//! Invariant: entities live in `Vec`s indexed by dense ids and are never removed (a departed
//! peer stays as a tombstone), so every iteration order is creation order; the one exception
//! is a closed connection, whose slot a later connection reuses (nothing decides by a
//! connection's id or iterates connections in a way that matters).

use crate::choker::Choker;
use crate::config::{ChokerParams, PickerConfig};
use crate::ids::{
    AgentId, ClassId, ConnId, ContentId, FlowId, HostId, IdentityId, IpId, PeerId, SiteId,
    TorrentId,
};
use crate::picker::PeerPieces;
use crate::record::{HostRecord, PeerRecord, TorrentRecord};
use crate::time::{SimDuration, SimTime};

/// A machine. Its capacities live in the bandwidth model under the same id.
#[derive(Debug)]
pub struct Host {
    /// Bandwidth class; `None` for publishers and agents' hosts.
    pub class: Option<ClassId>,
    /// Peers (one per torrent) this host currently runs.
    pub peers: Vec<PeerId>,
    /// Position in `Sim::online_hosts` while online and reusable (an ordinary user's host).
    pub online_pos: Option<usize>,
    pub ip: IpId,
    /// Its current identity (a fresh one replaces it).
    pub identity: IdentityId,
    /// The agent that owns it (never reused by ordinary arrivals).
    pub owner: Option<AgentId>,
    /// Contents it completed and keeps (offline too): it joins their listings as a seed.
    pub held: Vec<ContentId>,
    /// Bytes uploaded by its peers that left (with those online: all it uploaded).
    pub uploaded_by_departed: u64,
}

impl Host {
    /// The host as the report sees it (`owner_kind`: the kind of its owner agent, if any).
    pub fn record(&self, owner_kind: Option<&'static str>) -> HostRecord {
        HostRecord {
            class: self.class,
            ip: self.ip,
            identity: self.identity,
            owner: self.owner.zip(owner_kind),
        }
    }
}

/// Lifecycle of a peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerState {
    Leeching,
    Seeding,
    Gone,
}

pub use crate::record::LeaveReason;

/// One host's membership in one torrent. Laid out in declaration order (`repr(C)`), the
/// fields every piece transfer touches first, so that a transfer loads few of the record's
/// cache lines; the per-rechoke and lifecycle fields follow.
#[derive(Debug)]
#[repr(C, align(64))]
pub struct Peer {
    pub pieces: PeerPieces,
    pub picker: PickerConfig,
    pub state: PeerState,
    /// A `FillSlots` event is pending.
    pub fill_pending: bool,
    pub publisher: bool,
    /// Online at release as part of a warm start (not an arrival).
    pub warm: bool,
    pub host: HostId,
    pub torrent: TorrentId,
    /// Outbound directions currently carrying a transfer (≤ `unchoked`); `unchoked >
    /// uploads` means some unchoked neighbour is idle.
    pub uploads: u32,
    pub bytes_downloaded: u64,
    pub bytes_uploaded: u64,
    /// Bytes received for endgame duplicates that were cancelled or arrived second.
    pub bytes_wasted: u64,
    /// The neighbours still leeching (a subset of `remotes`, in connection order): the only
    /// ones a HAVE changes anything for, since seeds keep no availability counts.
    pub leeching_remotes: Vec<PeerId>,
    /// Unchoked neighbours (regular, optimistic and paid), in no particular order.
    pub unchoked: Vec<PeerId>,
    /// Open connections, in the order they were made.
    pub conns: Vec<ConnId>,
    /// The neighbour at the other end of each of `conns` (same positions), so a HAVE
    /// broadcast reaches neighbours without loading every connection.
    pub remotes: Vec<PeerId>,
    /// What this peer keeps about each of `conns` (same positions) for its own choking.
    pub links: Vec<Link>,
    pub choker_params: ChokerParams,
    pub choker: Box<dyn Choker>,
    /// Rechokes run so far; rechoke `n` writes rate samples into ring slot `n % window`.
    pub rechokes: u64,
    /// Times of the samples in each ring slot (see `Link::sent_samples`).
    pub rate_sample_times: [SimTime; MAX_RATE_SAMPLES],
    /// Generation of the pending announce; an `Announce` event with another value is stale.
    pub announce_gen: u32,
    pub next_announce: SimTime,
    /// When the peer next considers peer turnover (`TrackerConfig::peer_turnover_interval`).
    pub next_turnover: SimTime,
    pub last_announce: Option<SimTime>,
    pub joined_at: SimTime,
    pub completed_at: Option<SimTime>,
    pub left_at: Option<SimTime>,
    pub leave_reason: Option<LeaveReason>,
    /// The identity its host had when it joined.
    pub identity: IdentityId,
    /// Its position in its torrent's `members` while online (a departure removes it there in
    /// O(1), where a search would cost O(swarm)).
    pub member_pos: u32,
}

impl Peer {
    pub fn is_online(&self) -> bool {
        self.state != PeerState::Gone
    }

    /// The peer as the report sees it.
    pub fn record(&self) -> PeerRecord {
        PeerRecord {
            host: self.host,
            torrent: self.torrent,
            identity: self.identity,
            publisher: self.publisher,
            warm: self.warm,
            joined_at: self.joined_at,
            completed_at: self.completed_at,
            left_at: self.left_at,
            leave_reason: self.leave_reason,
            bytes_downloaded: self.bytes_downloaded,
            bytes_uploaded: self.bytes_uploaded,
            bytes_wasted: self.bytes_wasted,
        }
    }
}

/// Data flowing one way over a connection: from the uploader to the downloader.
#[derive(Clone, Debug)]
pub struct Direction {
    /// The uploader chokes the downloader.
    pub choked: bool,
    /// The economy holds a paid slot or a commitment on this direction (mirrors its
    /// `economy::DirTrade`, kept in step by `swarm::trade`): transfers consult the economy
    /// only where this is set, so unpaid ones never load its trade state.
    pub paid: bool,
    /// The transfer in progress, if any.
    pub flow: Option<FlowId>,
    /// Piece of the transfer in progress.
    pub piece: u32,
    /// Bytes of `piece` the downloader already had when this transfer started.
    pub piece_offset: u64,
    /// Bytes delivered by finished or interrupted transfers (in-flight progress excluded).
    pub delivered: u64,
    /// When the downloader last received data here (connection time until the first).
    pub last_data_at: SimTime,
}

impl Direction {
    pub fn new(now: SimTime) -> Self {
        Direction {
            choked: true,
            paid: false,
            flow: None,
            piece: 0,
            piece_offset: 0,
            delivered: 0,
            last_data_at: now,
        }
    }
}

/// A connection between two peers of one torrent. `dirs[i]` carries data from `peers[i]` to
/// `peers[1 - i]`. Only what transfers need lives here (96 bytes, two cache lines at most);
/// what only one end's choker reads is in that end's [`Link`].
#[derive(Debug)]
#[repr(align(32))]
pub struct Conn {
    pub peers: [PeerId; 2],
    pub open: bool,
    pub dirs: [Direction; 2],
}

// The layout claim above: a change that grows a connection past 96 bytes should be deliberate.
const _: () = assert!(std::mem::size_of::<Conn>() == 96);

/// One end's private record of a connection, kept by the peer in `Peer::links` at the
/// connection's position in `Peer::conns`: written only by that peer's rechokes and
/// unchokes, and read in connection order when it builds a choke view (sequential memory,
/// where reading it from the connection would cost a scattered load per neighbour).
#[derive(Clone, Debug)]
pub struct Link {
    pub connected_at: SimTime,
    /// When this peer last made the neighbour an optimistic unchoke (`SimTime::NEVER`: never).
    pub last_optimistic: SimTime,
    /// When this peer's current (or most recent) unchoke of the neighbour began
    /// (`SimTime::NEVER`: never).
    pub unchoked_at: SimTime,
    /// Low 32 bits of the bytes sent to the neighbour when its current (or most recent)
    /// unchoke began: round-robin seeding's quota counts from here (exact below 4 GiB per
    /// unchoke).
    pub sent_at_unchoke: u32,
    /// Low 32 bits of the bytes sent to the neighbour as of this peer's recent rechokes (ring,
    /// see `Peer::rechokes`). Differences are taken with wrapping arithmetic, exact while a
    /// rate window carries less than 4 GiB.
    pub sent_samples: [u32; MAX_RATE_SAMPLES],
    /// Low 32 bits of the bytes received from the neighbour as of this peer's recent rechokes.
    pub recv_samples: [u32; MAX_RATE_SAMPLES],
    /// Since when this peer's upkeep has seen neither side interested (`SimTime::NEVER`: it
    /// saw interest at its last look, or has not looked).
    pub quiet_since: SimTime,
}

impl Link {
    pub fn new(now: SimTime) -> Self {
        Link {
            connected_at: now,
            last_optimistic: SimTime::NEVER,
            unchoked_at: SimTime::NEVER,
            sent_at_unchoke: 0,
            sent_samples: [0; MAX_RATE_SAMPLES],
            recv_samples: [0; MAX_RATE_SAMPLES],
            quiet_since: SimTime::NEVER,
        }
    }
}

/// A connection direction `(c, side)` as one number: a flow's owner tag in the bandwidth
/// model, carried by its completion events. Panics past 2^31 connections.
pub fn direction_tag(c: ConnId, side: usize) -> u32 {
    assert!(c.0 < 1 << 31, "more than 2^31 connections");
    debug_assert!(side < 2, "side {side}");
    c.0 << 1 | side as u32
}

/// The connection direction of a [`direction_tag`].
pub fn direction_of_tag(tag: u32) -> (ConnId, usize) {
    (ConnId(tag >> 1), (tag & 1) as usize)
}

impl Conn {
    /// Which side `peer` is (0 or 1). Panics if it is not an endpoint: a bug.
    #[inline]
    pub fn side_of(&self, peer: PeerId) -> usize {
        if self.peers[0] == peer {
            0
        } else {
            debug_assert_eq!(self.peers[1], peer, "peer is not on this connection");
            1
        }
    }

    #[inline]
    pub fn other(&self, peer: PeerId) -> PeerId {
        self.peers[1 - self.side_of(peer)]
    }
}

/// A listing's swarm as the engine tracks it (a "torrent").
#[derive(Debug)]
pub struct TorrentState {
    /// What it shares and where it is listed.
    pub content: ContentId,
    pub site: SiteId,
    /// Its name in tables.
    pub name: String,
    /// When it appeared (release, or a command).
    pub listed_at: Option<SimTime>,
    /// What its arrival process's offsets count from: the content's release, or the time a
    /// command listed it.
    pub arrival_base: SimTime,
    /// False for on-demand content nobody published yet.
    pub published: bool,
    /// A fake copy published as its own listing.
    pub fake: bool,
    /// Leechers that completed it and found it fake.
    pub fake_downloads: u32,
    /// Arrivals a finite user population could not serve (every user drawn was busy).
    pub arrivals_without_user: u32,
    /// Every piece has been online at once since its release (on-demand content: not before
    /// it is published); losses count only after.
    pub ever_available: bool,
    /// When that first happened.
    pub first_available_at: Option<SimTime>,
    /// A fake listing of the same content that takes a share of this one's arrivals while
    /// this one is unpublished, and that share.
    pub fake_alternative: Option<(TorrentId, f64)>,
    /// The agent whose `List` command (and listing fee) created it, if any.
    pub listed_by: Option<crate::ids::AgentId>,
    /// Periods without a full copy online after release: (lost at, restored at).
    pub episodes: Vec<(SimTime, Option<SimTime>)>,
    /// Arrival times, kept only when agents may ask (popularity).
    pub arrival_times: Vec<SimTime>,
    /// The tracker settings of its site.
    pub tracker: crate::config::TrackerConfig,
    /// Content size and piece size, bytes (the last piece may be shorter).
    pub size_bytes: u64,
    pub piece_size: u64,
    pub num_pieces: u32,
    pub released: bool,
    /// Online peers (leechers and seeds), for tracker replies. Order changes on removal
    /// (swap-remove) but deterministically.
    pub members: Vec<PeerId>,
    /// Copies of each piece among online peers.
    pub copies: Vec<u32>,
    /// Pieces with no copy online.
    pub pieces_without_copy: u32,
    /// First time after release at which some piece had no copy online.
    pub lost_at: Option<SimTime>,
    pub seeds: u32,
    pub leechers: u32,
    pub arrivals: u32,
    /// An arrival is scheduled or the process still has arrivals to come.
    pub arrivals_pending: bool,
}

impl TorrentState {
    /// Size of `piece` in bytes (the last one may be shorter).
    #[inline]
    pub fn piece_bytes(&self, piece: u32) -> u64 {
        let start = u64::from(piece) * self.piece_size;
        self.piece_size.min(self.size_bytes - start)
    }

    /// A listing of content `cfg` (id `content`) on `site`, before its release.
    pub fn new(
        cfg: &crate::config::TorrentConfig,
        content: ContentId,
        (site, tracker): (SiteId, crate::config::TrackerConfig),
        name: String,
    ) -> TorrentState {
        let n = cfg.num_pieces();
        TorrentState {
            tracker,
            size_bytes: cfg.size.0,
            piece_size: cfg.piece_size.0,
            content,
            site,
            name,
            listed_at: None,
            arrival_base: SimTime::ZERO + cfg.release.0,
            published: false,
            fake: false,
            fake_downloads: 0,
            arrivals_without_user: 0,
            ever_available: false,
            first_available_at: None,
            fake_alternative: None,
            listed_by: None,
            episodes: Vec::new(),
            arrival_times: Vec::new(),
            num_pieces: n,
            released: false,
            members: Vec::new(),
            copies: vec![0; n as usize],
            pieces_without_copy: n,
            lost_at: None,
            seeds: 0,
            leechers: 0,
            arrivals: 0,
            arrivals_pending: true,
        }
    }

    /// The swarm at the end as the report sees it.
    pub fn record(&self) -> TorrentRecord {
        TorrentRecord {
            name: self.name.clone(),
            content: self.content,
            site: self.site,
            listed_at: self.listed_at,
            fake: self.fake,
            fake_downloads: self.fake_downloads,
            arrivals_without_user: self.arrivals_without_user,
            first_available_at: self.first_available_at,
            num_pieces: self.num_pieces,
            lost_at: self.lost_at,
            episodes: self.episodes.clone(),
            seeds: self.seeds,
            leechers: self.leechers,
            arrivals: self.arrivals,
            listed_by: self.listed_by,
        }
    }
}

/// Longest rate window, in rechoke intervals (validated in the scenario).
pub const MAX_RATE_SAMPLES: usize = crate::config::MAX_RATE_WINDOW_RECHOKES as usize;

/// How many rechoke intervals a peer's rate window spans (1..=MAX_RATE_SAMPLES).
pub fn rate_window_samples(params: &ChokerParams) -> usize {
    let w = params.rate_window.as_micros();
    let r = params.rechoke_interval.as_micros().max(1);
    (w.div_ceil(r) as usize).clamp(1, MAX_RATE_SAMPLES)
}

/// Rate in bytes/s of `bytes` over `span`, zero over an empty span. Exact; 64-bit
/// arithmetic unless `bytes` exceeds 18 TB (a 128-bit division is a slow library call, and
/// every rechoke computes two rates per neighbour).
pub fn rate_over(bytes: u64, span: SimDuration) -> u64 {
    let micros = span.as_micros();
    if micros == 0 {
        return 0;
    }
    match bytes.checked_mul(1_000_000) {
        Some(scaled) => scaled / micros,
        None => (u128::from(bytes) * 1_000_000 / u128::from(micros)) as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 64-bit path agrees with exact 128-bit arithmetic, up to and past its limit.
    #[test]
    fn rate_over_is_exact_on_both_paths() {
        let exact = |b: u64, us: u64| (u128::from(b) * 1_000_000 / u128::from(us)) as u64;
        let limit = u64::MAX / 1_000_000;
        for bytes in [
            0,
            1,
            999_999,
            1 << 32,
            limit - 1,
            limit,
            limit + 1,
            u64::MAX,
        ] {
            for us in [1, 7, 1_000_000, 10_000_001, u64::MAX] {
                assert_eq!(
                    rate_over(bytes, SimDuration(us)),
                    exact(bytes, us),
                    "{bytes} bytes over {us} µs"
                );
            }
        }
        assert_eq!(rate_over(5, SimDuration(0)), 0);
    }
}
