//! The boundary between the engine and the layers above it (sites, agents): the **facts** the
//! engine reports at its cold points, the **commands** the layers above return, and the
//! read-only **view** of the world they decide from.
//!
//! Rules (ARCHITECTURE.md "Layers"): nothing above this boundary imports the engine; the
//! engine delivers facts only from cold points (a peer joins, completes or leaves; a host
//! goes offline; content is listed, lost or restored; an agent's wake-up) — never from a flow
//! completion, a rechoke or a slot fill; facts go to the sites first, then to the agents in
//! id order; commands are applied by the engine as events, after the handler that produced
//! them, in the order they were returned.

use crate::ids::{
    AgentId, BountyId, ContentId, HostId, IdentityId, PeerId, PoolId, SiteId, TorrentId,
};
use crate::record::LeaveReason;
use crate::time::SimTime;

/// Something that happened in the swarm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fact {
    /// A host an agent asked for exists now.
    HostCreated { agent: AgentId, host: HostId },
    /// A peer joined a listing (as a leecher, or as a seed of content its host holds).
    PeerJoined {
        peer: PeerId,
        host: HostId,
        listing: TorrentId,
        seed: bool,
    },
    /// A leecher completed; `fake` if the listing's content turned out to be fake.
    PeerCompleted {
        peer: PeerId,
        host: HostId,
        listing: TorrentId,
        fake: bool,
    },
    /// A peer left its listing, having downloaded and uploaded these bytes there.
    PeerLeft {
        peer: PeerId,
        host: HostId,
        identity: IdentityId,
        listing: TorrentId,
        reason: LeaveReason,
        downloaded: u64,
        uploaded: u64,
    },
    /// A host went offline (all its peers left).
    HostOffline { host: HostId },
    /// Content became listed on a site (at release, or later by a command).
    ContentListed {
        listing: TorrentId,
        content: ContentId,
        site: SiteId,
    },
    /// The online peers of a listing no longer hold some piece.
    ContentLost { listing: TorrentId },
    /// The online peers of a listing hold every piece again.
    ContentRestored { listing: TorrentId },
    /// An agent's own wake-up (delivered to that agent only).
    Wake { agent: AgentId },
    /// An epoch of `pool` ended: its members were paid.
    PoolEpochEnded { pool: PoolId },
    /// A bounty of `reward` µT was posted for `content` (nobody has shared it yet).
    BountyPosted {
        bounty: BountyId,
        content: ContentId,
        reward: u64,
    },
    /// The run ends now (the horizon or the early stop): the agents' last word. Their
    /// commands are applied at once, before the report.
    RunEnds,
}

/// What the layers above want done. The engine applies each as an event.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Create a host for `agent` with these capacities (bytes/s); `strategy` is the economy
    /// strategy it trades with. Answered by [`Fact::HostCreated`].
    CreateHost {
        agent: AgentId,
        upload: u64,
        download: u64,
        strategy: Option<usize>,
        /// Put it on the IP address of this host of the agent (default: its own address).
        ip_of: Option<HostId>,
    },
    /// `host` joins `listing` (as a seed if it holds the content).
    Join { host: HostId, listing: TorrentId },
    /// `host`'s peer in `listing` leaves.
    Leave { host: HostId, listing: TorrentId },
    /// `host` goes offline; with `keep_content` it keeps what it completed and can come back
    /// as a seed of it.
    GoOffline { host: HostId, keep_content: bool },
    /// `host` (holding the content) publishes on-demand `listing`: it joins as a seed. With
    /// `fake`, it publishes a fake copy instead, as a new listing on the same site that takes
    /// `appeal` of the content's later arrivals while the real one is unpublished.
    Publish {
        host: HostId,
        listing: TorrentId,
        fake: bool,
        appeal: f64,
    },
    /// List `content` on `site` (a new listing, with the site's audience; its arrivals start
    /// now); `host`, if given, joins it at once (as a seed if it holds the content). Answered
    /// by [`Fact::ContentListed`]; nothing if it is listed there already.
    List {
        content: ContentId,
        site: SiteId,
        host: Option<HostId>,
        /// The agent that pays the site's `listing_fee` (none: free); if it cannot pay, nothing
        /// is listed. Where the content is listed already, `host` joins that listing instead.
        payer: Option<AgentId>,
    },
    /// Ban `identity` from `site`: its peers there leave and it may not join again.
    Ban { site: SiteId, identity: IdentityId },
    /// `host` takes a fresh identity (on its IP) for its next joins; its peers online keep
    /// the identity they joined under.
    FreshIdentity { host: HostId },
    /// Wake `agent` at `at` (a [`Fact::Wake`]).
    WakeAt { agent: AgentId, at: SimTime },
    /// Move `amount` µT from `agent`'s account to the sink (rent paid outside the system).
    PayRent { agent: AgentId, amount: u64 },
    /// Move the balance of `host` to its owner `agent`'s account (earnings collected).
    Collect { agent: AgentId, host: HostId },
    /// `agent` pays `amount` µT for an identity (to the treasury).
    PayIdentity { agent: AgentId, amount: u64 },
    /// `agent` (with its host `host`) joins seed pool `pool`, or comes back to it.
    JoinPool {
        agent: AgentId,
        pool: PoolId,
        host: HostId,
        hopper: bool,
    },
    /// `agent` leaves seed pool `pool` (its later earnings stay its own).
    LeavePool { agent: AgentId, pool: PoolId },
    /// `agent` puts `host`'s copy of `listing`'s content in cold storage (`[economy.storage]`):
    /// its peer there leaves and it cannot seed the content until it retrieves it; the rent
    /// runs from now until it releases the holding. Nothing if the host does not hold it.
    Store {
        agent: AgentId,
        host: HostId,
        listing: TorrentId,
    },
    /// `host` retrieves its holding of `listing`'s content: after the storage's retrieval
    /// delay it joins `listing` as a seed (a [`Fact::PeerJoined`]). Nothing without a
    /// holding or with a retrieval in progress.
    Retrieve { host: HostId, listing: TorrentId },
    /// `host` releases its holding of `content`: the rent stops and the copy is deleted.
    Release { host: HostId, content: ContentId },
    /// Requester `agent` posts a bounty of `reward` µT for `content`, open until `deadline`.
    /// Answered by [`Fact::BountyPosted`].
    PostBounty {
        agent: AgentId,
        content: ContentId,
        reward: u64,
        deadline: SimTime,
    },
    /// Lender `agent` offers `peer` (of `host`) a loan of up to `amount` µT at `interest`,
    /// to identities of at least `min_reputation`; the credit book applies its limits.
    Lend {
        agent: AgentId,
        peer: PeerId,
        host: HostId,
        amount: u64,
        interest: f64,
        min_reputation: f64,
    },
}

