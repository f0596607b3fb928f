//! A world for the promotion and retirement readiness check: a generated population made clean
//! for it (every rule passes for everyone), then one blocker of every rule planted on its own
//! person, with the finding each must produce. Like [`crate::inject`] for reconciliation.

use std::collections::HashSet;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use time::{Date, Duration};

use ehrm_sync_domain::dates::{format_iso_date, parse_iso_date};
use ehrm_sync_domain::readiness::add_months;
use ehrm_sync_domain::reconcile::kp_periods;

use crate::{Employee, Hukdis, JenisJabatan, Population, Usulan, promotion_period};

/// The finding a planted blocker must produce.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExpectedFinding {
    pub nip: String,
    /// `K1` … `R7`.
    pub rule: String,
    /// K4/R5: the SKP year.
    pub tahun: Option<i32>,
    /// The run must send eHRM's record to BKN (`queued_for_bkn`).
    pub queued: bool,
    /// Found only when this setting of the rules file is on (`angka_kredit`, `ujian_dinas`).
    pub needs: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Planted {
    pub ehrm: Population,
    pub bkn: Population,
    pub expected: Vec<ExpectedFinding>,
}

#[derive(Clone, Debug)]
pub struct PlantSpec {
    pub seed: u64,
    /// The day the check will run (its periods and window follow from it).
    pub today: Date,
    pub horizon_months: u32,
    pub pension_months: u32,
}

/// Retirement age by position (PP 11/2017 Ps 239, as this world applies it).
fn retirement_age(e: &Employee) -> i32 {
    match e.jenis_jabatan {
        JenisJabatan::Struktural
            if e.eselon
                .as_deref()
                .is_some_and(|s| s.starts_with("I.") || s.starts_with("II.")) =>
        {
            60
        }
        JenisJabatan::Fungsional if e.jabatan_nama.contains("Ahli Utama") => 65,
        JenisJabatan::Fungsional if e.jabatan_nama.contains("Ahli Madya") => 60,
        _ => 58,
    }
}

fn retirement(birth: Date, age: i32) -> Date {
    add_months(
        Date::from_calendar_date(birth.year() + age, birth.month(), 1).unwrap_or(birth),
        1,
    )
}

/// The highest golongan a head's eselon allows (the top of its pangkat range).
fn eselon_top(eselon: &str) -> Option<&'static str> {
    Some(match eselon {
        "I.a" | "I.b" => "IV/e",
        "II.a" => "IV/d",
        "II.b" => "IV/c",
        "III.a" => "IV/b",
        "III.b" => "IV/a",
        "IV.a" => "III/d",
        "IV.b" => "III/c",
        _ => return None,
    })
}

const ORDER: [&str; 17] = [
    "I/a", "I/b", "I/c", "I/d", "II/a", "II/b", "II/c", "II/d", "III/a", "III/b", "III/c", "III/d",
    "IV/a", "IV/b", "IV/c", "IV/d", "IV/e",
];

fn rank(g: &str) -> Option<usize> {
    ORDER.iter().position(|o| *o == g)
}

/// Makes every rule pass for everyone: annual predikats at least Baik, a year in a functional
/// position before any period, heads' ranks inside their eselon's range, retirement dates by
/// the position's age (people that puts past retirement leave the world).
pub fn clean(pop: &mut Population, today: Date) {
    let mut gone = HashSet::new();
    for e in &mut pop.employees {
        for k in e
            .kinerja
            .iter_mut()
            .filter(|k| k.jenis == "tahunan" && k.predikat > 2)
        {
            (k.hasil_kinerja, k.perilaku_kerja, k.predikat) = (2, 2, 2);
        }
        if e.jenis_jabatan == JenisJabatan::Fungsional {
            let latest = today.saturating_sub(Duration::days(400));
            if let Some(current) = e.riwayat_jabatan.last_mut()
                && parse_iso_date(&current.tmt_jabatan).is_some_and(|t| t > latest)
            {
                current.tmt_jabatan = format_iso_date(latest);
                e.tmt_jabatan = current.tmt_jabatan.clone();
            }
            // Earlier rows must stay earlier than the (moved) current one.
            let current = e.tmt_jabatan.clone();
            e.riwayat_jabatan
                .retain(|j| j.tmt_jabatan < current || j.jenis_jabatan == JenisJabatan::Fungsional);
        }
        if let (Some(top), Some(r)) = (e.eselon.as_deref().and_then(eselon_top), rank(&e.golongan))
            && rank(top).is_some_and(|t| r >= t)
        {
            e.golongan = ORDER[rank(top).unwrap_or(1).saturating_sub(1)].to_string();
        }
        if let Some(birth) = parse_iso_date(&e.tgl_lahir) {
            let tmt = retirement(birth, retirement_age(e));
            if tmt <= today {
                gone.insert(e.nip.clone());
            }
            e.tmt_pensiun = format_iso_date(tmt);
        }
    }
    pop.employees.retain(|e| !gone.contains(&e.nip));
}

