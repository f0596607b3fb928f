//! Riwayat jabatan events as eHRM sends them (`docs/ehrm-contract.md`, "Riwayat jabatan"), and
//! SK documents to serve from the eHRM simulator: for tests, the demo and the benches.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use ehrm_sync_population::{Employee, Jabatan, JenisJabatan, Unit};

/// A small, valid-looking PDF whose bytes depend on `seed`.
pub fn sk_pdf(seed: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% SK Jabatan {seed}\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

/// `dokumen_sk` describing `bytes` as document `id`.
pub fn dokumen(id: &str, bytes: &[u8]) -> Value {
    let sha: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    json!({"id": id, "sha256": sha, "ukuran": bytes.len(), "nama": format!("{id}.pdf")})
}

/// A new structural post in `unit` (which must have an eselon), from `tmt` (`YYYY-MM-DD`).
pub fn struktural(e: &Employee, riwayat_id: &str, unit: &Unit, tmt: &str, nomor_sk: &str) -> Value {
    let eselon = unit
        .eselon
        .as_deref()
        .and_then(ehrm_sync_domain::codes::eselon_to_bkn)
        .unwrap_or_else(|| "41".into());
    json!({
        "nip": e.nip, "riwayat_id": riwayat_id, "jenis_jabatan": "struktural",
        "unor_id": unit.unor_id, "eselon_id": eselon,
        "jabatan_fungsional_id": null, "jabatan_fungsional_umum_id": null,
        "nama_jabatan": unit.nama_jabatan, "nomor_sk": nomor_sk,
        "tanggal_sk": tmt, "tmt_jabatan": tmt, "tmt_pelantikan": null, "dokumen_sk": null,
    })
}

/// The functional post every new functional position of the tests and the demo names.
pub const JF_NAMA: &str = "Teknik Jalan dan Jembatan Ahli Muda";

/// A new functional post ([`JF_NAMA`]) in the employee's unit.
pub fn fungsional(e: &Employee, riwayat_id: &str, tmt: &str, nomor_sk: &str) -> Value {
    json!({
        "nip": e.nip, "riwayat_id": riwayat_id, "jenis_jabatan": "fungsional",
        "unor_id": e.unor_id, "eselon_id": null,
        "jabatan_fungsional_id": ehrm_sync_population::jabatan_reference("jf", JF_NAMA),
        "jabatan_fungsional_umum_id": null,
        "nama_jabatan": JF_NAMA, "nomor_sk": nomor_sk,
        "tanggal_sk": tmt, "tmt_jabatan": tmt, "tmt_pelantikan": null, "dokumen_sk": null,
    })
}

/// eHRM's row for a position the population already holds (BKN holds it too).
pub fn existing(e: &Employee, riwayat_id: &str, j: &Jabatan) -> Value {
    let jenis = match j.jenis_jabatan {
        JenisJabatan::Struktural => "struktural",
        JenisJabatan::Fungsional => "fungsional",
        JenisJabatan::Pelaksana => "pelaksana",
    };
    json!({
        "nip": e.nip, "riwayat_id": riwayat_id, "jenis_jabatan": jenis,
        "unor_id": j.unor_id,
        "eselon_id": j.eselon.as_deref().and_then(ehrm_sync_domain::codes::eselon_to_bkn),
        "jabatan_fungsional_id": (j.jenis_jabatan == JenisJabatan::Fungsional)
            .then(|| ehrm_sync_population::jabatan_reference("jf", &j.nama_jabatan)),
        "jabatan_fungsional_umum_id": (j.jenis_jabatan == JenisJabatan::Pelaksana)
            .then(|| ehrm_sync_population::jabatan_reference("jfu", &j.nama_jabatan)),
        "nama_jabatan": j.nama_jabatan, "nomor_sk": j.nomor_sk,
        "tanggal_sk": j.tanggal_sk, "tmt_jabatan": j.tmt_jabatan,
        "tmt_pelantikan": j.tmt_pelantikan, "dokumen_sk": null,
    })
}

/// The body of a `jabatan.upserted` event.
pub fn upserted(data: &Value, version: u64) -> Value {
    json!({"type": "jabatan.upserted", "occurred_at": "2026-11-27T10:15:00+07:00", "version": version, "data": data})
}

/// The body of a `jabatan.deleted` event.
pub fn deleted(nip: &str, riwayat_id: &str, version: u64) -> Value {
    json!({"type": "jabatan.deleted", "occurred_at": "2026-11-27T10:15:00+07:00", "version": version,
           "data": {"nip": nip, "riwayat_id": riwayat_id}})
}
