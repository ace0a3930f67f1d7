//! Client behaviour: choking profile and overrides, piece picker, tracker and connections.

use super::names::names_enum;
use crate::time::SimDuration;
use crate::units::Duration;
use serde::{Deserialize, Serialize};

/// A reference client whose choking defaults a peer starts from (see REFERENCES in the docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientProfile {
    /// BEP 3 / mainline: 3 regular + 1 optimistic, rechoke 10 s, optimistic 30 s, new peers 3×.
    #[default]
    Bep3,
    /// libtorrent-rasterbar: 7 + 1, rechoke 15 s, optimistic 30 s to the longest-waiting peer,
    /// round-robin seeding.
    Libtorrent,
    /// Transmission 3.00: 14 + 1, rechoke 10 s, optimistic held 50 s, peers younger than 45 s 3×.
    Transmission,
}

names_enum!(ClientProfile {
    "bep3" => Bep3,
    "libtorrent" => Libtorrent,
    "transmission" => Transmission,
});

/// How the optimistic unchoke is chosen among choked interested peers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimisticRule {
    /// Uniformly at random, peers connected for less than `new_peer_age` weighted
    /// `new_peer_weight` times (mainline, Transmission).
    WeightedRandom,
    /// The peer optimistically unchoked longest ago; never-unchoked peers first, then by
    /// connection time, then by peer id (libtorrent).
    LongestWaiting,
}

names_enum!(OptimisticRule {
    "weighted_random" => WeightedRandom,
    "longest_waiting" => LongestWaiting,
});

/// How a seed ranks the peers it uploads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedRanking {
    /// Fastest upload rate to the peer first (mainline, Transmission).
    UploadRate,
    /// Rotate: the peers unchoked longest ago first (libtorrent's default `round_robin`).
    RoundRobin,
}

names_enum!(SeedRanking {
    "upload_rate" => UploadRate,
    "round_robin" => RoundRobin,
});

/// Choking knobs as written in a scenario: a profile plus optional overrides.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChokerConfig {
    #[serde(default)]
    pub profile: ClientProfile,
    /// Unchoke slots given by ranking (excluding optimistic ones).
    pub regular_slots: Option<u32>,
    /// Optimistic unchoke slots.
    pub optimistic_slots: Option<u32>,
    pub rechoke_interval: Option<Duration>,
    /// How long an optimistic unchoke is held; a multiple of `rechoke_interval`.
    pub optimistic_interval: Option<Duration>,
    pub optimistic_rule: Option<OptimisticRule>,
    /// Weight of a young connection in the weighted-random optimistic pick.
    pub new_peer_weight: Option<u32>,
    /// A connection younger than this counts as new for `new_peer_weight`.
    pub new_peer_age: Option<Duration>,
    /// Window over which transfer rates are measured for ranking.
    pub rate_window: Option<Duration>,
    pub seed_ranking: Option<SeedRanking>,
    /// Round-robin seeding: a holder keeps its slot until it was sent this many pieces
    /// (libtorrent's `seeding_piece_quota`) …
    pub seeding_piece_quota: Option<u32>,
    /// … and held the slot for longer than this.
    pub seeding_min_unchoke: Option<Duration>,
    /// A peer that sent us nothing for this long while we wanted its pieces is snubbing us and
    /// gets only optimistic unchokes from us.
    pub snub_time: Option<Duration>,
}

/// Fully resolved choking parameters, in engine units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChokerParams {
    pub profile: ClientProfile,
    pub regular_slots: u32,
    pub optimistic_slots: u32,
    pub rechoke_interval: SimDuration,
    pub optimistic_interval: SimDuration,
    pub optimistic_rule: OptimisticRule,
    pub new_peer_weight: u32,
    pub new_peer_age: SimDuration,
    pub rate_window: SimDuration,
    pub seed_ranking: SeedRanking,
    /// Round-robin seeding only: pieces a holder receives before its slot is used up.
    pub seeding_piece_quota: u32,
    /// Round-robin seeding only: a slot is used up only after it was held this long.
    pub seeding_min_unchoke: SimDuration,
    pub snub_time: SimDuration,
}

/// Round-robin seeding's quota in pieces, for every profile (libtorrent's
/// `seeding_piece_quota`, `src/settings_pack.cpp`; the other clients do not rotate).
const ROUND_ROBIN_QUOTA: u32 = 20;

