//! The seeded generator.

use std::collections::HashSet;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use time::{Date, Duration, Month};

use ehrm_sync_domain::kinerja::{Predikat, Rating};

use crate::names::*;
use crate::{Employee, Jabatan, JenisJabatan, Kinerja, Penilai, Population, Unit, golongan_to_bkn};

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationSpec {
    pub seed: u64,
    pub employees: usize,
    /// Share of PPPK (contract) employees among staff.
    pub pppk_share: f64,
    /// The date the data describes (retirement and promotion dates are placed around it).
    pub as_of: Date,
}

impl Default for PopulationSpec {
    fn default() -> Self {
        PopulationSpec {
            seed: 2026,
            employees: 300,
            pppk_share: 0.07,
            as_of: Date::from_calendar_date(2026, Month::November, 1).unwrap_or(Date::MIN),
        }
    }
}

const GOLONGAN: [&str; 17] = [
    "I/a", "I/b", "I/c", "I/d", "II/a", "II/b", "II/c", "II/d", "III/a", "III/b", "III/c", "III/d",
    "IV/a", "IV/b", "IV/c", "IV/d", "IV/e",
];

fn iso(d: Date) -> String {
    ehrm_sync_domain::dates::format_iso_date(d)
}

fn ymd(y: i32, m: u8, d: u8) -> Date {
    ehrm_sync_domain::dates::calendar_date(y, m, d)
        .or_else(|| ehrm_sync_domain::dates::calendar_date(y, m, 28))
        .unwrap_or(Date::MIN)
}

fn hex32(rng: &mut StdRng) -> String {
    format!("{:016X}{:016X}", rng.random::<u64>(), rng.random::<u64>())
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn eselon_level(eselon: &Option<String>) -> u8 {
    match eselon.as_deref() {
        Some(e) if e.starts_with("IV") => 4,
        Some(e) if e.starts_with("III") => 3,
        Some(e) if e.starts_with("II") => 2,
        Some(e) if e.starts_with('I') => 1,
        _ => 9,
    }
}

fn build_units(rng: &mut StdRng) -> Vec<Unit> {
    let mut units = vec![Unit {
        unor_id: "PU".into(),
        unor_id_bkn: Some(hex32(rng)),
        nama: crate::INSTANSI_NAMA.into(),
        parent_id: None,
        eselon: None,
        nama_jabatan: "Menteri Pekerjaan Umum".into(),
        head_nip: None,
        head_tmt: None,
    }];
    for (i, (nama1, jab1, children)) in ORGANISATION.iter().enumerate() {
        let id1 = format!("PU.{:02}", i + 1);
        units.push(unit(rng, &id1, nama1, "PU", "I.a", jab1));
        for (j, (nama2, jab2)) in children.iter().enumerate() {
            let id2 = format!("{id1}.{:02}", j + 1);
            let eselon2 = if nama2.starts_with("Balai") {
                "II.b"
            } else {
                "II.a"
            };
            units.push(unit(rng, &id2, nama2, &id1, eselon2, jab2));
            let (kind3, head3) = if nama2.starts_with("Direktorat") {
                ("Subdirektorat", "Kepala Subdirektorat")
            } else if nama2.starts_with("Balai") || nama2.starts_with("Pusat") {
                ("Bidang", "Kepala Bidang")
            } else {
                ("Bagian", "Kepala Bagian")
            };
            let n3 = rng.random_range(2..=4usize);
            let mut topics3: Vec<&str> = ESELON3_TOPICS.to_vec();
            for k in 0..n3 {
                let topic = topics3.remove(rng.random_range(0..topics3.len()));
                let id3 = format!("{id2}.{:02}", k + 1);
                units.push(unit(
                    rng,
                    &id3,
                    &format!("{kind3} {topic}"),
                    &id2,
                    "III.a",
                    &format!("{head3} {topic}"),
                ));
                let (kind4, head4) = if kind3 == "Bagian" {
                    ("Subbagian", "Kepala Subbagian")
                } else {
                    ("Seksi", "Kepala Seksi")
                };
                let n4 = rng.random_range(1..=3usize);
                let mut topics4: Vec<&str> = ESELON4_TOPICS.to_vec();
                for m in 0..n4 {
                    let topic4 = topics4.remove(rng.random_range(0..topics4.len()));
                    let id4 = format!("{id3}.{:02}", m + 1);
                    units.push(unit(
                        rng,
                        &id4,
                        &format!("{kind4} {topic4}"),
                        &id3,
                        "IV.a",
                        &format!("{head4} {topic4}"),
                    ));
                }
            }
        }
    }
    units
}

fn unit(rng: &mut StdRng, id: &str, nama: &str, parent: &str, eselon: &str, jabatan: &str) -> Unit {
    Unit {
        unor_id: id.into(),
        unor_id_bkn: Some(hex32(rng)),
        nama: nama.into(),
        parent_id: Some(parent.into()),
        eselon: Some(eselon.into()),
        nama_jabatan: jabatan.into(),
        head_nip: None,
        head_tmt: None,
    }
}

struct Ctx<'a> {
    rng: StdRng,
    nips: HashSet<String>,
    spec: &'a PopulationSpec,
}

