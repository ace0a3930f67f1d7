//! The event queue: a monotone priority queue ordered by `(time, insertion sequence)`.
//!
//! Ordering contract: events pop in increasing time; events at the same time pop in the order
//! they were scheduled (FIFO). Together with deterministic handlers this makes a run a pure
//! function of the scenario and seed. Time never goes back: scheduling into the past and
//! popping out of order are bugs and panic.
//!
//! Layout: a radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, 1990) with 8-bit digits, which
//! works because a discrete-event simulation never schedules before the last popped time.
//! Keys are integer times; `base` is the smallest pending time's lower bound. An event at
//! `time == base` sits in the ready list; any other sits in bucket `(l, d)`, `l` being the
//! highest 8-bit digit in which `time` differs from `base` and `d` that digit of `time`
//! (bucket `(0, d)` thus holds one exact time). Popping takes the ready list's front; when it
//! is empty, the lowest non-empty bucket (lowest level, then lowest digit: the earliest
//! times) becomes the ready list if it is at level 0, or is redistributed around its minimum,
//! which becomes the new base, into lower levels. An event moves down at most once per level
//! it starts above (two or three times for the flow completions of a swarm, against 15–20
//! moves with one bucket per bit), and every move is a sequential append, so a pop costs O(1)
//! amortised with no scattered sift walks (a 4-ary heap walked ~8 cache-missing levels per
//! operation in a 10,000-peer run).
//!
//! FIFO among equal times holds without sequence numbers: events of equal time always share a
//! bucket (their highest differing digit from any base is the same), a bucket is redistributed
//! only into empty ones (every lower level is empty then) and in order, and the ready list is
//! appended at the back.

use crate::time::SimTime;

/// Bits per digit, buckets per level, levels.
const DIGIT_BITS: u32 = 8;
const DIGITS: usize = 1 << DIGIT_BITS;
const LEVELS: usize = 64 / DIGIT_BITS as usize;

/// Pending events with their due times.
pub struct EventQueue<E> {
    /// Events due exactly at `base`, in scheduling order, from `head` on (the times are kept
    /// so that a level-0 bucket can be swapped in whole).
    ready: Vec<(u64, E)>,
    head: usize,
    /// `buckets[l * DIGITS + d]`: events whose time differs from `base` first at digit `l`,
    /// where the time's digit is `d`, in scheduling order.
    buckets: Vec<Vec<(u64, E)>>,
    /// Bit `d % 64` of `occupied[l][d / 64]` set iff bucket `(l, d)` is non-empty.
    occupied: [[u64; DIGITS / 64]; LEVELS],
    /// Bit `l` set iff level `l` has a non-empty bucket.
    levels: u64,
    /// Lower bound of every pending time (the key the buckets are relative to).
    base: u64,
    len: usize,
    now: SimTime,
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
            buckets: (0..LEVELS * DIGITS).map(|_| Vec::new()).collect(),
            occupied: [[0; DIGITS / 64]; LEVELS],
            levels: 0,
            base: 0,
            len: 0,
            now: SimTime::ZERO,
        }
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
        let diff = time ^ self.base;
        if diff == 0 {
            self.ready.push((time, event));
        } else {
            let l = ((63 - diff.leading_zeros()) / DIGIT_BITS) as usize;
            let d = (time >> (l as u32 * DIGIT_BITS)) as usize & (DIGITS - 1);
            self.buckets[l * DIGITS + d].push((time, event));
            self.occupied[l][d / 64] |= 1 << (d % 64);
            self.levels |= 1 << l;
        }
    }

    /// The lowest non-empty bucket `(level, digit)`, if any. O(1).
    #[inline]
    fn lowest_bucket(&self) -> Option<(usize, usize)> {
        if self.levels == 0 {
            return None;
        }
        let l = self.levels.trailing_zeros() as usize;
        let (w, bits) = self.occupied[l]
            .iter()
            .enumerate()
            .find(|(_, bits)| **bits != 0)
            .expect("an occupied level has an occupied bucket");
        Some((l, w * 64 + bits.trailing_zeros() as usize))
    }

    /// Marks bucket `(l, d)` empty. O(1).
    #[inline]
    fn clear_bit(&mut self, l: usize, d: usize) {
        self.occupied[l][d / 64] &= !(1 << (d % 64));
        if self.occupied[l].iter().all(|&w| w == 0) {
            self.levels &= !(1 << l);
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
        self.occupied = [[0; DIGITS / 64]; LEVELS];
        self.levels = 0;
        self.base = time;
        for (t, e) in pending {
            self.insert(t, e);
        }
    }

    /// Makes the ready list non-empty if any event is pending: the lowest non-empty bucket
    /// becomes it (level 0) or is redistributed around its minimum time (higher levels, until
    /// a level-0 bucket or the ready list fills); returns the time of the ready events. Cost
    /// O(bucket size).
    fn fill_ready(&mut self) -> Option<u64> {
        if self.head < self.ready.len() {
            return Some(self.base);
        }
        self.ready.clear();
        self.head = 0;
        loop {
            let (l, d) = self.lowest_bucket()?;
            self.clear_bit(l, d);
            let bucket = &mut self.buckets[l * DIGITS + d];
            if l == 0 {
                // One exact time: the bucket is the new ready list (the empty list's
                // capacity goes to the bucket).
                std::mem::swap(&mut self.ready, bucket);
                self.base = self.ready[0].0;
                return Some(self.base);
            }
            let mut items = std::mem::take(bucket);
            self.base = items
                .iter()
                .map(|&(t, _)| t)
                .min()
                .expect("occupied bucket");
            // Every time in the bucket agrees with the new base above digit `l`, so each
            // lands in the ready list or a lower level, all empty until now.
            for &(t, e) in &items {
                self.insert(t, e);
            }
            items.clear();
            self.buckets[l * DIGITS + d] = items;
            if !self.ready.is_empty() {
                return Some(self.base);
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
        let time = self.fill_ready()?;
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
        Some((time, event))
    }

    /// The `n`-th event to pop from now on (0: the next one), when that is known without
    /// redistributing a bucket (it is in the ready list or in a one-time bucket); `None`
    /// otherwise. A hint for warming caches only: events scheduled before then may still
    /// come first. Cost O(n + 4).
    pub fn peek_nth(&self, n: usize) -> Option<&E> {
        let ready = self.ready.get(self.head..).unwrap_or_default();
        if let Some((_, e)) = ready.get(n) {
            return Some(e);
        }
        let mut n = n - ready.len();
        if self.levels & 1 == 0 {
            return None;
        }
        for (w, &bits) in self.occupied[0].iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let bucket = &self.buckets[w * 64 + bits.trailing_zeros() as usize];
                if let Some((_, e)) = bucket.get(n) {
                    return Some(e);
                }
                n -= bucket.len();
                bits &= bits - 1;
            }
        }
        None
    }

    /// Due time of the earliest event. Cost O(1), or O(bucket size) when no event is due at
    /// the base time.
    pub fn peek_time(&self) -> Option<SimTime> {
        if self.head < self.ready.len() {
            return Some(SimTime(self.base));
        }
        let (l, d) = self.lowest_bucket()?;
        self.buckets[l * DIGITS + d]
            .iter()
            .map(|&(t, _)| SimTime(t))
            .min()
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
                    for n in 0..3 {
                        if let Some(&e) = q.peek_nth(n) {
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
}
