//! The `unor` and `pejabat_struktural` data sets: the unit tree and who heads each unit.

use std::collections::{HashMap, HashSet};

use super::*;

/// The unit tree and who heads each structural unit.
///
/// `holder_pns` maps eHRM holders' NIPs to their SIASN PNS ids and `nip_of_pns` maps PNS ids
/// back to NIPs (both from the employees read); a head BKN names that cannot be mapped is
/// shown as `pns:<id>`. Holders missing at BKN are left to their `pegawai` row.
pub fn compare_units(
    ctx: &Context,
    ehrm_units: &[UnitFacts],
    bkn_units: &[UnitFacts],
    posts: &[StructuralPost],
    holder_pns: &HashMap<String, String>,
    nip_of_pns: &HashMap<String, String>,
    missing_at_bkn: &HashSet<String>,
) -> Vec<Discrepancy> {
    let bkn: HashMap<String, &UnitFacts> = bkn_units
        .iter()
        .filter_map(|u| Some((norm::id(Some(&u.id))?, u)))
        .collect();
    let mut out = Vec::new();
    let mut referenced = HashSet::new();
    let mut found_units: HashMap<&str, &UnitFacts> = HashMap::new();
    for u in ehrm_units {
        let mapped = norm::id(u.bkn_id.as_deref());
        let Some(b) = mapped.as_ref().and_then(|id| bkn.get(id)) else {
            out.push(unit_row(Kind::MissingAtBkn, &u.id, None, mapped, None));
            continue;
        };
        referenced.insert(norm::id(Some(&b.id)).unwrap_or_default());
        found_units.insert(u.id.as_str(), b);
        for (field, ev, bv) in unit_fields(ctx, u, b) {
            if ev != bv {
                out.push(unit_row(Kind::Differs, &u.id, Some(field), ev, bv));
            }
        }
    }
    let mut extra: Vec<&&UnitFacts> = bkn
        .iter()
        .filter(|(id, _)| !referenced.contains(*id))
        .map(|(_, u)| u)
        .collect();
    extra.sort_by(|a, b| a.id.cmp(&b.id));
    for b in extra {
        let nama = norm::text(b.nama.as_deref());
        out.push(unit_row(Kind::MissingInEhrm, &b.id, None, None, nama));
    }
    let heads = Heads {
        holder_pns,
        nip_of_pns,
    };
    for p in posts {
        let Some(b) = found_units.get(p.unor_id.as_str()) else {
            continue;
        };
        if p.nip.as_ref().is_some_and(|n| missing_at_bkn.contains(n)) {
            continue;
        }
        out.extend(heads.compare(ctx, p, b));
    }
    out
}

fn unit_row(
    kind: Kind,
    unit: &str,
    field: Option<&str>,
    ehrm_value: Option<String>,
    bkn_value: Option<String>,
) -> Discrepancy {
    Discrepancy {
        data_set: DataSet::Unor,
        kind,
        nip: None,
        unor_id: Some(unit.to_string()),
        field: field.map(str::to_string),
        ehrm_value,
        bkn_value,
        authority: Authority::Ehrm,
        action: Action::NeedsReview,
        priority: Priority::Normal,
        note: None,
        unit: None,
    }
}

/// A unit's fields on both sides, normalised. The parent is compared only when eHRM mapped it
/// (an unmapped parent has its own row).
fn unit_fields(
    ctx: &Context,
    u: &UnitFacts,
    b: &UnitFacts,
) -> Vec<(&'static str, Option<String>, Option<String>)> {
    let mut fields = vec![
        (
            "nama",
            norm::text(u.nama.as_deref()),
            norm::text(b.nama.as_deref()),
        ),
        (
            "eselon",
            norm::eselon(u.eselon.as_deref()),
            norm::eselon(b.eselon.as_deref()),
        ),
        (
            "nama_jabatan",
            norm::text(u.nama_jabatan.as_deref()),
            norm::text(b.nama_jabatan.as_deref()),
        ),
    ];
    match u.parent.as_deref().map(|p| ctx.mapped(Some(p))) {
        None => fields.push(("parent", None, norm::id(b.parent.as_deref()))),
        Some(Some(p)) => fields.push(("parent", Some(p), norm::id(b.parent.as_deref()))),
        Some(None) => {}
    }
    fields
}

/// Who heads a unit on each side, as NIPs.
struct Heads<'a> {
    holder_pns: &'a HashMap<String, String>,
    nip_of_pns: &'a HashMap<String, String>,
}

impl Heads<'_> {
    /// BKN's head of `b` as a NIP (or `pns:<id>` when it cannot be mapped).
    fn bkn_head(&self, b: &UnitFacts) -> Option<String> {
        norm::id(b.head_pns_id.as_deref()).map(|pns| {
            self.nip_of_pns
                .get(&pns)
                .cloned()
                .or_else(|| {
                    self.holder_pns
                        .iter()
                        .find(|(_, v)| norm::id(Some(v)).as_deref() == Some(pns.as_str()))
                        .map(|(k, _)| k.clone())
                })
                .unwrap_or(format!("pns:{pns}"))
        })
    }

    fn compare(&self, ctx: &Context, p: &StructuralPost, b: &UnitFacts) -> Option<Discrepancy> {
        let bkn_head = self.bkn_head(b);
        if p.nip == bkn_head {
            return None;
        }
        let priority = p
            .nip
            .as_deref()
            .map_or(Priority::Struktural, |n| ctx.priority(n))
            .min(Priority::Struktural);
        Some(Discrepancy {
            data_set: DataSet::PejabatStruktural,
            kind: Kind::Differs,
            nip: None,
            unor_id: Some(p.unor_id.clone()),
            field: Some("pemimpin".into()),
            ehrm_value: p.nip.clone(),
            bkn_value: bkn_head,
            authority: Authority::Ehrm,
            action: Action::NeedsReview,
            priority,
            note: None,
            unit: None,
        })
    }
}
