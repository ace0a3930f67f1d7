//! Sites (trackers) as institutions: each identity's standing on each site (bytes downloaded
//! and uploaded there, ratio watch, ban), admission of identities (bans, fresh identities,
//! identities per IP) and the periodic enforcement of a site's ratio rule.
//!
//! State machine of an identity on a site with a ratio rule: `good → watch` when it has
//! downloaded more than the grace amount and its ratio is below the required one; `watch →
//! good` when its ratio recovers; `watch → banned` when the watch period ends first. A banned
//! identity is refused; its user may come back under a fresh identity (with probability
//! `comeback`, paying `fresh_cost`) if the site's identities-per-IP limit allows.
//!
//! Invariant: an identity's totals on a site are the bytes of its peers there that left,
//! plus (when checked) those of its peers still online; every iteration is in identity order.

use crate::config::{SiteConfig, SiteRules};
use crate::ids::{IdentityId, IpId, SiteId};
use crate::stats::Stats;
use crate::time::SimTime;
use serde::Serialize;
use std::collections::BTreeMap;

/// One identity's record on one site.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Standing {
    /// Bytes of its peers there that left.
    downloaded: u64,
    uploaded: u64,
    watch_since: Option<SimTime>,
    banned_at: Option<SimTime>,
    /// Replaced by a fresh identity: no longer checked.
    retired: bool,
}

/// What the site says to an identity that wants to join one of its listings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    Admit,
    /// Banned, and not coming back (or its IP may hold no more identities here).
    Refuse,
    /// Banned, and its user comes back under a fresh identity (at the site's cost).
    FreshIdentity,
}

/// Counters of one site.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct SiteCounters {
    refused: u64,
    watches: u64,
    bans: u64,
    fresh_identities: u64,
    fresh_cost_tokens: f64,
    /// Σ seeds and Σ leechers over the site's listings at each check, and the checks.
    seeds_sum: u64,
    leechers_sum: u64,
    checks: u64,
}

/// Every site's rules and every identity's standing.
#[derive(Debug)]
pub struct Sites {
    configs: Vec<SiteConfig>,
    standing: Vec<BTreeMap<IdentityId, Standing>>,
    /// Identities each IP has had on each site.
    per_ip: Vec<BTreeMap<IpId, u32>>,
    counters: Vec<SiteCounters>,
}

impl Sites {
    pub fn new(configs: &[SiteConfig]) -> Sites {
        let n = configs.len();
        Sites {
            configs: configs.to_vec(),
            standing: vec![BTreeMap::new(); n],
            per_ip: vec![BTreeMap::new(); n],
            counters: vec![SiteCounters::default(); n],
        }
    }

    pub fn config(&self, site: SiteId) -> &SiteConfig {
        &self.configs[site.index()]
    }

    /// Whether `identity` may join a listing of `site`. `comeback_draw` is uniform in [0, 1)
    /// (drawn by the caller from its own stream, whether used or not). An identity new to the
    /// site is admitted (and counted against its IP) only within the site's identities-per-IP
    /// limit; a banned one is refused, or its user comes back under a fresh identity (the
    /// caller then pays with [`Sites::fresh_identity_paid`] or refuses with
    /// [`Sites::fresh_identity_unpaid`]).
    pub fn admit(
        &mut self,
        site: SiteId,
        identity: IdentityId,
        ip: IpId,
        comeback_draw: f64,
    ) -> Admission {
        let s = site.index();
        let limit = self.configs[s].identity.per_ip;
        let used = self.per_ip[s].get(&ip).copied().unwrap_or(0);
        let room = limit == 0 || used < limit;
        match self.standing[s].get(&identity) {
            Some(st) if st.banned_at.is_none() => return Admission::Admit,
            None if room => {
                self.standing[s].insert(identity, Standing::default());
                *self.per_ip[s].entry(ip).or_default() += 1;
                return Admission::Admit;
            }
            None => {
                self.counters[s].refused += 1;
                return Admission::Refuse;
            }
            Some(_) => {}
        }
        let comeback = match &self.configs[s].rules {
            Some(SiteRules::Ratio { comeback, .. }) => *comeback,
            None => 0.0,
        };
        if comeback_draw < comeback && room {
            Admission::FreshIdentity
        } else {
            self.counters[s].refused += 1;
            Admission::Refuse
        }
    }

