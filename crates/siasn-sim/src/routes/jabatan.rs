//! Riwayat jabatan writes (`docs/bkn-api.md`, "Riwayat jabatan"): `jabatan/save` (create or
//! update, checked as BKN's Go validator would: the fields each `jenisJabatan` needs, dates as
//! `dd-mm-yyyy`, a unit BKN knows), `jabatan/delete/{id}`, the multipart `upload-dok-rw`, and
//! `pns/data-utama-jabatansync`. Every write leaves the owner's data-utama stale until the
//! refresh is asked for; the tests read that.

use super::*;
use crate::state::{Db, StoredJabatan};

/// The `id_ref_dokumen` values BKN's forms use for history documents.
const KNOWN_DOC_REFS: [&str; 10] = [
    "872", "873", "874", "879", "880", "881", "882", "890", "891", "892",
];

fn refused(f: &Faults, message: impl Into<String>) -> Response {
    let message = message.into();
    let body = match f.reject_style {
        RejectStyle::SuccessFalse => json!({"success": false, "message": message}),
        RejectStyle::SuccessFalseString => json!({"success": "false", "message": message}),
        RejectStyle::Pascal => json!({"Error": true, "Message": message}),
    };
    json_response(
        StatusCode::from_u16(f.reject_status).unwrap_or(StatusCode::OK),
        body,
    )
}

