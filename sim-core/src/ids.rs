//! Dense identifiers. Entities live in `Vec`s indexed by these newtypes, so iteration order is
//! the creation order and never depends on hashing.

use serde::{Deserialize, Serialize};

macro_rules! dense_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
    /// A torrent (one swarm) of the scenario's catalog.
    TorrentId
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