    /// A banned user paid `cost_tokens` for a fresh identity on `site` (tokens are only
    /// counted here; the ledger moved them if there is an economy).
    pub fn fresh_identity_paid(&mut self, site: SiteId, cost_tokens: f64) {
        let c = &mut self.counters[site.index()];
        c.fresh_identities += 1;
        c.fresh_cost_tokens += cost_tokens;
    }

    /// A banned user could not pay for a fresh identity: its arrival is refused.
    pub fn fresh_identity_unpaid(&mut self, site: SiteId) {
        self.counters[site.index()].refused += 1;
    }

    /// `identity` was replaced by a fresh one on its host: its standing stays (for the
    /// figures) but it is checked no more.
    pub fn retire(&mut self, identity: IdentityId) {
        for standing in &mut self.standing {
            if let Some(st) = standing.get_mut(&identity) {
                st.retired = true;
            }
        }
    }

    /// A peer of `identity` on `site` left after moving these bytes.
    pub fn peer_left(
        &mut self,
        site: SiteId,
        identity: IdentityId,
        downloaded: u64,
        uploaded: u64,
    ) {
        let st = self.standing[site.index()].entry(identity).or_default();
        st.downloaded += downloaded;
        st.uploaded += uploaded;
    }

    /// `identity`'s totals on `site`, adding the bytes of its peers still online there.
    pub fn totals(
        &self,
        site: SiteId,
        identity: IdentityId,
        live_down: u64,
        live_up: u64,
    ) -> (u64, u64) {
        let st = self.standing[site.index()]
            .get(&identity)
            .copied()
            .unwrap_or_default();
        (st.downloaded + live_down, st.uploaded + live_up)
    }

    /// The ratio rule's periodic check of `site` at `now`. `live` gives, per identity with
    /// peers online there, the bytes those peers moved so far (in identity order, each at
    /// most once); `seeds` and `leechers` are the site's swarm sizes now. Returns the
    /// identities to ban now, in identity order.
    pub fn check(
        &mut self,
        site: SiteId,
        now: SimTime,
        live: &BTreeMap<IdentityId, (u64, u64)>,
        (seeds, leechers): (u32, u32),
    ) -> Vec<IdentityId> {
        let s = site.index();
        let c = &mut self.counters[s];
        c.seeds_sum += u64::from(seeds);
        c.leechers_sum += u64::from(leechers);
        c.checks += 1;
        let Some(rules) = self.configs[s].rules.clone() else {
            return Vec::new();
        };
        let SiteRules::Ratio { watch, .. } = &rules;
        let mut bans = Vec::new();
        for (&identity, st) in self.standing[s].iter_mut() {
            if st.banned_at.is_some() || st.retired {
                continue;
            }
            let (ld, lu) = live.get(&identity).copied().unwrap_or((0, 0));
            let (down, up) = (st.downloaded + ld, st.uploaded + lu);
            let below = verdict(&rules, down, up) == Verdict::Below;
            match (below, st.watch_since) {
                (false, _) => st.watch_since = None,
                (true, None) => {
                    st.watch_since = Some(now);
                    self.counters[s].watches += 1;
                }
                (true, Some(since)) if now.since(since) >= watch.0 => {
                    st.banned_at = Some(now);
                    self.counters[s].bans += 1;
                    bans.push(identity);
                }
                (true, Some(_)) => {}
            }
        }
        bans
    }