impl ClientProfile {
    /// The reference client's defaults.
    pub fn defaults(self) -> ChokerParams {
        let s = SimDuration::from_secs;
        match self {
            ClientProfile::Bep3 => ChokerParams {
                profile: self,
                regular_slots: 3,
                optimistic_slots: 1,
                rechoke_interval: s(10),
                optimistic_interval: s(30),
                optimistic_rule: OptimisticRule::WeightedRandom,
                new_peer_weight: 3,
                new_peer_age: s(30),
                rate_window: s(20),
                seed_ranking: SeedRanking::UploadRate,
                seeding_piece_quota: ROUND_ROBIN_QUOTA,
                seeding_min_unchoke: s(60),
                snub_time: s(60),
            },
            ClientProfile::Libtorrent => ChokerParams {
                profile: self,
                regular_slots: 7,
                optimistic_slots: 1,
                rechoke_interval: s(15),
                optimistic_interval: s(30),
                optimistic_rule: OptimisticRule::LongestWaiting,
                new_peer_weight: 1,
                new_peer_age: s(0),
                rate_window: s(15),
                seed_ranking: SeedRanking::RoundRobin,
                seeding_piece_quota: ROUND_ROBIN_QUOTA,
                seeding_min_unchoke: s(60),
                snub_time: s(60),
            },
            ClientProfile::Transmission => ChokerParams {
                profile: self,
                regular_slots: 14,
                optimistic_slots: 1,
                rechoke_interval: s(10),
                // Set to 4 rechokes, counted down and released on the 5th (peer-mgr.c 3.00).
                optimistic_interval: s(50),
                optimistic_rule: OptimisticRule::WeightedRandom,
                new_peer_weight: 3,
                new_peer_age: s(45),
                rate_window: s(20),
                seed_ranking: SeedRanking::UploadRate,
                seeding_piece_quota: ROUND_ROBIN_QUOTA,
                seeding_min_unchoke: s(60),
                snub_time: s(60),
            },
        }
    }
}

impl ChokerConfig {
    /// The profile's defaults with this config's overrides applied.
    pub fn params(&self) -> ChokerParams {
        let d = self.profile.defaults();
        let dur = |o: Option<Duration>, def: SimDuration| o.map(|x| x.0).unwrap_or(def);
        ChokerParams {
            profile: self.profile,
            regular_slots: self.regular_slots.unwrap_or(d.regular_slots),
            optimistic_slots: self.optimistic_slots.unwrap_or(d.optimistic_slots),
            rechoke_interval: dur(self.rechoke_interval, d.rechoke_interval),
            optimistic_interval: dur(self.optimistic_interval, d.optimistic_interval),
            optimistic_rule: self.optimistic_rule.unwrap_or(d.optimistic_rule),
            new_peer_weight: self.new_peer_weight.unwrap_or(d.new_peer_weight),
            new_peer_age: dur(self.new_peer_age, d.new_peer_age),
            rate_window: dur(self.rate_window, d.rate_window),
            seed_ranking: self.seed_ranking.unwrap_or(d.seed_ranking),
            seeding_piece_quota: self.seeding_piece_quota.unwrap_or(d.seeding_piece_quota),
            seeding_min_unchoke: dur(self.seeding_min_unchoke, d.seeding_min_unchoke),
            snub_time: dur(self.snub_time, d.snub_time),
        }
    }

    /// Writes every knob explicitly (for `show-config`).
    pub fn resolve(&mut self) {
        let p = self.params();
        *self = ChokerConfig {
            profile: p.profile,
            regular_slots: Some(p.regular_slots),
            optimistic_slots: Some(p.optimistic_slots),
            rechoke_interval: Some(Duration(p.rechoke_interval)),
            optimistic_interval: Some(Duration(p.optimistic_interval)),
            optimistic_rule: Some(p.optimistic_rule),
            new_peer_weight: Some(p.new_peer_weight),
            new_peer_age: Some(Duration(p.new_peer_age)),
            rate_window: Some(Duration(p.rate_window)),
            seed_ranking: Some(p.seed_ranking),
            seeding_piece_quota: Some(p.seeding_piece_quota),
            seeding_min_unchoke: Some(Duration(p.seeding_min_unchoke)),
            snub_time: Some(Duration(p.snub_time)),
        };
    }
}

/// Piece selection policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PickerKind {
    /// Random first pieces, then rarest first among neighbours with random ties.
    #[default]
    RarestFirst,
    /// Uniformly random among wanted pieces.
    Random,
    /// Lowest index first (streaming clients).
    Sequential,
}

names_enum!(PickerKind {
    "rarest_first" => RarestFirst,
    "random" => Random,
    "sequential" => Sequential,
});

/// Piece picker settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PickerConfig {
    #[serde(default)]
    pub kind: PickerKind,
    /// With `rarest_first`, pieces picked at random until this many are held.
    #[serde(default = "default_initial_random")]
    pub initial_random: u32,
    /// Request pieces already in flight from other peers once every missing piece is in flight.
    #[serde(default = "default_true")]
    pub endgame: bool,
    /// In endgame, at most this many neighbours download the same piece at once.
    #[serde(default = "default_endgame_downloaders")]
    pub endgame_max_downloaders: u32,
}

