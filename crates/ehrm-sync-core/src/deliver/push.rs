//! Talking to BKN for one record: the employee's PNS id, a look-up before a create whose answer
//! may have been lost, then the create, update or delete — each refused or failed call kept as a
//! [`Pushed`] for the state machine.

use super::*;
use crate::write_guard::{LeaseGuard, WriteGuard};

pub(super) struct Pushed {
    pub(super) outcome: DeliveryOutcome,
    pub(super) pns_id: Option<String>,
    pub(super) operation: Vec<&'static str>,
    pub(super) http_status: Option<u16>,
    /// What the breaker makes of BKN's answer ([`CallResult::of`]); `Answered` also when
    /// nothing was asked of BKN.
    pub(super) answer: CallResult,
    /// No request was made (the lease ran short, the rate gate failed).
    pub(super) no_call: bool,
}

impl Pushed {
    pub(super) fn new(operation: Vec<&'static str>, outcome: DeliveryOutcome) -> Self {
        Pushed {
            outcome,
            pns_id: None,
            operation,
            http_status: None,
            answer: CallResult::Answered,
            no_call: false,
        }
    }

    pub(super) fn delivered(
        operation: Vec<&'static str>,
        bkn_id: Option<String>,
        deleted_at_bkn: bool,
    ) -> Self {
        Pushed::new(
            operation,
            DeliveryOutcome::Delivered {
                bkn_id,
                deleted_at_bkn,
            },
        )
    }

    pub(super) fn failed(operation: Vec<&'static str>, err: BknError, creating: bool) -> Self {
        let answer = CallResult::of::<()>(&Err(err.clone()));
        let outcome = match err.kind {
            BknErrorKind::Permanent => DeliveryOutcome::Permanent {
                error: err.message.clone(),
            },
            BknErrorKind::Transient {
                retry_after_ms,
                maybe_applied,
                ..
            } => DeliveryOutcome::Transient {
                error: err.message.clone(),
                retry_after_ms,
                ambiguous_create: creating && maybe_applied,
            },
        };
        Pushed {
            outcome,
            pns_id: None,
            operation,
            http_status: err.http_status,
            answer,
            no_call: false,
        }
    }

    /// A transient failure before any request was made.
    pub(super) fn not_attempted(operation: Vec<&'static str>, err: BknError) -> Self {
        let mut p = Pushed::failed(operation, err, false);
        p.answer = CallResult::Answered;
        p.no_call = true;
        p
    }

    pub(super) fn with_pns_id(mut self, pns_id: &str) -> Self {
        self.pns_id = Some(pns_id.to_string());
        self
    }
}

impl DeliveryService {
    /// The check the BKN client makes just before sending a write: enough lease left.
    pub(super) fn write_guard(&self, lease_until: Millis) -> LeaseGuard {
        LeaseGuard::new(
            self.clock.clone(),
            lease_until,
            self.settings.write_guard_ms,
        )
    }

    /// A failed write: not sent at all when the guard held it back.
    fn write_failed(
        ops: Vec<&'static str>,
        e: BknError,
        creating: bool,
        guard: &LeaseGuard,
    ) -> Pushed {
        if guard.refused() {
            Pushed::not_attempted(ops, e)
        } else {
            Pushed::failed(ops, e, creating)
        }
    }

    pub(super) async fn push(&self, rec: &SyncRecord, lease_until: Millis) -> Pushed {
        match (&rec.key, rec.deleted, &rec.data) {
            (RecordKey::Tahunan { tahun, .. }, false, Some(KinerjaData::Tahunan(data))) => {
                self.push_annual(rec, *tahun, data, lease_until).await
            }
            (RecordKey::Periodik { .. }, false, Some(KinerjaData::Periodik(data))) => {
                self.push_periodic(rec, data, lease_until).await
            }
            (RecordKey::Periodik { .. }, true, _) => self.delete_periodic(rec, lease_until).await,
            (RecordKey::Tahunan { tahun, .. }, true, _) => self.delete_annual(rec, *tahun).await,
            _ => Pushed::new(
                vec!["check"],
                DeliveryOutcome::Permanent {
                    error: "the stored record has no data matching its type".into(),
                },
            ),
        }
    }