    /// The site's summary at the end; `class_of` names an identity's host class.
    pub fn summary(
        &self,
        site: SiteId,
        listings: usize,
        class_of: &dyn Fn(IdentityId) -> String,
    ) -> SiteSummary {
        let s = site.index();
        let cfg = &self.configs[s];
        let c = &self.counters[s];
        let mut ratios = Vec::new();
        let mut bans_by_class: BTreeMap<String, u64> = BTreeMap::new();
        let mut identities_by_class: BTreeMap<String, u64> = BTreeMap::new();
        let mut on_watch = 0;
        for (&identity, st) in &self.standing[s] {
            let class = class_of(identity);
            *identities_by_class.entry(class.clone()).or_default() += 1;
            if st.banned_at.is_some() {
                *bans_by_class.entry(class).or_default() += 1;
            } else if st.watch_since.is_some() {
                on_watch += 1;
            }
            if st.downloaded > 0 {
                ratios.push(st.uploaded as f64 / st.downloaded as f64);
            }
        }
        SiteSummary {
            name: cfg.name.clone(),
            audience: cfg.audience,
            listings,
            identities: self.standing[s].len(),
            refused_arrivals: c.refused,
            watches: c.watches,
            on_watch_at_end: on_watch,
            bans: c.bans,
            fresh_identities: c.fresh_identities,
            fresh_identity_cost_tokens: c.fresh_cost_tokens,
            ratio: Stats::of(ratios),
            seeder_leecher_ratio: (c.leechers_sum > 0)
                .then(|| c.seeds_sum as f64 / c.leechers_sum as f64),
            identities_by_class,
            bans_by_class,
        }
    }

    pub fn len(&self) -> usize {
        self.configs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.configs.is_empty()
    }
}

/// Where an identity stands against a ratio rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Within the grace amount, or at or above the required ratio.
    Good,
    /// Past the grace amount and below the required ratio.
    Below,
}

/// The ratio rule's verdict on an identity that downloaded `down` and uploaded `up` bytes:
/// below when `down > grace` and `up / down < required(down)` (exact: `up < required · down`).
pub fn verdict(rules: &SiteRules, down: u64, up: u64) -> Verdict {
    let SiteRules::Ratio { grace, .. } = rules;
    if down <= grace.0 {
        return Verdict::Good;
    }
    let required = rules.required_ratio(down);
    if (up as f64) < required * down as f64 {
        Verdict::Below
    } else {
        Verdict::Good
    }
}

