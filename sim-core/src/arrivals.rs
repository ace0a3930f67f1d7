//! Arrival processes: when a torrent's leechers join, as offsets from its release.
//!
//! Invariant: each process yields non-decreasing offsets, drawn only from its own stream.

use crate::config::ArrivalConfig;
use crate::rng::SimRng;
use crate::time::SimDuration;
use rand::RngExt;

/// A lazily evaluated arrival process.
#[derive(Debug)]
pub enum ArrivalProcess {
    /// Precomputed offsets (flash crowd, trace), consumed front to back.
    Listed {
        offsets: Vec<SimDuration>,
        next: usize,
    },
    /// Homogeneous Poisson process with `rate_per_s`, stopping after `until`.
    Poisson {
        rate_per_s: f64,
        until: SimDuration,
        last_s: f64,
    },
    /// Rate `lambda0·e^(−t/τ)`, sampled by inverting the integrated rate: a unit-rate Poisson
    /// point `s` maps to `t = −τ·ln(1 − s/(λ0·τ))` while `s < λ0·τ`.
    ExponentialDecay {
        lambda0_per_s: f64,
        tau_s: f64,
        unit_time: f64,
    },
    /// Two independent processes superposed (a decay and its Poisson tail): the earlier of
    /// each one's next offset, drawn in turn from the same stream.
    Merged {
        parts: Box<[ArrivalProcess; 2]>,
        /// Each part's next offset, drawn ahead (`None` inside: exhausted).
        next: [Option<Option<SimDuration>>; 2],
    },
}

fn exponential(rng: &mut SimRng) -> f64 {
    // 1 − U is in (0, 1], so the logarithm is finite.
    let u: f64 = rng.random();
    -(1.0 - u).ln()
}

impl ArrivalProcess {
    /// Builds the process; `horizon` bounds open-ended processes.
    pub fn new(config: &ArrivalConfig, horizon: SimDuration, rng: &mut SimRng) -> Self {
        match config {
            ArrivalConfig::FlashCrowd { count, window } => {
                let span = window.0.as_micros();
                let mut offsets: Vec<SimDuration> = (0..*count)
                    .map(|_| {
                        SimDuration(if span == 0 {
                            0
                        } else {
                            rng.random_range(0..=span)
                        })
                    })
                    .collect();
                offsets.sort_unstable();
                ArrivalProcess::Listed { offsets, next: 0 }
            }
            ArrivalConfig::Trace { times, .. } => ArrivalProcess::Listed {
                offsets: times.iter().map(|d| d.0).collect(),
                next: 0,
            },
            ArrivalConfig::Poisson { rate_per_s, until } => ArrivalProcess::Poisson {
                rate_per_s: *rate_per_s,
                until: until.map(|u| u.0).unwrap_or(horizon),
                last_s: 0.0,
            },
            ArrivalConfig::ExponentialDecay { lambda0_per_s, tau } => {
                ArrivalProcess::ExponentialDecay {
                    lambda0_per_s: *lambda0_per_s,
                    tau_s: tau.as_secs_f64(),
                    unit_time: 0.0,
                }
            }
            ArrivalConfig::LongTail {
                lambda0_per_s,
                tau,
                tail_per_s,
                until,
            } => ArrivalProcess::Merged {
                parts: Box::new([
                    ArrivalProcess::ExponentialDecay {
                        lambda0_per_s: *lambda0_per_s,
                        tau_s: tau.as_secs_f64(),
                        unit_time: 0.0,
                    },
                    ArrivalProcess::Poisson {
                        rate_per_s: *tail_per_s,
                        until: until.map(|u| u.0).unwrap_or(horizon),
                        last_s: 0.0,
                    },
                ]),
                next: [None, None],
            },
        }
    }

