//! The event queue: a monotone priority queue ordered by `(time, insertion sequence)`.
//!
//! Ordering contract: events pop in increasing time; events at the same time pop in the order
//! they were scheduled (FIFO). Together with deterministic handlers this makes a run a pure
//! function of the scenario and seed. Time never goes back: scheduling into the past and
//! popping out of order are bugs and panic.
//!
//! Layout: a radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, 1990) with wide digits, which
//! works because a discrete-event simulation never schedules before the last popped time.
//! Keys are integer times; `base` is the smallest pending time's lower bound. An event at
//! `time == base` sits in the ready list; any other sits in a bucket chosen by the highest
//! bit `h` in which `time` differs from `base`: for `h < 12`, the level-0 bucket of the
//! time's low 12 bits (one exact time each, 4,096 µs ahead at most); above, the bucket of the
//! time's 8-bit digit at the level of `h` (levels of 8 bits from bit 12 on). Bucket ids are
//! numbered level 0 first, then each digit level in order, so the lowest non-empty id holds
//! the earliest times; a two-level bitmap finds it. Popping takes the ready list's front;
//! when it is empty, the lowest non-empty bucket becomes it (level 0) or is redistributed
//! around its minimum, which becomes the new base, into lower levels. An event moves down at
//! most once per level it starts above (once or twice for the flow completions of a swarm,
//! against 15–20 moves with one bucket per bit), and every move is a sequential append, so a
//! pop costs O(1) amortised with no scattered sift walks. The wide level 0 also lets the
//! engine see the next events in order (see [`EventQueue::peek_ahead`]).
//!
//! Dead events: a caller may pop with a liveness test (see [`EventQueue::pop_until_live`]),
//! for events that can be superseded after they were scheduled, such as a flow completion
//! whose flow was re-timed. An event found dead is dropped where the queue meets it anyway,
//! when its bucket is redistributed or when it reaches the front, so it costs no further
//! moves and never reaches the caller; the order of the live events is untouched. A dead
//! event must stay dead.
//!
//! FIFO among equal times holds without sequence numbers: events of equal time always share a
//! bucket (the bucket is a function of the time and the base), a bucket is redistributed
//! only into empty ones (every lower level is empty then) and in order, and the ready list is
//! appended at the back.

use crate::time::SimTime;

/// Bits of the level-0 digit (exact times up to 4,096 µs ahead) and of every higher digit.
const LOW_BITS: u32 = 12;
const DIGIT_BITS: u32 = 8;
const LOW_BUCKETS: usize = 1 << LOW_BITS;
const DIGITS: usize = 1 << DIGIT_BITS;
/// Digit levels above level 0 (the last one is partial).
const HIGH_LEVELS: usize = (64 - LOW_BITS).div_ceil(DIGIT_BITS) as usize;
const BUCKETS: usize = LOW_BUCKETS + HIGH_LEVELS * DIGITS;
const WORDS: usize = BUCKETS.div_ceil(64);
/// Emptied digit-level buffers kept for reuse; more are freed.
const MAX_SPARES: usize = 16;

/// Pending events with their due times.
pub struct EventQueue<E> {
    /// Events due exactly at `base`, in scheduling order, from `head` on (the times are kept
    /// so that a level-0 bucket can be swapped in whole).
    ready: Vec<(u64, E)>,
    head: usize,
    /// Events by bucket id (see the module documentation), each in scheduling order.
    buckets: Vec<Vec<(u64, E)>>,
    /// Emptied buffers of the digit levels (at most `MAX_SPARES`), handed to the next such
    /// bucket that fills, so that memory follows what is pending rather than the largest
    /// size each bucket ever had.
    spares: Vec<Vec<(u64, E)>>,
    /// Bit `b % 64` of `occupied[b / 64]` set iff bucket `b` is non-empty.
    occupied: [u64; WORDS],
    /// Bit `w % 64` of `summary[w / 64]` set iff `occupied[w]` is non-zero.
    summary: [u64; WORDS.div_ceil(64)],
    /// Lower bound of every pending time (the key the buckets are relative to).
    base: u64,
    len: usize,
    now: SimTime,
    /// Events dropped as dead so far.
    dropped: u64,
}

