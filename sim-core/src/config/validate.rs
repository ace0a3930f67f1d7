//! Validation of a parsed scenario: every check names the field and what is allowed.

use super::{ArrivalConfig, ClientConfig, Publish, Scenario, SeedingTime, TrackerConfig};
use crate::units::Duration;
use std::fmt;

/// A value a scenario may not have.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// Dotted path of the offending field, e.g. `torrents[0].piece_size`.
    pub field: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field `{}`: {}", self.field, self.message)
    }
}

pub(super) fn err(field: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.into(),
        message: message.into(),
    }
}

fn positive_duration(field: String, d: Duration) -> Result<(), ConfigError> {
    if d.0.as_micros() == 0 {
        Err(err(field, "must be longer than 0s"))
    } else {
        Ok(())
    }
}

fn positive_finite(field: String, x: f64) -> Result<(), ConfigError> {
    if x.is_finite() && x > 0.0 {
        Ok(())
    } else {
        Err(err(field, format!("must be a positive number, got {x}")))
    }
}

/// Longest rate window, in rechoke intervals (rate samples are kept in fixed rings).
pub const MAX_RATE_WINDOW_RECHOKES: u32 = 4;

/// Most neighbours per peer and torrent: availability counts are one byte each (see
/// `picker::counts`), and real clients keep far fewer (50 per torrent is typical).
pub const MAX_CONNECTIONS: u32 = 254;

/// Most time-series samples per run (each holds a few rows per torrent).
pub const MAX_SAMPLES: u64 = 1_000_000;

/// Most expected arrivals per torrent (each is a peer with per-piece state).
pub const MAX_ARRIVALS: u32 = 10_000_000;

/// Most publishers per torrent (each is a peer holding every piece).
pub const MAX_PUBLISHERS: u32 = 100_000;

/// Expected number of arrivals of a process within the first `window_s` seconds after the
/// torrent's release (the part of the horizon it has): arrivals after the horizon never
/// happen and are not counted.
pub fn expected_arrivals(a: &ArrivalConfig, window_s: f64) -> f64 {
    let window_s = window_s.max(0.0);
    match a {
        ArrivalConfig::FlashCrowd { count, window } => {
            let w = window.as_secs_f64();
            if w <= window_s {
                f64::from(*count)
            } else {
                f64::from(*count) * window_s / w
            }
        }
        ArrivalConfig::Poisson { rate_per_s, until } => {
            rate_per_s * until.map_or(window_s, |u| u.as_secs_f64().min(window_s))
        }
        ArrivalConfig::ExponentialDecay { lambda0_per_s, tau } => {
            let tau_s = tau.as_secs_f64();
            lambda0_per_s * tau_s * -(-window_s / tau_s).exp_m1()
        }
        ArrivalConfig::LongTail {
            lambda0_per_s,
            tau,
            tail_per_s,
            until,
        } => {
            let tau_s = tau.as_secs_f64();
            let tail_s = until.map_or(window_s, |u| u.as_secs_f64().min(window_s));
            lambda0_per_s * tau_s * -(-window_s / tau_s).exp_m1() + tail_per_s * tail_s
        }
        ArrivalConfig::Trace { times, .. } => {
            times.iter().filter(|t| t.as_secs_f64() <= window_s).count() as f64
        }
    }
}

/// Checks that a name can be a directory name: one plain path component.
pub fn validate_file_name(field: &str, name: &str) -> Result<(), ConfigError> {
    let problem = if name.trim().is_empty() {
        Some("must not be empty")
    } else if name == "." || name == ".." {
        Some("must not be `.` or `..`")
    } else if name.starts_with('.') {
        Some("must not start with `.` (hidden and temporary directories do)")
    } else if name.contains(['/', '\\']) {
        Some("must be a single name, without `/` or `\\`")
    } else if name.chars().any(|c| c.is_control()) {
        Some("must not contain control characters")
    } else if name.len() > 200 {
        Some("must be at most 200 bytes long")
    } else {
        None
    };
    match problem {
        Some(p) => Err(err(
            field,
            format!(
                "\"{}\" {p}: it names the output directory (outputs/<name>); use letters, digits, `-` and `_`",
                shorten(name)
            ),
        )),
        None => Ok(()),
    }
}