impl Command {
    /// A host of `agent`'s own, on its own IP address.
    pub fn own_host(agent: AgentId, upload: u64, download: u64, strategy: Option<usize>) -> Self {
        Command::CreateHost {
            agent,
            upload,
            download,
            strategy,
            ip_of: None,
        }
    }
}

/// A listing as the layers above see it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ListingView {
    pub listing: TorrentId,
    pub content: ContentId,
    pub site: SiteId,
    /// When it appeared (its release, or the command that listed it); `None` before.
    pub listed_at: Option<SimTime>,
    pub seeds: u32,
    pub leechers: u32,
    pub arrivals: u32,
    /// Every piece is held by some online peer.
    pub available: bool,
    /// Its content is published (false for on-demand content nobody has published yet).
    pub published: bool,
    pub fake: bool,
}

/// One peer of a host, as the layers above see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerView {
    pub peer: PeerId,
    pub listing: TorrentId,
    pub seeding: bool,
    pub joined_at: SimTime,
    pub bytes_downloaded: u64,
    pub bytes_uploaded: u64,
}

/// What a lender sees of a would-be borrower.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CreditView {
    pub identity: IdentityId,
    /// Its age, seconds.
    pub age_s: f64,
    pub reputation: f64,
    /// µT it may still borrow (its limit minus what it owes; 0 when too young or defaulted).
    pub headroom: u64,
    /// µT it owes now.
    pub owing: u64,
    /// µT its host would ask to borrow now (its strategy's `borrow` policy; 0: none).
    pub wants: u64,
}

/// Read-only access to the world. Implemented by the engine; costs are stated per method.
pub trait WorldView {
    fn now(&self) -> SimTime;
    /// Every listing, in id order. O(listings).
    fn listings(&self) -> Vec<ListingView>;
    /// Arrivals at `listing` since `since`. O(arrivals there since then).
    fn arrivals_since(&self, listing: TorrentId, since: SimTime) -> u32;
    /// The online peers of `host`, in join order. O(its peers).
    fn host_peers(&self, host: HostId) -> Vec<PeerView>;
    /// Whether `host` is online (has a peer).
    fn host_online(&self, host: HostId) -> bool;
    /// µT on `host`'s account (0 without an economy).
    fn host_balance(&self, host: HostId) -> u64;
    /// µT on `agent`'s account (0 without an economy).
    fn agent_balance(&self, agent: AgentId) -> u64;
    /// µT `host`'s peers earned by selling so far, settled or not (0 without an economy).
    /// O(its peers, past ones included).
    fn host_earnings(&self, host: HostId) -> u64;
    /// Whether the run has a token economy.
    fn has_economy(&self) -> bool;
    /// The listing of `content` on `site`, if any.
    fn listing_of(&self, content: ContentId, site: SiteId) -> Option<TorrentId>;
    /// The credit standing of `host`'s identity (with `[economy.lending]`).
    fn credit(&self, host: HostId) -> Option<CreditView>;
    /// µT in the open bounty on `content` (reward and pledges so far), if there is one.
    fn bounty_on(&self, content: ContentId) -> Option<u64>;
    /// `pool`'s luck: (last epoch's payout per MiB contributed, the mean over its epochs), µT
    /// per MiB; `None` before an epoch with contributions.
    fn pool_luck(&self, pool: PoolId) -> Option<(f64, f64)>;
}