struct Picker<'a> {
    rng: StdRng,
    used: HashSet<String>,
    periods: &'a [Date],
    window: (Date, Date),
}

impl Picker<'_> {
    fn kp_due(&self, e: &Employee) -> bool {
        promotion_period(e).is_some_and(|p| self.periods.contains(&p))
    }

    fn retiring(&self, e: &Employee) -> bool {
        parse_iso_date(&e.tmt_pensiun)
            .is_some_and(|t| t >= add_months(self.window.0, -12) && t <= self.window.1)
    }

    /// An unused person in exactly one cohort, KP (`kp`) or retirement.
    fn pick(
        &mut self,
        pop: &Population,
        kp: bool,
        ok: impl Fn(&Employee) -> bool,
    ) -> Option<usize> {
        let candidates: Vec<usize> = (0..pop.employees.len())
            .filter(|&i| {
                let e = &pop.employees[i];
                !self.used.contains(&e.nip)
                    && self.kp_due(e) == kp
                    && self.retiring(e) != kp
                    && ok(e)
            })
            .collect();
        let i = *candidates.get(self.rng.random_range(0..candidates.len().max(1)))?;
        self.used.insert(pop.employees[i].nip.clone());
        Some(i)
    }
}

fn expect(nip: &str, rule: &str) -> ExpectedFinding {
    ExpectedFinding {
        nip: nip.into(),
        rule: rule.into(),
        tahun: None,
        queued: false,
        needs: None,
    }
}

/// The clean world with one blocker of every rule; rules a population offers no person for are
/// left out of `expected`.
pub fn plant(base: &Population, spec: &PlantSpec) -> Planted {
    let mut ehrm = base.clone();
    clean(&mut ehrm, spec.today);
    let mut bkn = ehrm.clone();
    let periods = kp_periods(spec.today, spec.horizon_months);
    let from = spec.today.replace_day(1).unwrap_or(spec.today);
    let window = (
        from,
        add_months(from, spec.pension_months as i32)
            .previous_day()
            .unwrap_or(from),
    );
    let mut p = Picker {
        rng: StdRng::seed_from_u64(spec.seed),
        used: HashSet::new(),
        periods: &periods,
        window,
    };
    let mut expected = Vec::new();
    plant_kp(&mut ehrm, &mut bkn, &mut p, &mut expected);
    plant_pensiun(&mut ehrm, &mut bkn, &mut p, spec.today, &mut expected);
    expected.sort();
    Planted {
        ehrm,
        bkn,
        expected,
    }
}

/// K1–K4: the proposal, its absence, the rank history, a missing SKP.
fn plant_kp(
    ehrm: &mut Population,
    bkn: &mut Population,
    p: &mut Picker<'_>,
    out: &mut Vec<ExpectedFinding>,
) {
    if let Some(i) = p.pick(bkn, true, |_| true) {
        bkn.employees[i].siasn.kp_usulan = Usulan::Listed {
            status: "6".into(),
            status_nama: "Tidak Memenuhi Syarat".into(),
            alasan: Some("TMS: masa kerja golongan belum cukup".into()),
            kpp: None,
        };
        out.push(expect(&bkn.employees[i].nip, "K1"));
    }
    if let Some(i) = p.pick(bkn, true, |_| true) {
        bkn.employees[i].siasn.kp_usulan = Usulan::Absent;
        out.push(expect(&bkn.employees[i].nip, "K2"));
    }
    if let Some(i) = p.pick(bkn, true, |e| parse_iso_date(&e.tmt_golongan).is_some()) {
        let e = &mut bkn.employees[i];
        let tmt = parse_iso_date(&e.tmt_golongan).map(|t| add_months(t, -2));
        e.siasn.rw_golongan_tmt = tmt.map(format_iso_date);
        out.push(expect(&e.nip, "K3"));
    }
    if let Some(i) = p.pick(bkn, true, |_| true) {
        let e = &mut bkn.employees[i];
        let tahun = promotion_period(e).map_or(0, |d| d.year()) - 2;
        e.kinerja
            .retain(|k| !(k.jenis == "tahunan" && k.tahun == tahun));
        out.push(ExpectedFinding {
            tahun: Some(tahun),
            queued: true,
            ..expect(&e.nip, "K4")
        });
    }
    plant_kp_position_and_status(ehrm, bkn, p, out);
}

