//! Survival statistics of a censored metric over replicates: the Kaplan–Meier estimate, its
//! median with a 95% confidence interval, and the restricted mean (the area under the curve
//! up to a horizon) with a 95% confidence interval.
//!
//! A censored metric is a summary metric `NAME_s` with a companion `NAME_censored_at_s`: in a
//! run either the first holds the time the event happened, or the second the time observed
//! without it (the run ended first). Dropping censored runs biases a mean down (the runs
//! where the event comes latest are the ones dropped); these statistics use them.
//!
//! Definitions (Klein & Moeschberger): S(t) = Π_{t_j ≤ t} (1 − d_j / n_j) over the event times
//! t_j with d_j events among n_j at risk (censored at t_j count as at risk at t_j); Greenwood's
//! variance Var S(t) = S(t)² Σ d_j / (n_j (n_j − d_j)); the pointwise 95% band on the log-log
//! scale; the median is the first t with S(t) ≤ 0.5, its interval the first times the band's
//! upper and lower curves reach 0.5 (Brookmeyer–Crowley with the log-log band); the
//! restricted mean to τ is ∫₀^τ S, its variance Σ_j A_j² d_j / (n_j (n_j − d_j)) with A_j the
//! area under S from t_j to τ.
//!
//! Invariant: a pure function of the multiset of (time, event) pairs; ties are handled by
//! grouping equal times (events before censorings at the same time).

/// One observation: a time and whether the event happened then (false: censored then).
pub type Observation = (f64, bool);

/// The name of the censoring companion of metric `name`, if it can have one.
pub fn censored_companion(name: &str) -> Option<String> {
    name.strip_suffix("_s")
        .filter(|stem| !stem.ends_with("_censored_at"))
        .map(|stem| format!("{stem}_censored_at_s"))
}

/// The Kaplan–Meier step function: the times where it drops and its value after each.
#[derive(Clone, Debug, PartialEq)]
pub struct KaplanMeier {
    /// (event time t_j, at risk n_j, events d_j, S(t_j), Greenwood Σ d/(n(n−d)) to t_j).
    pub steps: Vec<(f64, usize, usize, f64, f64)>,
    /// Observations and how many were censored.
    pub n: usize,
    pub censored: usize,
}

const Z: f64 = 1.959_963_984_540_054;

impl KaplanMeier {
    /// The estimate from `obs` (any order). Cost O(n log n).
    pub fn of(obs: &[Observation]) -> KaplanMeier {
        let mut sorted: Vec<Observation> = obs.to_vec();
        // Events before censorings at equal times.
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
        let n = sorted.len();
        let censored = sorted.iter().filter(|o| !o.1).count();
        let mut steps = Vec::new();
        let (mut at_risk, mut s, mut greenwood) = (n, 1.0, 0.0);
        let mut i = 0;
        while i < sorted.len() {
            let t = sorted[i].0;
            let group = sorted[i..].iter().take_while(|o| o.0 == t).count();
            let d = sorted[i..i + group].iter().filter(|o| o.1).count();
            if d > 0 {
                s *= 1.0 - d as f64 / at_risk as f64;
                if at_risk > d {
                    greenwood += d as f64 / (at_risk as f64 * (at_risk - d) as f64);
                } else {
                    greenwood = f64::INFINITY;
                }
                steps.push((t, at_risk, d, s, greenwood));
            }
            at_risk -= group;
            i += group;
        }
        KaplanMeier { steps, n, censored }
    }

    /// S(t): the share still without the event after time `t`.
    pub fn survival(&self, t: f64) -> f64 {
        self.steps
            .iter()
            .take_while(|s| s.0 <= t)
            .last()
            .map_or(1.0, |s| s.3)
    }

    /// The pointwise 95% band (log-log) of S after each step: (time, lower, upper).
    fn band(&self) -> Vec<(f64, f64, f64)> {
        self.steps
            .iter()
            .map(|&(t, _, _, s, g)| {
                if s <= 0.0 || s >= 1.0 || !g.is_finite() {
                    return (t, s, s);
                }
                let se = g.sqrt() / s.ln().abs();
                let (lo, hi) = (s.powf((Z * se).exp()), s.powf((-Z * se).exp()));
                (t, lo, hi)
            })
            .collect()
    }

    /// The median: the first event time with S ≤ 0.5 (`None` if S never gets there).
    pub fn median(&self) -> Option<f64> {
        self.steps.iter().find(|s| s.3 <= 0.5).map(|s| s.0)
    }

    /// The 95% interval of the median: the first times the band's lower and upper curves
    /// reach 0.5 (an upper end `None` when the upper curve never does).
    pub fn median_ci(&self) -> (Option<f64>, Option<f64>) {
        let band = self.band();
        let low = band.iter().find(|b| b.1 <= 0.5).map(|b| b.0);
        let high = band.iter().find(|b| b.2 <= 0.5).map(|b| b.0);
        (low, high)
    }

    /// The restricted mean to `tau` (∫₀^τ S) and its 95% interval.
    pub fn restricted_mean(&self, tau: f64) -> (f64, f64, f64) {
        // Area under the step function from each event time to tau.
        let events: Vec<&(f64, usize, usize, f64, f64)> =
            self.steps.iter().filter(|s| s.0 < tau).collect();
        let mut total = 0.0;
        let mut prev_t = 0.0;
        let mut prev_s = 1.0;
        for e in &events {
            total += prev_s * (e.0 - prev_t);
            prev_t = e.0;
            prev_s = e.3;
        }
        total += prev_s * (tau - prev_t).max(0.0);
        let mut var = 0.0;
        for (j, e) in events.iter().enumerate() {
            // A_j: area from t_j to tau.
            let mut a = 0.0;
            let mut t = e.0;
            let mut s = e.3;
            for f in &events[j + 1..] {
                a += s * (f.0 - t);
                t = f.0;
                s = f.3;
            }
            a += s * (tau - t).max(0.0);
            let (n, d) = (e.1 as f64, e.2 as f64);
            if n > d {
                var += a * a * d / (n * (n - d));
            }
        }
        let half = Z * var.sqrt();
        (total, total - half, total + half)
    }
}

