//! Closed-form anchors of a scenario's torrents (DESIGN §5): the Kumar–Ross minimum
//! distribution time of a flash crowd and the steady state of the Qiu–Srikant fluid model
//! under Poisson arrivals. Plots draw them as reference lines; the validation tests hold the
//! simulator to them.
//!
//! Invariant: an anchor is given only where its model's assumptions hold for the scenario as
//! written (one torrent, no hosts shared between torrents, no sites multiplying arrivals);
//! otherwise `None`, never an approximation passed off as the model.

use crate::config::{ArrivalConfig, Scenario, SeedingTime, TorrentConfig};

/// The fluid model's steady state (Qiu & Srikant, SIGCOMM 2004).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FluidSteadyState {
    /// Mean download time `T = 1/(θ + β)`, seconds.
    pub download_time_s: f64,
    /// Mean leechers `x̄ = λ/(β + θ)`.
    pub leechers: f64,
    /// Mean seeds, publishers not counted: `ȳ = λ/(γ(1 + θ/β))`.
    pub seeds: f64,
}

/// Whether the torrent is alone and its arrivals are as written (no site audience, no
/// host shared with another torrent).
fn simple(s: &Scenario) -> bool {
    s.torrents.len() == 1
        && s.sites.is_empty()
        && s.agents.is_empty()
        && s.population.multi_torrent_share == 0.0
}

/// Kumar & Ross: no schedule serves a flash crowd of N leechers before
/// `T_min = max(F/u_s, F/d_min, N·F/(u_s + Σu_i))`, with `u_s` the publishers' upload, `d_min`
/// the slowest download and `Σu_i` the crowd's expected upload (N times the class mix).
/// Seconds; `None` unless the torrent is a flash crowd alone in its scenario.
pub fn kumar_ross_min_s(s: &Scenario, t: &TorrentConfig) -> Option<f64> {
    let ArrivalConfig::FlashCrowd { count, .. } = t.arrivals else {
        return None;
    };
    if !simple(s) || count == 0 || t.publishers.count == 0 {
        return None;
    }
    let f = t.size.0 as f64;
    let n = f64::from(count);
    let u_s = f64::from(t.publishers.count) * t.publishers.upload.0 as f64;
    let classes = s.classes.iter().filter(|c| c.share > 0.0);
    let d_min = classes
        .clone()
        .map(|c| c.download.0 as f64)
        .fold(f64::INFINITY, f64::min);
    let mean_up: f64 = classes.map(|c| c.share * c.upload.0 as f64).sum();
    Some((f / u_s).max(f / d_min).max(n * f / (u_s + n * mean_up)))
}

/// The fluid model's steady state for Poisson arrivals at rate λ, exponential seeding (γ =
/// 1/mean), exponential aborts (θ = 1/mean, else 0) and one bandwidth class (μ = up/F, c =
/// down/F, η = 1): `1/β = max(1/c, 1/μ − 1/γ)`. `None` for anything else.
pub fn qiu_srikant(s: &Scenario, t: &TorrentConfig) -> Option<FluidSteadyState> {
    let ArrivalConfig::Poisson { rate_per_s, .. } = t.arrivals else {
        return None;
    };
    let SeedingTime::Exponential { mean } = t.seeding else {
        return None;
    };
    let [class] = s.classes.as_slice() else {
        return None;
    };
    if !simple(s) || rate_per_s <= 0.0 || mean.as_secs_f64() <= 0.0 {
        return None;
    }
    let f = t.size.0 as f64;
    let (mu, c) = (class.upload.0 as f64 / f, class.download.0 as f64 / f);
    let gamma = 1.0 / mean.as_secs_f64();
    let theta = t.abort.map_or(0.0, |a| 1.0 / a.mean.as_secs_f64());
    let inv_beta = (1.0 / c).max(1.0 / mu - 1.0 / gamma);
    let beta = 1.0 / inv_beta;
    Some(FluidSteadyState {
        download_time_s: 1.0 / (theta + beta),
        leechers: rate_per_s / (beta + theta),
        seeds: rate_per_s / (gamma * (1.0 + theta / beta)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(text: &str) -> Scenario {
        let mut s: Scenario = toml::from_str(text).unwrap();
        s.resolve();
        s
    }

    #[test]
    fn the_worked_examples() {
        // Qiu & Srikant's worked example: T = 400 s, x̄ = 40, ȳ = 40.
        let s = scenario(
            r#"
            name = "q"
            horizon = "7h"
            [[classes]]
            name = "peer"
            share = 1.0
            upload = "1 Mbit/s"
            download = "4 Mbit/s"
            [[torrents]]
            name = "file"
            size = "100 MB"
            arrivals = { kind = "poisson", rate_per_s = 0.1 }
            seeding = { kind = "exponential", mean = "400s" }
            "#,
        );
        let q = qiu_srikant(&s, &s.torrents[0]).unwrap();
        assert!((q.download_time_s - 400.0).abs() < 1e-9, "{q:?}");
        assert!((q.leechers - 40.0).abs() < 1e-9 && (q.seeds - 40.0).abs() < 1e-9);
        assert_eq!(kumar_ross_min_s(&s, &s.torrents[0]), None);
        // Kumar & Ross: 300 × 50 MiB, 1 MiB/s up each, a 10 Mbit/s seed: 49.8 s.
        let k = scenario(
            r#"
            name = "k"
            horizon = "3h"
            [[classes]]
            name = "h"
            share = 1.0
            upload = "1 MiB/s"
            download = "8 MiB/s"
            [[torrents]]
            name = "file"
            size = "50 MiB"
            publishers = { count = 1, upload = "10 Mbit/s", download = "10 Mbit/s" }
            arrivals = { kind = "flash_crowd", count = 300 }
            seeding = { kind = "leave_at_once" }
            "#,
        );
        let t = kumar_ross_min_s(&k, &k.torrents[0]).unwrap();
        let f = 50.0 * 1048576.0;
        assert!((t - 300.0 * f / (1_250_000.0 + 300.0 * 1048576.0)).abs() < 1e-9);
        assert!((t - 49.8).abs() < 0.05, "{t}");
    }
}
