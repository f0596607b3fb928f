//! Fuzzes the webhook path before any I/O: signature verification on arbitrary headers and raw
//! bytes, then envelope parsing and validation. Nothing may panic; a body signed with the right
//! key must verify; a verified-then-valid event must round-trip its key through its string form.

#![no_main]

use libfuzzer_sys::fuzz_target;

use ehrm_sync_domain::envelope::{EnvelopeError, parse_event};
use ehrm_sync_webhook::{Secret, SignedHeaders, Verifier};

const NOW: i64 = 1_795_800_000;

fuzz_target!(|data: &[u8]| {
    // Layout: three header fields separated by 0x00, then the body.
    let mut parts = data.splitn(4, |b| *b == 0);
    let id = parts.next().and_then(|p| std::str::from_utf8(p).ok());
    let ts = parts.next().and_then(|p| std::str::from_utf8(p).ok());
    let sig = parts.next().and_then(|p| std::str::from_utf8(p).ok());
    let body = parts.next().unwrap_or(&[]);

    let secret = Secret::from_bytes(b"fuzzing-key-0123456789abcdef".to_vec());
    let verifier = Verifier::new(vec![secret.clone()]);
    let _ = verifier.verify(SignedHeaders { id, timestamp: ts, signature: sig }, body, NOW);

    // Anything we sign ourselves verifies.
    let id = id.filter(|s| !s.is_empty()).unwrap_or("evt_fuzz");
    let good = secret.sign(id, NOW, body);
    let now = NOW.to_string();
    assert!(verifier.verify(SignedHeaders { id: Some(id), timestamp: Some(&now), signature: Some(&good) }, body, NOW).is_ok());

    let today = time::Date::from_calendar_date(2026, time::Month::November, 28).unwrap_or(time::Date::MIN);
    match parse_event(body, today) {
        Ok(event) => {
            let key = event.change.key.to_string();
            assert_eq!(key.parse::<ehrm_sync_domain::record::RecordKey>().ok(), Some(event.change.key));
        }
        Err(EnvelopeError::Invalid(v)) => assert!(!v.is_empty()),
        Err(EnvelopeError::Malformed(_)) => {}
    }
});
