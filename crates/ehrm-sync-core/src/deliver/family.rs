//! The record-family seam: what delivery needs to know of one kind of record to push it to BKN
//! — where BKN lists it, how BKN's entry for the record is found in that list, whether that
//! entry already holds the data, and how it is written and deleted. Everything else (the PNS
//! id, remembered lists, the write guard, the attempt, the outcome) is delivery's own, the same
//! for every family (`deliver::push`). A family is one module of [`super::families`] plus its
//! wire types (the BKN client's).

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

use ehrm_sync_domain::record::{RecordKey, SyncRecord};

use crate::ports::{Bkn, BknError, RiwayatFamily, WriteGuard};

/// What BKN's list says about one record's slot (its year, its period…).
pub enum Found<T> {
    /// BKN holds an entry for it.
    One(T),
    /// BKN holds nothing for it: a create is safe.
    None,
    /// BKN's list cannot say (entries without the fields that place them): never a reason to
    /// create, which could duplicate; a person looks.
    Unmatchable { reason: String },
}

/// One kind of record delivery pushes to BKN.
#[async_trait]
pub trait RecordFamily: Send + Sync {
    /// An entry of BKN's list of this family.
    type Listed: Clone + Serialize + DeserializeOwned + Send + Sync;
    /// The record's data, as it is sent.
    type Data: Send + Sync;

    /// The employee's list at BKN that holds this family (remembered per employee).
    fn list_kind(&self) -> RiwayatFamily;
    /// The record's data, when it matches the family (else the record is inconsistent).
    fn data<'a>(&self, rec: &'a SyncRecord) -> Option<&'a Self::Data>;
    async fn list(&self, bkn: &dyn Bkn, rec: &SyncRecord) -> Result<Vec<Self::Listed>, BknError>;
    /// BKN's entry for the record's slot.
    fn find(&self, rec: &SyncRecord, list: &[Self::Listed]) -> Found<Self::Listed>;
    fn id_of<'a>(&self, listed: &'a Self::Listed) -> &'a str;
    /// Whether BKN's entry already holds this data (nothing to write).
    fn holds(&self, listed: &Self::Listed, data: &Self::Data) -> bool;
    /// Creates (`id: None`) or updates the record; BKN's id when it gave one. The client asks
    /// `guard` immediately before sending.
    async fn save(
        &self,
        bkn: &dyn Bkn,
        id: Option<&str>,
        pns_id: &str,
        data: &Self::Data,
        guard: &dyn WriteGuard,
    ) -> Result<Option<String>, BknError>;
    /// Why BKN's entry `id` cannot be deleted through BKN's API, when it cannot (a person does
    /// it in SIASN).
    fn no_delete(&self, key: &RecordKey, id: &str) -> Option<String>;
    async fn delete(&self, bkn: &dyn Bkn, id: &str, guard: &dyn WriteGuard)
    -> Result<(), BknError>;
}
