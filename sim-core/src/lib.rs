//! # sim-core: a deterministic engine of tokenized BitTorrent swarms
//!
//! The engine simulates hosts that share upload and download capacity across the swarms they
//! join, a tracker, rarest-first piece selection and the reference clients' choking. It reads a
//! validated [`config::Scenario`] and returns a [`report::Report`]; it never touches files,
//! threads, clocks or ambient randomness, so a run is a pure function of scenario and seed.
//!
//! ```
//! use sim_core::{config::Scenario, swarm::Sim};
//! let text = r#"
//!     name = "tiny"
//!     horizon = "10min"
//!     stop_when_done = true
//!     [[classes]]
//!     name = "dsl"
//!     share = 1.0
//!     upload = "1 Mbit/s"
//!     download = "8 Mbit/s"
//!     [[torrents]]
//!     name = "file"
//!     size = "4 MiB"
//!     arrivals = { kind = "flash_crowd", count = 5 }
//!     seeding = { kind = "leave_at_once" }
//! "#;
//! let mut scenario: Scenario = toml::from_str(text).unwrap();
//! scenario.resolve();
//! scenario.validate().unwrap();
//! let report = Sim::new(&scenario).run();
//! assert_eq!(report.summary.torrents[0].completed_downloads, 5);
//! ```

pub mod agents;
pub mod anchors;
pub mod arrivals;
pub mod bandwidth;
pub mod boundary;
pub mod choker;
pub mod config;
pub mod economy;
pub mod ids;
pub mod metrics;
pub mod picker;
pub mod pieceset;
mod prefetch;
pub mod queue;
pub mod record;
pub mod reflect;
pub mod report;
pub mod rng;
pub mod sites;
pub mod stats;
pub mod swarm;
pub mod time;
pub mod units;
