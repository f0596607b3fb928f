//! The people and units the console names (`docs/console.md`, "Names"): eHRM's employees
//! (NIP → name with titles, unit code) and eHRM's units (code → name, parent), read again from
//! eHRM's read API with the unit map (every 6 hours) and kept as shared documents. HR officers
//! match failed records and findings to people by name and unit, not by NIP.
//!
//! The employees are spread over [`SHARDS`] documents by NIP, so that no document outgrows a
//! DynamoDB item (400 KB) at 100,000 employees; the index document holds the units, and a
//! small stamp the time of the last read (what every page view reads). Names are personal data (`docs/privacy.md`): shown only to signed-in
//! users, never logged, overwritten at each read, and removed by the erasure of a person.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use ehrm_sync_domain::reconcile::{PegawaiFacts, UnitFacts};
use ehrm_sync_domain::record::Millis;

use crate::ports::{
    Clock, ControlStore, EhrmDirectory, RefreshError, StoreError, load_document,
    overwrite_document, save_document,
};

/// The index document: when eHRM was read, and its units.
pub const PEOPLE_INDEX: &str = "people";
/// A small document with the time of the last read alone, which every page view reads.
pub const PEOPLE_STAMP: &str = "people/at";
/// Documents the employees are spread over.
pub const SHARDS: u32 = 64;
/// How often eHRM's employees are read again.
pub const PEOPLE_REFRESH_MS: i64 = 6 * 3600 * 1000;

/// One employee as the console names them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// As eHRM prints it, titles included (`Ir. Budi Santoso, M.T.`); empty when eHRM gave none.
    pub name: String,
    /// eHRM's unit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// One unit: its name and its parent's code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeopleIndex {
    pub fetched_at: Millis,
    pub employees: usize,
    pub units: BTreeMap<String, Unit>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp {
    fetched_at: Millis,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Shard {
    people: BTreeMap<String, Person>,
}

/// The shard a NIP lives in (a stable hash: the same on every machine and every version).
pub fn shard_of(nip: &str) -> u32 {
    nip.bytes().fold(2_166_136_261u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16_777_619)
    }) % SHARDS
}

fn shard_name(shard: u32) -> String {
    format!("{PEOPLE_INDEX}/{shard:02}")
}

/// The name as eHRM prints it: front titles, name, back titles after a comma.
pub fn display_name(p: &PegawaiFacts) -> Option<String> {
    let name = p.nama.as_deref().map(str::trim).filter(|n| !n.is_empty())?;
    let front = p.gelar_depan.as_deref().map(str::trim).unwrap_or_default();
    let back = p
        .gelar_belakang
        .as_deref()
        .map(str::trim)
        .unwrap_or_default();
    let mut out = String::new();
    if !front.is_empty() {
        out.push_str(front);
        out.push(' ');
    }
    out.push_str(name);
    if !back.is_empty() {
        out.push_str(", ");
        out.push_str(back);
    }
    Some(out)
}

/// Every employee and unit, as read at `fetched_at` (0: never read).
#[derive(Clone, Debug, Default)]
pub struct Directory {
    pub fetched_at: Millis,
    people: HashMap<String, Person>,
    units: BTreeMap<String, Unit>,
}

impl Directory {
    pub fn person(&self, nip: &str) -> Option<&Person> {
        self.people.get(nip)
    }

    pub fn name(&self, nip: &str) -> Option<&str> {
        self.people
            .get(nip)
            .map(|p| p.name.as_str())
            .filter(|n| !n.is_empty())
    }

    pub fn unit_of(&self, nip: &str) -> Option<&str> {
        self.people.get(nip).and_then(|p| p.unit.as_deref())
    }

    pub fn unit(&self, code: &str) -> Option<&Unit> {
        self.units.get(code)
    }

    /// `Direktorat Bina Teknik (PU.03.02)`, or the code alone when eHRM gave no name.
    pub fn unit_label(&self, code: &str) -> String {
        match self.units.get(code).and_then(|u| u.name.as_deref()) {
            Some(name) => format!("{name} ({code})"),
            None => code.to_string(),
        }
    }

    pub fn units(&self) -> impl Iterator<Item = (&String, &Unit)> {
        self.units.iter()
    }

    pub fn knows_unit(&self, code: &str) -> bool {
        self.units.contains_key(code)
    }

    /// The unit and every unit under it.
    pub fn unit_with_descendants(&self, code: &str) -> HashSet<String> {
        unit_and_below(
            self.units
                .iter()
                .map(|(id, u)| (id.as_str(), u.parent.as_deref())),
            code,
        )
    }
}

