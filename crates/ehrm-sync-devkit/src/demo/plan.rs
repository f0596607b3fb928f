//! The stream of changes the demo sends: several versions of each record, out of order, deletes,
//! repeats and invalid events, with the end state each record must reach.

use std::collections::HashMap;

use rand::RngExt;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use ehrm_sync_domain::kinerja::{Predikat, Rating};
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::record::RecordKey;
use ehrm_sync_population::{Employee, Kinerja, Population};
use ehrm_sync_webhook::Secret;

use crate::events::{SignedEvent, delete_body, random_secret, upsert_body};

/// What the final state of one record must be.
#[derive(Clone, Debug)]
pub(super) struct Expect {
    pub(super) nip: String,
    pub(super) key: RecordKey,
    pub(super) version: u64,
    /// `None` for a delete; else (hasil, perilaku, predikat).
    pub(super) ratings: Option<(u8, u8, u8)>,
    /// BKN refuses this employee's saves, or does not know the NIP.
    pub(super) refused_at_bkn: bool,
}

pub(super) struct Planned {
    pub(super) event: SignedEvent,
    /// The status this event must get (phase 2 only; phase 1 is all valid).
    pub(super) expected_status: Option<u16>,
    pub(super) label: &'static str,
}

fn ratings(rng: &mut StdRng) -> (u8, u8, u8) {
    let pick = |rng: &mut StdRng| match rng.random_range(0..10) {
        0..2 => Rating::AboveExpectation,
        2..9 => Rating::AsExpected,
        _ => Rating::BelowExpectation,
    };
    let (h, p) = (pick(rng), pick(rng));
    (h.code(), p.code(), Predikat::from_matrix(h, p).code())
}

fn with_ratings(k: &Kinerja, (h, p, q): (u8, u8, u8)) -> Kinerja {
    Kinerja {
        hasil_kinerja: h,
        perilaku_kerja: p,
        predikat: q,
        ..k.clone()
    }
}

fn event(secret: &Secret, body: &Value) -> SignedEvent {
    let id = format!("evt_{:016x}", rand::random::<u64>());
    SignedEvent::sign(secret, &id, body.to_string().into_bytes())
}

/// Builds phase 1 (valid changes, shuffled), phase 2 (repeats and invalid events) and the
/// expected end state of every record.
pub(super) fn plan(
    population: &Population,
    strangers: &Population,
    reject: &HashMap<String, String>,
    secret: &Secret,
    rng: &mut StdRng,
) -> (Vec<Planned>, Vec<Planned>, Vec<Expect>) {
    let mut p = Planner {
        secret,
        rng,
        phase1: Vec::new(),
        phase2: Vec::new(),
        expects: Vec::new(),
    };
    let everyone: Vec<(&Employee, bool)> = population
        .employees
        .iter()
        .map(|e| (e, reject.contains_key(&e.nip)))
        .chain(strangers.employees.iter().map(|e| (e, true)))
        .collect();
    let mut monthly_owner: Option<&Employee> = None;
    for (e, refused) in &everyone {
        let Ok(nip) = ehrm_sync_domain::nip::Nip::parse(&e.nip) else {
            continue;
        };
        let Some(last_year) = e.latest_annual() else {
            continue;
        };
        p.annual_versions(e, &nip, last_year, *refused);
        let kept_monthly = p.rng.random_bool(0.4) && p.monthly(e, &nip, last_year, *refused);
        if kept_monthly && monthly_owner.is_none() && !refused {
            monthly_owner = Some(e);
        }
        if !refused && p.rng.random_bool(0.03) {
            p.old_annual_delete(e, &nip, last_year);
        }
    }
    p.repeats_and_reuse();
    p.invalid_events(&population.employees[0], monthly_owner);
    p.shuffled()
}

/// The plan as it is built.
struct Planner<'a> {
    secret: &'a Secret,
    rng: &'a mut StdRng,
    phase1: Vec<Planned>,
    phase2: Vec<Planned>,
    expects: Vec<Expect>,
}

