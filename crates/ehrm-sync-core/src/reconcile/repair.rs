//! The two repairs reconciliation makes itself: performance records queued for delivery through
//! the normal path, and BKN-authoritative values sent to eHRM as callbacks.

use std::sync::Arc;

use ehrm_sync_domain::kinerja::{
    AnnualKinerja, KinerjaData, Penilai, PenilaiStatus, PeriodicKinerja, Periodik, Predikat, Rating,
};
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::reconcile::compare::KinerjaRepair;
use ehrm_sync_domain::reconcile::{Discrepancy, KinerjaFacts, PenilaiFacts};
use ehrm_sync_domain::record::{Change, ChangeAction, RecordKey, SyncRecord};

use crate::callbacks::{BknFinding, CallbackEvent, new_callback};
use crate::clock::format_ms;
use crate::ports::{
    CallbackOutbox, Clock, DeliveryMessage, DeliveryQueue, QueueError, StoreError, SyncStore,
};

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

fn penilai(p: &PenilaiFacts) -> Penilai {
    Penilai {
        nip: p.nip.clone(),
        nama: p.nama.clone(),
        jabatan: p.jabatan.clone(),
        unor_nama: p.unor_nama.clone(),
        golongan_id: p.golongan_id.clone(),
        status: if p.status.eq_ignore_ascii_case("NON ASN") {
            PenilaiStatus::NonAsn
        } else {
            PenilaiStatus::Asn
        },
    }
}

/// eHRM's record as the data a delivery sends, the appraiser taken from eHRM's row or, when
/// the row has none, from the last change eHRM sent.
fn kinerja_data(
    nip: &Nip,
    k: &KinerjaFacts,
    known: Option<&KinerjaData>,
) -> Result<KinerjaData, String> {
    let rating = |v: Option<u8>, what: &str| {
        v.and_then(Rating::from_code)
            .ok_or_else(|| format!("{what} is missing or not 1–3"))
    };
    let hasil_kinerja = rating(k.hasil_kinerja, "hasil_kinerja")?;
    let perilaku_kerja = rating(k.perilaku_kerja, "perilaku_kerja")?;
    let predikat = k
        .predikat
        .and_then(Predikat::from_code)
        .ok_or("predikat is missing or not 1–5")?;
    let penilai = match (&k.penilai, known) {
        (Some(p), _) => penilai(p),
        (None, Some(d)) => d.penilai().clone(),
        (None, None) => {
            return Err(
                "eHRM's row names no appraiser (penilai) and no change was received".into(),
            );
        }
    };
    if k.jenis != "periodik" {
        return Ok(KinerjaData::Tahunan(AnnualKinerja {
            nip: nip.clone(),
            tahun: k.tahun,
            hasil_kinerja,
            perilaku_kerja,
            predikat,
            penilai,
        }));
    }
    let periodik = k
        .periodik
        .as_deref()
        .and_then(Periodik::parse)
        .ok_or("periodik is not bulanan or triwulan")?;
    let bulan_mulai = k.bulan_mulai.ok_or("bulan_mulai is missing")?;
    let bulan_selesai = k.bulan_selesai.ok_or("bulan_selesai is missing")?;
    let koefisien_id = match (&k.koefisien_id, known) {
        (Some(c), _) => c.clone(),
        (None, Some(KinerjaData::Periodik(p))) => p.koefisien_id.clone(),
        _ => return Err("koefisien_id is missing".into()),
    };
    Ok(KinerjaData::Periodik(PeriodicKinerja {
        nip: nip.clone(),
        tahun: k.tahun,
        periodik,
        bulan_mulai,
        bulan_selesai,
        koefisien_id,
        hasil_kinerja,
        perilaku_kerja,
        predikat,
        penilai,
    }))
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
        ) {
            Ok(d) => d,
            Err(why) => return Ok(Repaired::NotPossible(why)),
        };
        let mut rec = match existing {
            Some(mut rec) => {
                if !rec.repair(&data, version, repair.bkn_id.clone(), now) {
                    return Ok(Repaired::Queued);
                }
                rec
            }
            None => {
                let change = Change {
                    key: key.clone(),
                    version,
                    action: ChangeAction::Upsert(data),
                };
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
