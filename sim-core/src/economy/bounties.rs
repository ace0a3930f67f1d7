//! The bounty board: rewards posted for content nobody has shared yet. A bounty is `Open`
//! from its posting (the reward moved into its escrow) until it is `Filled` (a claim was
//! verified genuine: the escrow, less the board's tax, goes to the uploader) or `Expired`
//! (its deadline passed unfilled: every funder gets back exactly what it put in). Leechers
//! who want the content may pledge to it while it is open. A claim is a publication of the
//! content by an uploader agent: it is checked at the first completed download of the claimed
//! copy — a fake is found out and rejected there (and its uploader's claims are refused from
//! then on), a genuine copy is paid `verification` later, the first verified claim winning. A
//! genuine claim made before the deadline is still paid after it.
//!
//! Invariant: a bounty's escrow equals its funders' contributions while it is open and is 0
//! once it is filled or expired; every movement is a ledger transfer tagged with the bounty.

use super::Economy;
use super::ledger::{Account, Reason};
use super::tokens::from_tokens;
use crate::config::FeeSink;
use crate::ids::{AgentId, BountyId, ContentId, HostId, TorrentId};
use crate::time::{SimDuration, SimTime};

/// Where a bounty stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BountyState {
    Open,
    Filled,
    Expired,
}

impl BountyState {
    pub fn name(self) -> &'static str {
        match self {
            BountyState::Open => "open",
            BountyState::Filled => "filled",
            BountyState::Expired => "expired",
        }
    }
}

/// What became of a claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// Waiting for the first completed download of its copy.
    Pending,
    /// Found genuine; paid `verification` after this (unless another claim won first).
    Verifying,
    Paid,
    /// A fake, found out at the first completed download.
    Rejected,
    /// Genuine, but another claim was paid first (or the bounty expired).
    Late,
}

impl ClaimOutcome {
    pub fn name(self) -> &'static str {
        match self {
            ClaimOutcome::Pending => "pending",
            ClaimOutcome::Verifying => "verifying",
            ClaimOutcome::Paid => "paid",
            ClaimOutcome::Rejected => "rejected",
            ClaimOutcome::Late => "late",
        }
    }
}

/// One claim on a bounty.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Claim {
    pub uploader: AgentId,
    /// The listing of the copy it published (a fake copy has a listing of its own).
    pub listing: TorrentId,
    pub at: SimTime,
    pub fake: bool,
    pub outcome: ClaimOutcome,
}

/// One bounty, µT.
#[derive(Clone, Debug, PartialEq)]
pub struct Bounty {
    pub content: ContentId,
    pub requester: AgentId,
    pub posted_at: SimTime,
    pub deadline: SimTime,
    pub state: BountyState,
    /// Who put how much into its escrow, in order (the requester first).
    pub funders: Vec<(Account, u64)>,
    pub claims: Vec<Claim>,
    pub closed_at: Option<SimTime>,
    /// Paid to the winning uploader, and the tax kept.
    pub paid: u64,
    pub tax: u64,
    pub refunded: u64,
    /// The deadline passed while a genuine claim was being verified.
    pub deadline_passed: bool,
}

impl Bounty {
    /// µT in its escrow while open: what its funders put in.
    pub fn funded(&self) -> u64 {
        self.funders.iter().map(|f| f.1).sum()
    }
}

/// The board of a run with `[economy.bounties]`.
#[derive(Debug, Default)]
pub struct BountyBoard {
    bounties: Vec<Bounty>,
    /// Uploaders with a rejected claim (their later claims are refused).
    distrusted: Vec<AgentId>,
    /// Claims refused because their uploader is distrusted.
    pub refused_claims: u64,
}

/// What the engine does after a first completed download of a claimed copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Pay claim `claim` of `bounty` after the verification delay.
    PayAfter {
        bounty: BountyId,
        claim: usize,
        delay: SimDuration,
    },
    /// Nothing to do (not a claim, already judged, or a fake rejected now).
    Nothing,
}