impl<E> std::fmt::Debug for EventQueue<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventQueue")
            .field("pending", &self.len)
            .field("now", &self.now)
            .finish()
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            ready: Vec::new(),
            head: 0,
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            spares: Vec::new(),
            occupied: [0; WORDS],
            summary: [0; WORDS.div_ceil(64)],
            base: 0,
            len: 0,
            now: SimTime::ZERO,
            dropped: 0,
        }
    }
}

/// The bucket of `time` relative to `base` (`time > base`).
#[inline]
fn bucket_of(time: u64, base: u64) -> usize {
    let h = 63 - (time ^ base).leading_zeros();
    if h < LOW_BITS {
        time as usize & (LOW_BUCKETS - 1)
    } else {
        let l = (h - LOW_BITS) / DIGIT_BITS;
        let d = (time >> (LOW_BITS + l * DIGIT_BITS)) as usize & (DIGITS - 1);
        LOW_BUCKETS + l as usize * DIGITS + d
    }
}

impl<E: Copy> EventQueue<E> {
    /// Schedules `event` at `time` (not before the current time). Cost O(1) amortised.
    pub fn schedule(&mut self, time: SimTime, event: E) {
        assert!(
            time >= self.now,
            "event scheduled in the past: {time} < now {}",
            self.now
        );
        if time.0 < self.base {
            // Only after a look-ahead past `now` (see `pop_until`): re-base. O(n), rare.
            self.rebase(time.0);
        }
        self.insert(time.0, event);
        self.len += 1;
    }

    /// Files an event at `time >= base` into the ready list or its bucket. O(1).
    #[inline]
    fn insert(&mut self, time: u64, event: E) {
        if time == self.base {
            self.ready.push((time, event));
        } else {
            let b = bucket_of(time, self.base);
            let bucket = &mut self.buckets[b];
            if b >= LOW_BUCKETS
                && bucket.capacity() == 0
                && let Some(spare) = self.spares.pop()
            {
                *bucket = spare;
            }
            bucket.push((time, event));
            self.occupied[b / 64] |= 1 << (b % 64);
            self.summary[b / 4096] |= 1 << (b / 64 % 64);
        }
    }

    /// The lowest non-empty bucket id `>= from`, if any. O(1).
    #[inline]
    fn lowest_bucket_from(&self, from: usize) -> Option<usize> {
        let w0 = from / 64;
        let bits = self.occupied.get(w0)? & (u64::MAX << (from % 64));
        if bits != 0 {
            return Some(w0 * 64 + bits.trailing_zeros() as usize);
        }
        let next = w0 + 1;
        for s in next / 64..self.summary.len() {
            let mut words = self.summary[s];
            if s == next / 64 {
                words &= u64::MAX << (next % 64);
            }
            if words != 0 {
                let w = s * 64 + words.trailing_zeros() as usize;
                return Some(w * 64 + self.occupied[w].trailing_zeros() as usize);
            }
        }
        None
    }

    /// Marks bucket `b` empty. O(1).
    #[inline]
    fn clear_bit(&mut self, b: usize) {
        self.occupied[b / 64] &= !(1 << (b % 64));
        if self.occupied[b / 64] == 0 {
            self.summary[b / 4096] &= !(1 << (b / 64 % 64));
        }
    }

    /// Lowers `base` to `time`, refiling every pending event. Events of equal time share a
    /// bucket, and buckets are refiled in order, so FIFO among equal times survives.
    fn rebase(&mut self, time: u64) {
        let mut pending: Vec<(u64, E)> = self.ready.drain(..).skip(self.head).collect();
        self.head = 0;
        for bucket in &mut self.buckets {
            pending.append(bucket);
        }
        self.occupied = [0; WORDS];
        self.summary = [0; WORDS.div_ceil(64)];
        self.base = time;
        for (t, e) in pending {
            self.insert(t, e);
        }
    }