/// At most 40 characters of `s` (with an ellipsis if cut), for echoing a value in a message.
pub fn shorten(s: &str) -> String {
    if s.chars().count() <= 40 {
        s.escape_debug().to_string()
    } else {
        format!("{}…", s.chars().take(40).collect::<String>().escape_debug())
    }
}

/// Pieces per torrent above this are refused (bitfields and pickers are per peer).
pub const MAX_PIECES: u32 = 1 << 20;

impl Scenario {
    /// Checks every value; the first problem found is returned.
    pub fn validate(&self) -> Result<(), ConfigError> {
        validate_file_name("name", &self.name)?;
        positive_duration("horizon".into(), self.horizon)?;
        positive_duration("sample_interval".into(), self.sample_interval)?;
        let samples = self.horizon.0.as_micros() / self.sample_interval.0.as_micros();
        if samples > MAX_SAMPLES {
            return Err(err(
                "sample_interval",
                format!(
                    "gives {samples} samples over the horizon {}; at most {MAX_SAMPLES} are allowed (use a longer interval)",
                    self.horizon
                ),
            ));
        }
        validate_client("client", &self.client)?;
        validate_tracker("tracker", &self.tracker)?;
        let share = self.population.multi_torrent_share;
        if !(0.0..=1.0).contains(&share) {
            return Err(err(
                "population.multi_torrent_share",
                format!("must be within [0, 1], got {share}"),
            ));
        }
        self.validate_classes()?;
        if self.torrents.is_empty() {
            return Err(err("torrents", "at least one torrent is required"));
        }
        for (i, tor) in self.torrents.iter().enumerate() {
            let f = |name: &str| format!("torrents[{i}].{name}");
            if self.torrents[..i].iter().any(|o| o.name == tor.name) {
                return Err(err(
                    f("name"),
                    format!(
                        "\"{}\" is used by two torrents; names must be unique",
                        tor.name
                    ),
                ));
            }
            if tor.size.0 == 0 {
                return Err(err(f("size"), "must be larger than 0 B"));
            }
            if tor.piece_size.0 == 0 {
                return Err(err(f("piece_size"), "must be larger than 0 B"));
            }
            if tor.size.0.div_ceil(tor.piece_size.0) > MAX_PIECES as u64 {
                return Err(err(
                    f("piece_size"),
                    format!("gives more than {MAX_PIECES} pieces; use larger pieces"),
                ));
            }
            let p = &tor.publishers;
            if p.count > MAX_PUBLISHERS {
                return Err(err(
                    f("publishers.count"),
                    format!("must be at most {MAX_PUBLISHERS}, got {}", p.count),
                ));
            }
            if p.count > 0 && (p.upload.0 == 0 || p.download.0 == 0) {
                return Err(err(
                    f("publishers.upload"),
                    "publisher capacities must be larger than 0 B/s",
                ));
            }
            validate_arrivals(&f("arrivals"), &tor.arrivals)?;
            let window_s = self.horizon.as_secs_f64() - tor.release.as_secs_f64();
            let expected = expected_arrivals(&tor.arrivals, window_s);
            // A flash crowd draws all its join times up front, even those past the horizon.
            let listed = match &tor.arrivals {
                ArrivalConfig::FlashCrowd { count, .. } => f64::from(*count),
                _ => 0.0,
            };
            if expected.max(listed) > MAX_ARRIVALS as f64 {
                // Name the number that drives the count.
                let driver = match &tor.arrivals {
                    ArrivalConfig::FlashCrowd { .. } => "arrivals.count",
                    ArrivalConfig::Poisson { .. } => "arrivals.rate_per_s",
                    ArrivalConfig::ExponentialDecay { .. } => "arrivals.lambda0_per_s",
                    ArrivalConfig::LongTail { .. } => "arrivals.tail_per_s",
                    ArrivalConfig::Trace { .. } => "arrivals.file",
                };
                return Err(err(
                    f(driver),
                    format!(
                        "expects about {:.3e} arrivals before the horizon; at most {MAX_ARRIVALS} per torrent are allowed",
                        expected.max(listed)
                    ),
                ));
            }
            validate_seeding(&f("seeding"), &tor.seeding)?;
            if let Some(w) = &tor.warm_start {
                if tor.publish != Publish::AtRelease {
                    return Err(err(
                        f("warm_start"),
                        "needs content published at release (an on-demand release has no swarm yet)",
                    ));
                }
                w.validate(&f("warm_start"))?;
            }
            if let Some(a) = &tor.abort {
                positive_duration(f("abort.mean"), a.mean)?;
            }
        }
        self.validate_economy()?;
        self.validate_world()
    }