impl BountyBoard {
    pub fn bounties(&self) -> &[Bounty] {
        &self.bounties
    }

    /// The open bounty on `content`, if any (the oldest).
    pub fn open_on(&self, content: ContentId) -> Option<BountyId> {
        self.bounties
            .iter()
            .position(|b| b.content == content && b.state == BountyState::Open)
            .map(|i| BountyId(i as u32))
    }

    /// The invariant of every bounty against its escrow balance.
    pub fn check(&self, escrow: impl Fn(BountyId) -> u64) -> Result<(), String> {
        for (i, b) in self.bounties.iter().enumerate() {
            let held = escrow(BountyId(i as u32));
            let want = if b.state == BountyState::Open {
                b.funded()
            } else {
                0
            };
            if held != want {
                return Err(format!(
                    "bounty {i} ({}) holds {held} µT, its funders put in {want}",
                    b.state.name()
                ));
            }
            if b.state == BountyState::Filled && b.paid + b.tax != b.funded() {
                return Err(format!(
                    "bounty {i}: paid {} + tax {} ≠ funded {}",
                    b.paid,
                    b.tax,
                    b.funded()
                ));
            }
        }
        Ok(())
    }
}

impl Economy {
    pub fn bounty_board(&self) -> Option<&BountyBoard> {
        self.bounties.as_ref()
    }

    /// `requester` posts a bounty of `reward` µT (at most what it holds) for `content`, open
    /// until `deadline`. Returns the bounty (None without a board or without tokens).
    pub fn post_bounty(
        &mut self,
        now: SimTime,
        requester: AgentId,
        content: ContentId,
        reward: u64,
        deadline: SimTime,
    ) -> Option<BountyId> {
        self.bounties.as_ref()?;
        let from = Account::Agent(requester);
        let amount = reward.min(self.ledger.balance(from));
        if amount == 0 {
            return None;
        }
        let id = self.ledger.open_bounty();
        self.ledger
            .transfer_tagged(
                now,
                from,
                Account::Bounty(id),
                amount,
                Reason::BountyPost,
                id,
            )
            .expect("capped by the balance");
        let board = self.bounties.as_mut().expect("checked");
        debug_assert_eq!(board.bounties.len(), id.index(), "bounty ids are dense");
        board.bounties.push(Bounty {
            content,
            requester,
            posted_at: now,
            deadline,
            state: BountyState::Open,
            funders: vec![(from, amount)],
            claims: Vec::new(),
            closed_at: None,
            paid: 0,
            tax: 0,
            refunded: 0,
            deadline_passed: false,
        });
        Some(id)
    }

    /// A leecher of `host` arrived for `content`: it pledges `pledge_per_arrival` (at most
    /// what it holds) to the open bounty on it, if any.
    pub fn pledge(&mut self, now: SimTime, host: HostId, content: ContentId) {
        let Some(cfg) = self.config.bounties else {
            return;
        };
        let Some(board) = self.bounties.as_ref() else {
            return;
        };
        let Some(id) = board.open_on(content) else {
            return;
        };
        let from = Account::Host(host);
        let amount = from_tokens(cfg.pledge_per_arrival).min(self.ledger.balance(from));
        if amount == 0 {
            return;
        }
        self.ledger
            .transfer_tagged(
                now,
                from,
                Account::Bounty(id),
                amount,
                Reason::BountyPledge,
                id,
            )
            .expect("capped by the balance");
        let b = &mut self.bounties.as_mut().expect("checked").bounties[id.index()];
        match b.funders.iter_mut().find(|f| f.0 == from) {
            Some(f) => f.1 += amount,
            None => b.funders.push((from, amount)),
        }
    }