    /// Makes the ready list non-empty if any live event is pending: the lowest non-empty
    /// bucket becomes it (level 0) or is redistributed around its earliest live time, dead
    /// events dropped (higher levels); returns the time of the ready events. A bucket of dead
    /// events only is dropped whole. Cost O(bucket size) per bucket met.
    fn fill_ready(&mut self, is_live: &mut impl FnMut(&E) -> bool) -> Option<u64> {
        loop {
            if self.head < self.ready.len() {
                return Some(self.base);
            }
            self.ready.clear();
            self.head = 0;
            let b = self.lowest_bucket_from(0)?;
            self.clear_bit(b);
            let bucket = &mut self.buckets[b];
            if b < LOW_BUCKETS {
                // One exact time: the bucket is the new ready list (the empty list's capacity
                // goes to the bucket). Dead events in it are dropped as they reach the front.
                std::mem::swap(&mut self.ready, bucket);
                self.base = self.ready[0].0;
                return Some(self.base);
            }
            let mut items = std::mem::take(bucket);
            let before = items.len();
            items.retain(|(_, e)| is_live(e));
            self.len -= before - items.len();
            self.dropped += (before - items.len()) as u64;
            if let Some(base) = items.iter().map(|&(t, _)| t).min() {
                self.base = base;
                // Every time in the bucket agrees with the new base above the bucket's
                // digit, so each lands in the ready list or a lower level, all empty until
                // now; the minimum lands in the ready list. (With no live event the base
                // stays, still a lower bound of every pending time.)
                for &(t, e) in &items {
                    self.insert(t, e);
                }
            }
            items.clear();
            // The emptied buffer goes to the spares (a few), not back to its bucket: a bucket
            // one digit level up spans about a second of a swarm's events, and hundreds of
            // such buckets each keeping its largest size held 160 MB in a 10,000-peer run.
            if self.spares.len() < MAX_SPARES {
                self.spares.push(items);
            }
        }
    }

    /// Removes and returns the earliest event, advancing the current time. O(1) amortised.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_until(SimTime(u64::MAX))
    }

    /// Like [`Self::pop`], but only if the earliest event is due no later than `limit`
    /// (otherwise nothing is removed and the current time stays). O(1) amortised.
    pub fn pop_until(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        self.pop_until_live(limit, |_| true)
    }

    /// Like [`Self::pop_until`], but events for which `is_live` is false are dropped (see
    /// the module documentation) instead of returned: the result is the earliest live event
    /// due no later than `limit`. An event once dead must stay dead. The current time
    /// advances over the dropped events due by `limit`. O(1) amortised, plus one call of
    /// `is_live` per event met.
    pub fn pop_until_live(
        &mut self,
        limit: SimTime,
        mut is_live: impl FnMut(&E) -> bool,
    ) -> Option<(SimTime, E)> {
        loop {
            let time = self.fill_ready(&mut is_live)?;
            if time > limit.0 {
                return None;
            }
            let (_, event) = self.ready[self.head];
            self.head += 1;
            self.len -= 1;
            let time = SimTime(time);
            assert!(
                time >= self.now,
                "time went backwards: {time} < {}",
                self.now
            );
            self.now = time;
            if is_live(&event) {
                return Some((time, event));
            }
            self.dropped += 1;
        }
    }

    /// Events dropped as dead by [`Self::pop_until_live`] so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The next `N` events to pop from now on, in order, as far as they are known without
    /// redistributing a bucket (in the ready list or in level-0 buckets, up to 4,096 µs
    /// ahead); the rest `None`. A hint for warming caches only: events scheduled before then
    /// may still come first. Cost O(N + 1).
    pub fn peek_ahead<const N: usize>(&self) -> [Option<&E>; N] {
        let mut out = [None; N];
        let mut k = 0;
        for (_, e) in self
            .ready
            .get(self.head..)
            .unwrap_or_default()
            .iter()
            .take(N)
        {
            out[k] = Some(e);
            k += 1;
        }
        let mut from = 0;
        while k < N {
            let Some(b) = self.lowest_bucket_from(from).filter(|&b| b < LOW_BUCKETS) else {
                break;
            };
            for (_, e) in self.buckets[b].iter().take(N - k) {
                out[k] = Some(e);
                k += 1;
            }
            from = b + 1;
        }
        out
    }

    /// Due time of the earliest event. Cost O(1), or O(bucket size) when no event is due at
    /// the base time.
    pub fn peek_time(&self) -> Option<SimTime> {
        if self.head < self.ready.len() {
            return Some(SimTime(self.base));
        }
        let b = self.lowest_bucket_from(0)?;
        self.buckets[b].iter().map(|&(t, _)| SimTime(t)).min()
    }
}

