//! Lending in whole runs: the loan book rebuilt from the journal alone after every event,
//! defaults of borrowers who leave at once against repayment by those who seed, and sybils
//! against a site's identities-per-IP limit.

use super::{run, scenario};
use sim_core::economy::credit::LoanState;
use sim_core::economy::ledger::Reason;
use sim_core::report::Report;
use sim_core::swarm::Sim;
use std::collections::BTreeMap;

/// A small swarm of newcomers without tokens: a bank lends, seeders that earned lend too.
/// `seeding` is the torrent's seeding law, `extra` is appended (agents, sites).
fn lending(seed: u64, seeding: &str, extra: &str) -> String {
    format!(
        r#"
        name = "lending"
        seed = {seed}
        horizon = "3h"
        sample_interval = "30s"
        [tracker]
        max_connections = 12
        numwant = 8
        min_peers = 4
        [[classes]]
        name = "slow"
        share = 0.6
        upload = "512 kbit/s"
        download = "4 Mbit/s"
        [[classes]]
        name = "fast"
        share = 0.4
        upload = "2 Mbit/s"
        download = "8 Mbit/s"
        [[torrents]]
        name = "a"
        size = "12 MiB"
        piece_size = "256 KiB"
        publishers = {{ count = 1, leave_after = "40min" }}
        arrivals = {{ kind = "flash_crowd", count = 24, window = "10min" }}
        seeding = {seeding}
        [economy]
        endowment = {{ kind = "fixed", tokens = 0.0 }}
        channel = {{ deposit = 1.0, fee = 0.01, open_latency = "5s", settle_latency = "5s", settle_interval = "3min" }}
        [[economy.strategies]]
        name = "newcomer"
        share = 1.0
        pricing = {{ kind = "fixed", tokens_per_mib = 0.2 }}
        bidding = {{ kind = "fixed", tokens_per_mib = 0.4 }}
        lend = {{ interest = 0.05, max_loan = 1.0 }}
        borrow = {{ below = 0.5, amount = 3.0, rarest_first = true }}
        [economy.lending]
        repay_share = 0.5
        default_after = "20min"
        credit_limit = {{ kind = "history", initial = 3.0, growth_per_100_repaid = 1.0, cap = 10.0 }}
        {extra}
        "#
    )
}

const BANK: &str = r#"
        [[agents]]
        kind = "lender"
        capital = 200.0
        interest = 0.10
        max_loan = 3.0
"#;

const UNTIL_REPAID: &str =
    r#"{ kind = "until_repaid", min_time = "1min", max_time = "1h", window = "1min" }"#;

/// Every loan's principal and repayments from the tagged journal entries alone.
fn from_journal(sim: &Sim) -> BTreeMap<u32, (u64, u64)> {
    let econ = sim.economy().expect("an economy");
    let journal = econ.ledger().journal();
    let mut loans: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
    for &(at, subject) in econ.ledger().tags() {
        let sim_core::economy::ledger::Subject::Loan(loan) = subject else {
            continue;
        };
        let e = &journal[at as usize];
        let l = loans.entry(loan.0).or_default();
        match e.reason {
            Reason::Loan => l.0 += e.amount,
            Reason::Repayment => l.1 += e.amount,
            other => panic!("a loan-tagged entry with reason {other:?}"),
        }
    }
    loans
}

/// Runs `s`, checking after every event the invariants and that the book equals the
/// journal's reference.
fn run_checked(s: &sim_core::config::Scenario, label: &str) -> Report {
    let mut sim = Sim::new(s);
    while sim.step() {
        let at = || {
            format!(
                "{label}: after event {} at {}",
                sim.events_processed(),
                sim.now()
            )
        };
        if let Err(e) = sim.check_invariants() {
            panic!("{}: {e}", at());
        }
        let reference = from_journal(&sim);
        let book = sim.economy().unwrap().credit().expect("lending");
        assert_eq!(reference.len(), book.loans().len(), "{}: loans", at());
        for (i, l) in book.loans().iter().enumerate() {
            let (principal, repaid) = reference[&(i as u32)];
            assert_eq!(
                (principal, repaid),
                (l.principal, l.repaid),
                "{}: loan {i} (principal, repaid) from the journal vs the book",
                at()
            );
            let outstanding = l.owed - repaid;
            assert_eq!(
                l.state == LoanState::Repaid,
                outstanding == 0,
                "{}: loan {i}",
                at()
            );
        }
    }
    sim.finish()
}

