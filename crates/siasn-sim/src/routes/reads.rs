//! The SIASN reads: data-utama, riwayat, reference units, promotion and retirement lists.

use super::*;
use crate::history;
use ehrm_sync_population::golongan_to_bkn;

pub(super) async fn data_utama(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    Path(nip): Path<String>,
) -> Response {
    pre!(sim, drop, "data-utama", &nip, headers, true);
    let Ok(db) = sim.db.lock() else {
        return not_found();
    };
    match db.employees.get(&nip) {
        Some(e) => json_response(
            StatusCode::OK,
            json!({"code": 1, "data": render::data_utama(e, &db.units)}),
        ),
        None => not_found(),
    }
}

pub(super) async fn rw_jabatan(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    Path(nip): Path<String>,
) -> Response {
    pre!(sim, drop, "rw-jabatan", &nip, headers, true);
    let Ok(db) = sim.db.lock() else {
        return not_found();
    };
    if !db.employees.contains_key(&nip) {
        return not_found();
    }
    list(
        db.jabatan
            .iter()
            .filter(|r| r.nip == nip)
            .map(|r| render::quirky_jabatan(&r.item))
            .collect(),
    )
}

pub(super) async fn rw_skp22(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    Path(nip): Path<String>,
) -> Response {
    pre!(sim, drop, "rw-skp22", &nip, headers, true);
    let Ok(db) = sim.db.lock() else {
        return not_found();
    };
    if !db.employees.contains_key(&nip) {
        return not_found();
    }
    list(
        db.skp22
            .iter()
            .filter(|r| r.nip == nip)
            .map(render::skp22)
            .collect(),
    )
}

pub(super) async fn rw_kinerjaperiodik(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    Path(nip): Path<String>,
) -> Response {
    pre!(sim, drop, "rw-kinerjaperiodik", &nip, headers, true);
    let f = sim.faults();
    let Ok(db) = sim.db.lock() else {
        return not_found();
    };
    if !db.employees.contains_key(&nip) {
        return not_found();
    }
    let items: Vec<Value> = db
        .periodik
        .iter()
        .filter(|r| r.nip == nip)
        .map(|r| {
            let mut item = render::periodik(r);
            if f.periodic_without_months
                && let Some(o) = item.as_object_mut()
            {
                o.remove("bulanMulaiPenilaian");
                o.remove("bulanSelesaiPenilaian");
            }
            item
        })
        .collect();
    match f.empty_periodic_status {
        Some(status) if items.is_empty() => json_response(
            StatusCode::from_u16(status).unwrap_or(StatusCode::NOT_FOUND),
            json!({"code": 0, "data": null}),
        ),
        _ => list(items),
    }
}

