//! Talking to BKN for one record, the same for every family ([`super::family`]): the
//! employee's PNS id, BKN's entry for the record when its id is not known yet (so a create
//! whose answer was lost is adopted, never duplicated), the write guard, then the create,
//! update or delete — each refused or failed call kept as a [`Pushed`] for the state machine.

use ehrm_sync_domain::record::{DeliveryOutcome, Millis, RecordKey, SyncRecord};

use super::DeliveryService;
use super::families::{Annual, Periodic};
use super::family::{Found, RecordFamily};
use super::pushed::{PnsId, Pushed, Target};
use crate::ports::{BknError, Operation, WriteGuard};
use crate::write_guard::LeaseGuard;

/// What a second try of a refused save is built on instead of memory.
#[derive(Clone, Debug, Default)]
pub(super) struct Fresh {
    /// data-utama's PNS id, when it differs from the refused one.
    pns_id: Option<String>,
    /// Read the riwayat list from BKN even if one is remembered.
    list: bool,
}

/// BKN's entry for a record, as the push found it.
enum Slot {
    /// BKN's id of the record (`None`: BKN holds nothing for it), and where it came from.
    Id(Option<String>, Target),
    /// BKN already holds this version.
    Holds(String),
    /// BKN's list cannot place the record.
    Unmatchable(String),
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
    pub(super) fn write_failed(
        ops: Vec<Operation>,
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
        match (&rec.key, rec.deleted) {
            (RecordKey::Tahunan { .. }, false) => self.upsert(&Annual, rec, lease_until).await,
            (RecordKey::Tahunan { .. }, true) => self.remove(&Annual, rec, lease_until).await,
            (RecordKey::Periodik { .. }, false) => self.upsert(&Periodic, rec, lease_until).await,
            (RecordKey::Periodik { .. }, true) => self.remove(&Periodic, rec, lease_until).await,
            (RecordKey::Jabatan { .. }, _) => self.push_jabatan(rec, lease_until).await,
        }
    }