    fn validate_classes(&self) -> Result<(), ConfigError> {
        if self.classes.is_empty() {
            return Err(err("classes", "at least one bandwidth class is required"));
        }
        let mut total = 0.0;
        for (i, c) in self.classes.iter().enumerate() {
            let f = |name: &str| format!("classes[{i}].{name}");
            if self.classes[..i].iter().any(|o| o.name == c.name) {
                return Err(err(
                    f("name"),
                    format!(
                        "\"{}\" is used by two classes; names must be unique",
                        c.name
                    ),
                ));
            }
            if !(c.share.is_finite() && (0.0..=1.0).contains(&c.share)) {
                return Err(err(
                    f("share"),
                    format!("must be within [0, 1], got {}", c.share),
                ));
            }
            if c.upload.0 == 0 {
                return Err(err(f("upload"), "must be larger than 0 B/s"));
            }
            if c.download.0 == 0 {
                return Err(err(f("download"), "must be larger than 0 B/s"));
            }
            if let Some(client) = &c.client {
                validate_client(&format!("classes[{i}].client"), client)?;
            }
            total += c.share;
        }
        if (total - 1.0).abs() > 1e-9 {
            return Err(err(
                "classes",
                format!("shares must sum to 1, they sum to {total}"),
            ));
        }
        Ok(())
    }
}

/// Checks tracker settings (`[tracker]` or a site's `tracker`) under `prefix`.
pub(super) fn validate_tracker(prefix: &str, t: &TrackerConfig) -> Result<(), ConfigError> {
    let f = |name: &str| format!("{prefix}.{name}");
    if t.numwant == 0 {
        return Err(err(f("numwant"), "must be at least 1"));
    }
    if t.max_connections == 0 || t.max_connections > MAX_CONNECTIONS {
        return Err(err(
            f("max_connections"),
            format!(
                "must be within [1, {MAX_CONNECTIONS}], got {}: a peer counts how many of its neighbours hold each piece in one byte (a full mesh of more than 255 peers would need twice the picker's memory per piece; real clients keep 50-200 per torrent)",
                t.max_connections
            ),
        ));
    }
    if t.max_initiate == 0 {
        return Err(err(f("max_initiate"), "must be at least 1"));
    }
    positive_duration(f("announce_interval"), t.announce_interval)?;
    positive_duration(f("min_announce_interval"), t.min_announce_interval)?;
    if t.peer_turnover_percent > 100 {
        return Err(err(
            f("peer_turnover_percent"),
            format!("must be within [0, 100], got {}", t.peer_turnover_percent),
        ));
    }
    if t.peer_turnover_cutoff_percent == 0 || t.peer_turnover_cutoff_percent > 100 {
        return Err(err(
            f("peer_turnover_cutoff_percent"),
            format!(
                "must be within [1, 100], got {}",
                t.peer_turnover_cutoff_percent
            ),
        ));
    }
    positive_duration(f("peer_turnover_interval"), t.peer_turnover_interval)?;
    Ok(())
}

fn validate_client(prefix: &str, client: &ClientConfig) -> Result<(), ConfigError> {
    let p = client.choker.params();
    let f = |name: &str| format!("{prefix}.choker.{name}");
    for (name, slots) in [
        ("regular_slots", p.regular_slots),
        ("optimistic_slots", p.optimistic_slots),
    ] {
        if slots > MAX_CONNECTIONS {
            return Err(err(
                f(name),
                format!("must be at most {MAX_CONNECTIONS} (the connection limit), got {slots}"),
            ));
        }
    }
    if p.regular_slots + p.optimistic_slots == 0 {
        return Err(err(
            f("regular_slots"),
            "regular_slots + optimistic_slots must be at least 1",
        ));
    }
    positive_duration(f("rechoke_interval"), Duration(p.rechoke_interval))?;
    positive_duration(f("rate_window"), Duration(p.rate_window))?;
    if !p
        .optimistic_interval
        .as_micros()
        .is_multiple_of(p.rechoke_interval.as_micros())
        || p.optimistic_interval.as_micros() == 0
    {
        return Err(err(
            f("optimistic_interval"),
            format!(
                "must be a positive multiple of rechoke_interval ({}), got {}",
                Duration(p.rechoke_interval),
                Duration(p.optimistic_interval)
            ),
        ));
    }
    if p.rate_window
        .as_micros()
        .div_ceil(p.rechoke_interval.as_micros().max(1))
        > MAX_RATE_WINDOW_RECHOKES as u64
    {
        return Err(err(
            f("rate_window"),
            format!(
                "may span at most {MAX_RATE_WINDOW_RECHOKES} rechoke intervals ({} here)",
                Duration(p.rechoke_interval)
            ),
        ));
    }
    if p.new_peer_weight == 0 {
        return Err(err(f("new_peer_weight"), "must be at least 1"));
    }
    if client.picker.endgame_max_downloaders < 2 && client.picker.endgame {
        return Err(err(
            format!("{prefix}.picker.endgame_max_downloaders"),
            "must be at least 2 when endgame is on (one duplicate)",
        ));
    }
    Ok(())
}

