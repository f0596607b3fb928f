//! The SIASN reads: data-utama, riwayat, reference units, promotion and retirement lists.

use super::*;

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
    match db.employees.get(&nip) {
        Some(e) => list(render::rw_jabatan(e, &db.units)),
        None => not_found(),
    }
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
    let Ok(db) = sim.db.lock() else {
        return not_found();
    };
    if !db.employees.contains_key(&nip) {
        return not_found();
    }
    list(
        db.periodik
            .iter()
            .filter(|r| r.nip == nip)
            .map(render::periodik)
            .collect(),
    )
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

fn query_date(q: &HashMap<String, String>, key: &str) -> Option<time::Date> {
    let v = q.get(key)?;
    parse_iso_date(v).or_else(|| parse_bkn_date(v))
}

pub(super) async fn list_kp(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    pre!(sim, drop, "list-kp-instansi", headers, true);
    let Some(periode) = query_date(&q, "periode") else {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"code": 0, "data": "periode is required (yyyy-mm-dd)"}),
        );
    };
    let Ok(db) = sim.db.lock() else {
        return not_found();
    };
    let mut items: Vec<Value> = db
        .employees
        .values()
        .filter(|e| crate::promotion_due(e) == Some(periode))
        .map(|e| {
            json!({"nipBaru": e.nip, "pnsId": e.pns_id, "nama": e.nama.to_uppercase(),
                   "golonganLamaId": ehrm_sync_population::golongan_to_bkn(&e.golongan),
                   "tmtGolonganLama": render::bkn_date(&e.tmt_golongan),
                   "periode": render::bkn_date(&ehrm_sync_domain::dates::format_iso_date(periode))})
        })
        .collect();
    items.sort_by(|a, b| a["nipBaru"].as_str().cmp(&b["nipBaru"].as_str()));
    paged(items, &q)
}

pub(super) async fn list_pensiun(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    pre!(sim, drop, "list-pensiun-instansi", headers, true);
    let (Some(from), Some(to)) = (query_date(&q, "tglAwal"), query_date(&q, "tglAkhir")) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"code": 0, "data": "tglAwal and tglAkhir are required"}),
        );
    };
    let Ok(db) = sim.db.lock() else {
        return not_found();
    };
    let mut items: Vec<Value> = db
        .employees
        .values()
        .filter(|e| parse_iso_date(&e.tmt_pensiun).is_some_and(|d| d >= from && d <= to))
        .map(|e| {
            json!({"nipBaru": e.nip, "pnsId": e.pns_id, "nama": e.nama.to_uppercase(),
                        "tmtPensiun": render::bkn_date(&e.tmt_pensiun)})
        })
        .collect();
    items.sort_by(|a, b| a["nipBaru"].as_str().cmp(&b["nipBaru"].as_str()));
    paged(items, &q)
}
