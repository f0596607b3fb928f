//! What the simulated SIASN holds: employees, stored performance records, issued tokens, and
//! the record of every call (for the tests' assertions).

use std::collections::HashMap;
use std::time::Instant;

use serde::Serialize;

use ehrm_sync_population::{Employee, Population, Unit};

/// An annual SKP 2022 record as stored.
#[derive(Clone, Debug, Serialize)]
pub struct Skp22 {
    pub id: String,
    pub nip: String,
    pub pns_id: String,
    pub tahun: i64,
    pub hasil: i64,
    pub perilaku: i64,
    pub kuadran: i64,
    pub penilai_nip: String,
    pub penilai_nama: String,
    pub penilai_jabatan: String,
    pub penilai_unor_nama: String,
    pub penilai_golongan: String,
    pub status_penilai: String,
    pub writes: u32,
}

/// A periodic evaluation as stored.
#[derive(Clone, Debug, Serialize)]
pub struct Periodik {
    pub id: String,
    pub nip: String,
    pub pns_id: String,
    pub tahun: i64,
    pub periodik_id: String,
    pub bulan_mulai: i64,
    pub bulan_selesai: i64,
    pub hasil: i64,
    pub perilaku: i64,
    pub kuadran: i64,
    pub koefisien_id: String,
    pub penilai_nip: String,
    pub penilai_nama: String,
    pub writes: u32,
}

/// A riwayat jabatan as stored: the item `rw-jabatan` lists (BKN's field names), its owner,
/// and how often it was written.
#[derive(Clone, Debug, Serialize)]
pub struct StoredJabatan {
    pub nip: String,
    pub pns_id: String,
    pub item: serde_json::Value,
    pub writes: u32,
}

impl StoredJabatan {
    pub fn id(&self) -> &str {
        self.item.get("id").and_then(|v| v.as_str()).unwrap_or("")
    }

    fn field(&self, name: &str) -> String {
        match self.item.get(name) {
            Some(serde_json::Value::String(s)) => s.trim().to_string(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            _ => String::new(),
        }
    }

    /// What makes two rows the same position: kind, TMT and SK number.
    pub fn identity(&self) -> (String, String, String) {
        (
            self.field("jenisJabatan"),
            self.field("tmtJabatan"),
            self.field("nomorSk").to_lowercase(),
        )
    }
}

pub struct Token {
    pub expires_at: Instant,
    pub uses: u64,
}

/// Counters and the time of every call.
#[derive(Default)]
pub struct Stats {
    pub call_times_ms: Vec<u64>,
    pub by_endpoint: HashMap<String, u64>,
    pub api_calls: u64,
    pub token_calls: u64,
    pub calls_without_tokens: u64,
    pub creates: u64,
    pub updates: u64,
    pub deletes: u64,
    pub rejections: u64,
    pub lost_responses: u64,
    pub errors_injected: u64,
    pub throttled: u64,
    pub suspended_answers: u64,
    pub outage_answers: u64,
    pub token_errors: u64,
    pub sso_refused: u64,
    pub uploads: u64,
    pub data_utama_syncs: u64,
    pub password_grants: u64,
    pub refresh_grants: u64,
    pub calls_without_lb_cookie: u64,
    /// Calls that drew for each fault (the denominators of the shares that met it).
    pub error_draws: u64,
    pub throttle_draws: u64,
    pub token_checks: u64,
    pub write_draws: u64,
}

pub struct Db {
    pub employees: HashMap<String, Employee>,
    pub pns_to_nip: HashMap<String, String>,
    pub units: Vec<Unit>,
    pub skp22: Vec<Skp22>,
    pub periodik: Vec<Periodik>,
    pub jabatan: Vec<StoredJabatan>,
    /// PNS ids whose data-utama lags a riwayat jabatan write (until `data-utama-jabatansync`).
    pub data_utama_stale: std::collections::BTreeSet<String>,
    /// SIASN's reference table: JF and JFU ids → the post's name (BKN names a saved position
    /// from its reference).
    pub position_names: HashMap<String, String>,
    pub apim_tokens: HashMap<String, Token>,
    pub sso_tokens: HashMap<String, Token>,
    pub stats: Stats,
    pub next_id: u64,
}

impl Db {
    pub fn new(population: &Population) -> Self {
        let mut skp22 = Vec::new();
        let mut periodik = Vec::new();
        for e in &population.employees {
            for k in &e.kinerja {
                if k.jenis == "tahunan" {
                    skp22.push(Skp22 {
                        id: k.bkn_id.clone(),
                        nip: e.nip.clone(),
                        pns_id: e.pns_id.clone(),
                        tahun: i64::from(k.tahun),
                        hasil: i64::from(k.hasil_kinerja),
                        perilaku: i64::from(k.perilaku_kerja),
                        kuadran: i64::from(k.predikat),
                        penilai_nip: k.penilai.nip.clone(),
                        penilai_nama: k.penilai.nama.clone(),
                        penilai_jabatan: k.penilai.jabatan.clone(),
                        penilai_unor_nama: k.penilai.unor_nama.clone(),
                        penilai_golongan: k.penilai.golongan_id.clone(),
                        status_penilai: k.penilai.status.clone(),
                        writes: 0,
                    });
                } else {
                    periodik.push(Periodik {
                        id: k.bkn_id.clone(),
                        nip: e.nip.clone(),
                        pns_id: e.pns_id.clone(),
                        tahun: i64::from(k.tahun),
                        periodik_id: if k.periodik.as_deref() == Some("bulanan") {
                            "1"
                        } else {
                            "2"
                        }
                        .into(),
                        bulan_mulai: i64::from(k.bulan_mulai.unwrap_or(1)),
                        bulan_selesai: i64::from(k.bulan_selesai.unwrap_or(1)),
                        hasil: i64::from(k.hasil_kinerja),
                        perilaku: i64::from(k.perilaku_kerja),
                        kuadran: i64::from(k.predikat),
                        koefisien_id: k.koefisien_id.clone().unwrap_or_default(),
                        penilai_nip: k.penilai.nip.clone(),
                        penilai_nama: k.penilai.nama.clone(),
                        writes: 0,
                    });
                }
            }
        }
        let (jabatan, position_names) = positions(population);
        Db {
            jabatan,
            position_names,
            data_utama_stale: Default::default(),
            pns_to_nip: population
                .employees
                .iter()
                .map(|e| (e.pns_id.clone(), e.nip.clone()))
                .collect(),
            employees: population
                .employees
                .iter()
                .map(|e| (e.nip.clone(), e.clone()))
                .collect(),
            units: population.units.clone(),
            skp22,
            periodik,
            apim_tokens: HashMap::new(),
            sso_tokens: HashMap::new(),
            stats: Stats::default(),
            next_id: 1,
        }
    }

