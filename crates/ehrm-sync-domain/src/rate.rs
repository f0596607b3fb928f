//! The BKN call rate as a pure policy: the schedule every worker and process shares (one
//! [`GateState`], kept by the store behind core's `RateGate` port) and how it adapts to what BKN
//! accepts. The store changes the state atomically with these functions.
//!
//! Each call reserves its own slot, at least one interval after the previous slot, then sleeps
//! until it. The interval carries a small margin (`BKN_RATE_MARGIN_MS`, spread over a second's
//! worth of calls) so that scheduling jitter between reservation and the request reaching BKN
//! cannot squeeze more than the rate into any one-second window.
//!
//! BKN publishes no limit, and its gateway may throttle below what we were told. So
//! `BKN_RATE_PER_SEC` is a ceiling, and the rate in use moves (AIMD, as TCP does with a
//! window), in the one state every process shares ([`GateState`]):
//! * a `429` for a call sent at the current rate cuts it multiplicatively — by half the first
//!   time (nothing is known yet), by 15 % once a limit has been seen — never below
//!   `BKN_RATE_MIN_PER_SEC`. `429`s of calls reserved before the last cut — also those whose
//!   slot lies after it: workers reserve ahead — were sent at the old rate and are not counted
//!   again;
//! * calls flowing without `429` raise it additively: quickly (5 % of the ceiling per second of
//!   calls) while it is well below the rate BKN last throttled at, then slowly (0.15 % of that
//!   rate per second of calls) near and past it, probing whether BKN's limit has risen. Growth
//!   is counted per call (each call adds its share of a second), so idle time and the waits
//!   BKN's `Retry-After` imposes raise nothing.
//!
//! Near a limit the rate saws between 85 % and 100 % of it, spending most of the time near the
//! top, with one `429` episode per minute or so.

use serde::{Deserialize, Serialize};

use crate::record::Millis;

/// Spacing between calls for a rate, with the jitter margin.
pub fn interval_ms(rate_per_sec: f64, margin_ms: i64) -> i64 {
    if rate_per_sec <= 0.0 || !rate_per_sec.is_finite() {
        return i64::MAX / 4;
    }
    ((1000.0 + margin_ms.max(0) as f64) / rate_per_sec).ceil() as i64
}

/// What the first `429` leaves of the rate, when no limit is known.
const FIRST_CUT: f64 = 0.5;
/// What a later `429` leaves.
const CUT: f64 = 0.85;
/// Fast growth until this share of the rate BKN last throttled at.
const FAST_UNTIL: f64 = 0.9;
/// Fast growth per second, as a share of the ceiling.
const FAST_GROWTH: f64 = 0.05;
/// Slow growth per second, as a share of the rate BKN last throttled at.
const SLOW_GROWTH: f64 = 0.0015;
/// Beyond this share of the last limit without a `429`, BKN's limit has risen: forget it.
const LIMIT_OUTGROWN: f64 = 1.15;
/// A `429` whose slot is unknown (a token request) within this long of a cut is the same episode.
const EPISODE_MS: i64 = 1_000;
/// Changes of the rate kept for `ehrm-sync status` and the console.
pub const CHANGES_KEPT: usize = 20;

/// The shared schedule of BKN calls and its adaptive rate, as the store keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GateState {
    /// The earliest start of the next call.
    pub next_at: Millis,
    /// Calls per second now, between the floor and the ceiling.
    pub rate: f64,
    /// The bounds in force at the last change (`BKN_RATE_PER_SEC`, `BKN_RATE_MIN_PER_SEC`).
    pub ceiling: f64,
    pub floor: f64,
    /// The rate BKN last throttled at, while it is the best guess of its limit.
    pub limit_seen: Option<f64>,
    /// When the rate was last cut.
    pub cut_at: Millis,
    /// The first slot handed out after the last cut: calls in earlier slots were reserved at
    /// the old rate (slots are handed out in order, some ahead of time).
    #[serde(default)]
    pub cut_slot: Millis,
    /// The last cuts and recoveries, oldest first.
    pub changes: Vec<RateChange>,
}

/// One change of the rate worth showing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateChange {
    pub at: Millis,
    pub from: f64,
    pub to: f64,
    /// `429` (BKN throttled) or `ceiling` (recovered to `BKN_RATE_PER_SEC`).
    pub why: String,
}

