//! Bad input to the institutions above the swarm (loan book, bounty board, sites' fees,
//! seed pools, cold storage): exit code 2 naming the file and the field.

use super::SMALL;
use super::bad_input::rejects;
use super::bad_markets::{PRICED, with_economy};

/// SMALL with a lending economy: `lending` is the `[economy.lending]` body, `agents` is
/// appended after it.
fn with_lending(lending: &str, agents: &str) -> String {
    format!(
        "{}\n[economy.lending]\n{lending}\n{agents}\n",
        with_economy("", &format!("{PRICED}\nborrow = {{ amount = 5.0 }}"))
    )
}

#[test]
fn lending_values_out_of_range_name_the_field() {
    rejects(
        &with_lending("repay_share = 0.0", ""),
        &["economy.lending.repay_share", "(0, 1]", "0"],
    );
    rejects(
        &with_lending("repay_share = 1.5", ""),
        &["economy.lending.repay_share", "1.5"],
    );
    rejects(
        &with_lending("credit_limit = { kind = \"lifetime\", tokens = 5.0 }", ""),
        &[
            "economy.lending.credit_limit",
            "lifetime",
            "fixed",
            "linear",
            "history",
        ],
    );
    rejects(
        &with_lending(
            "credit_limit = { kind = \"history\", initial = 10.0, cap = 5.0 }",
            "",
        ),
        &["economy.lending.credit_limit.cap", "initial"],
    );
    rejects(
        &with_lending(
            "",
            "[[agents]]\nkind = \"lender\"\ncapital = 100.0\ninterest = -0.1\nmax_loan = 5.0",
        ),
        &["agents[0].interest", "-0.1", "interest rate"],
    );
    rejects(
        &with_lending(
            "",
            "[[agents]]\nkind = \"lender\"\ncapital = -5.0\ninterest = 0.1\nmax_loan = 5.0",
        ),
        &["agents[0].capital", "-5"],
    );
    rejects(
        &with_lending(
            "",
            "[[agents]]\nkind = \"sybil\"\nidentities = 0\nupload = \"1 Mbit/s\"\ndownload = \"1 Mbit/s\"",
        ),
        &["agents[0].identities", "got 0"],
    );
    // A lend policy with a negative interest, and what needs credit without it.
    rejects(
        &format!(
            "{}\n[economy.lending]\n",
            with_economy(
                "",
                &format!("{PRICED}\nlend = {{ interest = -1.0, max_loan = 1.0 }}")
            )
        ),
        &["economy.strategies[0].lend.interest", "-1"],
    );
    rejects(
        &with_economy("", &format!("{PRICED}\nborrow = {{ amount = 5.0 }}")),
        &["economy.strategies[0].borrow", "[economy.lending]"],
    );
    rejects(
        &format!(
            "{SMALL}\n[[agents]]\nkind = \"lender\"\ncapital = 1.0\ninterest = 0.1\nmax_loan = 1.0\n"
        ),
        &["agents[0].kind", "[economy.lending]"],
    );
    rejects(
        &SMALL.replace(
            "seeding = { kind = \"exponential\", mean = \"2min\" }",
            "seeding = { kind = \"until_repaid\", max_time = \"1h\" }",
        ),
        &[
            "torrents[0].seeding.kind",
            "until_repaid",
            "[economy.lending]",
        ],
    );
}

#[test]
fn bounty_and_arbitrage_values_out_of_range_name_the_field() {
    let on_demand = SMALL.replace(
        "arrivals = { kind = \"flash_crowd\"",
        "publish = \"on_demand\"\narrivals = { kind = \"flash_crowd\"",
    );
    let board = |tax: &str, agent: &str, base: &str| {
        format!(
            "{}\n[economy.bounties]\ntax = {tax}\n{agent}\n",
            with_economy("", PRICED).replace(SMALL, base)
        )
    };
    let requester = |torrent: &str, post: &str, deadline: &str| {
        format!(
            "[[agents]]\nkind = \"requester\"\ntorrents = [\"{torrent}\"]\nreward = 5.0\ncapital = 5.0\npost_at = \"{post}\"\ndeadline = \"{deadline}\""
        )
    };
    rejects(
        &board("1.0", "", &on_demand),
        &["economy.bounties.tax", "[0, 1)", "1"],
    );
    rejects(
        &board("-0.1", "", &on_demand),
        &["economy.bounties.tax", "-0.1"],
    );
    rejects(
        &board("0.1", &requester("file", "0s", "1h"), SMALL),
        &["agents[0].torrents[0]", "published at release", "on_demand"],
    );
    rejects(
        &board("0.1", &requester("file", "2h", "1h"), &on_demand),
        &["agents[0].deadline", "after post_at"],
    );
    rejects(
        &board("0.1", &requester("nosuch", "0s", "1h"), &on_demand),
        &["agents[0].torrents[0]", "nosuch", "\"file\""],
    );
    let sites = "[[sites]]\nname = \"a\"\n[[sites]]\nname = \"b\"\nlisting_fee = 1.0\n";
    let arbitrageur = |from: &str, to: &str| {
        format!(
            "{}\n{sites}\n[[agents]]\nkind = \"arbitrageur\"\nupload = \"1 Mbit/s\"\ndownload = \"1 Mbit/s\"\nfrom = \"{from}\"\nto = [\"{to}\"]\nselection = {{ kind = \"newest\", within = \"1h\" }}\n",
            with_economy("", PRICED)
        )
    };
    rejects(
        &arbitrageur("nowhere", "b"),
        &["agents[0].from", "nowhere", "\"a\", \"b\""],
    );
    rejects(
        &arbitrageur("a", "elsewhere"),
        &["agents[0].to[0]", "elsewhere"],
    );
    rejects(&arbitrageur("a", "a"), &["agents[0].to[0]", "source"]);
    rejects(
        &format!(
            "{}\n[[sites]]\nname = \"a\"\nlisting_fee = -2.0\n",
            with_economy("", PRICED)
        ),
        &["sites[0].listing_fee", "-2"],
    );
}