/// The unit `root` and every unit below it, from `(code, parent)` pairs of a unit tree.
pub fn unit_and_below<'a>(
    tree: impl Iterator<Item = (&'a str, Option<&'a str>)>,
    root: &str,
) -> HashSet<String> {
    let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
    for (id, parent) in tree {
        if let Some(p) = parent {
            children.entry(p).or_default().push(id);
        }
    }
    let mut out = HashSet::from([root.to_string()]);
    let mut todo = vec![root.to_string()];
    while let Some(next) = todo.pop() {
        for child in children.get(next.as_str()).into_iter().flatten() {
            if out.insert(child.to_string()) {
                todo.push(child.to_string());
            }
        }
    }
    out
}

/// When eHRM's employees were last read (0: never), from the small stamp document alone.
pub async fn fetched_at(controls: &dyn ControlStore) -> Result<Millis, StoreError> {
    let (stamp, _) = load_document::<Stamp>(controls, PEOPLE_STAMP).await?;
    Ok(stamp.map_or(0, |s| s.fetched_at))
}

/// The whole directory: the index and every shard.
pub async fn load(controls: &dyn ControlStore) -> Result<Directory, StoreError> {
    let (index, _) = load_document::<PeopleIndex>(controls, PEOPLE_INDEX).await?;
    let Some(index) = index else {
        return Ok(Directory::default());
    };
    let mut people = HashMap::with_capacity(index.employees);
    for shard in 0..SHARDS {
        let (held, _) = load_document::<Shard>(controls, &shard_name(shard)).await?;
        people.extend(held.unwrap_or_default().people);
    }
    Ok(Directory {
        fetched_at: index.fetched_at,
        people,
        units: index.units,
    })
}

/// Reads eHRM's employees and units again when the directory is older than
/// [`PEOPLE_REFRESH_MS`] (or `force`); returns the number of employees when it did.
pub async fn refresh(
    controls: &dyn ControlStore,
    ehrm: &dyn EhrmDirectory,
    clock: &dyn Clock,
    force: bool,
) -> Result<Option<usize>, RefreshError> {
    let now = clock.now_ms();
    let held_at = fetched_at(controls).await?;
    if !force && held_at > 0 && now - held_at < PEOPLE_REFRESH_MS {
        return Ok(None);
    }
    let units = ehrm.units().await?;
    let employees = ehrm.employees().await?;
    // Someone eHRM lists without a name still counts for their unit's filter.
    let people = employees.iter().map(|e| {
        let unit = e.unor.clone().filter(|u| !u.trim().is_empty());
        let name = display_name(e).unwrap_or_default();
        (e.nip.clone(), Person { name, unit })
    });
    let count = store(controls, now, people, units_of(units)).await?;
    Ok(Some(count))
}

/// Writes a read of eHRM as the directory: the shards, then the index with `fetched_at`;
/// returns the number of employees.
pub async fn store(
    controls: &dyn ControlStore,
    fetched_at: Millis,
    people: impl IntoIterator<Item = (String, Person)>,
    units: BTreeMap<String, Unit>,
) -> Result<usize, StoreError> {
    let mut shards: Vec<Shard> = (0..SHARDS).map(|_| Shard::default()).collect();
    for (nip, person) in people {
        if let Some(shard) = shards.get_mut(shard_of(&nip) as usize) {
            shard.people.insert(nip, person);
        }
    }
    let count = shards.iter().map(|s| s.people.len()).sum();
    for (i, shard) in shards.iter().enumerate() {
        overwrite_document(controls, &shard_name(i as u32), shard).await?;
    }
    // The stamp last: a reader that sees the new time sees the new shards and index.
    let index = PeopleIndex {
        fetched_at,
        employees: count,
        units,
    };
    overwrite_document(controls, PEOPLE_INDEX, &index).await?;
    overwrite_document(controls, PEOPLE_STAMP, &Stamp { fetched_at }).await?;
    tracing::info!(
        employees = count,
        units = index.units.len(),
        "eHRM's employees read"
    );
    Ok(count)
}

fn units_of(units: Vec<UnitFacts>) -> BTreeMap<String, Unit> {
    units
        .into_iter()
        .map(|u| {
            (
                u.id,
                Unit {
                    name: u.nama.filter(|n| !n.trim().is_empty()),
                    parent: u.parent.filter(|p| !p.trim().is_empty()),
                },
            )
        })
        .collect()
}

/// What the directory holds of one person (for their report).
pub async fn person(controls: &dyn ControlStore, nip: &str) -> Result<Option<Person>, StoreError> {
    let (held, _) = load_document::<Shard>(controls, &shard_name(shard_of(nip))).await?;
    Ok(held.and_then(|mut s| s.people.remove(nip)))
}

