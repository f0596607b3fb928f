use super::*;

const T0: Millis = 1_000_000;

fn policy() -> RatePolicy {
    RatePolicy {
        ceiling: 20.0,
        floor: 1.0,
        margin_ms: 0,
    }
}

#[test]
fn intervals_leave_a_margin() {
    assert_eq!(interval_ms(1.0, 0), 1000);
    assert_eq!(interval_ms(2.0, 50), 525);
    assert_eq!(interval_ms(0.5, 50), 2100);
    assert!(interval_ms(0.0, 0) > 1_000_000_000);
}

#[test]
fn slots_are_spaced_at_the_rate_and_holds_push_them_back() {
    let p = RatePolicy::fixed(10.0, 0);
    let (st, a) = p.reserve(None, T0);
    let (st, b) = p.reserve(Some(st), T0);
    assert_eq!((a, b), (T0, T0 + 100));
    let st = hold(&p, Some(st), T0 + 5_000);
    let (_, c) = p.reserve(Some(st), T0 + 200);
    assert_eq!(c, T0 + 5_000);
}

#[test]
fn a_fixed_rate_never_moves() {
    let p = RatePolicy::fixed(10.0, 0);
    let (st, _) = p.reserve(None, T0);
    let st = p.throttled(Some(st), T0 + 10, Some(T0), T0 + 10);
    assert_eq!(p.rate_of(&st), 10.0);
    assert!(st.changes.is_empty());
}

#[test]
fn the_first_429_halves_the_rate_and_later_ones_cut_15_percent() {
    let p = policy();
    let (st, slot) = p.reserve(None, T0);
    let st = p.throttled(Some(st), T0 + 50, Some(slot), T0 + 50);
    assert_eq!(st.rate, 10.0);
    assert_eq!(st.limit_seen, Some(20.0));
    let (st, slot) = p.reserve(Some(st), T0 + 100);
    let st = p.throttled(Some(st), T0 + 150, Some(slot), T0 + 150);
    // 10 grown by one call's share (1 call/s per second of calls ÷ 10 calls/s), cut by 15 %.
    assert!((st.rate - 10.1 * 0.85).abs() < 0.01, "{}", st.rate);
    assert_eq!(st.changes.len(), 2);
    assert_eq!(st.changes[1].why, "429");
}

#[test]
fn a_429_of_a_call_reserved_before_the_cut_is_not_counted_again() {
    let p = policy();
    let (st, early) = p.reserve(None, T0);
    let (st, _) = p.reserve(Some(st), T0);
    // Reserved ahead before the cut: its slot lies after the cut, yet it ran at the old rate.
    let (st, ahead) = p.reserve(Some(st), T0);
    assert!(ahead > T0 + 60);
    let st = p.throttled(Some(st), T0 + 60, Some(T0 + 50), T0 + 60);
    let st = p.throttled(Some(st), T0 + 70, Some(early), T0 + 70);
    let st = p.throttled(Some(st), T0 + 80, Some(ahead), T0 + 80);
    assert_eq!(st.rate, 10.0);
    // A token request's 429 (slot unknown) within the episode: also the same episode.
    let st = p.throttled(Some(st), T0 + 500, None, T0 + 500);
    assert_eq!(st.rate, 10.0);
    let st = p.throttled(Some(st), T0 + 1_100, None, T0 + 1_100);
    assert!(st.rate < 10.0);
}

#[test]
fn the_rate_never_goes_below_the_floor() {
    let p = policy();
    let mut st = p.reserve(None, T0).0;
    for i in 1..40 {
        let now = T0 + i * 1_100;
        st = p.throttled(Some(st), now, None, now);
    }
    assert_eq!(st.rate, 1.0);
    assert!(st.changes.len() <= CHANGES_KEPT);
}

/// Reserves back to back (each call at its slot) for `secs` seconds of calls.
fn flow(p: &RatePolicy, mut st: GateState, secs: f64) -> GateState {
    let until = st.next_at + (secs * 1000.0) as i64;
    while st.next_at < until {
        let now = st.next_at;
        st = p.reserve(Some(st), now).0;
    }
    st
}

#[test]
fn calls_without_429_raise_the_rate_fast_then_slowly_near_the_last_limit() {
    let p = policy();
    let (st, slot) = p.reserve(None, T0);
    let st = p.throttled(Some(st), T0, Some(slot), T0); // 20 → 10, limit 20
    // Fast growth: 1 call/s per second of calls (5 % of the ceiling) up to 90 % of 20.
    let st = flow(&p, st, 4.0);
    assert!((st.rate - 14.0).abs() < 0.3, "{}", st.rate);
    let st = flow(&p, st, 4.0);
    assert!(st.rate >= 18.0, "{}", st.rate);
    // Slow growth: 0.03 calls/s per second (0.15 % of 20).
    let at = st.rate;
    let st = flow(&p, st, 10.0);
    let per_sec = (st.rate - at) / 10.0;
    assert!((0.02..0.05).contains(&per_sec), "{per_sec}");
}

#[test]
fn idle_time_and_holds_do_not_raise_the_rate() {
    let p = policy();
    let (st, slot) = p.reserve(None, T0);
    let st = p.throttled(Some(st), T0, Some(slot), T0 + 5_000);
    let (st, _) = p.reserve(Some(st), T0 + 3_600_000);
    assert!(st.rate <= 10.0 + 0.2, "{}", st.rate);
}

#[test]
fn recovering_to_the_ceiling_is_recorded_once() {
    let p = policy();
    let (st, slot) = p.reserve(None, T0);
    let mut st = p.throttled(Some(st), T0, Some(slot), T0);
    st.limit_seen = None; // as if BKN's limit had risen
    let st = flow(&p, st, 30.0);
    assert_eq!(st.rate, 20.0);
    let ceilings = st.changes.iter().filter(|c| c.why == "ceiling").count();
    assert_eq!(ceilings, 1);
}

/// A closed loop against a BKN that answers 429 above a hidden 7 calls/s (sliding one-second
/// window): the rate settles near the limit with few 429s.
#[test]
fn against_a_hidden_limit_the_rate_settles_near_it() {
    let p = policy();
    let mut st: Option<GateState> = None;
    let mut now = T0;
    let mut sent: std::collections::VecDeque<Millis> = Default::default();
    let (mut calls, mut throttled) = (0u32, 0u32);
    let mut late_calls = 0u32;
    while now < T0 + 300_000 {
        let (s, slot) = p.reserve(st, now);
        now = slot;
        while sent.front().is_some_and(|t| now - t >= 1000) {
            sent.pop_front();
        }
        calls += 1;
        if now >= T0 + 120_000 {
            late_calls += 1;
        }
        if sent.len() >= 7 {
            throttled += 1;
            st = Some(p.throttled(Some(s), now, Some(slot), now + 1_000));
        } else {
            st = Some(s);
        }
        sent.push_back(now);
    }
    let rate_late = f64::from(late_calls) / 180.0;
    assert!(rate_late >= 6.3, "sustained {rate_late:.2} calls/s");
    assert!(
        f64::from(throttled) / f64::from(calls) < 0.01,
        "{throttled} of {calls}"
    );
}
