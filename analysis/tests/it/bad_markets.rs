//! Bad input to the token economy and to the world above the swarm (sites, agents,
//! on-demand content): exit code 2 naming the file and the field.

use super::SMALL;
use super::bad_input::rejects;

/// SMALL with an `[economy]` section whose strategy is `strategy` (TOML body lines).
pub(super) fn with_economy(economy: &str, strategy: &str) -> String {
    format!(
        "{SMALL}\n[economy]\n{economy}\n[[economy.strategies]]\nname = \"s\"\nshare = 1.0\n{strategy}\n"
    )
}

pub(super) const PRICED: &str = "pricing = { kind = \"fixed\", tokens_per_mib = 0.1 }\nbidding = { kind = \"speed\", value_of_time_per_hour = { kind = \"fixed\", tokens = 10.0 } }";

#[test]
fn economy_values_out_of_range() {
    // Negative prices.
    rejects(
        &with_economy(
            "",
            &PRICED.replace("tokens_per_mib = 0.1", "tokens_per_mib = -0.1"),
        ),
        &["economy.strategies[0].pricing.tokens_per_mib", "-0.1"],
    );
    // Negative budgets: endowments and budget shares.
    rejects(
        &with_economy("endowment = { kind = \"fixed\", tokens = -5.0 }", PRICED),
        &["economy.endowment.tokens", "-5"],
    );
    rejects(
        &with_economy(
            "",
            &PRICED.replace("tokens = 10.0 }", "tokens = 10.0 }, budget_share = -0.5"),
        ),
        &["economy.strategies[0].bidding.budget_share", "[0, 1]"],
    );
    // More paid slots than the client's regular slots (bep3: 3).
    rejects(
        &with_economy("", &format!("paid_slots = 4\n{PRICED}")),
        &["economy.strategies[0].paid_slots", "at most", "3"],
    );
    // Participation outside [0, 1], overall and per class.
    rejects(
        &with_economy("participation = 1.5", PRICED),
        &["economy.participation", "[0, 1]"],
    );
    rejects(
        &with_economy("participation_by_class = { nosuch = 0.5 }", PRICED),
        &["economy.participation_by_class.nosuch", "classes"],
    );
}

#[test]
fn unknown_policy_names_list_the_known_ones() {
    rejects(
        &with_economy(
            "",
            &PRICED.replace(
                "kind = \"fixed\", tokens_per_mib",
                "kind = \"auction\", tokens_per_mib",
            ),
        ),
        &["pricing", "rate_quote", "fixed", "scarcity", "adaptive"],
    );
    rejects(
        &with_economy(
            "",
            &PRICED.replace("kind = \"speed\"", "kind = \"bittyrant\""),
        ),
        &["bidding", "none", "fixed", "speed"],
    );
    rejects(
        &with_economy("clearing = \"dutch\"", PRICED),
        &["clearing", "first_price", "second_price"],
    );
}

/// SMALL on a site, with `extra` TOML appended.
fn with_world(extra: &str) -> String {
    format!("{SMALL}\n{extra}\n")
}

#[test]
fn world_sections_are_checked() {
    rejects(
        &SMALL.replace(
            "seeding = { kind = \"exponential\", mean = \"2min\" }",
            "seeding = { kind = \"exponential\", mean = \"2min\" }\nlisted_on = [\"nowhere\"]",
        ),
        &["torrents[0].listed_on[0]", "nowhere", "\"default\""],
    );
    rejects(
        &with_world("[[sites]]\nname = \"p\"\naudience = 0"),
        &["sites[0].audience", "(0, 1000000]"],
    );
    rejects(
        &with_world(
            "[[sites]]\nname = \"p\"\nrules = { kind = \"ratio\", min_ratio = 0.6, watch = \"1d\" }",
        ),
        &["sites[0].rules", "grace"],
    );
    rejects(
        &with_world(
            "[[sites]]\nname = \"p\"\nrules = { kind = \"ratio\", min_ratio = 0.6, grace = \"5 GB\", watch = \"0s\" }",
        ),
        &["sites[0].rules.watch", "longer than 0s"],
    );
    rejects(
        &with_world("[[agents]]\nkind = \"miner\""),
        &["agents[0].kind", "\"seedbox\"", "\"uploader\""],
    );
    rejects(
        &with_world(
            "[[agents]]\nkind = \"seedbox\"\nupload = \"1 Gbit/s\"\ndownload = \"1 Gbit/s\"\ncost_per_hour = -1.0\nselection = { kind = \"newest\", within = \"1h\" }",
        ),
        &["agents[0].cost_per_hour", "-1"],
    );
    rejects(
        &with_world(
            "[[agents]]\nkind = \"seedbox\"\nupload = \"1 Gbit/s\"\ndownload = \"1 Gbit/s\"\ncost_per_hour = 1.0\nsites = [\"nowhere\"]\nselection = { kind = \"newest\", within = \"1h\" }",
        ),
        &["agents[0].sites[0]", "nowhere"],
    );
    rejects(
        &with_world(
            "[[agents]]\nkind = \"seedbox\"\nupload = \"1 Gbit/s\"\ndownload = \"1 Gbit/s\"\ncost_per_hour = 1.0\nstrategy = \"x\"\nselection = { kind = \"newest\", within = \"1h\" }",
        ),
        &["agents[0].strategy", "[economy]"],
    );
    rejects(
        &with_world(
            "[[agents]]\nkind = \"uploader\"\ntorrents = [\"file\"]\nupload = \"1 Mbit/s\"",
        ),
        &["agents[0].torrents[0]", "on_demand"],
    );
    rejects(
        &SMALL.replace(
            "stop_when_done = true",
            "stop_when_done = true\n[population]\nusers = 0",
        ),
        &["population.users", "[1,"],
    );
}

#[test]
fn on_demand_content_needs_an_uploader() {
    rejects(
        &SMALL.replace(
            "seeding = { kind = \"exponential\", mean = \"2min\" }",
            "seeding = { kind = \"exponential\", mean = \"2min\" }\npublish = \"on_demand\"",
        ),
        &["torrents[0].publish", "uploader"],
    );
}