/// SMALL with an economy whose strategy sells, a pool `pool` (the `[[economy.pools]]` body) and
/// `agents` appended.
fn with_pool(pool: &str, agents: &str) -> String {
    format!(
        "{}\n[[economy.pools]]\n{pool}\n{agents}\n",
        with_economy("", PRICED)
    )
}

const POOL: &str = "name = \"p\"\nfee = 0.05\npayout = { kind = \"proportional\" }\nselection = { kind = \"newest\", within = \"1h\" }";

fn member(extra: &str) -> String {
    format!(
        "[[agents]]\nkind = \"pool_member\"\nupload = \"1 Mbit/s\"\ndownload = \"8 Mbit/s\"\nstrategy = \"s\"\n{extra}"
    )
}

#[test]
fn pool_and_storage_values_out_of_range_name_the_field() {
    rejects(
        &with_pool(&POOL.replace("proportional", "fpps"), ""),
        &["economy.pools[0].payout", "fpps", "\"pplns\"", "\"pps\""],
    );
    rejects(
        &with_pool(&POOL.replace("fee = 0.05", "fee = 1.0"), ""),
        &["economy.pools[0].fee", "[0, 1)", "1"],
    );
    rejects(
        &with_pool(
            &POOL.replace(
                "{ kind = \"proportional\" }",
                "{ kind = \"pplns\", window = \"0 B\" }",
            ),
            "",
        ),
        &["economy.pools[0].payout.window", "0"],
    );
    rejects(
        &with_pool(
            &POOL.replace(
                "{ kind = \"proportional\" }",
                "{ kind = \"pps\", tokens_per_mib = -0.01, reserve = 10.0 }",
            ),
            "",
        ),
        &["economy.pools[0].payout.tokens_per_mib", "-0.01"],
    );
    rejects(
        &with_pool(&format!("{POOL}\n[[economy.pools]]\n{POOL}"), ""),
        &["economy.pools[1].name", "\"p\""],
    );
    rejects(
        &with_pool(&POOL.replace("\"newest\"", "\"clairvoyant\""), ""),
        &[
            "economy.pools[0].selection",
            "clairvoyant",
            "\"random\"",
            "\"predicted\"",
        ],
    );
    rejects(
        &with_pool(POOL, &member("pool = \"nosuch\"")),
        &["agents[0].pool", "nosuch", "\"p\""],
    );
    rejects(
        &with_pool(POOL, &member("hopper = true")),
        &["agents[0].hopper", "pool"],
    );
    rejects(
        &with_pool(
            POOL,
            &member("pool = \"p\"\nselection = { kind = \"newest\", within = \"1h\" }"),
        ),
        &["agents[0].selection", "pool"],
    );
    let storage = |body: &str, agents: &str| {
        with_economy(&format!("storage = {{ {body} }}"), PRICED) + agents
    };
    rejects(
        &storage("rent_per_gb_month = -1.0", ""),
        &["economy.storage.rent_per_gb_month", "-1"],
    );
    rejects(
        &storage("rent_per_gb_month = 1.0, bill_every = \"0s\"", ""),
        &["economy.storage.bill_every", "longer than 0s"],
    );
    rejects(
        &format!(
            "{}\n[[agents]]\nkind = \"speculator\"\nupload = \"1 Mbit/s\"\ndownload = \"8 Mbit/s\"\ncapital = 1.0\nstrategy = \"s\"\n",
            with_economy("", PRICED)
        ),
        &["agents[0]", "speculator", "[economy.storage]"],
    );
}