fn paging(q: &HashMap<String, String>) -> (usize, usize) {
    let limit = q
        .get("limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
        .clamp(1, 1000);
    let offset = q.get("offset").and_then(|v| v.parse().ok()).unwrap_or(0);
    (limit, offset)
}

fn paged(items: Vec<Value>, q: &HashMap<String, String>) -> Response {
    let (limit, offset) = paging(q);
    let count = items.len();
    let page: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    json_response(
        StatusCode::OK,
        json!({"code": 1, "count": count, "data": page}),
    )
}

pub(super) async fn ref_unor(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    pre!(sim, drop, "ref-unor", headers, true);
    let Ok(db) = sim.db.lock() else {
        return not_found();
    };
    let pns_of = |nip: &str| db.employees.get(nip).map(|e| e.pns_id.clone());
    let items = db
        .units
        .iter()
        .filter(|u| u.unor_id_bkn.is_some())
        .map(|u| render::ref_unor(u, &db.units, &pns_of))
        .collect();
    paged(items, &q)
}

/// An empty list, as SIASN answers a query it cannot read (`docs/bkn-api.md`, "Lists": no error, nothing listed).
fn empty_list() -> Response {
    json_response(StatusCode::OK, json!({"code": 1, "count": 0, "data": []}))
}

/// A proposal's UUID, stable per (service, NIP, date) so repeated reads agree.
fn proposal_id(service: &str, nip: &str, date: time::Date) -> String {
    let h = |salt: u64| {
        use std::hash::{Hash, Hasher};
        let mut s = std::collections::hash_map::DefaultHasher::new();
        (service, nip, date, salt).hash(&mut s);
        s.finish()
    };
    let (a, b) = (h(1), h(2));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48 & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

pub(super) async fn list_kp(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    pre!(sim, drop, "list-kp-instansi", headers, true);
    // `periode` is `yyyy-mm-dd` (`docs/bkn-api.md`, "Lists") and, since Perban BKN 4/2025, any 1st of the month;
    // anything else lists nothing.
    let Some(periode) = q
        .get("periode")
        .and_then(|v| parse_iso_date(v).filter(|_| v.len() == 10))
        .filter(|d| d.day() == 1)
    else {
        return empty_list();
    };
    let Ok(db) = sim.db.lock() else {
        return not_found();
    };
    let mut items: Vec<Value> = db
        .employees
        .values()
        .filter(|e| crate::promotion_due(e) == Some(periode))
        .filter_map(|e| {
            let (status, nama, alasan, _) = history::proposal(&e.siasn.kp_usulan, false)?;
            let (alasan_id, alasan_text) = split_reason(alasan);
            Some(
                json!({"id": proposal_id("kp", &e.nip, periode), "pnsId": e.pns_id,
                   "nipBaru": e.nip, "nama": e.nama.to_uppercase(),
                   "statusUsulan": status, "statusUsulanNama": nama,
                   "alasan_tolak_id": alasan_id, "alasan_tolak_tambahan": alasan_text,
                   "golonganBaruId": crate::next_golongan_bkn(&e.golongan),
                   "tmtKp": ehrm_sync_domain::dates::format_bkn_date(periode),
                   "no_pertek": null, "no_sk": null, "isOtomatis": false,
                   "jenis_kp": "Kenaikan Pangkat Reguler"}),
            )
        })
        .collect();
    items.sort_by(|a, b| a["nipBaru"].as_str().cmp(&b["nipBaru"].as_str()));
    paged(items, &q)
}

/// A planted reason `"BTS: text"` as SIASN splits it: a reason id and free text.
fn split_reason(alasan: Option<String>) -> (Value, Value) {
    match alasan {
        Some(a) => match a.split_once(": ") {
            Some((id, text)) => (json!(id), json!(text)),
            None => (Value::Null, json!(a)),
        },
        None => (Value::Null, Value::Null),
    }
}

pub(super) async fn list_pensiun(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    pre!(sim, drop, "list-pensiun-instansi", headers, true);
    // Only `dd-mm-yyyy` (`docs/bkn-api.md`, "Lists"); another format lists nothing, silently.
    let bkn_date = |k: &str| {
        q.get(k)
            .filter(|v| v.len() == 10 && v.as_bytes().get(2) == Some(&b'-'))
            .and_then(|v| parse_bkn_date(v))
    };
    let (Some(from), Some(to)) = (bkn_date("tglAwal"), bkn_date("tglAkhir")) else {
        return empty_list();
    };
    let Ok(db) = sim.db.lock() else {
        return not_found();
    };
    let mut items: Vec<Value> = db
        .employees
        .values()
        .filter(|e| parse_iso_date(&e.tmt_pensiun).is_some_and(|d| d >= from && d <= to))
        .filter_map(|e| {
            let tmt = parse_iso_date(&e.tmt_pensiun).unwrap_or(from);
            let derived_kpp = history::kpp(e, tmt);
            let (status, nama, alasan, kpp) =
                history::proposal(&e.siasn.pensiun_usulan, derived_kpp)?;
            let (alasan_id, alasan_text) = split_reason(alasan);
            Some(
                json!({"id": proposal_id("pensiun", &e.nip, tmt), "pnsId": e.pns_id,
                   "nipBaru": e.nip, "nama": e.nama.to_uppercase(),
                   "statusUsulan": status, "statusUsulanNama": nama,
                   "alasan_tolak_id": alasan_id, "alasan_tolak_tambahan": alasan_text,
                   "detailLayananNama": if kpp { "BUP KPP" } else { "BUP" },
                   "golonganId": golongan_to_bkn(&e.golongan),
                   "golonganKppId": kpp.then(|| crate::next_golongan_bkn(&e.golongan)),
                   "tglLahir": render::bkn_date(&e.tgl_lahir),
                   "pertekNomor": null, "skNomor": null,
                   "tmtPensiun": render::bkn_date(&e.tmt_pensiun)}),
            )
        })
        .collect();
    items.sort_by(|a, b| a["nipBaru"].as_str().cmp(&b["nipBaru"].as_str()));
    paged(items, &q)
}

/// The readiness histories: rw-golongan, rw-hukdis, rw-angkakredit, rw-pendidikan.
macro_rules! history_route {
    ($name:ident, $endpoint:literal, $render:expr) => {
        pub(super) async fn $name(
            State(sim): State<Shared>,
            Extension(drop): Extension<DropConnection>,
            headers: HeaderMap,
            Path(nip): Path<String>,
        ) -> Response {
            pre!(sim, drop, $endpoint, &nip, headers, true);
            let Ok(db) = sim.db.lock() else {
                return not_found();
            };
            match db.employees.get(&nip) {
                Some(e) => list($render(e)),
                None => not_found(),
            }
        }
    };
}

history_route!(rw_golongan, "rw-golongan", history::rw_golongan);
history_route!(rw_hukdis, "rw-hukdis", history::rw_hukdis);
history_route!(rw_pendidikan, "rw-pendidikan", history::rw_pendidikan);
history_route!(rw_angkakredit, "rw-angkakredit", |e| {
    history::rw_angkakredit(e, time::OffsetDateTime::now_utc().year())
});
