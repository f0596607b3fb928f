//! The rules of a `jabatan.upserted` / `jabatan.deleted` event's `data` (`docs/ehrm-contract.md`,
//! "Riwayat jabatan"): the fields each `jenis_jabatan` needs, real dates, the SK document's
//! description. Whether the unit maps to a SIASN UNOR id is the ingest service's check (it needs
//! eHRM's `unor` resource).

use serde_json::{Map, Value};
use time::Date;

use super::{EventType, Validator};
use crate::codes::eselon_from_bkn;
use crate::dates::parse_iso_date;
use crate::jabatan::{DokumenSk, JenisJabatan, MAX_DOKUMEN_BYTES, RiwayatJabatan, is_riwayat_id};
use crate::record::{ChangeAction, RecordData, RecordKey};

/// The earliest date a position history row can carry.
const FIRST_YEAR: i32 = 1950;

impl Validator {
    pub(super) fn jabatan(
        &mut self,
        t: EventType,
        d: &Map<String, Value>,
    ) -> Option<(RecordKey, ChangeAction)> {
        let nip = self.nip("data.nip", d.get("nip"));
        let riwayat_id = self.riwayat_id(d);
        if t == EventType::JabatanDeleted {
            let key = RecordKey::Jabatan {
                nip: nip?,
                riwayat_id: riwayat_id?,
            };
            return Some((key, ChangeAction::Delete));
        }
        let jenis = self.jenis_jabatan(d);
        let needs = |j: JenisJabatan| jenis == Some(j);
        let unor_id = self.reference(d, "unor_id", needs(JenisJabatan::Struktural));
        let eselon_id = self.eselon(d, needs(JenisJabatan::Struktural));
        let jf = self.reference(d, "jabatan_fungsional_id", needs(JenisJabatan::Fungsional));
        let jfu = self.reference(
            d,
            "jabatan_fungsional_umum_id",
            needs(JenisJabatan::Pelaksana),
        );
        let nama = self.data_text(d, "nama_jabatan", 500);
        let nomor_sk = self.data_text(d, "nomor_sk", 100);
        let tanggal_sk = self.date(d, "tanggal_sk", true, false);
        let tmt_jabatan = self.date(d, "tmt_jabatan", true, true);
        let tmt_pelantikan = self.date(d, "tmt_pelantikan", false, true);
        let dokumen = self.dokumen(d);
        let jenis = jenis?;
        let data = RiwayatJabatan {
            nip: nip?,
            riwayat_id: riwayat_id?,
            jenis_jabatan: jenis,
            unor_id,
            unor_id_bkn: None,
            // Only what the kind of post uses is kept: BKN's clients send the others empty.
            eselon_id: eselon_id.filter(|_| jenis == JenisJabatan::Struktural),
            jabatan_fungsional_id: jf.filter(|_| jenis == JenisJabatan::Fungsional),
            jabatan_fungsional_umum_id: jfu.filter(|_| jenis == JenisJabatan::Pelaksana),
            nama_jabatan: nama?,
            nomor_sk: nomor_sk?,
            tanggal_sk: tanggal_sk?,
            tmt_jabatan: tmt_jabatan?,
            tmt_pelantikan,
            dokumen_sk: dokumen?,
        };
        let data = RecordData::Jabatan(Box::new(data));
        Some((RecordKey::of(&data), ChangeAction::Upsert(data)))
    }

    fn riwayat_id(&mut self, d: &Map<String, Value>) -> Option<String> {
        match d.get("riwayat_id") {
            Some(Value::String(s)) if is_riwayat_id(s.trim()) => Some(s.trim().to_string()),
            None | Some(Value::Null) => {
                self.fail("data.riwayat_id", "is required");
                None
            }
            Some(_) => {
                self.fail(
                    "data.riwayat_id",
                    "must be eHRM's id of the history row: 1 to 64 letters, digits, '.', '_' or '-'",
                );
                None
            }
        }
    }

    fn jenis_jabatan(&mut self, d: &Map<String, Value>) -> Option<JenisJabatan> {
        let parsed = match d.get("jenis_jabatan") {
            Some(Value::String(s)) => JenisJabatan::parse(s.trim()),
            None | Some(Value::Null) => {
                self.fail("data.jenis_jabatan", "is required");
                return None;
            }
            Some(_) => None,
        };
        if parsed.is_none() {
            self.fail(
                "data.jenis_jabatan",
                "must be \"struktural\", \"fungsional\" or \"pelaksana\"",
            );
        }
        parsed
    }