impl Planner<'_> {
    fn valid(&mut self, body: &Value, label: &'static str) {
        self.phase1.push(Planned {
            event: event(self.secret, body),
            expected_status: None,
            label,
        });
    }

    fn refused(&mut self, event: SignedEvent, status: u16, label: &'static str) {
        self.phase2.push(Planned {
            event,
            expected_status: Some(status),
            label,
        });
    }

    /// Several new versions of last year's annual record, all sent, in random order.
    fn annual_versions(&mut self, e: &Employee, nip: &Nip, last_year: &Kinerja, refused: bool) {
        let versions = self.rng.random_range(1..=3u64);
        let mut latest = None;
        for i in 1..=versions {
            let v = last_year.version + i;
            let r = ratings(self.rng);
            self.valid(&upsert_body(e, &with_ratings(last_year, r), v), "annual");
            latest = Some((v, r));
        }
        if let Some((v, r)) = latest {
            self.expects.push(Expect {
                nip: e.nip.clone(),
                key: RecordKey::Tahunan {
                    nip: nip.clone(),
                    tahun: last_year.tahun,
                },
                version: v,
                ratings: Some(r),
                refused_at_bkn: refused,
            });
        }
    }

    /// A new monthly evaluation for October, sometimes deleted again; `true` if it stays.
    fn monthly(&mut self, e: &Employee, nip: &Nip, last_year: &Kinerja, refused: bool) -> bool {
        let r = ratings(self.rng);
        let k = Kinerja {
            jenis: "periodik".into(),
            periodik: Some("bulanan".into()),
            tahun: last_year.tahun + 1,
            bulan_mulai: Some(10),
            bulan_selesai: Some(10),
            koefisien_id: Some("22".into()),
            version: 1,
            ..with_ratings(last_year, r)
        };
        let versions = self.rng.random_range(1..=2u64);
        for v in 1..=versions {
            self.valid(&upsert_body(e, &k, v), "periodic");
        }
        let deleted = self.rng.random_bool(0.12);
        let final_version = if deleted { versions + 1 } else { versions };
        if deleted {
            self.valid(&delete_body(e, &k, final_version), "delete");
        }
        self.expects.push(Expect {
            nip: e.nip.clone(),
            key: RecordKey::Periodik {
                nip: nip.clone(),
                tahun: k.tahun,
                periodik: ehrm_sync_domain::kinerja::Periodik::Bulanan,
                bulan_mulai: 10,
            },
            version: final_version,
            ratings: (!deleted).then_some(r),
            refused_at_bkn: refused && !deleted,
        });
        !deleted
    }

    /// The annual record of two years ago deleted in eHRM (BKN has no delete for it).
    fn old_annual_delete(&mut self, e: &Employee, nip: &Nip, last_year: &Kinerja) {
        let Some(old) = e
            .kinerja
            .iter()
            .filter(|k| k.jenis == "tahunan")
            .min_by_key(|k| k.tahun)
            .filter(|old| old.tahun != last_year.tahun)
        else {
            return;
        };
        self.valid(&delete_body(e, old, old.version + 1), "annual delete");
        self.expects.push(Expect {
            nip: e.nip.clone(),
            key: RecordKey::Tahunan {
                nip: nip.clone(),
                tahun: old.tahun,
            },
            version: old.version + 1,
            ratings: None,
            refused_at_bkn: false,
        });
    }

    /// Repeats of accepted events (200) and a reused id with another body (409).
    fn repeats_and_reuse(&mut self) {
        let repeats: Vec<SignedEvent> = self
            .phase1
            .iter()
            .filter(|_| self.rng.random_bool(0.03))
            .map(|p| p.event.clone())
            .collect();
        for event in repeats {
            self.refused(event, 200, "repeat");
        }
        if let Some(p) = self.phase1.first() {
            let body = br#"{"type":"kinerja.tahunan.deleted","occurred_at":"2026-11-27T10:15:00Z","version":999,"data":{}}"#.to_vec();
            let re = SignedEvent::sign(self.secret, &p.event.id, body);
            self.refused(re, 409, "id reuse");
        }
    }

    /// Invalid events (400, 401, 413, 422): none may change anything.
    fn invalid_events(&mut self, e: &Employee, monthly_owner: Option<&Employee>) {
        let k = &e.kinerja[0];
        let mut bad_predikat = upsert_body(e, k, 1000);
        bad_predikat["data"]["hasil_kinerja"] = json!(1);
        bad_predikat["data"]["perilaku_kerja"] = json!(1);
        bad_predikat["data"]["predikat"] = json!(3);
        let mut bad_nip = upsert_body(e, k, 1000);
        bad_nip["data"]["nip"] = json!("198502302010011002");
        let mut bad_type = upsert_body(e, k, 1000);
        bad_type["type"] = json!("kinerja.mingguan.upserted");
        for (body, label) in [
            (bad_predikat, "predikat"),
            (bad_nip, "nip"),
            (bad_type, "type"),
        ] {
            self.refused(event(self.secret, &body), 422, label);
        }
        if let Some(owner) = monthly_owner
            && let Some(template) = owner.kinerja.first()
        {
            let q4 = Kinerja {
                jenis: "periodik".into(),
                periodik: Some("triwulan".into()),
                tahun: template.tahun + 2,
                bulan_mulai: Some(10),
                bulan_selesai: Some(12),
                koefisien_id: Some("22".into()),
                ..template.clone()
            };
            self.refused(
                event(self.secret, &upsert_body(owner, &q4, 1)),
                422,
                "overlap",
            );
        }
        self.badly_signed_or_shaped(e, k);
    }

    fn badly_signed_or_shaped(&mut self, e: &Employee, k: &Kinerja) {
        let secret = self.secret;
        let malformed = event(secret, &json!("x")).with_body(b"{\"type\": ".to_vec(), secret);
        self.refused(malformed, 400, "malformed");
        let mut forged = event(secret, &upsert_body(e, k, 1001));
        forged.signature = random_secret().sign(&forged.id, forged.timestamp, &forged.body);
        self.refused(forged, 401, "bad signature");
        let mut stale = event(secret, &upsert_body(e, k, 1002));
        stale.timestamp -= 600;
        stale.signature = secret.sign(&stale.id, stale.timestamp, &stale.body);
        self.refused(stale, 401, "stale timestamp");
        let oversize = event(secret, &json!("x")).with_body(vec![b' '; 300 * 1024], secret);
        self.refused(oversize, 413, "oversize");
    }

    /// Phase 1 shuffled, so versions of one record arrive out of order.
    fn shuffled(mut self) -> (Vec<Planned>, Vec<Planned>, Vec<Expect>) {
        for i in (1..self.phase1.len()).rev() {
            let j = self.rng.random_range(0..=i);
            self.phase1.swap(i, j);
        }
        (self.phase1, self.phase2, self.expects)
    }
}

impl SignedEvent {
    fn with_body(mut self, body: Vec<u8>, secret: &Secret) -> Self {
        self.body = body;
        self.signature = secret.sign(&self.id, self.timestamp, &self.body);
        self
    }
}