    /// `uploader` published a copy of `content` as `listing` (`fake`: a fake copy): a claim
    /// on the open bounty, unless the uploader is distrusted. Returns the bounty claimed.
    pub fn claim(
        &mut self,
        now: SimTime,
        uploader: AgentId,
        content: ContentId,
        listing: TorrentId,
        fake: bool,
    ) -> Option<BountyId> {
        let board = self.bounties.as_mut()?;
        let id = board.open_on(content)?;
        if board.distrusted.contains(&uploader) {
            board.refused_claims += 1;
            return None;
        }
        board.bounties[id.index()].claims.push(Claim {
            uploader,
            listing,
            at: now,
            fake,
            outcome: ClaimOutcome::Pending,
        });
        Some(id)
    }

    /// The first completed download of a copy at `listing`: a pending claim on it is judged —
    /// rejected if fake (its uploader distrusted from now on), else verified and paid after
    /// the board's verification delay.
    pub fn first_completion(&mut self, listing: TorrentId) -> Vec<Verdict> {
        let Some(cfg) = self.config.bounties else {
            return Vec::new();
        };
        let Some(board) = self.bounties.as_mut() else {
            return Vec::new();
        };
        let mut verdicts = Vec::new();
        for (b, bounty) in board.bounties.iter_mut().enumerate() {
            for (c, claim) in bounty.claims.iter_mut().enumerate() {
                if claim.listing != listing || claim.outcome != ClaimOutcome::Pending {
                    continue;
                }
                if claim.fake {
                    claim.outcome = ClaimOutcome::Rejected;
                    if !board.distrusted.contains(&claim.uploader) {
                        board.distrusted.push(claim.uploader);
                    }
                } else if bounty.state == BountyState::Open {
                    claim.outcome = ClaimOutcome::Verifying;
                    verdicts.push(Verdict::PayAfter {
                        bounty: BountyId(b as u32),
                        claim: c,
                        delay: cfg.verification.0,
                    });
                } else {
                    claim.outcome = ClaimOutcome::Late;
                }
            }
        }
        verdicts
    }

    /// A verified claim's payment is due: the first wins — the escrow less the tax goes to
    /// its uploader, the tax to the sink; later claims are late.
    pub fn pay_claim(&mut self, now: SimTime, bounty: BountyId, claim: usize) {
        let Some(cfg) = self.config.bounties else {
            return;
        };
        let Some(board) = self.bounties.as_ref() else {
            return;
        };
        let b = &board.bounties[bounty.index()];
        if b.state != BountyState::Open || b.claims[claim].outcome != ClaimOutcome::Verifying {
            if let Some(board) = self.bounties.as_mut()
                && board.bounties[bounty.index()].claims[claim].outcome == ClaimOutcome::Verifying
            {
                board.bounties[bounty.index()].claims[claim].outcome = ClaimOutcome::Late;
            }
            return;
        }
        let escrow = Account::Bounty(bounty);
        let total = self.ledger.balance(escrow);
        let tax = (total as f64 * cfg.tax).floor() as u64;
        let uploader = b.claims[claim].uploader;
        match cfg.tax_to {
            FeeSink::Burn => self
                .ledger
                .burn_tagged(now, escrow, tax, Reason::BountyTax, bounty)
                .expect("the tax is part of the escrow"),
            FeeSink::Treasury => self
                .ledger
                .transfer_tagged(
                    now,
                    escrow,
                    Account::Treasury,
                    tax,
                    Reason::BountyTax,
                    bounty,
                )
                .expect("the tax is part of the escrow"),
        }
        self.ledger
            .transfer_tagged(
                now,
                escrow,
                Account::Agent(uploader),
                total - tax,
                Reason::BountyReward,
                bounty,
            )
            .expect("the rest of the escrow");
        self.agents[uploader.index()].bounties_won += total - tax;
        let b = &mut self.bounties.as_mut().expect("checked").bounties[bounty.index()];
        b.state = BountyState::Filled;
        b.closed_at = Some(now);
        b.paid = total - tax;
        b.tax = tax;
        b.claims[claim].outcome = ClaimOutcome::Paid;
        for (i, c) in b.claims.iter_mut().enumerate() {
            if i != claim && matches!(c.outcome, ClaimOutcome::Verifying) {
                c.outcome = ClaimOutcome::Late;
            }
        }
    }

