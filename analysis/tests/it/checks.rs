//! `tokenswarm check`: blessing writes baselines, an unchanged engine passes, a drifted
//! metric fails with a table naming it, and tolerances survive a bless.

use super::{SMALL, temp_dir, tokenswarm};

#[test]
fn bless_then_check_passes_and_drift_fails() {
    let dir = temp_dir("check");
    std::fs::create_dir_all(dir.join("reg")).unwrap();
    std::fs::write(dir.join("reg/small.toml"), SMALL).unwrap();
    let o = tokenswarm(&["check", "reg"], &dir);
    assert_eq!(o.status.code(), Some(1), "no baseline is a failure");
    assert!(String::from_utf8_lossy(&o.stdout).contains("no baseline"));

    let o = tokenswarm(&["check", "reg", "--bless"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let baseline = std::fs::read_to_string(dir.join("reg/small.baseline.toml")).unwrap();
    assert!(baseline.contains("seeds = [1, 2, 3]"), "{baseline}");
    assert!(
        baseline.contains("[metrics.\"torrents.file.download_time_s.mean\"]"),
        "{baseline}"
    );

    let o = tokenswarm(&["check", "reg"], &dir);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(o.status.success(), "{out}");
    assert!(
        out.starts_with("scenario") && out.contains("metric") && out.contains("verdict"),
        "{out}"
    );
    assert!(out.contains("every metric within tolerance"), "{out}");

    // Move the expected mean download time by 10% with a 2% tolerance: drift.
    let key = "[metrics.\"torrents.file.download_time_s.mean\"]\nvalue = ";
    let at = baseline.find(key).unwrap() + key.len();
    let end = at + baseline[at..].find('\n').unwrap();
    let value: f64 = baseline[at..end].parse().unwrap();
    let drifted = format!("{}{}{}", &baseline[..at], value * 1.1, &baseline[end..]);
    std::fs::write(dir.join("reg/small.baseline.toml"), &drifted).unwrap();
    let o = tokenswarm(&["check", "reg"], &dir);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(o.status.code(), Some(1), "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("torrents.file.download_time_s.mean"))
        .unwrap();
    assert!(line.ends_with("DRIFT"), "{line}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("1 metrics outside"));

    // A wider tolerance set by hand accepts it, and a bless keeps that tolerance.
    let widened = drifted.replacen(
        &format!("value = {}\nrel = 0.02", value * 1.1),
        &format!("value = {}\nrel = 0.2", value * 1.1),
        1,
    );
    assert_ne!(widened, drifted);
    std::fs::write(dir.join("reg/small.baseline.toml"), &widened).unwrap();
    assert!(tokenswarm(&["check", "reg"], &dir).status.success());
    assert!(
        tokenswarm(&["check", "reg", "--bless"], &dir)
            .status
            .success()
    );
    let blessed = std::fs::read_to_string(dir.join("reg/small.baseline.toml")).unwrap();
    assert!(
        blessed.contains(&format!("value = {value}\nrel = 0.2\n")),
        "{blessed}"
    );
}

#[test]
fn baselines_refuse_non_finite_values_and_bless_keeps_ignored_tolerances() {
    let dir = temp_dir("check-values");
    std::fs::create_dir_all(dir.join("reg")).unwrap();
    std::fs::write(dir.join("reg/small.toml"), SMALL).unwrap();
    assert!(
        tokenswarm(&["check", "reg", "--bless"], &dir)
            .status
            .success()
    );
    let baseline = std::fs::read_to_string(dir.join("reg/small.baseline.toml")).unwrap();
    let key = "[metrics.\"torrents.file.download_time_s.mean\"]\nvalue = ";
    let at = baseline.find(key).unwrap() + key.len();
    let end = at + baseline[at..].find('\n').unwrap();
    for bad in ["inf", "nan", "-inf"] {
        let text = format!("{}{bad}{}", &baseline[..at], &baseline[end..]);
        std::fs::write(dir.join("reg/small.baseline.toml"), text).unwrap();
        let o = tokenswarm(&["check", "reg"], &dir);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "value = {bad}: {err}");
        assert!(
            err.contains("torrents.file.download_time_s.mean") && err.contains("finite"),
            "{err}"
        );
    }
    // Ignoring a metric keeps its table (and hand-set tolerance) through a bless.
    let ignored = baseline
        .replace(
            "ignore = [\"events_processed\"]",
            "ignore = [\"events_processed\", \"torrents.file.download_time_s.mean\"]",
        )
        .replacen(
            &format!("{}\nrel = 0.02", &baseline[at - "value = ".len()..end]),
            &format!("{}\nrel = 0.3", &baseline[at - "value = ".len()..end]),
            1,
        );
    assert!(ignored.contains("rel = 0.3"), "{ignored}");
    std::fs::write(dir.join("reg/small.baseline.toml"), &ignored).unwrap();
    assert!(
        tokenswarm(&["check", "reg", "--bless"], &dir)
            .status
            .success()
    );
    let blessed = std::fs::read_to_string(dir.join("reg/small.baseline.toml")).unwrap();
    assert!(
        blessed.contains(key) && blessed.contains("rel = 0.3"),
        "{blessed}"
    );
    // A syntax error names its line.
    std::fs::write(dir.join("reg/small.baseline.toml"), "seeds = [1, 2\n").unwrap();
    let o = tokenswarm(&["check", "reg"], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("line 1"));
}

#[test]
fn check_refuses_runaway_scenarios_and_names_baseline_fields() {
    let dir = temp_dir("check-limits");
    std::fs::create_dir_all(dir.join("reg")).unwrap();
    let runaway = SMALL.replace(
        "stop_when_done = true",
        "stop_when_done = true\n[client.choker]\nrechoke_interval = \"1us\"\noptimistic_interval = \"3us\"\nrate_window = \"2us\"",
    );
    std::fs::write(dir.join("reg/small.toml"), runaway).unwrap();
    let o = tokenswarm(&["check", "reg"], &dir);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    std::fs::write(dir.join("reg/small.toml"), SMALL).unwrap();
    std::fs::write(
        dir.join("reg/small.baseline.toml"),
        "seeds = [1]\n[metrics.\"a\"]\nrel = \"big\"\n",
    )
    .unwrap();
    let o = tokenswarm(&["check", "reg"], &dir);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("metrics.\"a\".rel") && err.contains("a number"),
        "{err}"
    );
}