fn field(b: &Map<String, Value>, key: &str) -> String {
    let lower = key.to_lowercase();
    b.iter()
        .find(|(k, _)| k.to_lowercase() == lower)
        .and_then(|(_, v)| match v {
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .unwrap_or_default()
}

/// BKN's checks of a `jabatan/save` body, every broken rule listed.
fn check(db: &Db, f: &Faults, b: &Map<String, Value>) -> Vec<String> {
    let mut errors = Vec::new();
    let mut need = |key: &str, label: &str| {
        if field(b, key).is_empty() {
            errors.push(format!("{label} is required"));
        }
    };
    need("pnsId", "PnsId");
    need("nomorSk", "NomorSk");
    need("instansiId", "InstansiId");
    let jenis = field(b, "jenisJabatan");
    match jenis.as_str() {
        "1" => {
            need("unorId", "UnorId");
            need("eselonId", "EselonId");
        }
        "2" => need("jabatanFungsionalId", "JabatanFungsionalId"),
        "4" => need("jabatanFungsionalUmumId", "JabatanFungsionalUmumId"),
        _ => errors.push("JenisJabatan must be one of 1 2 4".into()),
    }
    for (key, label, required) in [
        ("tmtJabatan", "TmtJabatan", true),
        ("tanggalSk", "TanggalSk", true),
        ("tmtPelantikan", "TmtPelantikan", false),
    ] {
        let v = field(b, key);
        if v.is_empty() {
            if required {
                errors.push(format!("{label} is required"));
            }
        } else if v.len() != 10 || parse_bkn_date(&v).is_none() {
            errors.push(format!("{label} format tanggal harus dd-mm-yyyy"));
        }
    }
    let unor = field(b, "unorId");
    if !unor.is_empty()
        && !db
            .units
            .iter()
            .any(|u| u.unor_id_bkn.as_deref() == Some(unor.as_str()))
    {
        errors.push("Unor tidak ditemukan".into());
    }
    if f.jabatan_requires_document && b.get("path").is_none_or(Value::is_null) {
        errors.push("Dokumen SK Jabatan wajib diunggah".into());
    }
    errors
}

fn item(db: &Db, b: &Map<String, Value>, nip: &str, id: &str) -> Value {
    let unor = field(b, "unorId");
    let unit = db
        .units
        .iter()
        .find(|u| u.unor_id_bkn.as_deref() == Some(unor.as_str()));
    let text = |k: &str| {
        let v = field(b, k);
        if v.is_empty() { Value::Null } else { json!(v) }
    };
    let jenis = field(b, "jenisJabatan");
    let named = |k: &str| db.position_names.get(&field(b, k)).cloned();
    let nama = match jenis.as_str() {
        "1" => unit.map(|u| u.nama_jabatan.clone()),
        "2" => named("jabatanFungsionalId"),
        _ => named("jabatanFungsionalUmumId"),
    };
    json!({
        "id": id,
        "idPns": field(b, "pnsId"),
        "nipBaru": nip,
        "jenisJabatan": field(b, "jenisJabatan"),
        "instansiKerjaId": field(b, "instansiId"),
        "satuanKerjaId": text("satuanKerjaId"),
        "unorId": text("unorId"),
        "unorNama": unit.map(|u| u.nama.clone()),
        "namaUnor": unit.map(|u| u.nama.clone()),
        "eselonId": text("eselonId"),
        "namaJabatan": nama,
        "jabatanFungsionalNama": (jenis == "2").then(|| nama.clone()).flatten(),
        "jabatanFungsionalUmumNama": (jenis == "4").then(|| nama.clone()).flatten(),
        "jabatanFungsionalId": text("jabatanFungsionalId"),
        "jabatanFungsionalUmumId": text("jabatanFungsionalUmumId"),
        "tmtJabatan": field(b, "tmtJabatan"),
        "nomorSk": field(b, "nomorSk"),
        "tanggalSk": field(b, "tanggalSk"),
        "tmtPelantikan": text("tmtPelantikan"),
        "path": null,
        "createdAt": if rand::rng().random_bool(0.5) { json!("2026-12-01T00:00:00Z") } else { Value::Null },
    })
}

fn save_now(db: &mut Db, f: &Faults, b: &Map<String, Value>) -> Response {
    let errors = check(db, f, b);
    if !errors.is_empty() {
        db.stats.rejections += 1;
        let list: String = errors.iter().map(|e| format!("\n\t* {e}")).collect();
        return refused(f, format!("{} error(s) occurred:{list}", errors.len()));
    }
    let pns_id = field(b, "pnsId");
    let Some(nip) = db.pns_to_nip.get(&pns_id).cloned() else {
        db.stats.rejections += 1;
        return refused(f, "PnsId tidak ditemukan");
    };
    if let Some(message) = f.reject_nips.get(&nip) {
        db.stats.rejections += 1;
        return refused(f, message.clone());
    }
    let id = field(b, "id");
    let id = if id.is_empty() {
        let id = db.new_id();
        let item = item(db, b, &nip, &id);
        db.jabatan.push(StoredJabatan {
            nip,
            pns_id: pns_id.clone(),
            item,
            writes: 1,
        });
        db.stats.creates += 1;
        id
    } else {
        let Some(at) = db
            .jabatan
            .iter()
            .position(|r| r.id() == id && r.pns_id == pns_id)
        else {
            db.stats.rejections += 1;
            return refused(f, "Data riwayat jabatan tidak ditemukan");
        };
        let mut item = item(db, b, &nip, &id);
        let stored = &mut db.jabatan[at];
        // An update keeps the documents already attached.
        if let (Some(o), Some(path)) = (item.as_object_mut(), stored.item.get("path")) {
            o.insert("path".into(), path.clone());
        }
        stored.item = item;
        stored.writes += 1;
        db.stats.updates += 1;
        id
    };
    db.data_utama_stale.insert(pns_id);
    json_response(
        StatusCode::OK,
        json!({"success": true, "message": "success", "mapData": {"rwJabatanId": id}}),
    )
}

pub(super) async fn save_jabatan(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    pre!(sim, drop, "jabatan/save", headers, true);
    let f = sim.faults();
    let Ok(Value::Object(b)) = serde_json::from_slice::<Value>(&body) else {
        return refused(&f, "invalid request body");
    };
    let response = match sim.db.lock() {
        Ok(mut db) => save_now(&mut db, &f, &b),
        Err(_) => return not_found(),
    };
    if sim.lose_this_response() {
        return drop_now(drop).await;
    }
    response
}

pub(super) async fn delete_jabatan(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    pre!(sim, drop, "jabatan/delete", headers, true);
    let response = {
        let Ok(mut db) = sim.db.lock() else {
            return not_found();
        };
        let Some(at) = db.jabatan.iter().position(|r| r.id() == id) else {
            return json_response(
                StatusCode::OK,
                json!({"success": false, "message": "Data tidak ditemukan"}),
            );
        };
        let gone = db.jabatan.remove(at);
        db.data_utama_stale.insert(gone.pns_id);
        db.stats.deletes += 1;
        json_response(
            StatusCode::OK,
            json!({"success": true, "message": "success"}),
        )
    };
    if sim.lose_this_response() {
        return drop_now(drop).await;
    }
    response
}

/// The parts of a `multipart/form-data` body: name → bytes.
fn multipart(headers: &HeaderMap, body: &[u8]) -> Option<HashMap<String, Vec<u8>>> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let boundary = ct
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))?;
    let delimiter = format!("--{}", boundary.trim_matches('"'));
    let text = body;
    let mut parts = HashMap::new();
    let positions: Vec<usize> = find_all(text, delimiter.as_bytes());
    for w in positions.windows(2) {
        let part = &text[w[0] + delimiter.len()..w[1]];
        let part = part.strip_prefix(b"\r\n")?;
        let split = find_all(part, b"\r\n\r\n").first().copied()?;
        let head = String::from_utf8_lossy(&part[..split]).to_string();
        let content = &part[split + 4..];
        let content = content.strip_suffix(b"\r\n").unwrap_or(content);
        let name = head
            .split(';')
            .find_map(|p| p.trim().strip_prefix("name=\""))
            .and_then(|n| n.split('"').next())?;
        parts.insert(name.to_string(), content.to_vec());
    }
    Some(parts)
}

fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return Vec::new();
    }
    (0..=hay.len() - needle.len())
        .filter(|&i| &hay[i..i + needle.len()] == needle)
        .collect()
}

fn upload_now(db: &mut Db, f: &Faults, parts: &HashMap<String, Vec<u8>>) -> Response {
    let text = |k: &str| {
        parts
            .get(k)
            .map(|v| String::from_utf8_lossy(v).trim().to_string())
            .unwrap_or_default()
    };
    let (riwayat, dok_ref) = (text("id_riwayat"), text("id_ref_dokumen"));
    let file = parts.get("file").cloned().unwrap_or_default();
    if !KNOWN_DOC_REFS.contains(&dok_ref.as_str()) {
        db.stats.rejections += 1;
        return refused(f, "id_ref_dokumen tidak dikenal");
    }
    if !file.starts_with(b"%PDF") {
        db.stats.rejections += 1;
        return refused(f, "File harus berformat PDF");
    }
    let Some(stored) = db.jabatan.iter_mut().find(|r| r.id() == riwayat) else {
        db.stats.rejections += 1;
        return refused(f, "Data riwayat tidak ditemukan");
    };
    let object = format!("peremajaan/usulan/{riwayat}_{dok_ref}_{}.pdf", {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        file.hash(&mut h);
        format!("{:016x}", h.finish())
    });
    let doc = json!({"dok_id": dok_ref, "dok_nama": "SK Jabatan", "dok_uri": object, "object": object, "slug": dok_ref});
    if let Some(o) = stored.item.as_object_mut() {
        let mut path = o
            .get("path")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        path.insert(dok_ref, doc.clone());
        o.insert("path".into(), Value::Object(path));
    }
    db.stats.uploads += 1;
    json_response(
        StatusCode::OK,
        json!({"success": true, "message": "success", "data": doc}),
    )
}

pub(super) async fn upload_dok_rw(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    pre!(sim, drop, "upload-dok-rw", headers, true);
    let f = sim.faults();
    let Some(parts) = multipart(&headers, &body) else {
        return refused(&f, "request Content-Type isn't multipart/form-data");
    };
    let response = match sim.db.lock() {
        Ok(mut db) => upload_now(&mut db, &f, &parts),
        Err(_) => return not_found(),
    };
    if sim.lose_this_response() {
        return drop_now(drop).await;
    }
    response
}

pub(super) async fn data_utama_jabatansync(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    pre!(sim, drop, "data-utama-jabatansync", headers, true);
    let Ok(mut db) = sim.db.lock() else {
        return not_found();
    };
    let pns_id = q.get("pns_orang_id").cloned().unwrap_or_default();
    if !db.pns_to_nip.contains_key(&pns_id) {
        return not_found();
    }
    db.data_utama_stale.remove(&pns_id);
    db.stats.data_utama_syncs += 1;
    json_response(
        StatusCode::OK,
        json!({"success": true, "message": "sukses"}),
    )
}