/// Generates a population: the unit tree of the ministry, a head for nearly every structural
/// post, then staff spread over the units, each with position history and performance records.
pub fn generate(spec: &PopulationSpec) -> Population {
    let mut ctx = Ctx {
        rng: StdRng::seed_from_u64(spec.seed),
        nips: HashSet::new(),
        spec,
    };
    let mut units = build_units(&mut ctx.rng);
    let mut employees = Vec::with_capacity(spec.employees);

    let mut structural: Vec<usize> = (0..units.len())
        .filter(|&i| units[i].eselon.is_some())
        .collect();
    structural.sort_by_key(|&i| eselon_level(&units[i].eselon));
    let max_heads = (spec.employees / 2).max(1).min(structural.len());
    for &i in structural.iter().take(max_heads) {
        if ctx.rng.random_bool(0.04) {
            continue; // a vacant post
        }
        let level = eselon_level(&units[i].eselon);
        let e = ctx.employee(Role::Head {
            unit: &units[i],
            level,
        });
        units[i].head_nip = Some(e.nip.clone());
        units[i].head_tmt = Some(e.tmt_jabatan.clone());
        employees.push(e);
    }
    let staff_units: Vec<usize> = (0..units.len())
        .filter(|&i| matches!(eselon_level(&units[i].eselon), 2..=4))
        .collect();
    while employees.len() < spec.employees {
        let u = &units[*pick(&mut ctx.rng, &staff_units)];
        let e = ctx.employee(Role::Staff { unit: u });
        employees.push(e);
    }
    assign_penilai(&units, &mut employees);
    Population { units, employees }
}