fn default_initial_random() -> u32 {
    4
}
fn default_true() -> bool {
    true
}
fn default_endgame_downloaders() -> u32 {
    2
}

impl Default for PickerConfig {
    fn default() -> Self {
        PickerConfig {
            kind: PickerKind::default(),
            initial_random: default_initial_random(),
            endgame: true,
            endgame_max_downloaders: default_endgame_downloaders(),
        }
    }
}

/// A peer's client: choking and picking.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    #[serde(default)]
    pub choker: ChokerConfig,
    #[serde(default)]
    pub picker: PickerConfig,
}

impl ClientConfig {
    pub fn resolve(&mut self) {
        self.choker.resolve();
    }
}

/// Tracker replies and connection management.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackerConfig {
    /// Members returned per announce.
    #[serde(default = "default_numwant")]
    pub numwant: u32,
    /// Periodic re-announce interval.
    #[serde(default = "default_announce_interval")]
    pub announce_interval: Duration,
    /// Re-announce at once when a peer has fewer neighbours than this.
    #[serde(default = "default_min_peers")]
    pub min_peers: u32,
    /// Most neighbours a peer keeps in one torrent (incoming and outgoing).
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
    /// Most connections a peer opens itself after an announce (capped by `max_connections`);
    /// the rest of `max_connections` stays for peers that connect to it (mainline's `max_initiate` against its
    /// `max_allow_in`). Without this reserve, the first peers of a flash crowd fill up with
    /// each other and later ones form a chain of cliques.
    #[serde(default = "default_max_initiate")]
    pub max_initiate: u32,
    /// Shortest time between two announces of one peer (rate limit of low-neighbour
    /// re-announces).
    #[serde(default = "default_min_announce_interval")]
    pub min_announce_interval: Duration,
    /// A connection on which neither side has been interested for this long is closed, when
    /// the peer holds at least `max_connections − 5` connections (libtorrent's
    /// `inactivity_timeout`, 600 s, `peer_connection.cpp` `timed_out_no_interest`); `"0s"`:
    /// never.
    #[serde(default = "default_inactivity_timeout")]
    pub inactivity_timeout: Duration,
    /// Peer turnover (libtorrent's `peer_turnover`, 4%): every `peer_turnover_interval` a
    /// peer holding at least `peer_turnover_cutoff_percent` of `max_connections` closes this
    /// percentage of them (at least one, at most as many as it can replace), least useful
    /// first, and connects to as many members it is not connected to; 0: never.
    #[serde(default = "default_peer_turnover_percent")]
    pub peer_turnover_percent: u32,
    /// See `peer_turnover_percent` (libtorrent's `peer_turnover_cutoff`, 90%).
    #[serde(default = "default_peer_turnover_cutoff_percent")]
    pub peer_turnover_cutoff_percent: u32,
    /// See `peer_turnover_percent` (libtorrent's `peer_turnover_interval`, 300 s).
    #[serde(default = "default_peer_turnover_interval")]
    pub peer_turnover_interval: Duration,
}

fn default_numwant() -> u32 {
    50
}
fn default_announce_interval() -> Duration {
    Duration::from_secs(1800)
}
fn default_min_peers() -> u32 {
    20
}
/// Between mainline's incoming limit (55) and its total (40 initiated + 55 accepted).
fn default_max_connections() -> u32 {
    80
}
/// Mainline's `max_initiate`.
fn default_max_initiate() -> u32 {
    40
}
fn default_min_announce_interval() -> Duration {
    Duration::from_secs(60)
}
/// libtorrent `settings_pack.cpp`: `SET(inactivity_timeout, 600, nullptr)`.
fn default_inactivity_timeout() -> Duration {
    Duration::from_secs(600)
}
/// libtorrent `settings_pack.cpp`: `SET(peer_turnover, 4, nullptr)` (percent).
fn default_peer_turnover_percent() -> u32 {
    4
}
/// libtorrent `settings_pack.cpp`: `SET(peer_turnover_cutoff, 90, nullptr)` (percent).
fn default_peer_turnover_cutoff_percent() -> u32 {
    90
}
/// libtorrent `settings_pack.cpp`: `SET(peer_turnover_interval, 300, nullptr)`.
fn default_peer_turnover_interval() -> Duration {
    Duration::from_secs(300)
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            numwant: default_numwant(),
            announce_interval: default_announce_interval(),
            min_peers: default_min_peers(),
            max_connections: default_max_connections(),
            max_initiate: default_max_initiate(),
            min_announce_interval: default_min_announce_interval(),
            inactivity_timeout: default_inactivity_timeout(),
            peer_turnover_percent: default_peer_turnover_percent(),
            peer_turnover_cutoff_percent: default_peer_turnover_cutoff_percent(),
            peer_turnover_interval: default_peer_turnover_interval(),
        }
    }
}