/// K5–K11: position, credit points, education, examination, status, penalty, identity.
fn plant_kp_position_and_status(
    ehrm: &mut Population,
    bkn: &mut Population,
    p: &mut Picker<'_>,
    out: &mut Vec<ExpectedFinding>,
) {
    let pelaksana = |e: &Employee| e.jenis_jabatan == JenisJabatan::Pelaksana;
    if let Some(i) = p.pick(bkn, true, pelaksana) {
        bkn.employees[i].siasn.jabatan_kosong = true;
        out.push(expect(&bkn.employees[i].nip, "K5"));
    }
    if let Some(i) = p.pick(bkn, true, |e| e.jenis_jabatan == JenisJabatan::Fungsional) {
        let year = p.periods.first().map_or(2026, |d| d.year());
        bkn.employees[i].siasn.angka_kredit = Some(vec![(10.0, year)]);
        out.push(ExpectedFinding {
            needs: Some("angka_kredit".into()),
            ..expect(&bkn.employees[i].nip, "K6")
        });
    }
    // III/b or III/c: above SLTA's ceiling, below the ranks that need a service examination.
    if let Some(i) = p.pick(bkn, true, |e| {
        pelaksana(e) && rank(&e.golongan).is_some_and(|r| (9..=10).contains(&r))
    }) {
        let e = &mut bkn.employees[i];
        e.siasn.tk_pendidikan = Some("15".into());
        e.siasn.rw_pendidikan = Some(vec!["15".into()]);
        out.push(expect(&e.nip, "K7"));
    }
    if let Some(i) = p.pick(bkn, true, pelaksana) {
        let nip = bkn.employees[i].nip.clone();
        for pop in [&mut *ehrm, &mut *bkn] {
            if let Some(e) = pop.employees.iter_mut().find(|e| e.nip == nip) {
                e.golongan = "II/d".into();
            }
        }
        let e = &mut bkn.employees[i];
        e.siasn.tk_pendidikan = Some("15".into());
        e.siasn.rw_pendidikan = Some(vec!["15".into()]);
        out.push(ExpectedFinding {
            needs: Some("ujian_dinas".into()),
            ..expect(&nip, "K8")
        });
    }
    if let Some(i) = p.pick(bkn, true, |_| true) {
        bkn.employees[i].siasn.kedudukan = Some(("02".into(), "CLTN".into()));
        out.push(expect(&bkn.employees[i].nip, "K9"));
    }
    if let Some(i) = p.pick(bkn, true, |_| true) {
        let e = &mut bkn.employees[i];
        let at = promotion_period(e).unwrap_or(p.window.0);
        e.siasn.hukdis = vec![Hukdis {
            mulai: format_iso_date(add_months(at, -3)),
            akhir: format_iso_date(add_months(at, 9)),
            jenis: "Hukuman Disiplin Sedang".into(),
        }];
        out.push(expect(&e.nip, "K10"));
    }
    if let Some(i) = p.pick(bkn, true, |e| {
        parse_iso_date(&e.tgl_lahir).is_some_and(|d| d.day() < 28)
    }) {
        let e = &mut bkn.employees[i];
        e.tgl_lahir = parse_iso_date(&e.tgl_lahir).map_or(e.tgl_lahir.clone(), |d| {
            format_iso_date(d.saturating_add(Duration::days(1)))
        });
        out.push(expect(&e.nip, "K11"));
    }
}