enum Role<'a> {
    Head { unit: &'a Unit, level: u8 },
    Staff { unit: &'a Unit },
}

impl Ctx<'_> {
    /// Long because an employee is built field by field, each drawn so that the fields agree with
    /// each other (NIP from birth date and CPNS start, rank from service years, retirement age
    /// from the position); splitting it would pass half-built employees around.
    fn employee(&mut self, role: Role<'_>) -> Employee {
        let as_of = self.spec.as_of;
        let rng = &mut self.rng;
        let male = rng.random_bool(0.62);
        let (unit, level) = match role {
            Role::Head { unit, level } => (unit, Some(level)),
            Role::Staff { unit } => (unit, None),
        };
        let pppk = level.is_none() && rng.random_bool(self.spec.pppk_share);
        let (birth_lo, birth_hi) = match level {
            Some(1) => (1966, 1971),
            Some(2) => (1967, 1976),
            Some(3) => (1969, 1984),
            Some(_) => (1972, 1990),
            None if pppk => (1980, 1998),
            None => (1968, 1999),
        };
        let fungsional = level.is_none() && !pppk && rng.random_bool(0.45);
        let mut birth = ymd(
            rng.random_range(birth_lo..=birth_hi),
            rng.random_range(1..=12),
            rng.random_range(1..=28),
        );
        // Nobody in the active population has already passed retirement age.
        let bup = match level {
            Some(1 | 2) => 60,
            _ if fungsional => 60,
            _ => 58,
        };
        while retirement(birth, bup) <= as_of.saturating_add(Duration::days(31)) {
            birth = ymd(birth.year() + 2, u8::from(birth.month()), birth.day());
        }
        let tmt_pensiun = retirement(birth, bup);

        let (nip, tmt_cpns) = loop {
            let g = if male { 1 } else { 2 };
            let seq = rng.random_range(1..=999);
            let (nip, tmt) = if pppk {
                let year = rng.random_range((birth.year() + 21).max(2019)..=2024);
                (
                    format!(
                        "{:04}{:02}{:02}{year:04}2{}{g}{seq:03}",
                        birth.year(),
                        u8::from(birth.month()),
                        birth.day(),
                        rng.random_range(1..=2)
                    ),
                    ymd(year, 3, 1),
                )
            } else {
                let year = (birth.year() + rng.random_range(22..=29)).min(2024);
                let month = rng.random_range(1..=12u8);
                (
                    format!(
                        "{:04}{:02}{:02}{year:04}{month:02}{g}{seq:03}",
                        birth.year(),
                        u8::from(birth.month()),
                        birth.day()
                    ),
                    ymd(year, month, 1),
                )
            };
            if self.nips.insert(nip.clone()) {
                break (nip, tmt);
            }
        };
        let rng = &mut self.rng;

        let years = (as_of.year() - tmt_cpns.year()).max(0) as usize;
        let start = if pppk || fungsional || level.is_some() || rng.random_bool(0.6) {
            8
        } else {
            4
        };
        let floor = match level {
            Some(1) => 15,
            Some(2) => 14,
            Some(3) => 12,
            Some(_) => 10,
            None => 0,
        };
        let cap = match level {
            Some(_) => 16,
            None if fungsional => 15,
            None => 11,
        };
        let gol_index = (start + years / 4).clamp(floor.max(start), cap);
        let golongan = if pppk {
            "IX".to_string()
        } else {
            GOLONGAN[gol_index].to_string()
        };
        // Promotions take effect on the 1st of a month (any month since Perban BKN 4/2025).
        let steps = (gol_index - start) as i32;
        let last_kp_year = (tmt_cpns.year() + 4 * steps)
            .min(as_of.year() - 1)
            .max(tmt_cpns.year());
        let tmt_golongan = if pppk {
            tmt_cpns
        } else {
            ymd(
                last_kp_year.max(tmt_cpns.year() + i32::from(steps > 0)),
                rng.random_range(1..=12),
                1,
            )
        };

        let (jenis, jabatan_nama, eselon, koefisien) = match level {
            Some(_) => (
                JenisJabatan::Struktural,
                unit.nama_jabatan.clone(),
                unit.eselon.clone(),
                "12",
            ),
            None if fungsional => {
                let jenjang = match gol_index {
                    ..=9 => JENJANG_AHLI[0],
                    10..=11 => JENJANG_AHLI[1],
                    12..=14 => JENJANG_AHLI[2],
                    _ => JENJANG_AHLI[3],
                };
                (
                    JenisJabatan::Fungsional,
                    format!("{} {}", pick(rng, FUNGSIONAL), jenjang.0),
                    None,
                    jenjang.1,
                )
            }
            None => (
                JenisJabatan::Pelaksana,
                pick(rng, PELAKSANA).to_string(),
                None,
                "12",
            ),
        };
        let earliest_job = tmt_cpns.saturating_add(Duration::days(365));
        let span = (as_of - earliest_job).whole_days().max(60);
        let tmt_jabatan =
            earliest_job.saturating_add(Duration::days(rng.random_range(0..span - 30)));

        let first = if male {
            pick(rng, MALE_NAMES)
        } else {
            pick(rng, FEMALE_NAMES)
        };
        let nama = if rng.random_bool(0.3) {
            let second = if male {
                pick(rng, MALE_NAMES)
            } else {
                pick(rng, FEMALE_NAMES)
            };
            format!("{first} {second} {}", pick(rng, FAMILY_NAMES))
        } else {
            format!("{first} {}", pick(rng, FAMILY_NAMES))
        };
        let gelar_depan = (level.is_some_and(|l| l <= 2) && rng.random_bool(0.5))
            .then(|| pick(rng, GELAR_DEPAN).to_string());
        let gelar_belakang = rng
            .random_bool(0.8)
            .then(|| pick(rng, GELAR_BELAKANG).to_string());

        let mut riwayat = vec![Jabatan {
            bkn_id: hex32(rng),
            jenis_jabatan: jenis,
            nama_jabatan: jabatan_nama.clone(),
            unor_id: unit.unor_id.clone(),
            eselon: eselon.clone(),
            nomor_sk: format!("KP.03.01-Mn/{}", rng.random_range(100..9999)),
            tanggal_sk: iso(tmt_jabatan.saturating_sub(Duration::days(10))),
            tmt_jabatan: iso(tmt_jabatan),
            tmt_pelantikan: (jenis == JenisJabatan::Struktural)
                .then(|| iso(tmt_jabatan.saturating_add(Duration::days(5)))),
        }];
        if tmt_jabatan > earliest_job.saturating_add(Duration::days(400)) && rng.random_bool(0.6) {
            let earlier = earliest_job.saturating_add(Duration::days(rng.random_range(0..300)));
            riwayat.insert(
                0,
                Jabatan {
                    bkn_id: hex32(rng),
                    jenis_jabatan: JenisJabatan::Pelaksana,
                    nama_jabatan: pick(rng, PELAKSANA).to_string(),
                    unor_id: unit
                        .parent_id
                        .clone()
                        .unwrap_or_else(|| unit.unor_id.clone()),
                    eselon: None,
                    nomor_sk: format!("KP.03.01-Mn/{}", rng.random_range(100..9999)),
                    tanggal_sk: iso(earlier.saturating_sub(Duration::days(10))),
                    tmt_jabatan: iso(earlier),
                    tmt_pelantikan: None,
                },
            );
        }

        let mut kinerja = Vec::new();
        for tahun in [as_of.year() - 2, as_of.year() - 1] {
            kinerja.push(self.kinerja(tahun, None, koefisien));
        }
        if self.rng.random_bool(0.25) {
            let quarters_done = (u8::from(as_of.month()) - 1) / 3;
            for q in 0..quarters_done {
                kinerja.push(self.kinerja(as_of.year(), Some(q * 3 + 1), koefisien));
            }
        }

        Employee {
            nip,
            pns_id: hex32(&mut self.rng),
            nama,
            gelar_depan,
            gelar_belakang,
            tgl_lahir: iso(birth),
            jenis_kelamin: if male { "L".into() } else { "P".into() },
            golongan,
            tmt_golongan: iso(tmt_golongan),
            jenis_jabatan: jenis,
            jabatan_nama,
            eselon,
            unor_id: unit.unor_id.clone(),
            tmt_jabatan: iso(tmt_jabatan),
            tmt_cpns: iso(tmt_cpns),
            tmt_pensiun: iso(tmt_pensiun),
            status: "aktif".into(),
            jenis_pegawai: if pppk { "PPPK".into() } else { "PNS".into() },
            riwayat_jabatan: riwayat,
            kinerja,
            siasn: crate::SiasnPlant::default(),
        }
    }

    fn kinerja(&mut self, tahun: i32, quarter_start: Option<u8>, koefisien: &str) -> Kinerja {
        let rng = &mut self.rng;
        let hasil = match rng.random_range(0..100) {
            0..15 => Rating::AboveExpectation,
            15..90 => Rating::AsExpected,
            _ => Rating::BelowExpectation,
        };
        let perilaku = match rng.random_range(0..100) {
            0..10 => Rating::AboveExpectation,
            10..95 => Rating::AsExpected,
            _ => Rating::BelowExpectation,
        };
        Kinerja {
            bkn_id: hex32(rng),
            tahun,
            jenis: if quarter_start.is_some() {
                "periodik"
            } else {
                "tahunan"
            }
            .into(),
            periodik: quarter_start.map(|_| "triwulan".into()),
            bulan_mulai: quarter_start,
            bulan_selesai: quarter_start.map(|m| m + 2),
            koefisien_id: quarter_start.map(|_| koefisien.to_string()),
            hasil_kinerja: hasil.code(),
            perilaku_kerja: perilaku.code(),
            predikat: Predikat::from_matrix(hasil, perilaku).code(),
            version: rng.random_range(1..=3),
            penilai: Penilai {
                nip: String::new(),
                nama: String::new(),
                jabatan: String::new(),
                unor_nama: String::new(),
                golongan_id: String::new(),
                status: "ASN".into(),
            },
        }
    }
}

