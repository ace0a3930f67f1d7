//! The closed set of events. Handlers never call each other's entry points; follow-up work is
//! scheduled as another event (at the same time when it must happen at once).

use super::state::LeaveReason;
use crate::ids::{
    AgentId, BountyId, ChannelId, FlowId, IdentityId, PeerId, PoolId, SiteId, TorrentId,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A torrent's publishers come online and its arrival process starts.
    Release { torrent: TorrentId },
    /// The torrent's next leecher arrives.
    Arrival { torrent: TorrentId },
    /// A transfer finishes, unless `generation` is stale (the flow was re-timed or stopped).
    /// `owner` is the flow's connection direction (see `state::direction_tag`).
    FlowDone {
        flow: FlowId,
        generation: u32,
        owner: u32,
    },
    /// The peer's periodic rechoke.
    Rechoke { peer: PeerId },
    /// The peer has free upload slots and interested choked neighbours.
    FillSlots { peer: PeerId },
    /// The peer announces to the tracker, unless `generation` is stale.
    Announce { peer: PeerId, generation: u32 },
    /// The peer leaves its swarm, if the reason still applies.
    Leave { peer: PeerId, reason: LeaveReason },
    /// Record a time-series sample.
    Sample,
    /// Economy: every open channel with released payments starts a settlement.
    SettleChannels,
    /// Economy: a channel's settlement (or, with `close`, its closing) lands on chain.
    ChannelPayout { channel: ChannelId, close: bool },
    /// Economy: periodic minting to online participating hosts.
    Faucet,
    /// Economy: a seeder under economic seeding compares its earnings with its cost.
    SeedCheck { peer: PeerId },
    /// World: the agents start (time 0).
    WorldStart,
    /// World: apply the command in slot `slot` of the world's command list.
    Command { slot: u32 },
    /// World: an agent's own wake-up.
    AgentWake { agent: AgentId },
    /// World: a site's periodic ratio check.
    SiteCheck { site: SiteId },
    /// World: a seeder seeding until its site ratio compares its ratio with its target.
    RatioCheck { peer: PeerId },
    /// Lending: an offline borrower's identity may default now.
    CreditCheck { identity: IdentityId },
    /// Lending: a seeder seeding until it owes nothing checks its debt.
    RepayCheck { peer: PeerId },
    /// Bounties: a verified claim's reward is due.
    BountyPay { bounty: BountyId, claim: u32 },
    /// Bounties: a bounty's deadline.
    BountyDeadline { bounty: BountyId },
    /// Pools: the end of an epoch of a seed pool.
    PoolEpoch { pool: PoolId },
    /// Storage: cold-storage rent is billed.
    StorageBill,
    /// Storage: retrieval `retrieval` (of the storage book) is done; its host can seed.
    Retrieved { retrieval: u32 },
}
