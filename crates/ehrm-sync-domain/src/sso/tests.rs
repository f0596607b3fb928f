use base64::Engine;

use super::*;

fn jwt(claims: serde_json::Value) -> String {
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    format!(
        "{}.{}.{}",
        b64(br#"{"alg":"RS256","typ":"JWT"}"#),
        b64(claims.to_string().as_bytes()),
        b64(b"signature")
    )
}

#[test]
fn a_keycloak_access_token_tells_its_expiry_and_subject() {
    let t = jwt(serde_json::json!({
        "exp": 1_796_000_000, "iat": 1_795_996_400, "typ": "Bearer",
        "preferred_username": "199001012015031001", "azp": "kementerianpuws"
    }));
    let facts = read_jwt(&t).expect("a JWT");
    assert_eq!(facts.expires_at, Some(1_796_000_000_000));
    assert_eq!(facts.issued_at, Some(1_795_996_400_000));
    assert_eq!(facts.subject_nip().as_deref(), Some("199001012015031001"));
    assert!(!facts.is_refresh());
    let r = jwt(serde_json::json!({"exp": 1_796_000_000, "typ": "Refresh"}));
    assert!(read_jwt(&r).expect("a JWT").is_refresh());
}

#[test]
fn anything_else_is_not_read_as_a_jwt() {
    for t in [
        "",
        "sim.0123",
        "a.b",
        "a.b.c.d",
        "x.!!!.y",
        &format!("h.{}.s", "e30x"),
    ] {
        assert_eq!(read_jwt(t), None, "{t}");
    }
    // A JWT without claims we know is still a JWT, knowing nothing.
    let t = jwt(serde_json::json!({"preferred_username": "operator"}));
    let facts = read_jwt(&t).expect("a JWT");
    assert_eq!(facts.expires_at, None);
    assert_eq!(facts.subject_nip(), None);
}

fn status(kind: SsoKind, access: Option<Millis>, session: Option<Millis>) -> SsoStatus {
    SsoStatus {
        kind: Some(kind),
        access_expires_at: access,
        session_expires_at: session,
        ..SsoStatus::default()
    }
}

#[test]
fn a_pasted_token_warns_two_hours_before_it_ends_and_waits_after() {
    let hour = 3_600_000;
    let s = status(SsoKind::AccessToken, Some(10 * hour), None);
    assert_eq!(
        s.standing(7 * hour),
        Standing::Usable {
            ends_at: Some(10 * hour)
        }
    );
    assert_eq!(
        s.standing(8 * hour),
        Standing::Ending { ends_at: 10 * hour }
    );
    assert_eq!(s.seconds_left(9 * hour), Some(3600));
    assert_eq!(
        s.standing(10 * hour),
        Standing::Waiting {
            reason: WaitReason::Expired
        }
    );
    assert_eq!(s.seconds_left(11 * hour), Some(0));
}

#[test]
fn a_refresh_token_ends_with_its_session_and_a_password_login_never_warns() {
    let hour = 3_600_000;
    let mut s = status(SsoKind::RefreshToken, Some(hour), Some(5 * hour));
    s.refresh_life_ms = Some(6 * hour);
    // Its idle limit is no end: it is renewed before, from a third of its life left.
    assert_eq!(s.ends_at(), None);
    assert!(!s.refresh_due(2 * hour), "four hours left of six");
    assert!(s.refresh_due(3 * hour + 1), "less than a third left");
    assert_eq!(
        s.standing(5 * hour + 1),
        Standing::Waiting {
            reason: WaitReason::SessionEnded
        },
        "a refresh token past its end is gone, capped or not"
    );
    // A renewal capped by the session's end: that end is known, warned of, never renewed.
    s.session_capped = true;
    assert_eq!(s.ends_at(), Some(5 * hour));
    assert!(
        !s.refresh_due(4 * hour + 59 * 60_000),
        "no renewal moves it"
    );
    assert_eq!(s.standing(4 * hour), Standing::Ending { ends_at: 5 * hour });
    assert_eq!(
        s.standing(5 * hour + 1),
        Standing::Waiting {
            reason: WaitReason::SessionEnded
        }
    );
    let p = status(SsoKind::Password, Some(hour), None);
    assert_eq!(p.standing(2 * hour), Standing::Usable { ends_at: None });
    assert_eq!(p.seconds_left(2 * hour), None);
    assert_eq!(SsoStatus::default().standing(0), Standing::Unknown);
}

#[test]
fn waiting_is_said_whatever_the_expiry() {
    let mut s = status(SsoKind::Password, None, None);
    s.waiting = Some(Waiting {
        reason: WaitReason::AccountLocked,
        since: 0,
        detail: Some("Account disabled".into()),
    });
    assert_eq!(
        s.standing(1),
        Standing::Waiting {
            reason: WaitReason::AccountLocked
        }
    );
    assert!(WaitReason::AccountLocked.refuses_password());
    assert!(!WaitReason::Expired.refuses_password());
}

#[test]
fn durations_read_as_people_say_them() {
    let min = 60_000;
    assert_eq!(duration_words_id(80 * min), "1 jam 20 menit");
    assert_eq!(duration_words_id(30_000), "kurang dari 1 menit");
    assert_eq!(duration_words_id(26 * 60 * min + 5 * min), "1 hari 2 jam");
    assert_eq!(duration_words_en(45 * min), "45 min");
    assert_eq!(duration_words_id(-5), "kurang dari 1 menit");
}