    /// `bounty`'s deadline: if it is still open and no genuine claim is being verified, every
    /// funder gets its contribution back and it expires (a claim being verified is paid when
    /// its verification lands).
    pub fn bounty_deadline(&mut self, now: SimTime, bounty: BountyId) {
        let Some(board) = self.bounties.as_mut() else {
            return;
        };
        let b = &mut board.bounties[bounty.index()];
        if b.state != BountyState::Open {
            return;
        }
        if b.claims
            .iter()
            .any(|c| c.outcome == ClaimOutcome::Verifying)
        {
            b.deadline_passed = true;
            return;
        }
        let funders = b.funders.clone();
        for &(funder, amount) in &funders {
            self.ledger
                .transfer_tagged(
                    now,
                    Account::Bounty(bounty),
                    funder,
                    amount,
                    Reason::BountyRefund,
                    bounty,
                )
                .expect("the escrow holds every contribution");
        }
        let b = &mut self.bounties.as_mut().expect("checked").bounties[bounty.index()];
        b.refunded = funders.iter().map(|f| f.1).sum();
        b.state = BountyState::Expired;
        b.closed_at = Some(now);
        for c in &mut b.claims {
            if matches!(c.outcome, ClaimOutcome::Pending) {
                c.outcome = ClaimOutcome::Late;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EconomyConfig;
    use crate::economy::tokens::MICRO_PER_TOKEN as T;

    fn economy(tax_to: &str) -> Economy {
        let cfg: EconomyConfig = toml::from_str(&format!(
            "endowment = {{ kind = \"fixed\", tokens = 10.0 }}\n[bounties]\ntax = 0.1\ntax_to = \"{tax_to}\"\nverification = \"1h\"\npledge_per_arrival = 2.0\n"
        ))
        .unwrap();
        let mut e = Economy::new(&cfg, 1);
        e.add_agent(SimTime::ZERO, AgentId(0), 100.0); // the requester
        e.add_agent(SimTime::ZERO, AgentId(1), 0.0); // a fake uploader
        e.add_agent(SimTime::ZERO, AgentId(2), 0.0); // an honest uploader
        e.add_host(SimTime::ZERO, HostId(0), Some("user"));
        e.add_host(SimTime::ZERO, HostId(1), Some("user"));
        e
    }

    fn balance(e: &Economy, a: Account) -> u64 {
        e.ledger.balance(a)
    }

    #[test]
    fn a_fake_claim_is_rejected_and_the_genuine_one_is_paid_less_the_tax() {
        let mut e = economy("treasury");
        let deadline = SimTime::ZERO + SimDuration::from_secs(86_400);
        let b = e
            .post_bounty(SimTime::ZERO, AgentId(0), ContentId(0), 50 * T, deadline)
            .unwrap();
        e.pledge(SimTime::ZERO, HostId(0), ContentId(0));
        e.pledge(SimTime::ZERO, HostId(1), ContentId(0));
        assert_eq!(
            balance(&e, Account::Bounty(b)),
            54 * T,
            "reward and two pledges"
        );
        // A fake claim, found out at its copy's first completion.
        e.claim(SimTime::ZERO, AgentId(1), ContentId(0), TorrentId(7), true)
            .unwrap();
        assert_eq!(e.first_completion(TorrentId(7)), vec![]);
        assert_eq!(
            e.bounty_board().unwrap().bounties()[0].claims[0].outcome,
            ClaimOutcome::Rejected
        );
        // Its next claim is refused.
        assert_eq!(
            e.claim(SimTime::ZERO, AgentId(1), ContentId(0), TorrentId(8), true),
            None
        );
        // A genuine claim: verified at its first completion, paid an hour later.
        e.claim(SimTime::ZERO, AgentId(2), ContentId(0), TorrentId(0), false)
            .unwrap();
        let v = e.first_completion(TorrentId(0));
        assert_eq!(
            v,
            vec![Verdict::PayAfter {
                bounty: b,
                claim: 1,
                delay: SimDuration::from_secs(3600)
            }]
        );
        e.check().unwrap();
        e.pay_claim(SimTime::ZERO + SimDuration::from_secs(3600), b, 1);
        let board = e.bounty_board().unwrap();
        let bounty = &board.bounties()[0];
        assert_eq!(bounty.state, BountyState::Filled);
        assert_eq!(
            (bounty.paid, bounty.tax),
            (54 * T - 54 * T / 10, 54 * T / 10)
        );
        assert_eq!(
            balance(&e, Account::Agent(AgentId(2))),
            54 * T - 54 * T / 10
        );
        assert_eq!(
            balance(&e, Account::Treasury),
            54 * T / 10,
            "the tax to the treasury"
        );
        assert_eq!(balance(&e, Account::Bounty(b)), 0);
        // The deadline passing later changes nothing; conservation holds throughout.
        e.bounty_deadline(deadline, b);
        assert_eq!(
            e.bounty_board().unwrap().bounties()[0].state,
            BountyState::Filled
        );
        e.check().unwrap();
    }

    #[test]
    fn an_expired_bounty_refunds_every_funder_what_it_put_in() {
        let mut e = economy("burn");
        let deadline = SimTime::ZERO + SimDuration::from_secs(86_400);
        let b = e
            .post_bounty(SimTime::ZERO, AgentId(0), ContentId(0), 30 * T, deadline)
            .unwrap();
        e.pledge(SimTime::ZERO, HostId(0), ContentId(0));
        e.pledge(SimTime::ZERO, HostId(0), ContentId(0));
        e.pledge(SimTime::ZERO, HostId(1), ContentId(0));
        assert_eq!(balance(&e, Account::Host(HostId(0))), 6 * T);
        e.bounty_deadline(deadline, b);
        let bounty = &e.bounty_board().unwrap().bounties()[0];
        assert_eq!(
            (bounty.state, bounty.refunded),
            (BountyState::Expired, 36 * T)
        );
        assert_eq!(balance(&e, Account::Agent(AgentId(0))), 100 * T);
        assert_eq!(balance(&e, Account::Host(HostId(0))), 10 * T);
        assert_eq!(balance(&e, Account::Host(HostId(1))), 10 * T);
        assert_eq!(balance(&e, Account::Bounty(b)), 0);
        e.check().unwrap();
        // Every movement of the bounty is tagged with it.
        let tagged = e
            .ledger
            .tags()
            .iter()
            .filter(|(_, s)| *s == crate::economy::ledger::Subject::Bounty(b))
            .count();
        assert_eq!(tagged, 1 + 3 + 3, "post, pledges, refunds");
    }

    #[test]
    fn a_genuine_claim_made_before_the_deadline_is_paid_after_it() {
        let mut e = economy("treasury");
        let deadline = SimTime::ZERO + SimDuration::from_secs(600);
        let b = e
            .post_bounty(SimTime::ZERO, AgentId(0), ContentId(0), 10 * T, deadline)
            .unwrap();
        e.claim(SimTime::ZERO, AgentId(2), ContentId(0), TorrentId(0), false)
            .unwrap();
        e.first_completion(TorrentId(0));
        e.bounty_deadline(deadline, b);
        assert_eq!(
            e.bounty_board().unwrap().bounties()[0].state,
            BountyState::Open
        );
        e.pay_claim(SimTime::ZERO + SimDuration::from_secs(3600), b, 0);
        assert_eq!(
            e.bounty_board().unwrap().bounties()[0].state,
            BountyState::Filled
        );
        e.check().unwrap();
    }
}