/// Retirement: the first day of the month after reaching the retirement age (BUP).
fn retirement(birth: Date, bup: i32) -> Date {
    let (y, m) = (birth.year() + bup, u8::from(birth.month()));
    if m == 12 {
        ymd(y + 1, 1, 1)
    } else {
        ymd(y, m + 1, 1)
    }
}

/// The appraiser of each employee: the head of their unit, or for a head, the head above.
fn assign_penilai(units: &[Unit], employees: &mut [Employee]) {
    let by_nip: std::collections::HashMap<String, (String, String, String)> = employees
        .iter()
        .map(|e| {
            (
                e.nip.clone(),
                (e.nama_lengkap(), e.golongan.clone(), e.jabatan_nama.clone()),
            )
        })
        .collect();
    let unit_of = |id: &str| units.iter().find(|u| u.unor_id == id);
    let mut cache: std::collections::HashMap<(String, String), Option<Penilai>> =
        std::collections::HashMap::new();
    for e in employees.iter_mut() {
        let key = (e.unor_id.clone(), e.nip.clone());
        let is_head =
            unit_of(&e.unor_id).and_then(|u| u.head_nip.as_deref()) == Some(e.nip.as_str());
        let cache_key = if is_head {
            key.clone()
        } else {
            (e.unor_id.clone(), String::new())
        };
        let penilai = cache
            .entry(cache_key)
            .or_insert_with(|| {
                let mut unit = unit_of(&e.unor_id)?;
                if is_head {
                    unit = unit_of(unit.parent_id.as_deref()?)?;
                }
                loop {
                    if let Some(head) = &unit.head_nip
                        && head != &e.nip
                        && let Some((nama, gol, jab)) = by_nip.get(head)
                    {
                        return Some(Penilai {
                            nip: head.clone(),
                            nama: nama.clone(),
                            jabatan: jab.clone(),
                            unor_nama: unit.nama.clone(),
                            golongan_id: golongan_to_bkn(gol).unwrap_or_default(),
                            status: "ASN".into(),
                        });
                    }
                    unit = unit_of(unit.parent_id.as_deref()?)?;
                }
            })
            .clone()
            .unwrap_or(Penilai {
                nip: "-".into(),
                nama: "Menteri Pekerjaan Umum".into(),
                jabatan: "Menteri".into(),
                unor_nama: crate::INSTANSI_NAMA.into(),
                golongan_id: "0".into(),
                status: "NON ASN".into(),
            });
        for k in &mut e.kinerja {
            k.penilai = penilai.clone();
        }
    }
}