    /// The employee's PNS id: the record's once BKN accepted it (the record was delivered),
    /// else the cache (data-utama's answers, shared by all their records), else eHRM's
    /// `pns_id` on the record, else data-utama (`fresh` forces data-utama). The cache comes
    /// before eHRM's id so that once BKN refused a wrong one and data-utama named the right
    /// one, later records carrying the same wrong id do not meet the same refusal.
    pub(super) async fn resolve_pns_id(
        &self,
        rec: &SyncRecord,
        fresh: bool,
    ) -> Result<Option<PnsId>, BknError> {
        if !fresh
            && rec.delivered_version.is_some()
            && let Some(id) = &rec.siasn_pns_id
        {
            return Ok(Some(PnsId::Known(id.clone())));
        }
        let nip = rec.key.nip();
        let _turn = self.one_reader.turn(format!("{nip}/pns")).await;
        if !fresh {
            match self.pns_ids.pns_id(nip).await {
                Ok(Some(id)) => return Ok(Some(PnsId::Known(id))),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "PNS id cache unreadable"),
            }
            if let Some(id) = &rec.siasn_pns_id {
                return Ok(Some(PnsId::Known(id.clone())));
            }
        }
        let id = self.bkn.pns_id(nip).await?;
        if let Some(id) = &id
            && let Err(e) = self.pns_ids.put_pns_id(nip, id, self.clock.now_ms()).await
        {
            tracing::warn!(error = %e, "PNS id not cached");
        }
        Ok(id.map(PnsId::Checked))
    }

    async fn pns_id_or_fail(&self, rec: &SyncRecord, fresh: &Fresh) -> Result<PnsId, Pushed> {
        if let Some(id) = &fresh.pns_id {
            return Ok(PnsId::Checked(id.clone()));
        }
        match self.resolve_pns_id(rec, false).await {
            Ok(Some(id)) => Ok(id),
            Ok(None) => Err(Pushed::new(
                vec![Operation::DataUtama],
                DeliveryOutcome::Permanent {
                    error: "the NIP is not known at BKN SIASN (data-utama: Data tidak ditemukan)"
                        .into(),
                },
            )),
            Err(e) => Err(Pushed::failed(vec![Operation::DataUtama], e, false)),
        }
    }

    /// BKN's entry for the record when its id is not known yet: the remembered list or a
    /// fresh read ([`super::lists`]). The operations the look-up cost are added to `ops`.
    async fn slot<F: RecordFamily>(
        &self,
        family: &F,
        rec: &SyncRecord,
        data: Option<&F::Data>,
        force_fresh: bool,
        ops: &mut Vec<Operation>,
    ) -> Result<Slot, BknError> {
        if let Some(id) = &rec.bkn_id {
            return Ok(Slot::Id(Some(id.clone()), Target::CreatedOrKnown));
        }
        let read = family.list(self.bkn.as_ref(), rec);
        let listed = self
            .riwayat(rec, family.list_kind(), force_fresh, read)
            .await?;
        if listed.fresh {
            ops.push(Operation::Lookup);
        }
        let target = if listed.fresh {
            Target::CreatedOrKnown
        } else {
            Target::Remembered
        };
        Ok(match family.find(rec, &listed.records) {
            Found::One(found) if data.is_some_and(|d| family.holds(&found, d)) => {
                Slot::Holds(family.id_of(&found).to_string())
            }
            Found::One(found) => Slot::Id(Some(family.id_of(&found).to_string()), target),
            Found::None => Slot::Id(None, Target::CreatedOrKnown),
            Found::Unmatchable { reason } => Slot::Unmatchable(reason),
        })
    }

    /// Saves the record's latest version, once more with fresh knowledge when BKN refuses it
    /// and what it was built on came from memory.
    pub(super) async fn upsert<F: RecordFamily>(
        &self,
        family: &F,
        rec: &SyncRecord,
        lease_until: Millis,
    ) -> Pushed {
        let Some(data) = family.data(rec) else {
            return Pushed::new(
                vec![Operation::Check],
                DeliveryOutcome::Permanent {
                    error: "the stored record has no data matching its type".into(),
                },
            );
        };
        let first = self
            .save_once(family, rec, data, lease_until, Fresh::default())
            .await;
        if !matches!(first.outcome, DeliveryOutcome::Permanent { .. }) {
            return first;
        }
        // A PNS id eHRM sent or the cache held (BKN may not know it: ask data-utama), or a BKN
        // id adopted from a remembered list (BKN may have dropped it: read the list).
        let checked = first.pns.as_ref().is_some_and(PnsId::checked);
        let mut again = Fresh {
            pns_id: None,
            list: first.target == Target::Remembered,
        };
        if !checked
            && let Ok(Some(id)) = self.resolve_pns_id(rec, true).await
            && first.pns.as_ref().map(PnsId::id) != Some(id.id())
        {
            tracing::info!(
                "BKN refused a remembered PNS id; data-utama names another, saving again"
            );
            again.pns_id = Some(id.id().to_string());
        }
        if again.pns_id.is_none() && !again.list {
            return first;
        }
        let mut second = self.save_once(family, rec, data, lease_until, again).await;
        let mut ops = first.ops.0;
        if !checked {
            ops.push(Operation::DataUtama);
        }
        ops.append(&mut second.ops.0);
        second.ops = ops.into();
        second
    }

    /// Find the slot, guard, save.
    async fn save_once<F: RecordFamily>(
        &self,
        family: &F,
        rec: &SyncRecord,
        data: &F::Data,
        lease_until: Millis,
        fresh: Fresh,
    ) -> Pushed {
        let pns = match self.pns_id_or_fail(rec, &fresh).await {
            Ok(p) => p,
            Err(p) => return p,
        };
        let mut ops = Vec::new();
        let (id, target) = match self
            .slot(family, rec, Some(data), fresh.list, &mut ops)
            .await
        {
            Ok(Slot::Id(id, target)) => (id, target),
            Ok(Slot::Holds(id)) => return Pushed::delivered(ops, Some(id), false).with_pns(&pns),
            Ok(Slot::Unmatchable(reason)) => {
                return Pushed::new(ops, DeliveryOutcome::NeedsAction { reason }).with_pns(&pns);
            }
            Err(e) => return Pushed::failed(vec![Operation::Lookup], e, false).with_pns(&pns),
        };
        let guard = self.write_guard(lease_until);
        if let Err(e) = guard.check() {
            return Pushed::not_attempted(ops, e).with_pns(&pns);
        }
        let creating = id.is_none();
        ops.push(if creating {
            Operation::Create
        } else {
            Operation::Update
        });
        let saved = family
            .save(self.bkn.as_ref(), id.as_deref(), pns.id(), data, &guard)
            .await;
        match saved {
            Ok(new_id) => Pushed::delivered(ops, new_id.or(id), false),
            Err(e) => Self::write_failed(ops, e, creating, &guard),
        }
        .with_pns(&pns)
        .with_target(target)
    }

    /// Deletes BKN's entry for the record (nothing to do when BKN never held it), or says why
    /// BKN's API cannot.
    async fn remove<F: RecordFamily>(
        &self,
        family: &F,
        rec: &SyncRecord,
        lease_until: Millis,
    ) -> Pushed {
        let mut ops = Vec::new();
        let id = match self.slot(family, rec, None, false, &mut ops).await {
            Ok(Slot::Id(id, _)) => id,
            Ok(Slot::Holds(id)) => Some(id),
            Ok(Slot::Unmatchable(reason)) => {
                return Pushed::new(ops, DeliveryOutcome::NeedsAction { reason });
            }
            Err(e) => return Pushed::failed(vec![Operation::Lookup], e, false),
        };
        let Some(id) = id else {
            // BKN never held it: the delete is complete.
            return Pushed::delivered(ops, None, true);
        };
        if let Some(reason) = family.no_delete(&rec.key, &id) {
            return Pushed::new(ops, DeliveryOutcome::NeedsAction { reason });
        }
        let guard = self.write_guard(lease_until);
        if let Err(e) = guard.check() {
            return Pushed::not_attempted(ops, e);
        }
        ops.push(Operation::Delete);
        match family.delete(self.bkn.as_ref(), &id, &guard).await {
            Ok(()) => {
                self.forget_list(rec, family.list_kind()).await;
                Pushed::delivered(ops, None, true)
            }
            Err(e) => Self::write_failed(ops, e, false, &guard),
        }
    }
}
