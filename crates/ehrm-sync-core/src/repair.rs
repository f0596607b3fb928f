//! The repairs long runs make themselves: eHRM's performance records and positions
//! (`repair/jabatan.rs`) that BKN lacks (or holds differently) queued for delivery through the normal path — checked by the very rules a
//! webhook meets — for reconciliation and the readiness check; and BKN-authoritative values
//! sent to eHRM as callbacks.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use ehrm_sync_domain::Violation;
use ehrm_sync_domain::envelope::{EventType, validate_data};
use ehrm_sync_domain::kinerja::{Penilai, Periodik};
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::reconcile::compare::KinerjaRepair;
use ehrm_sync_domain::reconcile::{Discrepancy, KinerjaFacts, PenilaiFacts};
use ehrm_sync_domain::record::RecordData;
use ehrm_sync_domain::record::{Change, ChangeAction, RecordKey, SyncRecord};

use crate::callbacks::{BknFinding, CallbackEvent, new_callback};
use crate::clock::{format_ms, jakarta_date};
use crate::ingest::month_overlap;
use crate::ports::{
    CallbackOutbox, Clock, DeliveryMessage, DeliveryQueue, QueueError, StoreError, SyncStore,
};

mod jabatan;

pub use jabatan::{JabatanRepairPorts, queue_jabatan};

#[derive(Debug, thiserror::Error)]
pub enum RepairError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// What became of one repair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Repaired {
    /// Queued for delivery (or already on its way).
    Queued,
    /// Cannot be delivered from what is known (e.g. no appraiser): left for a person.
    NotPossible(String),
}

fn penilai_json(p: &PenilaiFacts) -> Value {
    json!({"nip": p.nip, "nama": p.nama, "jabatan": p.jabatan, "unor_nama": p.unor_nama,
           "golongan_id": p.golongan_id, "status": p.status})
}

fn known_penilai_json(p: &Penilai) -> Value {
    json!({"nip": p.nip, "nama": p.nama, "jabatan": p.jabatan, "unor_nama": p.unor_nama,
           "golongan_id": p.golongan_id, "status": p.status.as_str()})
}

/// eHRM's row written as its webhook's `data` (the appraiser from the row or, when the row has
/// none, from the last change eHRM sent), then checked by the very rules ingest applies: the
/// predikat matrix, month ranges, koefisien ids, the first SKP 2022 year, the appraiser.
fn kinerja_data(
    nip: &Nip,
    k: &KinerjaFacts,
    known: Option<&RecordData>,
    today: time::Date,
) -> Result<RecordData, String> {
    let mut d = Map::new();
    d.insert("nip".into(), json!(nip.as_str()));
    d.insert("tahun".into(), json!(k.tahun));
    let mut put = |key: &str, v: Option<Value>| {
        if let Some(v) = v {
            d.insert(key.into(), v);
        }
    };
    put("hasil_kinerja", k.hasil_kinerja.map(|v| json!(v)));
    put("perilaku_kerja", k.perilaku_kerja.map(|v| json!(v)));
    put("predikat", k.predikat.map(|v| json!(v)));
    put(
        "penilai",
        k.penilai
            .as_ref()
            .map(penilai_json)
            .or_else(|| known.and_then(RecordData::penilai).map(known_penilai_json)),
    );
    let event = if k.jenis == "periodik" {
        put("periodik", k.periodik.as_ref().map(|v| json!(v)));
        put("bulan_mulai", k.bulan_mulai.map(|v| json!(v)));
        put("bulan_selesai", k.bulan_selesai.map(|v| json!(v)));
        let known_koefisien = match known {
            Some(RecordData::Periodik(p)) => Some(p.koefisien_id.clone()),
            _ => None,
        };
        put(
            "koefisien_id",
            k.koefisien_id.clone().or(known_koefisien).map(|v| json!(v)),
        );
        EventType::PeriodikUpserted
    } else {
        EventType::TahunanUpserted
    };
    match validate_data(event, &d, today) {
        Ok((_, ChangeAction::Upsert(data))) => Ok(data),
        Ok((_, ChangeAction::Delete)) => Err("not an upsert".into()),
        Err(violations) => Err(broken_rules(&violations)),
    }
}

/// `rule broken: data.predikat disagrees with …; data.penilai is required`.
fn broken_rules(violations: &[Violation]) -> String {
    let list: Vec<String> = violations
        .iter()
        .map(|v| format!("{} {}", v.field, v.message))
        .collect();
    format!(
        "eHRM's row breaks the rules a webhook must follow, so it was not sent to BKN: {}",
        list.join("; ")
    )
}

