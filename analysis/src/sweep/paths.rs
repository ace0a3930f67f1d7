//! Dotted paths into a scenario: every path the resolved scenario (what `show-config`
//! prints) holds, and the closest ones to a mistyped path by edit distance.
//!
//! Invariant: paths are listed in the resolved scenario's field order; suggestions are
//! ordered by distance, then by that order, so they never depend on hashing.

/// Every path in `table`: tables, lists, list items (`torrents[0]`) and leaves.
/// Cost O(size of the table).
pub fn all_paths(table: &toml::Table) -> Vec<String> {
    let mut out = Vec::new();
    walk_table("", table, &mut out);
    out
}

fn walk_table(prefix: &str, table: &toml::Table, out: &mut Vec<String>) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        walk_value(path, value, out);
    }
}

fn walk_value(path: String, value: &toml::Value, out: &mut Vec<String>) {
    out.push(path.clone());
    match value {
        toml::Value::Table(t) => walk_table(&path, t, out),
        toml::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if matches!(item, toml::Value::Table(_) | toml::Value::Array(_)) {
                    walk_value(format!("{path}[{i}]"), item, out);
                }
            }
        }
        _ => {}
    }
}

/// Levenshtein distance in characters. Cost O(|a|·|b|).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(diag + usize::from(ca != cb));
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// Up to `n` of `valid` closest to `path`.
pub fn closest<'a>(path: &str, valid: &'a [String], n: usize) -> Vec<&'a str> {
    let mut scored: Vec<(usize, usize, &str)> = valid
        .iter()
        .enumerate()
        .map(|(i, v)| (edit_distance(path, v), i, v.as_str()))
        .collect();
    scored.sort_unstable();
    scored.into_iter().take(n).map(|(_, _, v)| v).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_tables_items_and_leaves() {
        let t: toml::Table =
            "seed = 1\n[client.choker]\nslots = 4\n[[torrents]]\nname = \"a\"\nsizes = [1, 2]\n"
                .parse()
                .unwrap();
        assert_eq!(
            all_paths(&t),
            vec![
                "seed",
                "client",
                "client.choker",
                "client.choker.slots",
                "torrents",
                "torrents[0]",
                "torrents[0].name",
                "torrents[0].sizes",
            ]
        );
    }

    #[test]
    fn distance_and_suggestions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
        let valid: Vec<String> = ["horizon", "seed", "torrents[0].seeding.mean"]
            .map(String::from)
            .to_vec();
        let near = closest("torrents[0].seding.mean", &valid, 2);
        assert_eq!(near.len(), 2);
        assert_eq!(near[0], "torrents[0].seeding.mean");
        assert_eq!(closest("hrizon", &valid, 1), vec!["horizon"]);
    }
}