/// What a sweep point reports of a censored metric.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Survival {
    /// Replicates censored.
    pub censored: usize,
    pub km_median: Option<f64>,
    pub km_median_ci95_low: Option<f64>,
    pub km_median_ci95_high: Option<f64>,
    /// The restriction τ of the restricted mean: the longest time observed.
    pub restricted_to: Option<f64>,
    pub rmst: Option<f64>,
    pub rmst_ci95_low: Option<f64>,
    pub rmst_ci95_high: Option<f64>,
}

impl Survival {
    /// From the values (event times) and censoring times of the replicates, in order; a
    /// replicate with neither is left out.
    pub fn of(values: &[Option<f64>], censored_at: &[Option<f64>]) -> Survival {
        let obs: Vec<Observation> = values
            .iter()
            .zip(censored_at)
            .filter_map(|(v, c)| match (v, c) {
                (Some(t), _) => Some((*t, true)),
                (None, Some(t)) => Some((*t, false)),
                (None, None) => None,
            })
            .collect();
        if obs.is_empty() {
            return Survival::default();
        }
        let km = KaplanMeier::of(&obs);
        let tau = obs.iter().map(|o| o.0).fold(0.0, f64::max);
        let (rmst, lo, hi) = km.restricted_mean(tau);
        let (mlo, mhi) = km.median_ci();
        Survival {
            censored: km.censored,
            km_median: km.median(),
            km_median_ci95_low: mlo,
            km_median_ci95_high: mhi,
            restricted_to: Some(tau),
            rmst: Some(rmst),
            rmst_ci95_low: Some(lo),
            rmst_ci95_high: Some(hi),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// Hand-computed: times 1, 2, 2, 3+, 4, 5+, 6 (+ = censored).
    /// t=1: n=7, d=1 → S = 6/7 = 0.857143; Greenwood 1/(7·6) = 0.0238095
    /// t=2: n=6, d=2 → S = 6/7 · 4/6 = 4/7 = 0.571429; + 2/(6·4) = 0.0833333
    /// t=3: censored (n 4 → 3)
    /// t=4: n=3, d=1 → S = 4/7 · 2/3 = 8/21 = 0.380952; + 1/(3·2)
    /// t=5: censored (n 2 → 1)
    /// t=6: n=1, d=1 → S = 0
    /// Median: first S ≤ 0.5 at t = 4. RMST to 6: 1·1 + 6/7·1 + 4/7·2 + 8/21·2 = 3.761905.
    #[test]
    fn kaplan_meier_against_a_hand_computed_fixture_with_ties_and_censoring() {
        let obs = [
            (2.0, true),
            (1.0, true),
            (3.0, false),
            (2.0, true),
            (6.0, true),
            (4.0, true),
            (5.0, false),
        ];
        let km = KaplanMeier::of(&obs);
        let s: Vec<f64> = km.steps.iter().map(|x| x.3).collect();
        assert!(close(s[0], 6.0 / 7.0) && close(s[1], 4.0 / 7.0) && close(s[2], 8.0 / 21.0));
        assert_eq!(s[3], 0.0);
        assert!(close(km.steps[1].4, 1.0 / 42.0 + 2.0 / 24.0));
        assert_eq!((km.n, km.censored), (7, 2));
        assert_eq!(km.median(), Some(4.0));
        assert!(close(km.survival(2.5), 4.0 / 7.0) && km.survival(0.5) == 1.0);
        let (rmst, lo, hi) = km.restricted_mean(6.0);
        assert!(
            close(rmst, 1.0 + 6.0 / 7.0 + 8.0 / 7.0 + 16.0 / 21.0),
            "{rmst}"
        );
        assert!(lo < rmst && rmst < hi);
        let (mlo, mhi) = km.median_ci();
        assert!(mlo.unwrap() <= 4.0 && mhi.is_none_or(|h| h >= 4.0));
    }

    #[test]
    fn no_censoring_gives_the_empirical_distribution_and_mean() {
        let obs: Vec<Observation> = (1..=4).map(|t| (f64::from(t), true)).collect();
        let km = KaplanMeier::of(&obs);
        assert_eq!(km.median(), Some(2.0));
        let (rmst, _, _) = km.restricted_mean(4.0);
        assert!(close(rmst, 2.5), "the mean of 1..4: {rmst}");
    }

    #[test]
    fn half_censored_replicates_are_counted_and_used() {
        let values = [Some(10.0), None, Some(20.0), None];
        let censored = [None, Some(100.0), None, Some(100.0)];
        let s = Survival::of(&values, &censored);
        assert_eq!(s.censored, 2);
        // S drops to 3/4 at 10 and 1/2 at 20: the median is 20, not the observed mean 15.
        assert_eq!(s.km_median, Some(20.0));
        assert_eq!(s.restricted_to, Some(100.0));
        assert!(close(s.rmst.unwrap(), 10.0 + 0.75 * 10.0 + 0.5 * 80.0));
    }

    #[test]
    fn companions_by_name() {
        assert_eq!(
            censored_companion("torrents.a.longevity_s").as_deref(),
            Some("torrents.a.longevity_censored_at_s")
        );
        assert_eq!(
            censored_companion("torrents.a.longevity_censored_at_s"),
            None
        );
        assert_eq!(censored_companion("peers"), None);
    }
}
