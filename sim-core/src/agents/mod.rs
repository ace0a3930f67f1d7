//! Strategic agents above the swarm: one trait, one file per kind. An agent sees the world
//! only through [`WorldView`], learns what happens through [`Fact`]s, and acts only by
//! returning [`Command`]s; it never touches the ledger or the engine.
//!
//! Invariant: agents are called in id order; an agent that draws takes its draws from its own
//! substream ([`agent_rng`]), so adding an agent never shifts another's draws.

mod arbitrageur;
mod lender;
mod pool_member;
mod requester;
mod seedbox;
mod selection;
mod speculator;
mod sybil;
mod uploader;

pub use selection::{Selection, selection_for};

use crate::boundary::{Command, Fact, WorldView};
use crate::config::{AgentConfig, Scenario};
use crate::ids::{AgentId, HostId};
use crate::rng::{SimRng, Stream, substream};
use crate::time::SimTime;

/// One agent.
pub trait Agent: std::fmt::Debug {
    /// At the start of the run: its first commands (hosts to create, wake-ups).
    fn start(&mut self, view: &dyn WorldView, out: &mut Vec<Command>);
    /// A fact (its own wake-ups, and everything the engine reports).
    fn on_fact(&mut self, fact: &Fact, view: &dyn WorldView, out: &mut Vec<Command>);
    /// The hosts it owns.
    fn hosts(&self) -> &[HostId];
    /// Cost it incurred that no ledger recorded (rent in a run without `[economy]`), µT.
    fn unbooked_cost(&self, now: SimTime) -> u64;
}

/// Every agent of a run, in id order, with its kind and configuration entry.
#[derive(Debug)]
pub struct Agents {
    agents: Vec<Box<dyn Agent>>,
    kinds: Vec<&'static str>,
    /// The `[[agents]]` entry each agent comes from.
    entries: Vec<usize>,
}

impl Agents {
    /// The agents of `scenario` (`count` per entry, in entry order).
    pub fn new(scenario: &Scenario, _seed: u64) -> Agents {
        let mut agents: Vec<Box<dyn Agent>> = Vec::new();
        let mut kinds = Vec::new();
        let mut entries = Vec::new();
        for (e, cfg) in scenario.agents.iter().enumerate() {
            for _ in 0..cfg.count() {
                let id = AgentId(agents.len() as u32);
                let agent: Box<dyn Agent> = match cfg {
                    AgentConfig::Seedbox { .. } => {
                        Box::new(seedbox::Seedbox::new(id, cfg, scenario))
                    }
                    AgentConfig::Uploader { .. } => {
                        Box::new(uploader::Uploader::new(id, cfg, scenario))
                    }
                    AgentConfig::Lender { .. } => Box::new(lender::Lender::new(id, cfg)),
                    AgentConfig::Requester { .. } => {
                        Box::new(requester::Requester::new(id, cfg, scenario))
                    }
                    AgentConfig::Arbitrageur { .. } => {
                        Box::new(arbitrageur::Arbitrageur::new(id, cfg, scenario))
                    }
                    AgentConfig::PoolMember { .. } => {
                        Box::new(pool_member::PoolMember::new(id, cfg, scenario))
                    }
                    AgentConfig::Speculator { .. } => {
                        Box::new(speculator::Speculator::new(id, cfg, scenario))
                    }
                    AgentConfig::Sybil { .. } => Box::new(sybil::Sybil::new(id, cfg, scenario)),
                };
                agents.push(agent);
                kinds.push(cfg.kind());
                entries.push(e);
            }
        }
        Agents {
            agents,
            kinds,
            entries,
        }
    }

    pub fn len(&self) -> usize {
        self.agents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.agents.is_empty()
    }

    pub fn kind(&self, agent: AgentId) -> &'static str {
        self.kinds[agent.index()]
    }

    pub fn entry(&self, agent: AgentId) -> usize {
        self.entries[agent.index()]
    }

    pub fn get(&self, agent: AgentId) -> &dyn Agent {
        self.agents[agent.index()].as_ref()
    }

    /// Every agent's first commands, in id order.
    pub fn start(&mut self, view: &dyn WorldView, out: &mut Vec<Command>) {
        for a in &mut self.agents {
            a.start(view, out);
        }
    }

    /// Delivers `fact`: a wake-up or a created host to its agent only, anything else (the
    /// run's end included) to every agent in id order.
    pub fn deliver(&mut self, fact: &Fact, view: &dyn WorldView, out: &mut Vec<Command>) {
        match fact {
            Fact::Wake { agent } | Fact::HostCreated { agent, .. } => {
                self.agents[agent.index()].on_fact(fact, view, out)
            }
            _ => {
                for a in &mut self.agents {
                    a.on_fact(fact, view, out);
                }
            }
        }
    }
}

/// The random stream of agent `agent`: a kind that draws (none of today's do) takes its
/// draws from here only, so adding an agent never shifts another's.
pub fn agent_rng(seed: u64, agent: AgentId) -> SimRng {
    substream(seed, Stream::Agents as u64, u64::from(agent.0))
}
