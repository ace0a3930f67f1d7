//! # sim-core: a deterministic engine of tokenized BitTorrent swarms
//!
//! The engine simulates hosts that share upload and download capacity across the swarms they
//! join, a tracker, rarest-first piece selection and the reference clients' choking. It reads a
//! validated [`config::Scenario`] and returns a [`report::Report`]; it never touches files,
//! threads, clocks or ambient randomness.

pub mod config;
pub mod ids;
pub mod pieceset;
pub mod rng;
pub mod time;
pub mod units;