/// Queues eHRM's copy of a performance record for delivery: the sync record is (re)opened under
/// compare-and-swap and one message goes to the delivery queue. A record already on its way
/// is left alone; BKN's id (when BKN holds a differing copy) makes the delivery an update, and
/// without it the delivery looks the record up before creating — never a duplicate.
pub async fn queue_kinerja(
    store: &Arc<dyn SyncStore>,
    queue: &Arc<dyn DeliveryQueue>,
    clock: &Arc<dyn Clock>,
    repair: &KinerjaRepair,
) -> Result<Repaired, RepairError> {
    let Ok(nip) = Nip::parse(&repair.nip) else {
        return Ok(Repaired::NotPossible("not a valid NIP".into()));
    };
    let version = repair.record.version.unwrap_or(1).max(1);
    for _ in 0..5 {
        let now = clock.now_ms();
        let Some(key) = key_of(&nip, &repair.record) else {
            return Ok(Repaired::NotPossible(
                "the record's period is incomplete".into(),
            ));
        };
        let existing = store.record(&key).await?;
        let data = match kinerja_data(
            &nip,
            &repair.record,
            existing.as_ref().and_then(|r| r.data.as_ref()),
            jakarta_date(now),
        ) {
            Ok(d) => d,
            Err(why) => return Ok(Repaired::NotPossible(why)),
        };
        // The per-year month guard, as for a webhook: no two evaluations share a month.
        let change = Change {
            key: key.clone(),
            version,
            action: ChangeAction::Upsert(data.clone()),
            pns_id: None,
        };
        if let Some(months) = change.months()
            && let Some(v) = month_overlap(store.as_ref(), &key, months).await?
        {
            return Ok(Repaired::NotPossible(broken_rules(&[v])));
        }
        let mut rec = match existing {
            Some(mut rec) => {
                if !rec.repair(&data, version, repair.bkn_id.clone(), now) {
                    return Ok(Repaired::Queued);
                }
                rec
            }
            None => {
                let mut rec = SyncRecord::from_change(&change, now);
                rec.bkn_id = repair.bkn_id.clone();
                rec
            }
        };
        rec.last_enqueued_at = Some(now);
        match store.put_record(&rec).await {
            Ok(()) => {
                queue
                    .enqueue(&[DeliveryMessage {
                        key: rec.key.clone(),
                        version: rec.received_version,
                    }])
                    .await?;
                return Ok(Repaired::Queued);
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Conflict.into())
}

fn key_of(nip: &Nip, k: &KinerjaFacts) -> Option<RecordKey> {
    if k.jenis != "periodik" {
        return Some(RecordKey::Tahunan {
            nip: nip.clone(),
            tahun: k.tahun,
        });
    }
    Some(RecordKey::Periodik {
        nip: nip.clone(),
        tahun: k.tahun,
        periodik: Periodik::parse(k.periodik.as_deref()?)?,
        bulan_mulai: k.bulan_mulai?,
    })
}

/// Sends a BKN-authoritative difference to eHRM. The callback's id is derived from the
/// employee, field and BKN's value, so the same finding in the next run is not sent twice.
pub async fn send_to_ehrm(
    outbox: &Arc<dyn CallbackOutbox>,
    clock: &Arc<dyn Clock>,
    run_id: &str,
    row: &Discrepancy,
) -> Result<(), StoreError> {
    let identity = format!(
        "{}|{}|{}",
        row.nip.as_deref().unwrap_or(""),
        row.field.as_deref().unwrap_or(""),
        row.bkn_value.as_deref().unwrap_or("")
    );
    let event = CallbackEvent::BknAuthoritative {
        occurred_at: format_ms(clock.now_ms()),
        data: BknFinding {
            run_id: run_id.to_string(),
            data_set: row.data_set,
            nip: row.nip.clone(),
            field: row.field.clone(),
            ehrm_value: row.ehrm_value.clone(),
            bkn_value: row.bkn_value.clone(),
            authority: row.authority,
        },
    };
    let cb = new_callback(&event, &identity, clock.now_ms());
    match outbox.add_callback(&cb).await {
        Ok(()) | Err(StoreError::Conflict) => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(tahun: i32, hasil: u8, perilaku: u8, predikat: u8) -> KinerjaFacts {
        KinerjaFacts {
            tahun,
            jenis: "tahunan".into(),
            hasil_kinerja: Some(hasil),
            perilaku_kerja: Some(perilaku),
            predikat: Some(predikat),
            penilai: Some(PenilaiFacts {
                nip: "197001011995031001".into(),
                nama: "PENILAI".into(),
                jabatan: "Kepala".into(),
                unor_nama: "Biro".into(),
                golongan_id: "41".into(),
                status: "ASN".into(),
            }),
            ..KinerjaFacts::default()
        }
    }

    fn today() -> time::Date {
        time::macros::date!(2026 - 12 - 01)
    }

    #[test]
    fn repairs_go_through_the_webhook_rules() {
        let nip = Nip::parse("198507142010011002").expect("nip");
        assert!(kinerja_data(&nip, &row(2025, 2, 2, 2), None, today()).is_ok());
        let matrix = kinerja_data(&nip, &row(2025, 1, 1, 3), None, today()).expect_err("matrix");
        assert!(matrix.contains("data.predikat"), "{matrix}");
        let floor = kinerja_data(&nip, &row(2019, 2, 2, 2), None, today()).expect_err("floor");
        assert!(floor.contains("data.tahun"), "{floor}");
        let mut quarter = row(2025, 2, 2, 2);
        quarter.jenis = "periodik".into();
        quarter.periodik = Some("triwulan".into());
        (quarter.bulan_mulai, quarter.bulan_selesai) = (Some(2), Some(4));
        quarter.koefisien_id = Some("12".into());
        let months = kinerja_data(&nip, &quarter, None, today()).expect_err("months");
        assert!(months.contains("data.bulan"), "{months}");
        quarter.bulan_mulai = Some(4);
        quarter.bulan_selesai = Some(6);
        quarter.koefisien_id = Some("99".into());
        let koef = kinerja_data(&nip, &quarter, None, today()).expect_err("koefisien");
        assert!(koef.contains("data.koefisien_id"), "{koef}");
    }
}
