//! The SIASN histories and proposal fields the readiness check reads, rendered from the
//! population (and what it planted): rw-golongan, rw-hukdis, rw-angkakredit, rw-pendidikan
//! (`docs/readiness-rules.md`; the public clients' database migrations), education and position ids of data-utama, and the
//! proposal items of list-kp-instansi / list-pensiun-instansi (`docs/bkn-api.md`, "Lists").
//!
//! Written here from `docs/readiness-rules.md`, not from ehrm-sync's rules, so the two can disagree.

use serde_json::{Value, json};

use ehrm_sync_domain::dates::parse_iso_date;
use ehrm_sync_population::{Employee, JenisJabatan, Usulan, golongan_to_bkn};

use crate::render::bkn_date;

const ORDER: [&str; 17] = [
    "I/a", "I/b", "I/c", "I/d", "II/a", "II/b", "II/c", "II/d", "III/a", "III/b", "III/c", "III/d",
    "IV/a", "IV/b", "IV/c", "IV/d", "IV/e",
];

fn rank(g: &str) -> Option<usize> {
    ORDER.iter().position(|o| *o == g)
}

/// A stable 32-hex id for a name (SIASN's reference ids look like this).
pub fn ref_id(kind: &str, name: &str) -> String {
    ehrm_sync_population::jabatan_reference(kind, name)
}

/// `tkPendidikanTerakhirId`: as planted, else the lowest level whose rank ceiling (PP 99/2000
/// Ps 8) allows the next rank, at least S-1 for officials, and one that exempts from the
/// service examination at II/d (D-IV) and III/d (S-2).
pub fn tk_pendidikan(e: &Employee) -> String {
    if let Some(tk) = &e.siasn.tk_pendidikan {
        return tk.clone();
    }
    let target = rank(&e.golongan).map_or(0, |r| r + 1);
    const LEVELS: [(&str, usize); 8] = [
        ("05", 4),
        ("10", 6),
        ("15", 9),
        ("30", 10),
        ("40", 11),
        ("45", 12),
        ("50", 13),
        ("50", 99),
    ];
    let mut tk = LEVELS
        .iter()
        .find(|(_, ceiling)| *ceiling >= target)
        .map_or("50", |l| l.0);
    if e.jenis_jabatan != JenisJabatan::Pelaksana && tk < "40" {
        tk = "40";
    }
    match e.golongan.as_str() {
        "II/d" if tk < "35" => "35".into(),
        "III/d" if tk < "45" => "45".into(),
        _ => tk.into(),
    }
}

fn tk_nama(tk: &str) -> &'static str {
    match tk {
        "05" => "SD",
        "10" => "SLTP",
        "15" => "SLTA",
        "30" => "Diploma III",
        "35" => "Diploma IV",
        "40" => "S-1/Sarjana",
        "45" => "S-2",
        _ => "S-3/Doktor",
    }
}

/// `GET /pns/rw-pendidikan/{nip}` items.
pub fn rw_pendidikan(e: &Employee) -> Vec<Value> {
    let levels = e
        .siasn
        .rw_pendidikan
        .clone()
        .unwrap_or_else(|| vec![tk_pendidikan(e)]);
    let birth_year = parse_iso_date(&e.tgl_lahir).map_or(1980, |d| d.year());
    levels
        .iter()
        .enumerate()
        .map(|(i, tk)| {
            json!({"id": ref_id("pendidikan", &format!("{}{i}", e.nip)), "idPns": e.pns_id,
                   "nipBaru": e.nip, "tkPendidikanId": tk, "tkPendidikanNama": tk_nama(tk),
                   "pendidikanNama": tk_nama(tk), "tglLulus": format!("30-06-{}", birth_year + 22),
                   "isPendidikanPertama": if i == 0 { "1" } else { "0" }})
        })
        .collect()
}

