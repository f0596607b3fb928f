//! The body of an eHRM change webhook (`docs/ehrm-contract.md`, "Change webhooks"), parsed and validated.
//!
//! Validation collects every broken rule, each as a [`Violation`] naming the JSON path of the
//! field, so eHRM can fix everything in one go. Numbers are accepted as JSON numbers or as
//! strings of digits (eHRM's PHP side may send either).

use serde_json::{Map, Value};
use time::{Date, OffsetDateTime, format_description::well_known::Rfc3339};

use crate::kinerja::{
    AnnualKinerja, KOEFISIEN_IDS, Penilai, PenilaiStatus, PeriodicKinerja, Periodik, Predikat,
    Rating,
};
use crate::nip::Nip;
use crate::record::{Change, ChangeAction, RecordData, RecordKey};
use crate::violation::Violation;

/// The first year of the SKP 2022 format (PermenPANRB 6/2022); earlier years use BKN's older
/// SKP endpoints, which ehrm-sync does not write.
pub const FIRST_SKP22_YEAR: i32 = 2022;

/// The event types ehrm-sync accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    TahunanUpserted,
    TahunanDeleted,
    PeriodikUpserted,
    PeriodikDeleted,
    JabatanUpserted,
    JabatanDeleted,
}

impl EventType {
    pub const ALL: [EventType; 6] = [
        EventType::TahunanUpserted,
        EventType::TahunanDeleted,
        EventType::PeriodikUpserted,
        EventType::PeriodikDeleted,
        EventType::JabatanUpserted,
        EventType::JabatanDeleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::TahunanUpserted => "kinerja.tahunan.upserted",
            EventType::TahunanDeleted => "kinerja.tahunan.deleted",
            EventType::PeriodikUpserted => "kinerja.periodik.upserted",
            EventType::PeriodikDeleted => "kinerja.periodik.deleted",
            EventType::JabatanUpserted => "jabatan.upserted",
            EventType::JabatanDeleted => "jabatan.deleted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        EventType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// A valid change event.
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeEvent {
    pub event_type: EventType,
    pub occurred_at: OffsetDateTime,
    pub change: Change,
}

/// Why a body is not a valid change event.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EnvelopeError {
    /// Not JSON, not UTF-8, not an object (`400`).
    #[error("malformed body: {0}")]
    Malformed(String),
    /// JSON, but rules are broken (`422`).
    #[error("{} rule(s) broken", .0.len())]
    Invalid(Vec<Violation>),
}

/// Parses and validates a webhook body. `today` (Asia/Jakarta) bounds years and NIP dates.
pub fn parse_event(body: &[u8], today: Date) -> Result<ChangeEvent, EnvelopeError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| EnvelopeError::Malformed("the body is not valid UTF-8".into()))?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| EnvelopeError::Malformed(format!("the body is not valid JSON ({e})")))?;
    let Value::Object(root) = value else {
        return Err(EnvelopeError::Malformed(
            "the body must be a JSON object".into(),
        ));
    };
    let mut v = Validator {
        errors: Vec::new(),
        today,
    };
    let event_type = v.event_type(&root);
    let occurred_at = v.occurred_at(&root);
    let version = v.version(&root);
    let data = match root.get("data") {
        Some(Value::Object(d)) => Some(d),
        Some(_) => {
            v.fail("data", "must be an object");
            None
        }
        None => {
            v.fail("data", "is required");
            None
        }
    };
    let action = match (event_type, data) {
        (Some(t), Some(d)) => v.action(t, d),
        _ => None,
    };
    let pns_id = data.and_then(|d| v.pns_id(d));
    match (
        v.errors.is_empty(),
        event_type,
        occurred_at,
        version,
        action,
    ) {
        (true, Some(event_type), Some(occurred_at), Some(version), Some((key, action))) => {
            Ok(ChangeEvent {
                event_type,
                occurred_at,
                change: Change {
                    key,
                    version,
                    action,
                    pns_id,
                },
            })
        }
        _ => Err(EnvelopeError::Invalid(v.errors)),
    }
}