crate::documented! {
    /// `summary.json` → `sites[]`: one site at the end of the run.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    pub struct SiteSummary {
        /// The site's name.
        pub name: String,
        /// The site's audience (arrival multiplier of its listings).
        pub audience: f64,
        /// Listings on the site.
        pub listings: usize,
        /// Identities that joined a listing here.
        pub identities: usize,
        /// Arrivals refused: banned identities that did not come back (or could not pay), and
        /// new identities beyond the identities-per-IP limit.
        pub refused_arrivals: u64,
        /// Times an identity went on ratio watch.
            pub watches: u64,
        /// Identities on ratio watch at the end.
        pub on_watch_at_end: u64,
        /// Identities banned.
        pub bans: u64,
        /// Banned users that came back under a fresh identity.
            pub fresh_identities: u64,
        /// What the fresh identities cost, tokens (only counted without an economy).
        pub fresh_identity_cost_tokens: f64,
        /// Ratio (uploaded / downloaded here, peers that left) of identities that downloaded.
        pub ratio: Stats,
        /// Σ seeds / Σ leechers over the site's listings at its checks.
        pub seeder_leecher_ratio: Option<f64>,
        /// Identities that joined a listing here, by bandwidth class.
        pub identities_by_class: BTreeMap<String, u64>,
        /// Identities banned, by bandwidth class.
        pub bans_by_class: BTreeMap<String, u64>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RatioStep;
    use crate::units::{Bytes, Duration};

    const GB: u64 = 1_000_000_000;

    fn rule(min_ratio: f64, grace_gb: u64, table: Vec<RatioStep>) -> SiteRules {
        SiteRules::Ratio {
            min_ratio,
            grace: Bytes(grace_gb * GB),
            watch: Duration::from_secs(14 * 86_400),
            check_every: Duration::from_secs(3600),
            table,
            comeback: 0.0,
        }
    }

    /// Table-driven: (min ratio, grace GB, downloaded GB, uploaded GB, verdict).
    #[test]
    fn ratio_rule_fixtures() {
        use Verdict::*;
        let cases = [
            // "ratio 0.4 after 6 GB with 5 GB grace ⇒ watch" (required 0.6).
            (0.6, 5, 6.0, 2.4, Below),
            (0.6, 5, 6.0, 3.6, Good),
            (0.6, 5, 5.0, 0.0, Good),   // within the grace
            (0.6, 5, 5.1, 3.05, Below), // just below 0.6
            (0.6, 5, 5.1, 3.06, Good),  // exactly 0.6
            (0.0, 5, 100.0, 0.0, Good), // no requirement
        ];
        for (min, grace, down, up, expect) in cases {
            let r = rule(min, grace, Vec::new());
            let v = verdict(&r, (down * GB as f64) as u64, (up * GB as f64) as u64);
            assert_eq!(
                v, expect,
                "min {min}, grace {grace} GB, {down} GB down, {up} GB up"
            );
        }
    }

    #[test]
    fn a_gazelle_table_sets_the_ratio_by_amount_downloaded() {
        let step = |gb: u64, ratio: f64| RatioStep {
            downloaded: Bytes(gb * GB),
            ratio,
        };
        let r = rule(
            0.0,
            5,
            vec![step(5, 0.15), step(10, 0.2), step(20, 0.3), step(50, 0.6)],
        );
        assert_eq!(r.required_ratio(4 * GB), 0.0);
        assert_eq!(r.required_ratio(7 * GB), 0.15);
        assert_eq!(r.required_ratio(10 * GB), 0.2);
        assert_eq!(r.required_ratio(60 * GB), 0.6);
        assert_eq!(verdict(&r, 7 * GB, 11 * GB / 10), Verdict::Good); // 0.157 ≥ 0.15
        assert_eq!(verdict(&r, 7 * GB, GB), Verdict::Below); // 0.143 < 0.15
    }

    #[test]
    fn watch_then_ban_then_refuse_or_come_back_within_the_ip_limit() {
        let mut cfg = SiteConfig::implicit();
        cfg.rules = Some(rule(0.6, 5, Vec::new()));
        cfg.identity.per_ip = 2;
        if let Some(SiteRules::Ratio { comeback, .. }) = &mut cfg.rules {
            *comeback = 0.5;
        }
        let mut sites = Sites::new(&[cfg]);
        let (site, id, ip) = (SiteId(0), IdentityId(7), IpId(3));
        assert_eq!(sites.admit(site, id, ip, 0.9), Admission::Admit);
        sites.peer_left(site, id, 6 * GB, GB);
        let t = |days: u64| SimTime::ZERO + crate::time::SimDuration::from_secs(days * 86_400);
        let none = BTreeMap::new();
        assert!(sites.check(site, t(1), &none, (1, 1)).is_empty()); // watch starts
        assert!(sites.check(site, t(10), &none, (1, 1)).is_empty()); // still watching
        assert_eq!(sites.check(site, t(15), &none, (1, 1)), vec![id]); // banned
        assert_eq!(sites.admit(site, id, ip, 0.9), Admission::Refuse); // no comeback drawn
        assert_eq!(sites.admit(site, id, ip, 0.1), Admission::FreshIdentity);
        sites.fresh_identity_paid(site, 0.0);
        sites.retire(id);
        // The fresh identity is the IP's second (its limit); a third is refused.
        assert_eq!(sites.admit(site, IdentityId(8), ip, 0.0), Admission::Admit);
        assert_eq!(sites.admit(site, IdentityId(9), ip, 0.0), Admission::Refuse);
        // A retired identity is checked no more.
        assert!(sites.check(site, t(30), &none, (1, 1)).is_empty());
        let s = sites.summary(site, 1, &|_| "dsl".into());
        assert_eq!(
            (s.watches, s.bans, s.refused_arrivals, s.fresh_identities),
            (1, 1, 2, 1)
        );
        assert_eq!(s.bans_by_class.get("dsl"), Some(&1));
    }
}