impl<E> EventQueue<E> {
    /// Time of the last popped event.
    pub fn now(&self) -> SimTime {
        self.now
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Stream, stream};
    use rand::RngExt;

    #[test]
    fn pops_by_time_then_fifo() {
        let mut q = EventQueue::default();
        q.schedule(SimTime(20), "c");
        q.schedule(SimTime(10), "a");
        q.schedule(SimTime(20), "d");
        q.schedule(SimTime(10), "b");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
    }

    #[test]
    #[should_panic(expected = "in the past")]
    fn scheduling_in_the_past_panics() {
        let mut q = EventQueue::default();
        q.schedule(SimTime(10), ());
        q.pop();
        q.schedule(SimTime(5), ());
    }

    /// A look-ahead that stops at the limit, then an event scheduled before the looked-at
    /// time: the queue re-bases and still pops in order.
    #[test]
    fn pop_until_then_earlier_schedule() {
        let mut q = EventQueue::default();
        q.schedule(SimTime(100), "late");
        q.schedule(SimTime(100), "late2");
        assert_eq!(q.pop_until(SimTime(50)), None);
        assert_eq!(q.now(), SimTime::ZERO);
        q.schedule(SimTime(70), "early");
        q.schedule(SimTime(100), "late3");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, ["early", "late", "late2", "late3"]);
    }

    /// `peek_ahead` names the coming events in pop order within the exact-time window, and
    /// nothing beyond it.
    #[test]
    fn peek_ahead_sees_the_next_events_in_order() {
        let mut q = EventQueue::default();
        for (t, e) in [
            (3000, "d"),
            (5, "a"),
            (100, "c"),
            (5, "b"),
            (1 << 20, "far"),
        ] {
            q.schedule(SimTime(t), e);
        }
        let seen = q.peek_ahead::<6>().map(|e| e.copied());
        assert_eq!(
            seen,
            [Some("a"), Some("b"), Some("c"), Some("d"), None, None]
        );
        assert_eq!(q.pop(), Some((SimTime(5), "a")));
        assert_eq!(
            q.peek_ahead::<3>().map(|e| e.copied()),
            [Some("b"), Some("c"), Some("d")]
        );
    }

    /// Against a sorted reference: random interleavings of schedules and pops, many equal
    /// times, over many seeds.
    #[test]
    fn matches_a_sorted_reference() {
        for seed in 0..50 {
            let mut rng = stream(seed, Stream::Arrivals);
            let mut q = EventQueue::default();
            let mut reference: Vec<(u64, u64)> = Vec::new();
            let mut seq = 0;
            for _ in 0..2_000 {
                if rng.random_range(0..3) > 0 || reference.is_empty() {
                    // Near times (many ties) and far ones (high buckets).
                    let t = q.now().0
                        + match rng.random_range(0..5) {
                            0 => rng.random_range(0..1u64 << 40),
                            1 => rng.random_range(0..1u64 << 20),
                            _ => rng.random_range(0..20),
                        };
                    q.schedule(SimTime(t), seq);
                    reference.push((t, seq));
                    seq += 1;
                } else if rng.random_range(0..4) == 0 {
                    // A look-ahead: pops only if due by the limit; later schedules may then
                    // fall before the looked-at time (re-basing).
                    let limit = q.now().0 + rng.random_range(0..1u64 << 12);
                    reference.sort();
                    let got = q.pop_until(SimTime(limit)).map(|(t, e)| (t.0, e));
                    let want = (reference[0].0 <= limit).then(|| reference.remove(0));
                    assert_eq!(got, want, "seed {seed}");
                    assert_eq!(q.peek_time().map(|t| t.0), reference.first().map(|r| r.0));
                    for (n, e) in q.peek_ahead::<3>().into_iter().enumerate() {
                        if let Some(&e) = e {
                            assert_eq!(Some(e), reference.get(n).map(|r| r.1), "seed {seed}");
                        }
                    }
                } else {
                    reference.sort();
                    let want = reference.remove(0);
                    let (t, got) = q.pop().expect("not empty");
                    assert_eq!((t.0, got), want, "seed {seed}");
                }
            }
            reference.sort();
            for want in reference {
                let (t, got) = q.pop().expect("not empty");
                assert_eq!((t.0, got), want, "seed {seed}");
            }
            assert!(q.is_empty());
        }
    }

    /// Against a sorted reference with dead events: events die at random after being
    /// scheduled (and stay dead); popping with the liveness test gives exactly the live
    /// events in the reference's order, and every dead event that was due is dropped.
    #[test]
    fn popping_live_events_skips_exactly_the_dead_ones() {
        for seed in 0..50 {
            let mut rng = stream(seed, Stream::Choker);
            let mut q = EventQueue::default();
            let mut reference: Vec<(u64, usize)> = Vec::new();
            let mut dead: Vec<bool> = Vec::new();
            for _ in 0..3_000 {
                match rng.random_range(0..6) {
                    0..=2 => {
                        let t = q.now().0
                            + match rng.random_range(0..4) {
                                0 => rng.random_range(0..1u64 << 32),
                                1 => rng.random_range(0..1u64 << 20),
                                _ => rng.random_range(0..40),
                            };
                        q.schedule(SimTime(t), dead.len());
                        reference.push((t, dead.len()));
                        dead.push(false);
                    }
                    3 => {
                        // Kill a random pending event.
                        if !reference.is_empty() {
                            let k = rng.random_range(0..reference.len());
                            dead[reference[k].1] = true;
                        }
                    }
                    _ => {
                        let limit = q.now().0 + rng.random_range(0..1u64 << 14);
                        reference.sort();
                        // Dead events stay in the reference; they are never wanted.
                        let want = reference
                            .iter()
                            .position(|r| !dead[r.1])
                            .filter(|&i| reference[i].0 <= limit)
                            .map(|i| reference.remove(i));
                        let got = q
                            .pop_until_live(SimTime(limit), |&e| !dead[e])
                            .map(|(t, e)| (t.0, e));
                        assert_eq!(got, want, "seed {seed}");
                    }
                }
            }
            reference.sort();
            let live: Vec<(u64, usize)> =
                reference.iter().copied().filter(|r| !dead[r.1]).collect();
            let rest: Vec<(u64, usize)> =
                std::iter::from_fn(|| q.pop_until_live(SimTime(u64::MAX), |&e| !dead[e]))
                    .map(|(t, e)| (t.0, e))
                    .collect();
            assert_eq!(rest, live, "seed {seed}");
            assert!(q.is_empty(), "seed {seed}");
            let dead_total = dead.iter().filter(|&&d| d).count() as u64;
            assert_eq!(
                q.dropped(),
                dead_total,
                "seed {seed}: every dead event dropped once"
            );
        }
    }
}
