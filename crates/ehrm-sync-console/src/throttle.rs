//! Login throttling that an attacker can neither outrun nor turn against real users
//! (`docs/console.md`, "Sign-in throttling").
//!
//! Every attempt is counted **before** its password is checked, with compare-and-swap on three
//! counters in the shared control store: the (name, address) pair, the name from any address, the
//! address for any name. Concurrent guesses therefore cannot pass the limit between a check and
//! its count. The attempt is refused without checking the password when
//!
//! * its pair has used [`PAIR_LIMIT`] attempts in the window;
//! * its name has used [`NAME_LIMIT`] from all addresses **and** this address already failed for
//!   it — so a guesser elsewhere cannot lock the real user out of a fresh address;
//! * its address has used [`ADDRESS_LIMIT`] **and** the name has not signed in from this address
//!   in the last [`KNOWN_FOR_MS`] — so names sprayed from one address are stopped, while the
//!   people who work behind the same reverse proxy still get in.
//!
//! A successful sign-in gives its attempt back (the pair is cleared). Refusals are audited once
//! per counter and window, when the limit is crossed, so a flood cannot bury real entries.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use ehrm_sync_core::ports::{ControlStore, StoreError};
use ehrm_sync_domain::record::Millis;

/// Attempts per (name, address) pair within the window.
pub const PAIR_LIMIT: u32 = 5;
/// Attempts per name from all addresses (applies to addresses that failed for it).
pub const NAME_LIMIT: u32 = 20;
/// Attempts per address for all names (applies to names not known at that address).
pub const ADDRESS_LIMIT: u32 = 20;
pub const WINDOW_MS: Millis = 15 * 60 * 1000;
/// A name that signed in from an address is known there this long.
pub const KNOWN_FOR_MS: Millis = 30 * 24 * 3600 * 1000;
/// Compare-and-swap rounds before an attempt is refused as if throttled (fail closed).
const CAS_ROUNDS: usize = 64;

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
struct Counter {
    count: u32,
    since: Millis,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
struct Known {
    at: Millis,
}

fn digest(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The three counters of one attempt, in the order pair, name, address.
fn counter_names(user: &str, address: &str) -> [String; 3] {
    [
        format!("console.throttle.pair.{}", digest(&[user, address])),
        format!("console.throttle.user.{}", digest(&[user])),
        format!("console.throttle.addr.{}", digest(&[address])),
    ]
}

fn known_name(user: &str, address: &str) -> String {
    format!("console.known.{}", digest(&[user, address]))
}

/// What to do with a sign-in attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// Check the password; on success call [`signed_in`].
    Check,
    /// Refused without checking: try again at `until`. `crossed`: this attempt crossed a limit
    /// (audit it); later refusals in the same window are not audited one by one.
    Refused { until: Millis, crossed: bool },
}

/// Counts the attempt, then decides (see the module's rules).
pub async fn admit(
    controls: &dyn ControlStore,
    user: &str,
    address: &str,
    now: Millis,
) -> Result<Admission, StoreError> {
    let [pair, name, addr] = counter_names(user, address);
    let Some(p) = bump(controls, &pair, now, 1).await? else {
        return Ok(refused_busy(now));
    };
    let Some(n) = bump(controls, &name, now, 1).await? else {
        return Ok(refused_busy(now));
    };
    let Some(a) = bump(controls, &addr, now, 1).await? else {
        return Ok(refused_busy(now));
    };
    let known = match controls.control(&known_name(user, address)).await? {
        Some(c) => {
            serde_json::from_value::<Known>(c.value).is_ok_and(|k| now - k.at <= KNOWN_FOR_MS)
        }
        None => false,
    };
    let until = |c: Counter| c.since + WINDOW_MS;
    let mut refusals = Vec::new();
    if p.count > PAIR_LIMIT {
        refusals.push((until(p), p.count == PAIR_LIMIT + 1));
    }
    if n.count > NAME_LIMIT && p.count > 1 {
        refusals.push((until(n), n.count == NAME_LIMIT + 1 || p.count == 2));
    }
    if a.count > ADDRESS_LIMIT && !known {
        refusals.push((until(a), a.count == ADDRESS_LIMIT + 1));
    }
    Ok(match refusals.iter().map(|(u, _)| *u).max() {
        Some(until) => Admission::Refused {
            until,
            crossed: refusals.iter().any(|(_, c)| *c),
        },
        None => Admission::Check,
    })
}

/// Too much contention to count the attempt: refused for a minute, not audited.
fn refused_busy(now: Millis) -> Admission {
    Admission::Refused {
        until: now + 60_000,
        crossed: false,
    }
}

/// The password was right: the attempt is given back, and the name is known at the address.
pub async fn signed_in(
    controls: &dyn ControlStore,
    user: &str,
    address: &str,
    now: Millis,
) -> Result<(), StoreError> {
    let [pair, name, addr] = counter_names(user, address);
    reset(controls, &pair).await?;
    bump(controls, &name, now, -1).await?;
    bump(controls, &addr, now, -1).await?;
    let value =
        serde_json::to_value(Known { at: now }).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let name = known_name(user, address);
    let revision = controls.control(&name).await?.map_or(0, |c| c.revision);
    match controls.put_control(&name, &value, revision).await {
        // Another sign-in of the same pair wrote it at the same moment.
        Ok(()) | Err(StoreError::Conflict) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Adds `by` to a counter under compare-and-swap, starting a new window when the last one
/// ended; `None` when the store stayed contended for every round.
async fn bump(
    controls: &dyn ControlStore,
    name: &str,
    now: Millis,
    by: i64,
) -> Result<Option<Counter>, StoreError> {
    for _ in 0..CAS_ROUNDS {
        let (mut c, revision) = match controls.control(name).await? {
            Some(c) => (
                serde_json::from_value::<Counter>(c.value).unwrap_or_default(),
                c.revision,
            ),
            None => (Counter::default(), 0),
        };
        if now - c.since > WINDOW_MS {
            if by < 0 {
                return Ok(Some(c));
            }
            c = Counter {
                count: 0,
                since: now,
            };
        }
        c.count = (i64::from(c.count) + by).clamp(0, i64::from(u32::MAX)) as u32;
        let value = serde_json::to_value(c).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        match controls.put_control(name, &value, revision).await {
            Ok(()) => return Ok(Some(c)),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

async fn reset(controls: &dyn ControlStore, name: &str) -> Result<(), StoreError> {
    for _ in 0..CAS_ROUNDS {
        let Some(c) = controls.control(name).await? else {
            return Ok(());
        };
        let value = serde_json::to_value(Counter::default())
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        match controls.put_control(name, &value, c.revision).await {
            Err(StoreError::Conflict) => continue,
            other => return other,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
