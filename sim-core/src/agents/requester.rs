//! A requester: it wants content nobody has shared yet and posts a bounty for each. At
//! `post_at` it posts `reward` tokens per content from its account (held in the bounty's escrow, with
//! whatever leechers pledge) open until `deadline`; the bounty board pays the first claim
//! verified genuine, or refunds every funder when the deadline passes.
//!
//! Invariant: it posts once per content.

use super::Agent;
use crate::boundary::{Command, Fact, WorldView};
use crate::config::{AgentConfig, Scenario};
use crate::economy::tokens::from_tokens;
use crate::ids::{AgentId, ContentId, HostId};
use crate::time::SimTime;

#[derive(Debug)]
pub struct Requester {
    id: AgentId,
    contents: Vec<ContentId>,
    reward: u64,
    post_at: SimTime,
    deadline: SimTime,
    posted: bool,
}

impl Requester {
    pub fn new(id: AgentId, cfg: &AgentConfig, scenario: &Scenario) -> Requester {
        let AgentConfig::Requester {
            torrents,
            reward,
            post_at,
            deadline,
            ..
        } = cfg
        else {
            unreachable!("a requester is built from a requester entry")
        };
        let contents = torrents
            .iter()
            .map(|name| {
                let i = scenario
                    .torrents
                    .iter()
                    .position(|t| &t.name == name)
                    .expect("validated: a known torrent");
                ContentId(i as u32)
            })
            .collect();
        Requester {
            id,
            contents,
            reward: from_tokens(*reward),
            post_at: SimTime::ZERO + post_at.0,
            deadline: SimTime::ZERO + deadline.0,
            posted: false,
        }
    }
}

impl Agent for Requester {
    fn start(&mut self, _view: &dyn WorldView, out: &mut Vec<Command>) {
        out.push(Command::WakeAt {
            agent: self.id,
            at: self.post_at,
        });
    }

    fn on_fact(&mut self, fact: &Fact, _view: &dyn WorldView, out: &mut Vec<Command>) {
        if let Fact::Wake { .. } = fact
            && !self.posted
        {
            self.posted = true;
            for &content in &self.contents {
                out.push(Command::PostBounty {
                    agent: self.id,
                    content,
                    reward: self.reward,
                    deadline: self.deadline,
                });
            }
        }
    }

    fn hosts(&self) -> &[HostId] {
        &[]
    }

    fn unbooked_cost(&self, _now: SimTime) -> u64 {
        0
    }
}