    pub fn new_id(&mut self) -> String {
        self.next_id += 1;
        format!("{:016X}{:016X}", rand::random::<u64>(), self.next_id)
    }

    /// Records of one year (annual) or period (periodic) held more than once.
    pub fn duplicates(&self) -> u64 {
        let mut annual: HashMap<(&str, i64), u64> = HashMap::new();
        for r in &self.skp22 {
            *annual.entry((&r.pns_id, r.tahun)).or_default() += 1;
        }
        let mut periodic: HashMap<(&str, i64, &str, i64), u64> = HashMap::new();
        for r in &self.periodik {
            *periodic
                .entry((&r.pns_id, r.tahun, &r.periodik_id, r.bulan_mulai))
                .or_default() += 1;
        }
        let mut positions: HashMap<(&str, (String, String, String)), u64> = HashMap::new();
        for r in &self.jabatan {
            *positions.entry((&r.pns_id, r.identity())).or_default() += 1;
        }
        annual
            .values()
            .chain(periodic.values())
            .chain(positions.values())
            .map(|n| n.saturating_sub(1))
            .sum()
    }
}

/// The positions BKN holds at start (rendered as rw-jabatan lists them) and SIASN's reference
/// table of post names (JF and JFU ids → name).
fn positions(population: &Population) -> (Vec<StoredJabatan>, HashMap<String, String>) {
    let jabatan = population
        .employees
        .iter()
        .flat_map(|e| {
            crate::render::rw_jabatan(e, &population.units)
                .into_iter()
                .map(|item| StoredJabatan {
                    nip: e.nip.clone(),
                    pns_id: e.pns_id.clone(),
                    item,
                    writes: 0,
                })
        })
        .collect();
    let mut position_names = HashMap::new();
    for e in &population.employees {
        let posts = e
            .riwayat_jabatan
            .iter()
            .map(|j| (j.jenis_jabatan, j.nama_jabatan.as_str()))
            .chain([(e.jenis_jabatan, e.jabatan_nama.as_str())]);
        for (jenis, name) in posts {
            let kind = match jenis {
                ehrm_sync_population::JenisJabatan::Fungsional => "jf",
                ehrm_sync_population::JenisJabatan::Pelaksana => "jfu",
                ehrm_sync_population::JenisJabatan::Struktural => continue,
            };
            position_names.insert(crate::history::ref_id(kind, name), name.to_string());
        }
    }
    (jabatan, position_names)
}

/// The most calls that fell within any window of `window_ms`.
pub fn max_in_window(sorted_times: &[u64], window_ms: u64) -> u64 {
    let mut best = 0;
    let mut start = 0;
    for end in 0..sorted_times.len() {
        while sorted_times[end] - sorted_times[start] >= window_ms {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window_counts() {
        assert_eq!(max_in_window(&[], 1000), 0);
        assert_eq!(max_in_window(&[0, 500, 999, 1000, 1999], 1000), 3);
        assert_eq!(max_in_window(&[0, 1000, 2000], 1000), 1);
    }
}