fn plant_pensiun(
    ehrm: &mut Population,
    bkn: &mut Population,
    p: &mut Picker<'_>,
    today: Date,
    out: &mut Vec<ExpectedFinding>,
) {
    let tmt = |e: &Employee| parse_iso_date(&e.tmt_pensiun).unwrap_or(today);
    let (start, end) = p.window;
    let inside =
        move |e: &Employee| tmt(e) >= add_months(start, 1) && tmt(e) <= add_months(end, -2);
    if let Some(i) = p.pick(bkn, false, inside) {
        let e = &mut bkn.employees[i];
        e.tmt_pensiun = format_iso_date(add_months(tmt(e), 1));
        out.push(expect(&e.nip, "R1"));
    }
    if let Some(i) = p.pick(bkn, false, move |e| {
        inside(e) && tmt(e) > add_months(today, 4)
    }) {
        bkn.employees[i].siasn.pensiun_usulan = Usulan::Absent;
        out.push(expect(&bkn.employees[i].nip, "R2"));
    }
    if let Some(i) = p.pick(bkn, false, inside) {
        bkn.employees[i].siasn.pensiun_usulan = Usulan::Listed {
            status: "21".into(),
            status_nama: "Berkas Ditolak - TTD Pertek".into(),
            alasan: Some("BTS: DPCP tidak lengkap".into()),
            kpp: None,
        };
        out.push(expect(&bkn.employees[i].nip, "R3"));
    }
    if let Some(i) = p.pick(bkn, false, inside) {
        bkn.employees[i].siasn.rw_golongan_empty = true;
        out.push(expect(&bkn.employees[i].nip, "R4"));
    }
    if let Some(i) = p.pick(bkn, false, inside) {
        let e = &mut bkn.employees[i];
        let tahun = (tmt(e).year() - 1).min(today.year() - 1);
        e.kinerja
            .retain(|k| !(k.jenis == "tahunan" && k.tahun == tahun));
        out.push(ExpectedFinding {
            tahun: Some(tahun),
            queued: true,
            ..expect(&e.nip, "R5")
        });
    }
    if let Some(i) = p.pick(bkn, false, move |e| inside(e) && kpp_expected(e, tmt(e))) {
        bkn.employees[i].siasn.pensiun_usulan = Usulan::Listed {
            status: "12".into(),
            status_nama: "Terima Usulan".into(),
            alasan: None,
            kpp: Some(false),
        };
        out.push(expect(&bkn.employees[i].nip, "R6"));
    }
    // Past retirement two months ago, and eighteen months ago (R7 has no window), and still
    // active: born earlier, in both systems.
    for months_ago in [2, 18] {
        let Some(i) = p.pick(bkn, false, inside) else {
            continue;
        };
        let nip = bkn.employees[i].nip.clone();
        let shift = months_between(add_months(start, -months_ago), tmt(&bkn.employees[i]));
        for pop in [&mut *ehrm, &mut *bkn] {
            if let Some(e) = pop.employees.iter_mut().find(|e| e.nip == nip) {
                let birth = parse_iso_date(&e.tgl_lahir).unwrap_or(today);
                e.tgl_lahir = format_iso_date(add_months(birth, -shift));
                e.tmt_pensiun = format_iso_date(add_months(tmt(e), -shift));
            }
        }
        out.push(expect(&nip, "R7"));
        out.push(expect(&nip, "R2"));
    }
}

fn months_between(earlier: Date, later: Date) -> i32 {
    (later.year() - earlier.year()) * 12 + i32::from(u8::from(later.month()))
        - i32::from(u8::from(earlier.month()))
}

/// A service promotion at retirement (KP pengabdian): ≥ 30 years of service and a month in
/// rank, ≥ 20 and a year, or ≥ 10 and two years; not at IV/e, PNS only.
pub fn kpp_expected(e: &Employee, tmt: Date) -> bool {
    let (Some(cpns), Some(gol)) = (parse_iso_date(&e.tmt_cpns), parse_iso_date(&e.tmt_golongan))
    else {
        return false;
    };
    if e.jenis_pegawai != "PNS" || e.golongan == "IV/e" {
        return false;
    }
    let service = months_between(cpns, tmt);
    let in_rank = months_between(gol, tmt);
    (service >= 360 && in_rank >= 1)
        || (service >= 240 && in_rank >= 12)
        || (service >= 120 && in_rank >= 24)
}