/// The rules of one event's `data`, without the envelope: what reconciliation's repairs go
/// through, so that a row eHRM's read API holds is checked exactly as its webhook would be.
pub fn validate_data(
    event_type: EventType,
    data: &Map<String, Value>,
    today: Date,
) -> Result<(RecordKey, ChangeAction), Vec<Violation>> {
    let mut v = Validator {
        errors: Vec::new(),
        today,
    };
    match v.action(event_type, data) {
        Some(done) if v.errors.is_empty() => Ok(done),
        _ => Err(v.errors),
    }
}

/// A SIASN PNS id: 32 hexadecimal characters.
pub fn is_pns_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

struct Validator {
    errors: Vec<Violation>,
    today: Date,
}

impl Validator {
    fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(Violation::new(field, message));
    }

    /// `data.pns_id`: optional, the employee's SIASN PNS id as data-utama's `id` (32 hex).
    fn pns_id(&mut self, d: &Map<String, Value>) -> Option<String> {
        match d.get("pns_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if is_pns_id(s) => Some(s.clone()),
            Some(_) => {
                self.fail(
                    "data.pns_id",
                    "must be the SIASN PNS id: 32 hexadecimal characters (data-utama's id), or null",
                );
                None
            }
        }
    }

    fn event_type(&mut self, root: &Map<String, Value>) -> Option<EventType> {
        match root.get("type") {
            Some(Value::String(s)) => match EventType::parse(s) {
                Some(t) => Some(t),
                None => {
                    let known: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
                    self.fail(
                        "type",
                        format!("unknown type; expected one of {}", known.join(", ")),
                    );
                    None
                }
            },
            Some(_) => {
                self.fail("type", "must be a string");
                None
            }
            None => {
                self.fail("type", "is required");
                None
            }
        }
    }

    fn occurred_at(&mut self, root: &Map<String, Value>) -> Option<OffsetDateTime> {
        match root.get("occurred_at") {
            Some(Value::String(s)) => match OffsetDateTime::parse(s, &Rfc3339) {
                Ok(t) => Some(t),
                Err(_) => {
                    self.fail(
                        "occurred_at",
                        "must be an RFC 3339 timestamp with an offset",
                    );
                    None
                }
            },
            Some(_) => {
                self.fail("occurred_at", "must be a string");
                None
            }
            None => {
                self.fail("occurred_at", "is required");
                None
            }
        }
    }

    fn version(&mut self, root: &Map<String, Value>) -> Option<u64> {
        match integer(root.get("version")) {
            Int::Missing => {
                self.fail("version", "is required");
                None
            }
            Int::Value(n) if n >= 1 => Some(n as u64),
            _ => {
                self.fail("version", "must be a positive integer");
                None
            }
        }
    }

    fn action(
        &mut self,
        t: EventType,
        d: &Map<String, Value>,
    ) -> Option<(RecordKey, ChangeAction)> {
        if matches!(t, EventType::JabatanUpserted | EventType::JabatanDeleted) {
            return self.jabatan(t, d);
        }
        let nip = self.nip("data.nip", d.get("nip"));
        let tahun = self.tahun(d);
        match t {
            EventType::TahunanUpserted => {
                let ratings = self.ratings(d);
                let penilai = self.penilai(d);
                let (nip, tahun, (h, p, k), penilai) = (nip?, tahun?, ratings?, penilai?);
                let data = RecordData::Tahunan(AnnualKinerja {
                    nip,
                    tahun,
                    hasil_kinerja: h,
                    perilaku_kerja: p,
                    predikat: k,
                    penilai,
                });
                Some((RecordKey::of(&data), ChangeAction::Upsert(data)))
            }
            EventType::TahunanDeleted => Some((
                RecordKey::Tahunan {
                    nip: nip?,
                    tahun: tahun?,
                },
                ChangeAction::Delete,
            )),
            EventType::PeriodikUpserted => {
                let period = self.period(d, true);
                let koefisien = self.koefisien(d);
                let ratings = self.ratings(d);
                let penilai = self.penilai(d);
                let (nip, tahun, (periodik, mulai, selesai), koefisien_id, (h, p, k), penilai) =
                    (nip?, tahun?, period?, koefisien?, ratings?, penilai?);
                let data = RecordData::Periodik(PeriodicKinerja {
                    nip,
                    tahun,
                    periodik,
                    bulan_mulai: mulai,
                    bulan_selesai: selesai,
                    koefisien_id,
                    hasil_kinerja: h,
                    perilaku_kerja: p,
                    predikat: k,
                    penilai,
                });
                Some((RecordKey::of(&data), ChangeAction::Upsert(data)))
            }
            EventType::JabatanUpserted | EventType::JabatanDeleted => None,
            EventType::PeriodikDeleted => {
                let (periodik, mulai, _) = self.period(d, false)?;
                Some((
                    RecordKey::Periodik {
                        nip: nip?,
                        tahun: tahun?,
                        periodik,
                        bulan_mulai: mulai,
                    },
                    ChangeAction::Delete,
                ))
            }
        }
    }

    fn nip(&mut self, field: &str, value: Option<&Value>) -> Option<Nip> {
        match value {
            Some(Value::String(s)) => match Nip::parse_as_of(s, self.today) {
                Ok(nip) => Some(nip),
                Err(e) => {
                    self.fail(field, format!("not a valid NIP: {e}"));
                    None
                }
            },
            Some(_) => {
                self.fail(field, "must be a string of 18 digits");
                None
            }
            None => {
                self.fail(field, "is required");
                None
            }
        }
    }

    fn tahun(&mut self, d: &Map<String, Value>) -> Option<i32> {
        let this_year = self.today.year();
        match integer(d.get("tahun")) {
            Int::Missing => {
                self.fail("data.tahun", "is required");
                None
            }
            Int::Value(y) if (i64::from(FIRST_SKP22_YEAR)..=i64::from(this_year)).contains(&y) => {
                Some(y as i32)
            }
            Int::Value(_) => {
                self.fail(
                    "data.tahun",
                    format!(
                        "must be between {FIRST_SKP22_YEAR} (first year of the SKP 2022 format) and {this_year}"
                    ),
                );
                None
            }
            Int::Invalid => {
                self.fail("data.tahun", "must be an integer year");
                None
            }
        }
    }

    fn code(
        &mut self,
        d: &Map<String, Value>,
        name: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<u8> {
        let field = format!("data.{name}");
        match integer(d.get(name)) {
            Int::Missing => {
                self.fail(&field, "is required");
                None
            }
            Int::Value(n) if range.contains(&n) => Some(n as u8),
            _ => {
                self.fail(
                    &field,
                    format!(
                        "must be an integer from {} to {}",
                        range.start(),
                        range.end()
                    ),
                );
                None
            }
        }
    }

    fn ratings(&mut self, d: &Map<String, Value>) -> Option<(Rating, Rating, Predikat)> {
        let hasil = self
            .code(d, "hasil_kinerja", 1..=3)
            .and_then(Rating::from_code);
        let perilaku = self
            .code(d, "perilaku_kerja", 1..=3)
            .and_then(Rating::from_code);
        let predikat = self
            .code(d, "predikat", 1..=5)
            .and_then(Predikat::from_code);
        let (hasil, perilaku, predikat) = (hasil?, perilaku?, predikat?);
        let expected = Predikat::from_matrix(hasil, perilaku);
        if predikat != expected {
            self.fail(
                "data.predikat",
                format!(
                    "disagrees with the PermenPANRB 6/2022 matrix: hasil_kinerja {} and perilaku_kerja {} give predikat {} ({}), not {}",
                    hasil.code(),
                    perilaku.code(),
                    expected.code(),
                    expected.label(),
                    predikat.code()
                ),
            );
            return None;
        }
        Some((hasil, perilaku, predikat))
    }

    fn period(&mut self, d: &Map<String, Value>, need_end: bool) -> Option<(Periodik, u8, u8)> {
        let periodik = match d.get("periodik") {
            Some(Value::String(s)) => Periodik::parse(s).or_else(|| {
                self.fail("data.periodik", "must be \"bulanan\" or \"triwulan\"");
                None
            }),
            Some(_) => {
                self.fail("data.periodik", "must be \"bulanan\" or \"triwulan\"");
                None
            }
            None => {
                self.fail("data.periodik", "is required");
                None
            }
        };
        let mulai = self.code(d, "bulan_mulai", 1..=12);
        let selesai = if need_end {
            self.code(d, "bulan_selesai", 1..=12)
        } else {
            None
        };
        let (periodik, mulai) = (periodik?, mulai?);
        if !need_end {
            let ok = match periodik {
                Periodik::Bulanan => true,
                Periodik::Triwulan => matches!(mulai, 1 | 4 | 7 | 10),
            };
            if !ok {
                self.fail(
                    "data.bulan_mulai",
                    "a quarter starts in month 1, 4, 7 or 10",
                );
                return None;
            }
            return Some((periodik, mulai, mulai));
        }
        let selesai = selesai?;
        if let Err(message) = periodik.check_months(mulai, selesai) {
            self.fail("data.bulan_selesai", message);
            return None;
        }
        Some((periodik, mulai, selesai))
    }

    fn koefisien(&mut self, d: &Map<String, Value>) -> Option<String> {
        let raw = match d.get("koefisien_id") {
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(_) => None,
            None => {
                self.fail("data.koefisien_id", "is required");
                return None;
            }
        };
        match raw {
            Some(k) if KOEFISIEN_IDS.contains(&k.as_str()) => Some(k),
            _ => {
                self.fail(
                    "data.koefisien_id",
                    format!(
                        "must be one of BKN's coefficient ids {}",
                        KOEFISIEN_IDS.join(", ")
                    ),
                );
                None
            }
        }
    }

    fn penilai(&mut self, d: &Map<String, Value>) -> Option<Penilai> {
        let p = match d.get("penilai") {
            Some(Value::Object(p)) => p,
            Some(_) => {
                self.fail("data.penilai", "must be an object");
                return None;
            }
            None => {
                self.fail("data.penilai", "is required");
                return None;
            }
        };
        let status = match p.get("status") {
            Some(Value::String(s)) if s == "ASN" => Some(PenilaiStatus::Asn),
            Some(Value::String(s)) if s == "NON ASN" => Some(PenilaiStatus::NonAsn),
            None => {
                self.fail("data.penilai.status", "is required");
                None
            }
            _ => {
                self.fail("data.penilai.status", "must be \"ASN\" or \"NON ASN\"");
                None
            }
        };
        let nip = match status {
            Some(PenilaiStatus::Asn) => {
                self.nip("data.penilai.nip", p.get("nip")).map(String::from)
            }
            _ => self.text(p, "penilai", "nip", 30),
        };
        let nama = self.text(p, "penilai", "nama", 200);
        let jabatan = self.text(p, "penilai", "jabatan", 500);
        let unor_nama = self.text(p, "penilai", "unor_nama", 500);
        let golongan_id = self.text(p, "penilai", "golongan_id", 10).and_then(|g| {
            if g.bytes().all(|b| b.is_ascii_digit()) {
                Some(g)
            } else {
                self.fail(
                    "data.penilai.golongan_id",
                    "must be a BKN golongan id such as \"41\"",
                );
                None
            }
        });
        Some(Penilai {
            nip: nip?,
            nama: nama?,
            jabatan: jabatan?,
            unor_nama: unor_nama?,
            golongan_id: golongan_id?,
            status: status?,
        })
    }

    fn text(
        &mut self,
        obj: &Map<String, Value>,
        parent: &str,
        name: &str,
        max: usize,
    ) -> Option<String> {
        let field = format!("data.{parent}.{name}");
        match obj.get(name) {
            Some(Value::String(s)) if s.trim().is_empty() => {
                self.fail(&field, "must not be empty");
                None
            }
            Some(Value::String(s)) if s.chars().count() > max => {
                self.fail(&field, format!("must be at most {max} characters"));
                None
            }
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(_) => {
                self.fail(&field, "must be a string");
                None
            }
            None => {
                self.fail(&field, "is required");
                None
            }
        }
    }
}

enum Int {
    Missing,
    Value(i64),
    Invalid,
}

fn integer(v: Option<&Value>) -> Int {
    match v {
        None | Some(Value::Null) => Int::Missing,
        Some(Value::Number(n)) => n.as_i64().map_or(Int::Invalid, Int::Value),
        Some(Value::String(s)) => s.trim().parse().map_or(Int::Invalid, Int::Value),
        Some(_) => Int::Invalid,
    }
}

mod jabatan;

#[cfg(test)]
mod jabatan_tests;
#[cfg(test)]
mod tests;