#[test]
fn the_loan_book_equals_its_journal_after_every_event_over_16_seeds() {
    let (mut loans, mut repaid, mut defaulted) = (0, 0, 0);
    for seed in 0..16 {
        let seeding = if seed % 2 == 0 {
            UNTIL_REPAID
        } else {
            r#"{ kind = "leave_at_once" }"#
        };
        let s = scenario(&lending(seed, seeding, BANK));
        let r = run_checked(&s, &format!("seed {seed}"));
        let l = r
            .summary
            .economy
            .as_ref()
            .unwrap()
            .lending
            .as_ref()
            .unwrap();
        loans += l.loans_issued;
        repaid += l.loans_repaid;
        defaulted += l.loans_defaulted;
    }
    assert!(
        loans > 200 && repaid > 20 && defaulted > 20,
        "the runs lend, repay and default ({loans} loans, {repaid} repaid, {defaulted} defaulted)"
    );
}

#[test]
fn borrowers_who_leave_at_once_default_and_those_who_seed_repay() {
    let stats = |seeding: &str| {
        let (mut issued, mut repaid, mut defaulted, mut lost) = (0, 0, 0, 0.0);
        for seed in 1..=4 {
            let r = run(&scenario(&lending(seed, seeding, BANK)));
            let l = r.summary.economy.as_ref().unwrap().lending.clone().unwrap();
            issued += l.loans_issued;
            repaid += l.loans_repaid;
            defaulted += l.loans_defaulted;
            lost += l.principal_lost_tokens;
        }
        (issued, repaid, defaulted, lost)
    };
    let (issued, repaid, defaulted, _) = stats(UNTIL_REPAID);
    assert!(issued > 0);
    let (issued_gone, repaid_gone, defaulted_gone, lost) = stats(r#"{ kind = "leave_at_once" }"#);
    // Seeding until repaid repays at least two fifths of the loans (about half over these
    // seeds) and at least twice the share repaid by borrowers who leave at once.
    assert!(
        repaid * 5 >= issued * 2 && repaid * issued_gone >= 2 * repaid_gone * issued,
        "seeding until repaid: {repaid} of {issued} loans repaid ({defaulted} defaulted); \
         leaving at once: {repaid_gone} of {issued_gone}"
    );
    assert!(
        defaulted_gone * 2 > issued_gone && defaulted_gone > defaulted,
        "leaving at once: {defaulted_gone} of {issued_gone} loans default ({repaid_gone} repaid)"
    );
    assert!(
        lost > 0.0,
        "the lenders lose interest or principal to those who leave"
    );
    // Every default came `default_after` (20 min) after its borrower went offline, never
    // earlier: the loans table says when.
    let r = run(&scenario(&lending(
        1,
        r#"{ kind = "leave_at_once" }"#,
        BANK,
    )));
    let loans = r.economy.as_ref().unwrap().loans.as_ref().unwrap();
    let peers: BTreeMap<u32, &sim_core::report::PeerRow> =
        r.peers.iter().map(|p| (p.peer, p)).collect();
    for l in loans.iter().filter(|l| l.state == "defaulted") {
        let left = peers[&l.peer].left_s.expect("a defaulter left");
        let closed = l.closed_s.unwrap();
        assert!(
            (closed - left - 1200.0).abs() < 1e-6,
            "loan {} defaulted at {closed} s, its borrower left at {left} s",
            l.loan
        );
    }
}

/// Sybils on a site that admits `per_ip` identities per IP (0: any number).
fn sybils(per_ip: u32) -> String {
    lending(
        7,
        r#"{ kind = "leave_at_once" }"#,
        &format!(
            r#"{BANK}
        [[agents]]
        kind = "sybil"
        identities = 3
        identity_cost = 0.5
        capital = 5.0
        same_ip = true
        upload = "256 kbit/s"
        download = "8 Mbit/s"
        vanish = "5min"
        start = "2min"
        [[sites]]
        name = "site"
        identity = {{ per_ip = {per_ip} }}
        "#
        ),
    )
}

#[test]
fn a_sybils_fresh_identity_gets_no_credit_where_the_site_allows_one_identity_per_ip() {
    let sybil_loans = |per_ip: u32| {
        let r = run(&scenario(&sybils(per_ip)));
        let loans = r.economy.as_ref().unwrap().loans.clone().unwrap();
        let identities: std::collections::BTreeSet<u32> = loans
            .iter()
            .filter(|l| l.sybil)
            .map(|l| l.identity)
            .collect();
        (identities.len(), r)
    };
    let (open, r) = sybil_loans(0);
    assert!(
        open >= 2,
        "without a per-IP limit each sybil identity borrows ({open} did)"
    );
    let l = r.summary.economy.as_ref().unwrap().lending.clone().unwrap();
    assert_eq!(l.sybil_identities, 3);
    let (limited, r) = sybil_loans(1);
    assert_eq!(
        limited, 1,
        "with one identity per IP only the sybil's first identity gets in, and credit"
    );
    let site = &r.summary.sites.as_ref().unwrap()[0];
    assert!(
        site.refused_arrivals >= 1,
        "its later identities are refused"
    );
}
