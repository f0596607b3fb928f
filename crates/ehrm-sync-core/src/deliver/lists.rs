//! When a delivery reads BKN's riwayat list, and when a remembered read serves instead.
//!
//! The invariants (`docs/architecture.md`) stay absolute — never a duplicate at BKN, never an older version
//! over a newer one — so a create is still preceded by knowing what BKN holds for the record's
//! slot (its year, or its period): BKN may hold it already, typed into SIASN by hand, sent by an
//! earlier integration, or created by us with the answer lost. What changes is how often that
//! knowledge costs a call:
//!
//! * An employee's list of one family (`rw-skp22`, `rw-kinerjaperiodik`), once read, is kept
//!   with its time and serves every record of that employee and family, all years and periods.
//!   Creates of *other* records cannot change what it says about this record's slot (one record
//!   per year, one per period), and this record's own earlier writes are on the record (its BKN
//!   id), so the list stays right for the slot until a create of *this* record may have been
//!   sent.
//! * "May have been sent" is durable before any request leaves: a delivery first writes its
//!   lease on the record. A create whose answer was lost sets `create_unconfirmed`, and so does
//!   taking over a lease that expired without an outcome (the worker may have died mid-call).
//!   Such a record is always looked up afresh — its own create may be in the list now.
//! * A remembered entry that BKN then refuses to update (deleted at BKN since) makes the list
//!   read again, once; a delete of ours at BKN forgets the list (its entry would be adopted
//!   again otherwise).
//!
//! What a remembered list cannot show is an entry typed into SIASN by hand *after* ehrm-sync
//! read it, for a year or period eHRM then sends: once ehrm-sync manages an employee's kinerja
//! it is eHRM's to send, and reconciliation reports such a pair as a duplicate for an officer.
//! Without a [`RiwayatLists`] store (`BKN_LOOKUP=always`) every create is looked up, as before.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use serde::Serialize;
use serde::de::DeserializeOwned;

use std::sync::Arc;

use ehrm_sync_domain::record::SyncRecord;

use super::DeliveryService;
use crate::ports::{BknError, ListRead, RiwayatFamily, RiwayatLists};

/// Deliveries in this process that need the same employee's list (or PNS id) at the same time
/// take turns, so the first one's read serves the others instead of each asking BKN.
#[derive(Default)]
pub(super) struct OneReader {
    keys: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// Turns not taken by anyone are dropped once the map holds this many.
const TURNS_KEPT: usize = 4_096;

impl OneReader {
    pub(super) async fn turn(&self, key: String) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        let lock = {
            let mut keys = self.keys.lock().ok()?;
            if keys.len() >= TURNS_KEPT {
                keys.retain(|_, l| Arc::strong_count(l) > 1);
            }
            keys.entry(key).or_default().clone()
        };
        Some(lock.lock_owned().await)
    }
}

/// BKN's list for a record's employee and family, and whether it was read by this delivery.
pub(super) struct Listed<T> {
    pub(super) records: Vec<T>,
    pub(super) fresh: bool,
}

impl DeliveryService {
    pub fn with_riwayat_lists(mut self, lists: Arc<dyn RiwayatLists>) -> Self {
        self.lists = Some(lists);
        self
    }

    /// The list to decide on: remembered when it can be trusted for `rec` (module doc), else
    /// read from BKN (`read`) and remembered.
    pub(super) async fn riwayat<T, F>(
        &self,
        rec: &SyncRecord,
        family: RiwayatFamily,
        force_fresh: bool,
        read: F,
    ) -> Result<Listed<T>, BknError>
    where
        T: Serialize + DeserializeOwned,
        F: Future<Output = Result<Vec<T>, BknError>>,
    {
        let nip = rec.key.nip();
        let _turn = match &self.lists {
            Some(_) => {
                self.one_reader
                    .turn(format!("{nip}/{}", family.as_str()))
                    .await
            }
            None => None,
        };
        if let Some(lists) = &self.lists
            && !force_fresh
            && !rec.create_unconfirmed
        {
            match lists.riwayat_list(nip, family).await {
                Ok(Some(doc)) => match serde_json::from_str::<ListRead<T>>(&doc) {
                    Ok(read) => {
                        return Ok(Listed {
                            records: read.records,
                            fresh: false,
                        });
                    }
                    Err(e) => tracing::warn!(family = family.as_str(), error = %e,
                        "remembered riwayat list unreadable; reading BKN's"),
                },
                Ok(None) => {}
                Err(e) => tracing::warn!(family = family.as_str(), error = %e,
                    "remembered riwayat lists unavailable; reading BKN's"),
            }
        }
        let records = read.await?;
        if let Some(lists) = &self.lists {
            self.remember(lists.as_ref(), nip, family, &records).await;
        }
        Ok(Listed {
            records,
            fresh: true,
        })
    }

    async fn remember<T: Serialize>(
        &self,
        lists: &dyn RiwayatLists,
        nip: &ehrm_sync_domain::nip::Nip,
        family: RiwayatFamily,
        records: &[T],
    ) {
        let read = ListRead {
            read_at: self.clock.now_ms(),
            records: records.iter().collect(),
        };
        match serde_json::to_string(&read) {
            Ok(doc) => {
                if let Err(e) = lists.put_riwayat_list(nip, family, &doc).await {
                    tracing::warn!(family = family.as_str(), error = %e, "riwayat list not remembered");
                }
            }
            Err(e) => tracing::warn!(error = %e, "riwayat list not serialisable"),
        }
    }

    /// After a delete at BKN: the remembered list still shows the deleted entry.
    pub(super) async fn forget_list(&self, rec: &SyncRecord, family: RiwayatFamily) {
        if let Some(lists) = &self.lists
            && let Err(e) = lists.forget_riwayat_list(rec.key.nip(), family).await
        {
            tracing::warn!(family = family.as_str(), error = %e,
                "remembered riwayat list not forgotten; it is read again when BKN refuses an id");
        }
    }
}
