//! Closed-form anchors: Kumar–Ross, Qiu–Srikant, Little's law.

use super::{homogeneous_flash_crowd, run, scenario, series_mean};

/// Homogeneous flash crowd: N leechers of upload u join at once; one seed of upload u_s.
/// Kumar & Ross: no schedule can finish before T_min = max(F/u_s, F/d, N·F/(u_s + N·u)).
#[test]
fn kumar_ross_flash_crowd_never_beats_the_bound_and_stays_within_2x() {
    let f: f64 = 50.0 * 1024.0 * 1024.0; // 50 MiB
    let d = 8.0 * 1024.0 * 1024.0;
    for seed in [1, 2, 3] {
        let s = homogeneous_flash_crowd(seed, 300, "50 MiB");
        let t_min = sim_core::anchors::kumar_ross_min_s(&s, &s.torrents[0]).unwrap();
        assert!((t_min - 49.8).abs() < 0.05, "{t_min}");
        let r = run(&s);
        let t = &r.summary.torrents[0];
        assert_eq!(t.completed_downloads, 300, "seed {seed}");
        let times: Vec<f64> = r.peers.iter().filter_map(|p| p.download_time_s).collect();
        let first = times.iter().copied().fold(f64::MAX, f64::min);
        let last = times.iter().copied().fold(0.0, f64::max);
        assert!(
            first >= f / d,
            "seed {seed}: a peer finished in {first} s, faster than its download link allows"
        );
        assert!(
            last >= t_min,
            "seed {seed}: last completion {last} s beats T_min {t_min} s"
        );
        assert!(
            last <= 2.0 * t_min,
            "seed {seed}: last completion {last} s is more than 2 × T_min = {}",
            2.0 * t_min
        );
    }
}

/// The worked example of Qiu & Srikant's fluid model: T = 400 s, x̄ = 40, ȳ = 40.
fn qiu_srikant_run() -> sim_core::report::Report {
    run(&qiu_srikant_scenario())
}

fn qiu_srikant_scenario() -> sim_core::config::Scenario {
    scenario(
        r#"
        name = "qiu-srikant"
        seed = 7
        horizon = "7h"
        sample_interval = "20s"
        [[classes]]
        name = "peer"
        share = 1.0
        upload = "1 Mbit/s"
        download = "4 Mbit/s"
        [[torrents]]
        name = "file"
        size = "100 MB"
        publishers = { count = 1, upload = "1 Mbit/s", download = "4 Mbit/s" }
        arrivals = { kind = "poisson", rate_per_s = 0.1 }
        seeding = { kind = "exponential", mean = "400s" }
        "#,
    )
}

const WARMUP_S: f64 = 3600.0;
const END_S: f64 = 7.0 * 3600.0;

#[test]
fn qiu_srikant_fluid_model_and_littles_law() {
    let r = qiu_srikant_run();
    // Fluid model: 1/β = max(1/c, (1/η)(1/μ − 1/γ)) = max(200, 800 − 400) = 400 s.
    let s = qiu_srikant_scenario();
    let model = sim_core::anchors::qiu_srikant(&s, &s.torrents[0]).unwrap();
    let (lambda, t_model, x_model, y_model) =
        (0.1, model.download_time_s, model.leechers, model.seeds);
    assert!(
        (t_model - 400.0).abs() < 1e-9
            && (x_model - 40.0).abs() < 1e-9
            && (y_model - 40.0).abs() < 1e-9
    );
    let times: Vec<f64> = r
        .peers
        .iter()
        .filter(|p| p.class != "publisher" && p.joined_s >= WARMUP_S)
        .filter_map(|p| p.download_time_s)
        .collect();
    let t_sim = times.iter().sum::<f64>() / times.len() as f64;
    let x_sim = series_mean(&r, "leechers", WARMUP_S, END_S);
    // The publisher is counted among the seeds; the model's seeds are completed peers.
    let y_sim = series_mean(&r, "seeds", WARMUP_S, END_S) - 1.0;
    let within = |sim: f64, model: f64| (sim - model).abs() / model <= 0.15;
    assert!(
        within(t_sim, t_model),
        "mean download time {t_sim} s vs fluid model {t_model} s"
    );
    assert!(
        within(x_sim, x_model),
        "mean leechers {x_sim} vs fluid model {x_model}"
    );
    assert!(
        within(y_sim, y_model),
        "mean seeds {y_sim} vs fluid model {y_model}"
    );
    // Little's law for the leecher population: x̄ = λ · T (no aborts, so every arrival stays T).
    let little = lambda * t_sim;
    assert!(
        (x_sim - little).abs() / little <= 0.08,
        "Little's law: mean leechers {x_sim} vs λ·T = {little}"
    );
}
