//! A position BKN lacks or holds differently, queued for delivery from eHRM's side: the copy
//! ehrm-sync already holds (received by webhook, with its SK document) when there is one;
//! else eHRM's row from its read API when the row carries its `riwayat_id` and `version`,
//! written as a `jabatan.upserted` webhook's data and checked by the same rules; else left for
//! a person with the reason.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use ehrm_sync_domain::codes::eselon_to_bkn;
use ehrm_sync_domain::envelope::{EventType, validate_data};
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::reconcile::JabatanFacts;
use ehrm_sync_domain::reconcile::compare::JabatanRepair;
use ehrm_sync_domain::reconcile::normalize;
use ehrm_sync_domain::record::{Change, ChangeAction, Millis, RecordData, SyncRecord};

use super::{RepairError, Repaired, broken_rules};
use crate::clock::jakarta_date;
use crate::ports::{Clock, ControlStore, DeliveryMessage, DeliveryQueue, StoreError, SyncStore};
use crate::unor_map::{UnitMapping, lookup};

/// Where a repaired position is kept and sent.
pub struct JabatanRepairPorts<'a> {
    pub store: &'a Arc<dyn SyncStore>,
    pub queue: &'a Arc<dyn DeliveryQueue>,
    pub clock: &'a Arc<dyn Clock>,
    /// eHRM's unit map ([`crate::unor_map`]).
    pub units: &'a Arc<dyn ControlStore>,
}

const NO_IDENTITY: &str = "riwayat ini belum pernah dikirim eHRM lewat webhook dan baris API baca eHRM tidak memuat riwayat_id/version: minta eHRM mengirim ulang (jabatan.upserted) / eHRM never sent this position by webhook and its read API row carries no riwayat_id/version: ask eHRM to send it again (jabatan.upserted)";

/// eHRM's row as the `data` of its webhook (`None` without its identity).
fn webhook_data(nip: &Nip, row: &JabatanFacts) -> Option<Map<String, Value>> {
    let riwayat_id = row.riwayat_id.as_deref()?;
    row.version?;
    let jenis = row.jenis_jabatan.as_deref().unwrap_or_default();
    let date = |v: &Option<String>| normalize::date(v.as_deref());
    let reference = |kind: &str| (jenis == kind).then(|| row.referensi.clone()).flatten();
    let data = json!({
        "nip": nip.as_str(),
        "riwayat_id": riwayat_id,
        "jenis_jabatan": jenis,
        "unor_id": row.unor,
        "eselon_id": normalize::eselon(row.eselon.as_deref()).and_then(|e| eselon_to_bkn(&e)),
        "jabatan_fungsional_id": reference("fungsional"),
        "jabatan_fungsional_umum_id": reference("pelaksana"),
        "nama_jabatan": row.nama_jabatan,
        "nomor_sk": row.nomor_sk,
        "tanggal_sk": date(&row.tanggal_sk),
        "tmt_jabatan": date(&row.tmt_jabatan),
        "tmt_pelantikan": date(&row.tmt_pelantikan),
        "dokumen_sk": null,
    });
    data.as_object().cloned()
}

/// The record ehrm-sync holds for the position (same TMT), if any.
async fn held(
    store: &dyn SyncStore,
    nip: &Nip,
    tmt: Option<&str>,
) -> Result<Option<SyncRecord>, StoreError> {
    let Some(tmt) = tmt else { return Ok(None) };
    Ok(store.records_for_nip(nip).await?.into_iter().find(|r| {
        !r.deleted && matches!(&r.data, Some(RecordData::Jabatan(d)) if d.tmt_jabatan == tmt)
    }))
}

