//! The SIASN writes: SKP 2022 and periodic evaluations saved through one upsert, periodic
//! evaluations deleted.

use super::*;
use crate::state::Db;

/// A JSON body read the way Go reads it: keys case-insensitively, numbers or strings.
struct GoBody(Map<String, Value>);

impl GoBody {
    fn parse(body: &[u8]) -> Option<Self> {
        match serde_json::from_slice::<Value>(body).ok()? {
            Value::Object(m) => Some(GoBody(
                m.into_iter().map(|(k, v)| (k.to_lowercase(), v)).collect(),
            )),
            _ => None,
        }
    }

    fn str(&self, key: &str) -> Option<String> {
        match self.0.get(&key.to_lowercase())? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    fn int(&self, key: &str) -> Option<i64> {
        self.str(key).and_then(|s| s.parse().ok())
    }
}

fn multierror(errors: &[String]) -> String {
    let list: String = errors.iter().map(|e| format!("\n\t* {e}")).collect();
    format!(
        "{} error{} occurred:{list}",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    )
}

fn refused(f: &Faults, status: u16, message: String) -> Response {
    let body = match f.reject_style {
        RejectStyle::SuccessFalse => json!({"success": false, "message": message}),
        RejectStyle::SuccessFalseString => json!({"success": "false", "message": message}),
        RejectStyle::Pascal => json!({"Error": true, "Message": message}),
    };
    json_response(StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body)
}

fn saved(f: &Faults, key: &str, id: &str) -> Response {
    let map_data = match f.map_data {
        MapDataStyle::String => json!(id),
        MapDataStyle::Object => json!({ key: id }),
        MapDataStyle::PublicClients if key == "rwKinerjaPeriodikId" => json!({ key: id }),
        MapDataStyle::PublicClients => json!(id),
    };
    let body = match f.save_reply {
        SaveReply::Clear => json!({"success": true, "message": "success", "mapData": map_data}),
        SaveReply::Unclear => json!({"code": 1, "message": "Data sedang diproses"}),
    };
    json_response(StatusCode::OK, body)
}

fn range_check(errors: &mut Vec<String>, b: &GoBody, key: &str, label: &str, max: i64) -> i64 {
    match b.int(key) {
        Some(v) if (1..=max).contains(&v) => v,
        Some(_) => {
            errors.push(format!("{label} must be between 1 and {max}"));
            0
        }
        None => {
            errors.push(format!("{label} is required"));
            0
        }
    }
}

/// A request BKN refuses before looking at its data: HTTP status and message.
struct Refusal {
    status: u16,
    message: String,
}

/// A save request checked and parsed: the owner's PNS id, a BKN id when it is an update, and
/// the record to store.
struct SaveRequest<R> {
    pns_id: String,
    id: Option<String>,
    record: R,
}

/// What the two riwayat families share when saved: where they are kept, which stored record a
/// create without an id would duplicate, BKN's words for them.
trait Riwayat: Sized {
    /// The key of BKN's id in `mapData`.
    const MAP_DATA_KEY: &'static str;
    /// BKN's answer to an update whose id it does not hold.
    const UNKNOWN_ID: &'static str;
    /// The field that names the employee, in BKN's error message.
    const OWNER_FIELD: &'static str;
    fn stored(db: &mut Db) -> &mut Vec<Self>;
    fn id(&self) -> &str;
    fn pns_id(&self) -> &str;
    fn writes(&self) -> u32;
    fn set_owner(&mut self, nip: String);
    /// Stored again with BKN's id and its write count.
    fn with_identity(self, id: String, writes: u32) -> Self;
    /// Whether `stored` is the same period of the same employee (a create BKN would refuse as
    /// a duplicate when `dedupe_creates` is on).
    fn same_slot(&self, stored: &Self) -> bool;
}

impl Riwayat for Skp22 {
    const MAP_DATA_KEY: &'static str = "rwSkpId";
    const UNKNOWN_ID: &'static str = "Data riwayat SKP tidak ditemukan";
    const OWNER_FIELD: &'static str = "PnsDinilaiOrang";
    fn stored(db: &mut Db) -> &mut Vec<Self> {
        &mut db.skp22
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn pns_id(&self) -> &str {
        &self.pns_id
    }
    fn writes(&self) -> u32 {
        self.writes
    }
    fn set_owner(&mut self, nip: String) {
        self.nip = nip;
    }
    fn with_identity(self, id: String, writes: u32) -> Self {
        Skp22 { id, writes, ..self }
    }
    fn same_slot(&self, stored: &Self) -> bool {
        stored.pns_id == self.pns_id && stored.tahun == self.tahun
    }
}

impl Riwayat for Periodik {
    const MAP_DATA_KEY: &'static str = "rwKinerjaPeriodikId";
    const UNKNOWN_ID: &'static str = "Data riwayat kinerja periodik tidak ditemukan";
    const OWNER_FIELD: &'static str = "PnsDinilaiId";
    fn stored(db: &mut Db) -> &mut Vec<Self> {
        &mut db.periodik
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn pns_id(&self) -> &str {
        &self.pns_id
    }
    fn writes(&self) -> u32 {
        self.writes
    }
    fn set_owner(&mut self, nip: String) {
        self.nip = nip;
    }
    fn with_identity(self, id: String, writes: u32) -> Self {
        Periodik { id, writes, ..self }
    }
    fn same_slot(&self, stored: &Self) -> bool {
        stored.pns_id == self.pns_id
            && stored.tahun == self.tahun
            && stored.periodik_id == self.periodik_id
            && stored.bulan_mulai == self.bulan_mulai
    }
}

/// The one save of both families: the owner must exist and not be refused by a fault; an id
/// updates that record (BKN refuses an id it does not hold for this employee); no id creates
/// one, or with `dedupe_creates` updates the record of the same period.
fn upsert<R: Riwayat>(db: &mut Db, f: &Faults, req: SaveRequest<R>) -> Response {
    let SaveRequest {
        pns_id,
        id,
        mut record,
    } = req;
    let Some(nip) = db.pns_to_nip.get(&pns_id).cloned() else {
        db.stats.rejections += 1;
        return refused(
            f,
            f.reject_status,
            format!("{} tidak ditemukan", R::OWNER_FIELD),
        );
    };
    if let Some(message) = f.reject_nips.get(&nip) {
        db.stats.rejections += 1;
        return refused(f, f.reject_status, message.clone());
    }
    record.set_owner(nip);
    let id = id.or_else(|| {
        f.dedupe_creates
            .then(|| {
                R::stored(db)
                    .iter()
                    .find(|r| record.same_slot(r))
                    .map(|r| r.id().to_string())
            })
            .flatten()
    });
    match id {
        Some(id) => {
            let Some(existing) = R::stored(db)
                .iter_mut()
                .find(|r| r.id() == id && r.pns_id() == pns_id)
            else {
                db.stats.rejections += 1;
                return refused(f, f.reject_status, R::UNKNOWN_ID.into());
            };
            let writes = existing.writes() + 1;
            *existing = record.with_identity(id.clone(), writes);
            db.stats.updates += 1;
            saved(f, R::MAP_DATA_KEY, &id)
        }
        None => {
            let id = db.new_id();
            R::stored(db).push(record.with_identity(id.clone(), 1));
            db.stats.creates += 1;
            saved(f, R::MAP_DATA_KEY, &id)
        }
    }
}

/// Stores a checked request, then answers (or loses the answer, when that fault is on).
async fn store<R: Riwayat>(
    sim: &Sim,
    drop: DropConnection,
    f: &Faults,
    parsed: Result<SaveRequest<R>, Refusal>,
) -> Response {
    let req = match parsed {
        Ok(r) => r,
        Err(Refusal { status, message }) => return refused(f, status, message),
    };
    let response = match sim.db.lock() {
        Ok(mut db) => upsert(&mut db, f, req),
        Err(_) => return not_found(),
    };
    if sim.lose_this_response() {
        return drop_now(drop).await;
    }
    response
}

/// BKN's checks of an SKP 2022 save, in the order and words of its Go validator.
fn parse_skp22(body: &[u8], f: &Faults) -> Result<SaveRequest<Skp22>, Refusal> {
    let b = GoBody::parse(body).ok_or(Refusal {
        status: 400,
        message: "invalid request body".into(),
    })?;
    let mut errors = Vec::new();
    let pns_id = required(&mut errors, b.str("pnsDinilaiOrang"), "PnsDinilaiOrang");
    let tahun = required(&mut errors, b.int("tahun"), "Tahun");
    let hasil = range_check(&mut errors, &b, "hasilKinerjaNilai", "HasilKinerjaNilai", 3);
    let perilaku = range_check(
        &mut errors,
        &b,
        "perilakuKerjaNilai",
        "PerilakuKerjaNilai",
        3,
    );
    let kuadran = range_check(
        &mut errors,
        &b,
        "kuadranKinerjaNilai",
        "KuadranKinerjaNilai",
        5,
    );
    let (Some(pns_id), Some(tahun), true) = (pns_id, tahun, errors.is_empty()) else {
        return Err(Refusal {
            status: f.reject_status,
            message: multierror(&errors),
        });
    };
    Ok(SaveRequest {
        id: b.str("id"),
        record: Skp22 {
            id: String::new(),
            nip: String::new(),
            pns_id: pns_id.clone(),
            tahun,
            hasil,
            perilaku,
            kuadran,
            penilai_nip: b.str("penilaiNipNrp").unwrap_or_default(),
            penilai_nama: b.str("penilaiNama").unwrap_or_default(),
            penilai_jabatan: b.str("penilaiJabatan").unwrap_or_default(),
            penilai_unor_nama: b.str("penilaiUnorNama").unwrap_or_default(),
            penilai_golongan: b.str("penilaiGolongan").unwrap_or_default(),
            status_penilai: b.str("statusPenilai").unwrap_or_default(),
            writes: 0,
        },
        pns_id,
    })
}

/// BKN's checks of a periodic evaluation save.
fn parse_periodik(body: &[u8], f: &Faults) -> Result<SaveRequest<Periodik>, Refusal> {
    let b = GoBody::parse(body).ok_or(Refusal {
        status: 400,
        message: "invalid request body".into(),
    })?;
    let mut errors = Vec::new();
    let pns_id = required(&mut errors, b.str("pnsDinilaiId"), "PnsDinilaiId");
    let tahun = required(&mut errors, b.int("tahun"), "Tahun");
    let periodik_id = required(
        &mut errors,
        b.str("periodikId").filter(|p| p == "1" || p == "2"),
        "PeriodikId",
    );
    let mulai = range_check(
        &mut errors,
        &b,
        "bulanMulaiPenilaian",
        "BulanMulaiPenilaian",
        12,
    );
    let selesai = range_check(
        &mut errors,
        &b,
        "bulanSelesaiPenilaian",
        "BulanSelesaiPenilaian",
        12,
    );
    let hasil = range_check(&mut errors, &b, "hasilKinerjaNilai", "HasilKinerjaNilai", 3);
    let perilaku = range_check(
        &mut errors,
        &b,
        "perilakuKerjaNilai",
        "PerilakuKerjaNilai",
        3,
    );
    let kuadran = range_check(
        &mut errors,
        &b,
        "kuadranKinerjaNilai",
        "KuadranKinerjaNilai",
        5,
    );
    let koefisien = required(&mut errors, b.str("koefisienId"), "KoefisienId");
    let (Some(pns_id), Some(tahun), Some(periodik_id), Some(koefisien), true) =
        (pns_id, tahun, periodik_id, koefisien, errors.is_empty())
    else {
        return Err(Refusal {
            status: f.reject_status,
            message: multierror(&errors),
        });
    };
    Ok(SaveRequest {
        id: b.str("id"),
        record: Periodik {
            id: String::new(),
            nip: String::new(),
            pns_id: pns_id.clone(),
            tahun,
            periodik_id,
            bulan_mulai: mulai,
            bulan_selesai: selesai,
            hasil,
            perilaku,
            kuadran,
            koefisien_id: koefisien,
            penilai_nip: b.str("penilaiNipNrp").unwrap_or_default(),
            penilai_nama: b.str("penilaiNama").unwrap_or_default(),
            writes: 0,
        },
        pns_id,
    })
}

fn required<T>(errors: &mut Vec<String>, value: Option<T>, label: &str) -> Option<T> {
    if value.is_none() {
        errors.push(format!("{label} is required"));
    }
    value
}

pub(super) async fn save_skp22(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    pre!(sim, drop, "skp22/save", headers, true);
    let f = sim.faults();
    store(&sim, drop, &f, parse_skp22(&body, &f)).await
}

pub(super) async fn save_periodik(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    pre!(sim, drop, "kinerjaperiodik/save", headers, true);
    let f = sim.faults();
    store(&sim, drop, &f, parse_periodik(&body, &f)).await
}

pub(super) async fn delete_periodik(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    pre!(sim, drop, "kinerjaperiodik/delete", headers, true);
    let response = {
        let Ok(mut db) = sim.db.lock() else {
            return not_found();
        };
        let before = db.periodik.len();
        db.periodik.retain(|r| r.id != id);
        if db.periodik.len() == before {
            return json_response(
                StatusCode::OK,
                json!({"success": false, "message": "Data tidak ditemukan"}),
            );
        }
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
