//! eHRM's units and the SIASN UNOR id each maps to (`unor_id_bkn` of eHRM's `unor` resource),
//! kept as one shared document: refreshed on a schedule (`serve` and the scheduled function),
//! read by ingest (an unmapped unit is a `422` naming it) and by delivery (a unit that lost
//! its mapping since settles as `failed` with the reason). `docs/ehrm-contract.md`, "Riwayat
//! jabatan".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use ehrm_sync_domain::record::Millis;

use crate::ports::{
    Clock, ControlStore, EhrmDirectory, StoreError, load_document, overwrite_document,
};

/// The shared document's name.
pub const UNOR_MAP_DOCUMENT: &str = "unor-map";
/// How often the map is read again from eHRM.
pub const UNOR_MAP_REFRESH_MS: i64 = 6 * 3600 * 1000;

/// eHRM's unit codes → their SIASN UNOR ids (`None`: the unit exists but is not mapped).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnorMap {
    pub fetched_at: Millis,
    pub units: BTreeMap<String, Option<String>>,
}

/// What the map says of one unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnitMapping {
    Mapped(String),
    /// The unit is in eHRM's `unor` resource without a SIASN UNOR id.
    Unmapped,
    /// The unit is not in eHRM's `unor` resource.
    Unknown,
    /// The map has not been read from eHRM yet: nothing can be said.
    NotLoaded,
}

impl UnitMapping {
    /// Why a position in `unor_id` cannot be sent to BKN, in Indonesian then English.
    pub fn refusal(&self, unor_id: &str) -> Option<String> {
        match self {
            UnitMapping::Unmapped => Some(format!(
                "unit {unor_id} belum dipetakan ke UNOR SIASN (unor_id_bkn kosong di eHRM) / unit {unor_id} has no SIASN UNOR id in eHRM's unor resource"
            )),
            UnitMapping::Unknown => Some(format!(
                "unit {unor_id} tidak ada di daftar unit eHRM (unor) / unit {unor_id} is not in eHRM's unor resource"
            )),
            UnitMapping::Mapped(_) | UnitMapping::NotLoaded => None,
        }
    }
}

/// Reads the map and answers for one unit.
pub async fn lookup(controls: &dyn ControlStore, unor_id: &str) -> Result<UnitMapping, StoreError> {
    let (map, _) = load_document::<UnorMap>(controls, UNOR_MAP_DOCUMENT).await?;
    Ok(match map {
        None => UnitMapping::NotLoaded,
        Some(m) => match m.units.get(unor_id) {
            Some(Some(id)) => UnitMapping::Mapped(id.clone()),
            Some(None) => UnitMapping::Unmapped,
            None => UnitMapping::Unknown,
        },
    })
}

pub use crate::ports::RefreshError;

/// Reads eHRM's units again when the map is older than [`UNOR_MAP_REFRESH_MS`] (or `force`);
/// returns the number of units when it did.
pub async fn refresh(
    controls: &dyn ControlStore,
    ehrm: &dyn EhrmDirectory,
    clock: &dyn Clock,
    force: bool,
) -> Result<Option<usize>, RefreshError> {
    let now = clock.now_ms();
    let (held, _) = load_document::<UnorMap>(controls, UNOR_MAP_DOCUMENT).await?;
    if !force && held.is_some_and(|m| now - m.fetched_at < UNOR_MAP_REFRESH_MS) {
        return Ok(None);
    }
    let units = ehrm.units().await?;
    let map = UnorMap {
        fetched_at: now,
        units: units
            .into_iter()
            .map(|u| (u.id, u.bkn_id.filter(|b| !b.trim().is_empty())))
            .collect(),
    };
    let count = map.units.len();
    overwrite_document(controls, UNOR_MAP_DOCUMENT, &map).await?;
    tracing::info!(units = count, "eHRM's unit map read");
    Ok(Some(count))
}

/// The refresh as a scheduled task: `serve` and the scheduled function call [`Self::tick`]
/// often; eHRM is read only when the map is older than [`UNOR_MAP_REFRESH_MS`]. The people
/// the console names ([`crate::people`]) are read on the same cadence.
pub struct UnitMapRefresher {
    pub controls: std::sync::Arc<dyn ControlStore>,
    pub ehrm: std::sync::Arc<dyn EhrmDirectory>,
    pub clock: std::sync::Arc<dyn Clock>,
}

impl UnitMapRefresher {
    pub async fn tick(&self) {
        match refresh(
            self.controls.as_ref(),
            self.ehrm.as_ref(),
            self.clock.as_ref(),
            false,
        )
        .await
        {
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "eHRM's unit map not refreshed; the last one stays")
            }
        }
        if let Err(e) = crate::people::refresh(
            self.controls.as_ref(),
            self.ehrm.as_ref(),
            self.clock.as_ref(),
            false,
        )
        .await
        {
            tracing::warn!(error = %e, "eHRM's employees not read again; the last list stays");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryControls;

    #[tokio::test]
    async fn a_unit_is_mapped_unmapped_unknown_or_not_yet_known() {
        let controls = MemoryControls::default();
        assert_eq!(
            lookup(&controls, "PU.01").await.ok(),
            Some(UnitMapping::NotLoaded)
        );
        let mut units = BTreeMap::new();
        units.insert("PU.01".to_string(), Some("A1B2".to_string()));
        units.insert("PU.02".to_string(), None);
        let map = UnorMap {
            fetched_at: 1,
            units,
        };
        overwrite_document(&controls, UNOR_MAP_DOCUMENT, &map)
            .await
            .expect("in memory");
        let found = |id: &'static str| {
            let c = &controls;
            async move { lookup(c, id).await.ok() }
        };
        assert_eq!(
            found("PU.01").await,
            Some(UnitMapping::Mapped("A1B2".into()))
        );
        assert_eq!(found("PU.02").await, Some(UnitMapping::Unmapped));
        assert_eq!(found("PU.09").await, Some(UnitMapping::Unknown));
        assert!(
            UnitMapping::Unmapped
                .refusal("PU.02")
                .is_some_and(|r| r.contains("PU.02"))
        );
    }
}