/// A record from eHRM's row, checked as its webhook would be; the reason when it cannot.
async fn from_row(
    p: &JabatanRepairPorts<'_>,
    nip: &Nip,
    repair: &JabatanRepair,
    now: Millis,
) -> Result<Result<SyncRecord, String>, RepairError> {
    let Some(data) = webhook_data(nip, &repair.row) else {
        return Ok(Err(NO_IDENTITY.into()));
    };
    let (key, action) = match validate_data(EventType::JabatanUpserted, &data, jakarta_date(now)) {
        Ok(done) => done,
        Err(v) => return Ok(Err(broken_rules(&v))),
    };
    let ChangeAction::Upsert(RecordData::Jabatan(mut j)) = action else {
        return Ok(Err(NO_IDENTITY.into()));
    };
    if let Some(unor_id) = j.unor_id.clone() {
        match lookup(p.units.as_ref(), &unor_id).await? {
            UnitMapping::Mapped(id) => j.unor_id_bkn = Some(id),
            UnitMapping::NotLoaded => {}
            other => return Ok(Err(other.refusal(&unor_id).unwrap_or_default())),
        }
    }
    let data = RecordData::Jabatan(j);
    let version = repair.row.version.unwrap_or(1).max(1);
    Ok(Ok(match p.store.record(&key).await? {
        Some(rec) if rec.deleted && rec.received_version >= version => {
            return Ok(Err(
                "dihapus di eHRM lewat webhook, tetapi API baca eHRM masih memuatnya / deleted in eHRM by webhook, yet eHRM's read API still lists it".into(),
            ));
        }
        Some(mut rec) => {
            rec.repair(&data, version, repair.bkn_id.clone(), now);
            rec
        }
        None => {
            let change = Change {
                key,
                version,
                action: ChangeAction::Upsert(data),
                pns_id: None,
            };
            let mut rec = SyncRecord::from_change(&change, now);
            rec.bkn_id = repair.bkn_id.clone();
            rec
        }
    }))
}

/// Queues a position for delivery (the record reopened under compare-and-swap, one message).
pub async fn queue_jabatan(
    p: &JabatanRepairPorts<'_>,
    repair: &JabatanRepair,
) -> Result<Repaired, RepairError> {
    let Ok(nip) = Nip::parse(&repair.nip) else {
        return Ok(Repaired::NotPossible("not a valid NIP".into()));
    };
    let tmt = normalize::date(repair.row.tmt_jabatan.as_deref());
    for _ in 0..5 {
        let now = p.clock.now_ms();
        let mut rec = match held(p.store.as_ref(), &nip, tmt.as_deref()).await? {
            Some(mut rec) => {
                let Some(data) = rec.data.clone() else {
                    return Ok(Repaired::NotPossible(NO_IDENTITY.into()));
                };
                let version = rec.received_version;
                if !rec.repair(&data, version, repair.bkn_id.clone(), now) {
                    // A delivery is already under way.
                    return Ok(Repaired::Queued);
                }
                rec
            }
            None => match from_row(p, &nip, repair, now).await? {
                Ok(rec) => rec,
                Err(why) => return Ok(Repaired::NotPossible(why)),
            },
        };
        rec.last_enqueued_at = Some(now);
        match p.store.put_record(&rec).await {
            Ok(()) => {
                let msg = DeliveryMessage {
                    key: rec.key.clone(),
                    version: rec.received_version,
                };
                p.queue.enqueue(&[msg]).await?;
                return Ok(Repaired::Queued);
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Conflict.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> JabatanFacts {
        JabatanFacts {
            riwayat_id: Some("RJ-1".into()),
            version: Some(2),
            referensi: Some("JFU-9".into()),
            jenis_jabatan: Some("pelaksana".into()),
            nama_jabatan: Some("Pengadministrasi Umum".into()),
            unor: Some("PU.03".into()),
            eselon: Some("\u{2013}".into()),
            nomor_sk: Some("KP.03.01-Mn/12".into()),
            tanggal_sk: Some("2020-01-05".into()),
            tmt_jabatan: Some("15-01-2020".into()),
            ..JabatanFacts::default()
        }
    }

    #[test]
    fn a_row_with_its_identity_becomes_a_webhook_that_validates() {
        let nip = Nip::parse("198507142010011002").expect("valid");
        let data = webhook_data(&nip, &row()).expect("identity");
        let today = time::macros::date!(2026 - 11 - 28);
        let (key, _) = validate_data(EventType::JabatanUpserted, &data, today).expect("valid");
        assert_eq!(key.to_string(), "jabatan/198507142010011002/RJ-1");
        assert_eq!(data["tmt_jabatan"], "2020-01-15");
        assert_eq!(data["jabatan_fungsional_umum_id"], "JFU-9");
        assert_eq!(data["jabatan_fungsional_id"], Value::Null);
        let without = JabatanFacts {
            riwayat_id: None,
            ..row()
        };
        assert!(webhook_data(&nip, &without).is_none());
    }
}
