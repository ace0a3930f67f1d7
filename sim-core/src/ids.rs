//! Dense identifiers. Entities live in `Vec`s indexed by these newtypes, so iteration order is
//! the creation order and never depends on hashing.

use serde::{Deserialize, Serialize};

macro_rules! dense_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(pub u32);

        impl $name {
            /// The position of this entity in its dense `Vec`.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

dense_id!(
    /// A machine with one upload and one download capacity, shared by all its transfers.
    HostId
);
dense_id!(
    /// A listing: one content on one site, with its own swarm, tracker members and arrival
    /// process (a "torrent"). Without `[[sites]]` the listings are the catalog's torrents, in
    /// order.
    TorrentId
);
dense_id!(
    /// What is shared: a `[[torrents]]` entry of the catalog (its size, pieces, publishers).
    ContentId
);
dense_id!(
    /// A site (tracker) with an audience and rules.
    SiteId
);
dense_id!(
    /// The holder of a site standing (and, later, of reputation and credit): one per host by
    /// default; a host may take a fresh one.
    IdentityId
);
dense_id!(
    /// An IP address; hosts may share one.
    IpId
);
dense_id!(
    /// A strategic agent above the swarm.
    AgentId
);
dense_id!(
    /// One host's membership in one torrent's swarm (a BitTorrent "peer"). Never reused.
    PeerId
);
dense_id!(
    /// A connection between two peers of the same torrent. Never reused.
    ConnId
);
dense_id!(
    /// A transfer slot in the bandwidth model. Recycled; paired with a generation.
    FlowId
);
dense_id!(
    /// A bandwidth class of the population.
    ClassId
);
dense_id!(
    /// A payment channel (and its escrow account) between a buyer and a seller peer.
    ChannelId
);
dense_id!(
    /// A loan of the credit book (`economy::credit`). Never reused.
    LoanId
);
dense_id!(
    /// A bounty of the bounty board (`economy::bounties`). Never reused.
    BountyId
);
dense_id!(
    /// A seed pool (`economy::pools`), in `[[economy.pools]]` order.
    PoolId
);