    pub(super) async fn resolve_pns_id(
        &self,
        rec: &SyncRecord,
    ) -> Result<Option<String>, BknError> {
        if let Some(id) = &rec.siasn_pns_id {
            return Ok(Some(id.clone()));
        }
        let nip = rec.key.nip();
        match self.pns_ids.pns_id(nip).await {
            Ok(Some(id)) => return Ok(Some(id)),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "PNS id cache unreadable; asking BKN"),
        }
        let id = self.bkn.pns_id(nip).await?;
        if let Some(id) = &id
            && let Err(e) = self.pns_ids.put_pns_id(nip, id, self.clock.now_ms()).await
        {
            tracing::warn!(error = %e, "PNS id not cached");
        }
        Ok(id)
    }

    pub(super) async fn pns_id_or_fail(&self, rec: &SyncRecord) -> Result<String, Pushed> {
        match self.resolve_pns_id(rec).await {
            Ok(Some(id)) => Ok(id),
            Ok(None) => Err(Pushed::new(
                vec!["data-utama"],
                DeliveryOutcome::Permanent {
                    error: "the NIP is not known at BKN SIASN (data-utama: Data tidak ditemukan)"
                        .into(),
                },
            )),
            Err(e) => Err(Pushed::failed(vec!["data-utama"], e, false)),
        }
    }

    pub(super) async fn push_annual(
        &self,
        rec: &SyncRecord,
        tahun: i32,
        data: &AnnualKinerja,
        lease_until: Millis,
    ) -> Pushed {
        let pns_id = match self.pns_id_or_fail(rec).await {
            Ok(id) => id,
            Err(p) => return p,
        };
        let mut ops = Vec::new();
        let mut id = rec.bkn_id.clone();
        if id.is_none() {
            ops.push("lookup");
            match self.bkn.annual_records(rec.key.nip()).await {
                Ok(list) => {
                    if let Some(found) = list.iter().find(|r| r.tahun == Some(tahun)) {
                        if annual_matches(found, data) {
                            return Pushed::delivered(ops, Some(found.id.clone()), false)
                                .with_pns_id(&pns_id);
                        }
                        id = Some(found.id.clone());
                    }
                }
                Err(e) => return Pushed::failed(ops, e, false).with_pns_id(&pns_id),
            }
        }
        let guard = self.write_guard(lease_until);
        if let Err(e) = guard.check() {
            return Pushed::not_attempted(ops, e).with_pns_id(&pns_id);
        }
        let creating = id.is_none();
        ops.push(if creating { "create" } else { "update" });
        match self
            .bkn
            .save_annual(id.as_deref(), &pns_id, data, &guard)
            .await
        {
            Ok(new_id) => Pushed::delivered(ops, new_id.or(id), false),
            Err(e) => Self::write_failed(ops, e, creating, &guard),
        }
        .with_pns_id(&pns_id)
    }

    pub(super) async fn push_periodic(
        &self,
        rec: &SyncRecord,
        data: &PeriodicKinerja,
        lease_until: Millis,
    ) -> Pushed {
        let pns_id = match self.pns_id_or_fail(rec).await {
            Ok(id) => id,
            Err(p) => return p,
        };
        let mut ops = Vec::new();
        let mut id = rec.bkn_id.clone();
        if id.is_none() {
            ops.push("lookup");
            match self.find_periodic(rec).await {
                Ok(Found::One(found)) => {
                    if periodic_matches(&found, data) {
                        return Pushed::delivered(ops, Some(found.id), false).with_pns_id(&pns_id);
                    }
                    id = Some(found.id);
                }
                Ok(Found::None) => {}
                Ok(Found::Unmatchable { reason }) => {
                    return Pushed::new(ops, DeliveryOutcome::NeedsAction { reason })
                        .with_pns_id(&pns_id);
                }
                Err(e) => return Pushed::failed(ops, e, false).with_pns_id(&pns_id),
            }
        }
        let guard = self.write_guard(lease_until);
        if let Err(e) = guard.check() {
            return Pushed::not_attempted(ops, e).with_pns_id(&pns_id);
        }
        let creating = id.is_none();
        ops.push(if creating { "create" } else { "update" });
        match self
            .bkn
            .save_periodic(id.as_deref(), &pns_id, data, &guard)
            .await
        {
            Ok(new_id) => Pushed::delivered(ops, new_id.or(id), false),
            Err(e) => Self::write_failed(ops, e, creating, &guard),
        }
        .with_pns_id(&pns_id)
    }

    /// BKN's record for this period. A list whose records of the year carry no month fields
    /// (§8.5) cannot say whether the period is held: that is [`Found::Unmatchable`], never a
    /// reason to create (which could duplicate).
    pub(super) async fn find_periodic(&self, rec: &SyncRecord) -> Result<Found, BknError> {
        let RecordKey::Periodik {
            nip,
            tahun,
            periodik,
            bulan_mulai,
        } = &rec.key
        else {
            return Ok(Found::None);
        };
        let list = self.bkn.periodic_records(nip).await?;
        let same_kind = |r: &BknPeriodicRecord| r.periodik.is_none_or(|p| p == *periodik);
        if let Some(found) = list.iter().find(|r| {
            r.tahun == Some(*tahun) && r.bulan_mulai == Some(*bulan_mulai) && same_kind(r)
        }) {
            return Ok(Found::One(found.clone()));
        }
        let unplaced = list
            .iter()
            .filter(|r| r.tahun.is_none_or(|t| t == *tahun) && same_kind(r))
            .filter(|r| r.bulan_mulai.is_none() || r.tahun.is_none())
            .count();
        if unplaced > 0 {
            return Ok(Found::Unmatchable {
                reason: format!(
                    "BKN SIASN lists {unplaced} riwayat kinerja periodik record(s) for {tahun} without their months (bulanMulaiPenilaian/bulanSelesaiPenilaian): it cannot be told whether this period is already held, so nothing was created. Check the record in SIASN, then replay it"
                ),
            });
        }
        Ok(Found::None)
    }

    pub(super) async fn delete_periodic(&self, rec: &SyncRecord, lease_until: Millis) -> Pushed {
        let mut ops = Vec::new();
        let id = match &rec.bkn_id {
            Some(id) => Some(id.clone()),
            None => {
                ops.push("lookup");
                match self.find_periodic(rec).await {
                    Ok(Found::One(f)) => Some(f.id),
                    Ok(Found::None) => None,
                    Ok(Found::Unmatchable { reason }) => {
                        return Pushed::new(ops, DeliveryOutcome::NeedsAction { reason });
                    }
                    Err(e) => return Pushed::failed(ops, e, false),
                }
            }
        };
        let Some(id) = id else {
            // BKN never held it: the delete is complete.
            return Pushed::delivered(ops, None, true);
        };
        let guard = self.write_guard(lease_until);
        if let Err(e) = guard.check() {
            return Pushed::not_attempted(ops, e);
        }
        ops.push("delete");
        match self.bkn.delete_periodic(&id, &guard).await {
            Ok(()) => Pushed::delivered(ops, None, true),
            Err(e) => Self::write_failed(ops, e, false, &guard),
        }
    }

    pub(super) async fn delete_annual(&self, rec: &SyncRecord, tahun: i32) -> Pushed {
        let mut ops = Vec::new();
        let id = match &rec.bkn_id {
            Some(id) => Some(id.clone()),
            None => {
                ops.push("lookup");
                match self.bkn.annual_records(rec.key.nip()).await {
                    Ok(list) => list
                        .into_iter()
                        .find(|r| r.tahun == Some(tahun))
                        .map(|r| r.id),
                    Err(e) => return Pushed::failed(ops, e, false),
                }
            }
        };
        match id {
            None => Pushed::delivered(ops, None, true),
            Some(id) => Pushed::new(
                ops,
                DeliveryOutcome::NeedsAction {
                    reason: format!(
                        "deleted in eHRM, but BKN SIASN offers no delete for annual SKP 2022 records: remove riwayat SKP {tahun} (BKN id {id}) in SIASN by hand"
                    ),
                },
            ),
        }
    }
}

/// What the riwayat list says about one periodic record.
pub(super) enum Found {
    One(BknPeriodicRecord),
    None,
    Unmatchable { reason: String },
}

fn annual_matches(found: &BknAnnualRecord, data: &AnnualKinerja) -> bool {
    found.hasil_kinerja == Some(data.hasil_kinerja.code())
        && found.perilaku_kerja == Some(data.perilaku_kerja.code())
        && found.kuadran == Some(data.predikat.code())
        && found.penilai_nip.as_deref() == Some(data.penilai.nip.as_str())
}

fn periodic_matches(found: &BknPeriodicRecord, data: &PeriodicKinerja) -> bool {
    found.bulan_selesai == Some(data.bulan_selesai)
        && found.hasil_kinerja == Some(data.hasil_kinerja.code())
        && found.perilaku_kerja == Some(data.perilaku_kerja.code())
        && found.kuadran == Some(data.predikat.code())
        && found.koefisien_id.as_deref() == Some(data.koefisien_id.as_str())
        && found.penilai_nip.as_deref() == Some(data.penilai.nip.as_str())
}