    /// A BKN or eHRM reference id: required when the kind of post needs it, else optional.
    fn reference(&mut self, d: &Map<String, Value>, name: &str, required: bool) -> Option<String> {
        let field = format!("data.{name}");
        let value = match d.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) if s.trim().chars().count() <= 64 => Some(s.trim().to_string()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(_) => {
                self.fail(&field, "must be a reference id of at most 64 characters");
                return None;
            }
        };
        if value.is_none() && required {
            self.fail(&field, "is required for this jenis_jabatan");
        }
        value
    }

    fn eselon(&mut self, d: &Map<String, Value>, required: bool) -> Option<String> {
        let id = self.reference(d, "eselon_id", required)?;
        if eselon_from_bkn(&id).is_none() {
            self.fail(
                "data.eselon_id",
                "must be a BKN eselon id such as \"21\" (II.a) or \"31\" (III.a)",
            );
            return None;
        }
        Some(id)
    }

    fn data_text(&mut self, d: &Map<String, Value>, name: &str, max: usize) -> Option<String> {
        let field = format!("data.{name}");
        match d.get(name) {
            Some(Value::String(s)) if s.trim().is_empty() => {
                self.fail(&field, "must not be empty");
                None
            }
            Some(Value::String(s)) if s.chars().count() > max => {
                self.fail(&field, format!("must be at most {max} characters"));
                None
            }
            Some(Value::String(s)) => Some(s.trim().to_string()),
            None | Some(Value::Null) => {
                self.fail(&field, "is required");
                None
            }
            Some(_) => {
                self.fail(&field, "must be a string");
                None
            }
        }
    }

    /// A real `YYYY-MM-DD` date from 1950 on; not after today unless `future_ok` (a TMT may
    /// lie ahead, within a year).
    fn date(
        &mut self,
        d: &Map<String, Value>,
        name: &str,
        required: bool,
        future_ok: bool,
    ) -> Option<String> {
        let field = format!("data.{name}");
        let raw = match d.get(name) {
            None | Some(Value::Null) => {
                if required {
                    self.fail(&field, "is required");
                }
                return None;
            }
            Some(Value::String(s)) if !required && s.trim().is_empty() => return None,
            Some(Value::String(s)) => s.trim(),
            Some(_) => {
                self.fail(&field, "must be a date as YYYY-MM-DD");
                return None;
            }
        };
        let Some(date) = parse_iso_date(raw).filter(|_| raw.len() == 10) else {
            self.fail(&field, "must be a real date as YYYY-MM-DD");
            return None;
        };
        let latest = if future_ok {
            self.today
                .replace_year(self.today.year() + 1)
                .unwrap_or(self.today)
        } else {
            self.today
        };
        if date.year() < FIRST_YEAR || date > latest {
            self.fail(&field, out_of_range(latest, future_ok));
            return None;
        }
        Some(raw.to_string())
    }

    /// `dokumen_sk`: optional; when present, all four fields. `Some(None)` when absent.
    fn dokumen(&mut self, d: &Map<String, Value>) -> Option<Option<DokumenSk>> {
        let o = match d.get("dokumen_sk") {
            None | Some(Value::Null) => return Some(None),
            Some(Value::Object(o)) => o,
            Some(_) => {
                self.fail("data.dokumen_sk", "must be an object or null");
                return None;
            }
        };
        let before = self.errors.len();
        let id = match o.get("id") {
            Some(Value::String(s)) if is_riwayat_id(s.trim()) => Some(s.trim().to_string()),
            _ => None,
        };
        if id.is_none() {
            self.fail(
                "data.dokumen_sk.id",
                "must be eHRM's document id: 1 to 64 letters, digits, '.', '_' or '-'",
            );
        }
        let sha256 = match o.get("sha256") {
            Some(Value::String(s)) if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(s.to_ascii_lowercase())
            }
            _ => None,
        };
        if sha256.is_none() {
            self.fail(
                "data.dokumen_sk.sha256",
                "must be 64 hexadecimal characters",
            );
        }
        let ukuran = o.get("ukuran").and_then(Value::as_u64);
        let ukuran = ukuran.filter(|n| (1..=MAX_DOKUMEN_BYTES).contains(n));
        if ukuran.is_none() {
            self.fail(
                "data.dokumen_sk.ukuran",
                format!("must be the size in bytes, from 1 to {MAX_DOKUMEN_BYTES}"),
            );
        }
        let nama = self.text(o, "dokumen_sk", "nama", 255);
        if self.errors.len() > before {
            return None;
        }
        Some(Some(DokumenSk {
            id: id?,
            sha256: sha256?,
            ukuran: ukuran?,
            nama: nama?,
        }))
    }
}

fn out_of_range(latest: Date, future_ok: bool) -> String {
    if future_ok {
        format!("must lie between {FIRST_YEAR}-01-01 and {latest} (a year from today)")
    } else {
        format!("must lie between {FIRST_YEAR}-01-01 and today ({latest})")
    }
}