/// The configured bounds of the rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RatePolicy {
    /// `BKN_RATE_PER_SEC`.
    pub ceiling: f64,
    /// `BKN_RATE_MIN_PER_SEC`.
    pub floor: f64,
    /// `BKN_RATE_MARGIN_MS`.
    pub margin_ms: i64,
}

impl RatePolicy {
    /// A fixed rate (floor = ceiling): the gate never adapts.
    pub fn fixed(rate: f64, margin_ms: i64) -> Self {
        RatePolicy {
            ceiling: rate,
            floor: rate,
            margin_ms,
        }
    }

    fn start(&self, now: Millis) -> GateState {
        GateState {
            next_at: now,
            rate: self.ceiling,
            ceiling: self.ceiling,
            floor: self.floor,
            limit_seen: None,
            cut_at: i64::MIN / 2,
            cut_slot: i64::MIN / 2,
            changes: Vec::new(),
        }
    }

    fn bounded(&self, rate: f64) -> f64 {
        rate.min(self.ceiling).max(self.floor.min(self.ceiling))
    }

    /// The rate of a stored state under this policy (the bounds may have been reconfigured).
    pub fn rate_of(&self, state: &GateState) -> f64 {
        self.bounded(state.rate)
    }

    /// The stored state under this policy's bounds (they may have been reconfigured).
    fn current(&self, state: Option<GateState>, now: Millis) -> GateState {
        let mut st = state.unwrap_or_else(|| self.start(now));
        st.rate = self.bounded(st.rate);
        st.ceiling = self.ceiling;
        st.floor = self.floor;
        st
    }

    /// Takes the next slot: returns the new state and the slot's time.
    pub fn reserve(&self, state: Option<GateState>, now: Millis) -> (GateState, Millis) {
        let mut st = self.current(state, now);
        let before = st.rate;
        let per_sec = match st.limit_seen {
            Some(limit) if before >= FAST_UNTIL * limit => SLOW_GROWTH * limit,
            _ => FAST_GROWTH * self.ceiling,
        };
        // One call is 1 / rate seconds of calls.
        st.rate = self.bounded(before + per_sec / before.max(f64::MIN_POSITIVE));
        if st
            .limit_seen
            .is_some_and(|limit| st.rate > LIMIT_OUTGROWN * limit)
        {
            st.limit_seen = None;
        }
        if st.rate >= self.ceiling && before < self.ceiling {
            let to = st.rate;
            push_change(&mut st, now, before, to, "ceiling");
        }
        let slot = st.next_at.max(now);
        st.next_at = slot + interval_ms(st.rate, self.margin_ms);
        (st, slot)
    }

    /// BKN answered `429` to the call in `slot` (`None`: a slot not known, e.g. a token
    /// request); no call starts before `hold_until` (its `Retry-After`).
    pub fn throttled(
        &self,
        state: Option<GateState>,
        now: Millis,
        slot: Option<Millis>,
        hold_until: Millis,
    ) -> GateState {
        let mut st = self.current(state, now);
        st.next_at = st.next_at.max(hold_until);
        let sent_at_current_rate = match slot {
            Some(slot) => slot >= st.cut_slot,
            None => now - st.cut_at >= EPISODE_MS,
        };
        let from = self.bounded(st.rate);
        if sent_at_current_rate && from > self.floor {
            let factor = if st.limit_seen.is_some() {
                CUT
            } else {
                FIRST_CUT
            };
            st.limit_seen = Some(from);
            st.rate = self.bounded(from * factor);
            st.cut_at = now;
            st.cut_slot = st.next_at;
            let to = st.rate;
            push_change(&mut st, now, from, to, "429");
        }
        st
    }
}

fn push_change(st: &mut GateState, at: Millis, from: f64, to: f64, why: &str) {
    st.changes.push(RateChange {
        at,
        from,
        to,
        why: why.into(),
    });
    if st.changes.len() > CHANGES_KEPT {
        let extra = st.changes.len() - CHANGES_KEPT;
        st.changes.drain(..extra);
    }
}

/// Pushes every future slot to `until` or later (BKN asked everyone to wait).
pub fn hold(policy: &RatePolicy, state: Option<GateState>, until: Millis) -> GateState {
    let mut st = policy.current(state, until);
    st.next_at = st.next_at.max(until);
    st
}

#[cfg(test)]
mod tests;