/// Removes one person from the directory (the erasure); true when they were in it. eHRM's next
/// read brings them back while eHRM still holds them.
pub async fn forget(controls: &dyn ControlStore, nip: &str) -> Result<bool, StoreError> {
    let name = shard_name(shard_of(nip));
    for _ in 0..10 {
        let (held, revision) = load_document::<Shard>(controls, &name).await?;
        let Some(mut shard) = held else {
            return Ok(false);
        };
        if shard.people.remove(nip).is_none() {
            return Ok(false);
        }
        match save_document(controls, &name, &shard, revision).await {
            Ok(_) => return Ok(true),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Conflict)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryControls;

    #[test]
    fn a_nip_always_lands_in_the_same_shard() {
        assert_eq!(
            shard_of("198501012010011001"),
            shard_of("198501012010011001")
        );
        let spread: HashSet<u32> = (0..1000)
            .map(|i| shard_of(&format!("1985010120100110{i:02}")))
            .collect();
        assert!(spread.len() > SHARDS as usize / 2, "{spread:?}");
    }

    #[test]
    fn names_carry_their_titles_as_printed() {
        let p = PegawaiFacts {
            nip: "1".into(),
            nama: Some("Budi Santoso".into()),
            gelar_depan: Some("Ir.".into()),
            gelar_belakang: Some("M.T.".into()),
            ..PegawaiFacts::default()
        };
        assert_eq!(display_name(&p).as_deref(), Some("Ir. Budi Santoso, M.T."));
    }

    #[tokio::test]
    async fn a_forgotten_person_leaves_their_shard_and_only_them() {
        let controls = MemoryControls::default();
        let (a, b) = ("198501012010011001", "198501012010011002");
        for nip in [a, b] {
            let name = shard_name(shard_of(nip));
            let (held, rev) = load_document::<Shard>(&controls, &name).await.expect("mem");
            let mut shard = held.unwrap_or_default();
            shard.people.insert(
                nip.into(),
                Person {
                    name: format!("Pegawai {nip}"),
                    unit: Some("PU.01".into()),
                },
            );
            save_document(&controls, &name, &shard, rev)
                .await
                .expect("mem");
        }
        assert!(forget(&controls, a).await.expect("mem"));
        assert!(!forget(&controls, a).await.expect("mem"));
        assert_eq!(person(&controls, a).await.expect("mem"), None);
        assert!(person(&controls, b).await.expect("mem").is_some());
    }

    struct Listed;

    #[async_trait::async_trait]
    impl EhrmDirectory for Listed {
        async fn employees(&self) -> Result<Vec<PegawaiFacts>, crate::ports::SourceError> {
            let person = |nip: &str, nama: Option<&str>| PegawaiFacts {
                nip: nip.into(),
                nama: nama.map(str::to_string),
                unor: Some("PU.01".into()),
                ..PegawaiFacts::default()
            };
            Ok(vec![
                person("198501012010011001", Some("Budi")),
                person("198501012010011002", None),
            ])
        }
        async fn employee(
            &self,
            _: &str,
        ) -> Result<Option<ehrm_sync_domain::reconcile::EmployeeFacts>, crate::ports::SourceError>
        {
            Ok(None)
        }
        async fn units(&self) -> Result<Vec<UnitFacts>, crate::ports::SourceError> {
            Ok(vec![UnitFacts {
                id: "PU.01".into(),
                nama: Some("Sekretariat Jenderal".into()),
                ..UnitFacts::default()
            }])
        }
        async fn structural_posts(
            &self,
        ) -> Result<Vec<ehrm_sync_domain::reconcile::StructuralPost>, crate::ports::SourceError>
        {
            Ok(Vec::new())
        }
    }

    #[tokio::test]
    async fn a_read_keeps_everyone_for_their_unit_and_names_those_named() {
        let controls = MemoryControls::default();
        let clock = crate::test_support::FakeClock::at(1_000);
        let read = refresh(&controls, &Listed, &clock, false)
            .await
            .expect("read");
        assert_eq!(read, Some(2));
        assert_eq!(
            refresh(&controls, &Listed, &clock, false)
                .await
                .expect("fresh"),
            None,
            "not read again within 6 hours"
        );
        let dir = load(&controls).await.expect("load");
        assert_eq!(dir.fetched_at, 1_000);
        assert_eq!(dir.name("198501012010011001"), Some("Budi"));
        assert_eq!(
            dir.name("198501012010011002"),
            None,
            "no name, no empty name"
        );
        assert_eq!(dir.unit_of("198501012010011002"), Some("PU.01"));
        assert_eq!(dir.unit_label("PU.01"), "Sekretariat Jenderal (PU.01)");
    }

    #[test]
    fn a_unit_covers_its_sub_units() {
        let unit = |parent: Option<&str>| Unit {
            name: None,
            parent: parent.map(str::to_string),
        };
        let dir = Directory {
            units: BTreeMap::from([
                ("PU".to_string(), unit(None)),
                ("PU.01".to_string(), unit(Some("PU"))),
                ("PU.01.02".to_string(), unit(Some("PU.01"))),
                ("PU.02".to_string(), unit(Some("PU"))),
            ]),
            ..Directory::default()
        };
        let under: HashSet<String> = dir.unit_with_descendants("PU.01");
        assert_eq!(
            under,
            HashSet::from(["PU.01".to_string(), "PU.01.02".to_string()])
        );
    }
}