/// `GET /pns/rw-golongan/{nip}` items: the current rank and the two before it, four years apart.
pub fn rw_golongan(e: &Employee) -> Vec<Value> {
    let (Some(r), Some(tmt)) = (rank(&e.golongan), parse_iso_date(&e.tmt_golongan)) else {
        return Vec::new();
    };
    if e.siasn.rw_golongan_empty {
        return Vec::new();
    }
    let latest_tmt = e
        .siasn
        .rw_golongan_tmt
        .clone()
        .unwrap_or_else(|| e.tmt_golongan.clone());
    let cpns = parse_iso_date(&e.tmt_cpns).unwrap_or(tmt);
    let mut out = Vec::new();
    for step in 0..3usize {
        let Some(g) = r.checked_sub(step).map(|i| ORDER[i]) else {
            break;
        };
        let at = tmt
            .replace_year(tmt.year() - 4 * step as i32)
            .unwrap_or(tmt);
        if step > 0 && at < cpns {
            break;
        }
        let tmt_text = if step == 0 {
            bkn_date(&latest_tmt)
        } else {
            json!(ehrm_sync_domain::dates::format_bkn_date(at))
        };
        out.push(json!({
            "id": ref_id("golongan", &format!("{}{step}", e.nip)), "idPns": e.pns_id, "nipBaru": e.nip,
            "golonganId": golongan_to_bkn(g), "golongan": g, "tmtGolongan": tmt_text,
            "skNomor": format!("KP.{}/{}", at.year(), step), "skTanggal": tmt_text,
            "jenisKPId": "101", "jenisKPNama": "Reguler", "noPertekBkn": null,
            "masaKerjaGolonganTahun": (at.year() - cpns.year()).max(0), "masaKerjaGolonganBulan": 0,
        }));
    }
    out
}

/// `GET /pns/rw-hukdis/{nip}` items.
pub fn rw_hukdis(e: &Employee) -> Vec<Value> {
    e.siasn
        .hukdis
        .iter()
        .enumerate()
        .map(|(i, h)| {
            json!({"id": ref_id("hukdis", &format!("{}{i}", e.nip)), "pnsOrang": e.pns_id, "nipBaru": e.nip,
                   "hukumanTanggal": bkn_date(&h.mulai), "akhirHukumTanggal": bkn_date(&h.akhir),
                   "jenisHukumanNama": h.jenis, "jenisTingkatHukumanId": "S"})
        })
        .collect()
}

/// `GET /pns/rw-angkakredit/{nip}` items (functional positions): planted, else one
/// conversion of 25 points per year since the last promotion, through `this_year`.
pub fn rw_angkakredit(e: &Employee, this_year: i32) -> Vec<Value> {
    if e.jenis_jabatan != JenisJabatan::Fungsional && e.siasn.angka_kredit.is_none() {
        return Vec::new();
    }
    let since = parse_iso_date(&e.tmt_golongan).map_or(this_year, |d| d.year());
    let rows = e
        .siasn
        .angka_kredit
        .clone()
        .unwrap_or_else(|| (since..=this_year).map(|y| (25.0, y)).collect());
    rows.iter()
        .enumerate()
        .map(|(i, (total, year))| {
            json!({"id": ref_id("ak", &format!("{}{i}", e.nip)), "pnsId": e.pns_id, "nipBaru": e.nip,
                   "kreditUtamaBaru": total, "kreditPenunjangBaru": 0, "kreditBaruTotal": format!("{total:.3}"),
                   "bulanMulaiPenailan": "1", "tahunMulaiPenailan": year.to_string(),
                   "bulanSelesaiPenailan": "12", "tahunSelesaiPenailan": year.to_string(),
                   "isKonversi": "1", "isIntegrasi": "0"})
        })
        .collect()
}

/// A service promotion at retirement (KP pengabdian, `docs/readiness-rules.md`): ≥ 30 years of service
/// and a month in rank, ≥ 20 and a year, or ≥ 10 and two years; PNS below IV/e.
pub fn kpp(e: &Employee, tmt: time::Date) -> bool {
    ehrm_sync_population::readiness::kpp_expected(e, tmt)
}

/// The proposal fields an employee's planted or derived proposal carries: `None` when none is
/// filed. (status, status name, refusal reason, KPP).
pub fn proposal(
    usulan: &Usulan,
    derived_kpp: bool,
) -> Option<(String, String, Option<String>, bool)> {
    match usulan {
        Usulan::Absent => None,
        Usulan::Derived => Some(("12".into(), "Terima Usulan".into(), None, derived_kpp)),
        Usulan::Listed {
            status,
            status_nama,
            alasan,
            kpp,
        } => Some((
            status.clone(),
            status_nama.clone(),
            alasan.clone(),
            kpp.unwrap_or(derived_kpp),
        )),
    }
}