fn validate_arrivals(field: &str, a: &ArrivalConfig) -> Result<(), ConfigError> {
    match a {
        ArrivalConfig::FlashCrowd { count, .. } => {
            if *count == 0 {
                return Err(err(format!("{field}.count"), "must be at least 1"));
            }
        }
        ArrivalConfig::Poisson { rate_per_s, until } => {
            positive_finite(format!("{field}.rate_per_s"), *rate_per_s)?;
            if let Some(u) = until {
                positive_duration(format!("{field}.until"), *u)?;
            }
        }
        ArrivalConfig::ExponentialDecay { lambda0_per_s, tau } => {
            positive_finite(format!("{field}.lambda0_per_s"), *lambda0_per_s)?;
            positive_duration(format!("{field}.tau"), *tau)?;
        }
        ArrivalConfig::LongTail {
            lambda0_per_s,
            tau,
            tail_per_s,
            until,
        } => {
            positive_finite(format!("{field}.lambda0_per_s"), *lambda0_per_s)?;
            positive_duration(format!("{field}.tau"), *tau)?;
            positive_finite(format!("{field}.tail_per_s"), *tail_per_s)?;
            if let Some(u) = until {
                positive_duration(format!("{field}.until"), *u)?;
            }
        }
        ArrivalConfig::Trace { times, .. } => {
            if let Some(w) = times.windows(2).position(|w| w[1] < w[0]) {
                return Err(err(
                    format!("{field}.file"),
                    format!(
                        "join times must be sorted; row {} ({}) comes after {}",
                        w + 2,
                        times[w + 1],
                        times[w]
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn validate_seeding(field: &str, s: &SeedingTime) -> Result<(), ConfigError> {
    match s {
        SeedingTime::Exponential { mean } => positive_duration(format!("{field}.mean"), *mean),
        SeedingTime::Lognormal { median, sigma } => {
            positive_duration(format!("{field}.median"), *median)?;
            if sigma.is_finite() && *sigma >= 0.0 {
                Ok(())
            } else {
                Err(err(
                    format!("{field}.sigma"),
                    format!("must be a finite number >= 0, got {sigma}"),
                ))
            }
        }
        SeedingTime::Economic { .. } => {
            super::validate_economy::validate_economic_seeding(field, s)
        }
        SeedingTime::UntilRatio {
            ratio,
            min_time,
            max_time,
            window,
        } => {
            if !(ratio.is_finite() && (0.0..=100.0).contains(ratio)) {
                return Err(err(
                    format!("{field}.ratio"),
                    format!("must be within [0, 100], got {ratio}"),
                ));
            }
            positive_duration(format!("{field}.window"), *window)?;
            if max_time < min_time {
                return Err(err(
                    format!("{field}.max_time"),
                    format!("must be at least min_time ({min_time}), got {max_time}"),
                ));
            }
            Ok(())
        }
        SeedingTime::UntilRepaid {
            min_time,
            max_time,
            window,
        } => {
            positive_duration(format!("{field}.window"), *window)?;
            if max_time < min_time {
                return Err(err(
                    format!("{field}.max_time"),
                    format!("must be at least min_time ({min_time}), got {max_time}"),
                ));
            }
            Ok(())
        }
        SeedingTime::LeaveAtOnce | SeedingTime::Fixed { .. } | SeedingTime::Forever => Ok(()),
    }
}
