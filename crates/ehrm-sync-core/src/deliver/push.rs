//! Talking to BKN for one record: the employee's PNS id, a look-up before a create whose answer
//! may have been lost, then the create, update or delete — each refused or failed call kept as a
//! [`Pushed`] for the state machine.

use super::*;
use crate::ports::RiwayatFamily;
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
    /// The PNS id was data-utama's answer in this delivery (not eHRM's or the cache's).
    pub(super) pns_checked: bool,
    /// The BKN id written to came from a remembered list, not one read in this delivery.
    pub(super) remembered_target: bool,
}

/// What a second try of a refused save is built on instead of memory.
#[derive(Clone, Debug, Default)]
pub(super) struct Fresh {
    /// data-utama's PNS id, when it differs from the refused one.
    pub(super) pns_id: Option<String>,
    /// Read the riwayat list from BKN even if one is remembered.
    pub(super) list: bool,
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
            pns_checked: false,
            remembered_target: false,
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
            pns_checked: false,
            remembered_target: false,
        }
    }

    /// A transient failure before any request was made.
    pub(super) fn not_attempted(operation: Vec<&'static str>, err: BknError) -> Self {
        let mut p = Pushed::failed(operation, err, false);
        p.answer = CallResult::Answered;
        p.no_call = true;
        p
    }

    pub(super) fn with_pns_id(mut self, pns_id: &str, checked: bool) -> Self {
        self.pns_id = Some(pns_id.to_string());
        self.pns_checked = checked;
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

    /// The employee's PNS id: the record's once BKN accepted it (the record was delivered),
    /// else the cache (data-utama's answers, shared by all their records), else eHRM's
    /// `pns_id` on the record, else data-utama (`fresh` forces data-utama). Says whether
    /// data-utama was asked. The cache comes before eHRM's id so that once BKN refused a wrong
    /// one and data-utama named the right one, later records carrying the same wrong id do not
    /// meet the same refusal.
    pub(super) async fn resolve_pns_id(
        &self,
        rec: &SyncRecord,
        fresh: bool,
    ) -> Result<(Option<String>, bool), BknError> {
        if !fresh
            && rec.delivered_version.is_some()
            && let Some(id) = &rec.siasn_pns_id
        {
            return Ok((Some(id.clone()), false));
        }
        let nip = rec.key.nip();
        let _turn = self.one_reader.turn(format!("{nip}/pns")).await;
        if !fresh {
            match self.pns_ids.pns_id(nip).await {
                Ok(Some(id)) => return Ok((Some(id), false)),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "PNS id cache unreadable"),
            }
            if let Some(id) = &rec.siasn_pns_id {
                return Ok((Some(id.clone()), false));
            }
        }
        let id = self.bkn.pns_id(nip).await?;
        if let Some(id) = &id
            && let Err(e) = self.pns_ids.put_pns_id(nip, id, self.clock.now_ms()).await
        {
            tracing::warn!(error = %e, "PNS id not cached");
        }
        Ok((id, true))
    }

    pub(super) async fn pns_id_or_fail(
        &self,
        rec: &SyncRecord,
        fresh: &Fresh,
    ) -> Result<(String, bool), Pushed> {
        if let Some(id) = &fresh.pns_id {
            return Ok((id.clone(), true));
        }
        match self.resolve_pns_id(rec, false).await {
            Ok((Some(id), checked)) => Ok((id, checked)),
            Ok((None, _)) => Err(Pushed::new(
                vec!["data-utama"],
                DeliveryOutcome::Permanent {
                    error: "the NIP is not known at BKN SIASN (data-utama: Data tidak ditemukan)"
                        .into(),
                },
            )),
            Err(e) => Err(Pushed::failed(vec!["data-utama"], e, false)),
        }
    }

    /// One save of a record's latest version, tried again at most once with fresh knowledge
    /// when BKN refuses it and what it was built on came from memory: a PNS id eHRM sent or
    /// the cache held (BKN may not know it: ask data-utama), or a BKN id adopted from a
    /// remembered list (BKN may have dropped it: read the list).
    async fn save_with_fresh_retry<F, Fut>(&self, rec: &SyncRecord, attempt: F) -> Pushed
    where
        F: Fn(Fresh) -> Fut,
        Fut: std::future::Future<Output = Pushed>,
    {
        let first = attempt(Fresh::default()).await;
        if !matches!(first.outcome, DeliveryOutcome::Permanent { .. }) {
            return first;
        }
        let mut again = Fresh {
            pns_id: None,
            list: first.remembered_target,
        };
        if !first.pns_checked
            && let Ok((Some(id), _)) = self.resolve_pns_id(rec, true).await
            && first.pns_id.as_deref() != Some(id.as_str())
        {
            tracing::info!(
                "BKN refused a remembered PNS id; data-utama names another, saving again"
            );
            again.pns_id = Some(id);
        }
        if again.pns_id.is_none() && !again.list {
            return first;
        }
        let mut second = attempt(again).await;
        let mut ops = first.operation;
        if !first.pns_checked {
            ops.push("data-utama");
        }
        ops.append(&mut second.operation);
        second.operation = ops;
        second
    }

    pub(super) async fn push_annual(
        &self,
        rec: &SyncRecord,
        tahun: i32,
        data: &AnnualKinerja,
        lease_until: Millis,
    ) -> Pushed {
        self.save_with_fresh_retry(rec, |fresh| {
            self.annual_once(rec, tahun, data, lease_until, fresh)
        })
        .await
    }

    async fn annual_once(
        &self,
        rec: &SyncRecord,
        tahun: i32,
        data: &AnnualKinerja,
        lease_until: Millis,
        fresh: Fresh,
    ) -> Pushed {
        let (pns_id, checked) = match self.pns_id_or_fail(rec, &fresh).await {
            Ok(v) => v,
            Err(p) => return p,
        };
        let mut ops = Vec::new();
        let mut id = rec.bkn_id.clone();
        let mut remembered = false;
        if id.is_none() {
            let read = self.bkn.annual_records(rec.key.nip());
            match self
                .riwayat(rec, RiwayatFamily::Skp22, fresh.list, read)
                .await
            {
                Ok(listed) => {
                    if listed.fresh {
                        ops.push("lookup");
                    }
                    if let Some(found) = listed.records.iter().find(|r| r.tahun == Some(tahun)) {
                        if annual_matches(found, data) {
                            return Pushed::delivered(ops, Some(found.id.clone()), false)
                                .with_pns_id(&pns_id, checked);
                        }
                        id = Some(found.id.clone());
                        remembered = !listed.fresh;
                    }
                }
                Err(e) => {
                    return Pushed::failed(vec!["lookup"], e, false).with_pns_id(&pns_id, checked);
                }
            }
        }
        let guard = self.write_guard(lease_until);
        if let Err(e) = guard.check() {
            return Pushed::not_attempted(ops, e).with_pns_id(&pns_id, checked);
        }
        let creating = id.is_none();
        ops.push(if creating { "create" } else { "update" });
        let mut pushed = match self
            .bkn
            .save_annual(id.as_deref(), &pns_id, data, &guard)
            .await
        {
            Ok(new_id) => Pushed::delivered(ops, new_id.or(id), false),
            Err(e) => Self::write_failed(ops, e, creating, &guard),
        }
        .with_pns_id(&pns_id, checked);
        pushed.remembered_target = remembered;
        pushed
    }

    pub(super) async fn push_periodic(
        &self,
        rec: &SyncRecord,
        data: &PeriodicKinerja,
        lease_until: Millis,
    ) -> Pushed {
        self.save_with_fresh_retry(rec, |fresh| {
            self.periodic_once(rec, data, lease_until, fresh)
        })
        .await
    }

    async fn periodic_once(
        &self,
        rec: &SyncRecord,
        data: &PeriodicKinerja,
        lease_until: Millis,
        fresh: Fresh,
    ) -> Pushed {
        let (pns_id, checked) = match self.pns_id_or_fail(rec, &fresh).await {
            Ok(v) => v,
            Err(p) => return p,
        };
        let mut ops = Vec::new();
        let mut id = rec.bkn_id.clone();
        let mut remembered = false;
        if id.is_none() {
            match self.find_periodic(rec, fresh.list).await {
                Ok((found, listed_fresh)) => {
                    if listed_fresh {
                        ops.push("lookup");
                    }
                    match found {
                        Found::One(found) => {
                            if periodic_matches(&found, data) {
                                return Pushed::delivered(ops, Some(found.id), false)
                                    .with_pns_id(&pns_id, checked);
                            }
                            id = Some(found.id);
                            remembered = !listed_fresh;
                        }
                        Found::None => {}
                        Found::Unmatchable { reason } => {
                            return Pushed::new(ops, DeliveryOutcome::NeedsAction { reason })
                                .with_pns_id(&pns_id, checked);
                        }
                    }
                }
                Err(e) => {
                    return Pushed::failed(vec!["lookup"], e, false).with_pns_id(&pns_id, checked);
                }
            }
        }
        let guard = self.write_guard(lease_until);
        if let Err(e) = guard.check() {
            return Pushed::not_attempted(ops, e).with_pns_id(&pns_id, checked);
        }
        let creating = id.is_none();
        ops.push(if creating { "create" } else { "update" });
        let mut pushed = match self
            .bkn
            .save_periodic(id.as_deref(), &pns_id, data, &guard)
            .await
        {
            Ok(new_id) => Pushed::delivered(ops, new_id.or(id), false),
            Err(e) => Self::write_failed(ops, e, creating, &guard),
        }
        .with_pns_id(&pns_id, checked);
        pushed.remembered_target = remembered;
        pushed
    }

    /// BKN's record for this period (and whether the list was read now). A list whose records
    /// of the year carry no month fields (§8.5) cannot say whether the period is held: that is
    /// [`Found::Unmatchable`], never a reason to create (which could duplicate).
    pub(super) async fn find_periodic(
        &self,
        rec: &SyncRecord,
        force_fresh: bool,
    ) -> Result<(Found, bool), BknError> {
        let RecordKey::Periodik {
            nip,
            tahun,
            periodik,
            bulan_mulai,
        } = &rec.key
        else {
            return Ok((Found::None, false));
        };
        let read = self.bkn.periodic_records(nip);
        let listed = self
            .riwayat(rec, RiwayatFamily::KinerjaPeriodik, force_fresh, read)
            .await?;
        let list = &listed.records;
        let same_kind = |r: &BknPeriodicRecord| r.periodik.is_none_or(|p| p == *periodik);
        if let Some(found) = list.iter().find(|r| {
            r.tahun == Some(*tahun) && r.bulan_mulai == Some(*bulan_mulai) && same_kind(r)
        }) {
            return Ok((Found::One(found.clone()), listed.fresh));
        }
        let unplaced = list
            .iter()
            .filter(|r| r.tahun.is_none_or(|t| t == *tahun) && same_kind(r))
            .filter(|r| r.bulan_mulai.is_none() || r.tahun.is_none())
            .count();
        if unplaced > 0 {
            return Ok((
                Found::Unmatchable {
                    reason: format!(
                        "BKN SIASN mencantumkan {unplaced} riwayat kinerja periodik tahun {tahun} tanpa bulannya (bulanMulaiPenilaian/bulanSelesaiPenilaian): tidak dapat dipastikan periode ini sudah ada atau belum, jadi tidak ada yang dibuat. Periksa di SIASN, lalu replay / BKN SIASN lists {unplaced} riwayat kinerja periodik record(s) for {tahun} without their months (bulanMulaiPenilaian/bulanSelesaiPenilaian): it cannot be told whether this period is already held, so nothing was created. Check the record in SIASN, then replay it"
                    ),
                },
                listed.fresh,
            ));
        }
        Ok((Found::None, listed.fresh))
    }

    pub(super) async fn delete_periodic(&self, rec: &SyncRecord, lease_until: Millis) -> Pushed {
        let mut ops = Vec::new();
        let id = match &rec.bkn_id {
            Some(id) => Some(id.clone()),
            None => match self.find_periodic(rec, false).await {
                Ok((found, fresh)) => {
                    if fresh {
                        ops.push("lookup");
                    }
                    match found {
                        Found::One(f) => Some(f.id),
                        Found::None => None,
                        Found::Unmatchable { reason } => {
                            return Pushed::new(ops, DeliveryOutcome::NeedsAction { reason });
                        }
                    }
                }
                Err(e) => return Pushed::failed(vec!["lookup"], e, false),
            },
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
            Ok(()) => {
                self.forget_list(rec, RiwayatFamily::KinerjaPeriodik).await;
                Pushed::delivered(ops, None, true)
            }
            Err(e) => Self::write_failed(ops, e, false, &guard),
        }
    }

    pub(super) async fn delete_annual(&self, rec: &SyncRecord, tahun: i32) -> Pushed {
        let mut ops = Vec::new();
        let id = match &rec.bkn_id {
            Some(id) => Some(id.clone()),
            None => {
                let read = self.bkn.annual_records(rec.key.nip());
                match self.riwayat(rec, RiwayatFamily::Skp22, false, read).await {
                    Ok(listed) => {
                        if listed.fresh {
                            ops.push("lookup");
                        }
                        listed
                            .records
                            .into_iter()
                            .find(|r| r.tahun == Some(tahun))
                            .map(|r| r.id)
                    }
                    Err(e) => return Pushed::failed(vec!["lookup"], e, false),
                }
            }
        };
        match id {
            None => Pushed::delivered(ops, None, true),
            Some(id) => Pushed::new(
                ops,
                DeliveryOutcome::NeedsAction {
                    reason: format!(
                        "dihapus di eHRM, tetapi BKN SIASN tidak menyediakan penghapusan riwayat SKP 2022: hapus riwayat SKP {tahun} (id BKN {id}) di SIASN secara manual / deleted in eHRM, but BKN SIASN offers no delete for annual SKP 2022 records: remove riwayat SKP {tahun} (BKN id {id}) in SIASN by hand"
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
