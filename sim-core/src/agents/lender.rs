//! A lender: an agent with capital that offers loans to leechers who join a listing without
//! enough tokens (those whose strategy borrows). It sees a newcomer's credit standing
//! (identity age, reputation, headroom under its credit limit) through the world view and
//! answers with a `Lend` command; the economy's credit book applies the limits and moves
//! the principal from its account. Repayments come back to its account at the borrower's
//! settlements; a borrower who vanishes is its loss.
//!
//! Invariant: it offers at most once per joining peer, only to a peer that wants to borrow
//! now, of an identity with at least `min_reputation`, and never more than it holds.

use super::Agent;
use crate::boundary::{Command, Fact, WorldView};
use crate::config::AgentConfig;
use crate::economy::tokens::from_tokens;
use crate::ids::{AgentId, HostId};
use crate::time::SimTime;

#[derive(Debug)]
pub struct Lender {
    id: AgentId,
    interest: f64,
    /// µT per loan at most.
    max_loan: u64,
    min_reputation: f64,
}

impl Lender {
    pub fn new(id: AgentId, cfg: &AgentConfig) -> Lender {
        let AgentConfig::Lender {
            interest,
            max_loan,
            min_reputation,
            ..
        } = cfg
        else {
            unreachable!("a lender is built from a lender entry")
        };
        Lender {
            id,
            interest: *interest,
            max_loan: from_tokens(*max_loan),
            min_reputation: *min_reputation,
        }
    }
}

impl Agent for Lender {
    fn start(&mut self, _view: &dyn WorldView, _out: &mut Vec<Command>) {}

    fn on_fact(&mut self, fact: &Fact, view: &dyn WorldView, out: &mut Vec<Command>) {
        let Fact::PeerJoined {
            peer,
            host,
            seed: false,
            ..
        } = *fact
        else {
            return;
        };
        let Some(credit) = view.credit(host) else {
            return;
        };
        let funds = view.agent_balance(self.id);
        if credit.wants == 0 || credit.headroom == 0 || funds == 0 {
            return;
        }
        if credit.reputation < self.min_reputation {
            return;
        }
        out.push(Command::Lend {
            agent: self.id,
            peer,
            host,
            amount: self.max_loan.min(funds),
            interest: self.interest,
            min_reputation: self.min_reputation,
        });
    }

    fn hosts(&self) -> &[HostId] {
        &[]
    }

    fn unbooked_cost(&self, _now: SimTime) -> u64 {
        0
    }
}
