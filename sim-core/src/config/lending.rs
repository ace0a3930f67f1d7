//! Credit and bounties in a scenario: `[economy.lending]` (the loan book's rules: repayment
//! share and order, defaults, credit limits, reputation), the `lend` and `borrow` policies of
//! an economy strategy, and `[economy.bounties]` (the bounty board's tax, verification and
//! pledges). Token amounts are decimal tokens; rates are fractions (0.1 = 10%).

use super::names::names_enum;
use super::tagged::tagged_enum;
use crate::units::Duration;
use serde::{Deserialize, Serialize};

/// `[economy.lending]`: absent means nobody lends or borrows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LendingConfig {
    /// Share of every settlement the borrower receives that goes to its lenders, until it
    /// owes nothing (in (0, 1]).
    #[serde(default = "half")]
    pub repay_share: f64,
    /// Which of several loans of one borrower is repaid first.
    #[serde(default)]
    pub order: RepayOrder,
    /// A borrower whose identity has been offline this long with debt left defaults.
    #[serde(default = "default_after")]
    pub default_after: Duration,
    /// How much an identity may owe at once, as its history grows.
    #[serde(default)]
    pub credit_limit: CreditLimit,
    /// Identities younger than this get no credit (a site-level defence against fresh
    /// identities).
    #[serde(default)]
    pub min_identity_age: Duration,
    /// How defaults weigh on reputation.
    #[serde(default)]
    pub reputation: ReputationConfig,
}

fn yes() -> bool {
    true
}

fn half() -> f64 {
    0.5
}
fn default_after() -> Duration {
    Duration::from_secs(86_400)
}

impl Default for LendingConfig {
    fn default() -> Self {
        LendingConfig {
            repay_share: half(),
            order: RepayOrder::default(),
            default_after: default_after(),
            credit_limit: CreditLimit::default(),
            min_identity_age: Duration::default(),
            reputation: ReputationConfig::default(),
        }
    }
}

/// The order in which a borrower's loans are repaid.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RepayOrder {
    /// The loan issued first, first.
    #[default]
    OldestFirst,
    /// The loan with the highest interest rate first (then the oldest).
    HighestInterestFirst,
}

names_enum!(RepayOrder {
    "oldest_first" => OldestFirst,
    "highest_interest_first" => HighestInterestFirst,
});

tagged_enum! {
/// How much an identity may owe at once (principal outstanding), by its repayment history.
/// A defaulted identity's limit is 0 whatever the policy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CreditLimit as "a credit-limit policy" {
    /// Always `tokens`.
    Fixed { tokens: f64 },
    /// `initial + per_token_repaid × tokens repaid so far`.
    Linear { initial: f64, per_token_repaid: f64 },
    /// Ethereum Swarm's accounting (REFERENCES.md): `initial + growth_per_100_repaid` for
    /// every 100 tokens repaid, up to `cap`; past the cap it doubles each time the tokens
    /// repaid double (from those repaid when it reached the cap).
    History {
        initial: f64,
        #[serde(default = "one")]
        growth_per_100_repaid: f64,
        cap: f64,
    },
}
}

fn one() -> f64 {
    1.0
}

impl Default for CreditLimit {
    fn default() -> Self {
        CreditLimit::Fixed { tokens: 50.0 }
    }
}

/// Reputation of an identity: `repaid loans − default_weight × its defaults −
/// ip_weight × defaults of every identity on its IP` (so a shared proxy IP saturates).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReputationConfig {
    #[serde(default = "one")]
    pub default_weight: f64,
    #[serde(default = "half")]
    pub ip_weight: f64,
}

impl Default for ReputationConfig {
    fn default() -> Self {
        ReputationConfig {
            default_weight: 1.0,
            ip_weight: 0.5,
        }
    }
}

/// A strategy's lending: a seeder offers a loan to a new member of its torrent whose
/// balance is below its `borrow` threshold.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LendPolicy {
    /// Interest: the borrower owes `principal × (1 + interest)` (0.1: the seed document's
    /// 1.1 tokens for every token lent).
    pub interest: f64,
    /// At most this many tokens per loan.
    pub max_loan: f64,
    /// At most this share of the lender's balance out on loan at once.
    #[serde(default = "half")]
    pub max_share_of_balance: f64,
    /// Lends only to identities of at least this reputation.
    #[serde(default)]
    pub min_reputation: f64,
}

/// A strategy's borrowing: on joining a torrent with less than `below` tokens, ask for a
/// loan of `amount` tokens (less if the credit limit or the lender's offer is lower).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BorrowPolicy {
    #[serde(default = "one")]
    pub below: f64,
    pub amount: f64,
    /// While it owes, pick the rarest pieces from the first one (no random first pieces),
    /// so that it holds what others want early and can sell it to repay (the seed
    /// document's new-user strategy).
    #[serde(default)]
    pub rarest_first: bool,
    /// On completing a download it repays from what it holds at once (the loan it did not
    /// spend), and again at each check while it seeds `until_repaid` (an honest newcomer;
    /// a whitewasher keeps it).
    #[serde(default = "yes")]
    pub repay_from_balance: bool,
}

/// `[economy.bounties]`: the bounty board's rules (absent: no bounties).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BountyConfig {
    /// Share of a reward paid that the board keeps as tax, in [0, 1) (Gazelle: 0.1).
    #[serde(default = "default_tax")]
    pub tax: f64,
    /// Where the tax goes.
    #[serde(default = "treasury")]
    pub tax_to: super::FeeSink,
    /// From the first completed download of a claimed copy until a genuine claim is paid
    /// (the requesters check it); a fake is found out at that first completion.
    #[serde(default = "default_verification")]
    pub verification: Duration,
    /// Tokens each leecher that arrives for the content while a bounty on it is open adds to
    /// it from its balance (crowd funding, like a private tracker's request votes); 0: none.
    #[serde(default)]
    pub pledge_per_arrival: f64,
}

fn default_tax() -> f64 {
    0.1
}
fn treasury() -> super::FeeSink {
    super::FeeSink::Treasury
}
fn default_verification() -> Duration {
    Duration::from_secs(3600)
}

impl Default for BountyConfig {
    fn default() -> Self {
        BountyConfig {
            tax: default_tax(),
            tax_to: treasury(),
            verification: default_verification(),
            pledge_per_arrival: 0.0,
        }
    }
}