    /// The next arrival offset, or `None` when the process is exhausted.
    pub fn next_offset(&mut self, rng: &mut SimRng) -> Option<SimDuration> {
        match self {
            ArrivalProcess::Listed { offsets, next } => {
                let t = offsets.get(*next).copied();
                *next += 1;
                t
            }
            ArrivalProcess::Poisson {
                rate_per_s,
                until,
                last_s,
            } => {
                *last_s += exponential(rng) / *rate_per_s;
                let t = SimDuration::from_secs_f64(*last_s);
                (t <= *until).then_some(t)
            }
            ArrivalProcess::ExponentialDecay {
                lambda0_per_s,
                tau_s,
                unit_time,
            } => {
                *unit_time += exponential(rng);
                let total = *lambda0_per_s * *tau_s;
                if *unit_time >= total {
                    return None;
                }
                let t = -*tau_s * (1.0 - *unit_time / total).ln();
                Some(SimDuration::from_secs_f64(t))
            }
            ArrivalProcess::Merged { parts, next } => {
                for i in 0..2 {
                    if next[i].is_none() {
                        next[i] = Some(parts[i].next_offset(rng));
                    }
                }
                let (a, b) = (next[0].flatten(), next[1].flatten());
                // The earlier one (the decay on a tie) is consumed and drawn again next time.
                let take = match (a, b) {
                    (None, None) => return None,
                    (Some(_), None) => 0,
                    (None, Some(_)) => 1,
                    (Some(x), Some(y)) => usize::from(y < x),
                };
                next[take] = None;
                if take == 0 { a } else { b }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Stream, stream};
    use crate::units::Duration;

    fn drain(config: &ArrivalConfig, seed: u64) -> Vec<SimDuration> {
        let mut rng = stream(seed, Stream::Arrivals);
        let mut p = ArrivalProcess::new(config, SimDuration::from_secs(1_000_000), &mut rng);
        std::iter::from_fn(|| p.next_offset(&mut rng)).collect()
    }

    #[test]
    fn flash_crowd_gives_count_sorted_offsets_within_window() {
        let c = ArrivalConfig::FlashCrowd {
            count: 500,
            window: Duration::from_secs(60),
        };
        let t = drain(&c, 3);
        assert_eq!(t.len(), 500);
        assert!(t.windows(2).all(|w| w[0] <= w[1]));
        assert!(t.iter().all(|d| *d <= SimDuration::from_secs(60)));
    }

    #[test]
    fn poisson_count_matches_rate() {
        let c = ArrivalConfig::Poisson {
            rate_per_s: 0.5,
            until: Some(Duration::from_secs(20_000)),
        };
        let n = drain(&c, 5).len() as f64;
        // Mean 10,000, sd 100: a 5-sd band.
        assert!((n - 10_000.0).abs() < 500.0, "{n}");
    }

    #[test]
    fn long_tail_is_a_decay_plus_a_poisson_tail() {
        let c = ArrivalConfig::LongTail {
            lambda0_per_s: 1.0,
            tau: Duration::from_secs(2_000),
            tail_per_s: 0.01,
            until: Some(Duration::from_secs(200_000)),
        };
        let (mut total, mut late) = (0.0, 0.0);
        for seed in 0..20 {
            let t = drain(&c, seed);
            assert!(t.windows(2).all(|w| w[0] <= w[1]));
            assert!(t.iter().all(|d| *d <= SimDuration::from_secs(200_000)));
            total += t.len() as f64;
            late += t.iter().filter(|d| d.as_secs_f64() > 40_000.0).count() as f64;
        }
        // Expected λ0·τ + tail·until = 2000 + 2000 per run; after 20τ only the tail is left:
        // 0.01 · 160,000 = 1600.
        let mean = total / 20.0;
        assert!((mean - 4_000.0).abs() < 80.0, "{mean}");
        let late = late / 20.0;
        assert!((late - 1_600.0).abs() < 60.0, "{late}");
    }

    #[test]
    fn exponential_decay_total_and_shape() {
        let c = ArrivalConfig::ExponentialDecay {
            lambda0_per_s: 1.0,
            tau: Duration::from_secs(2_000),
        };
        let mut total = 0.0;
        let mut before_tau = 0.0;
        for seed in 0..20 {
            let t = drain(&c, seed);
            assert!(t.windows(2).all(|w| w[0] <= w[1]));
            total += t.len() as f64;
            before_tau += t.iter().filter(|d| d.as_secs_f64() < 2_000.0).count() as f64;
        }
        // Expected λ0·τ = 2000 per run; a fraction 1 − 1/e of them before τ.
        let mean = total / 20.0;
        assert!((mean - 2_000.0).abs() < 60.0, "{mean}");
        let frac = before_tau / total;
        assert!((frac - (1.0 - (-1.0f64).exp())).abs() < 0.02, "{frac}");
    }
}
