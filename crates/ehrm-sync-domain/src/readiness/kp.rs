//! The promotion rules K1–K11 for one person and one period.

use time::Date;

use super::bup::PositionKind;
use super::codes::{active_kedudukan, education_ceiling, eselon_range, next_golongan, rank};
use crate::codes::{eselon_name, golongan_name, pendidikan_name};

/// A golongan as people write it (`III/d`), `-` when absent.
fn gol(v: Option<&str>) -> String {
    v.map_or_else(|| "-".into(), golongan_name)
}

/// An eselon as people write it (`III.a`), `-` when absent.
fn esl(v: Option<&str>) -> String {
    v.map_or_else(|| "-".into(), eselon_name)
}
use super::facts::{BknPerson, BknProfile, EhrmPerson, Proposal};
use super::{
    Ctx, Draft, ReadinessFinding, RuleId, Service, Severity, Side, add_years, iso, listing,
    proposal_problem,
};
use crate::dates::parse_iso_date;

/// One person facing one period.
#[derive(Clone, Copy, Debug)]
pub struct KpCase<'a> {
    pub nip: &'a str,
    pub periode: Date,
    /// Their proposal for this period, if BKN lists one.
    pub proposal: Option<&'a Proposal>,
    /// eHRM's data says they reach the time in rank at this period, and no proposal of this
    /// or an earlier period exists.
    pub due_without_proposal: bool,
}

/// The BKN histories the promotion rules need beyond data-utama, rw-golongan, rw-skp22 and
/// rw-jabatan: (rw-hukdis, rw-angkakredit, rw-pendidikan).
pub fn kp_extra_reads(profile: &BknProfile, ctx: Ctx<'_>) -> (bool, bool, bool) {
    let kind = kind_of(profile, None);
    let angka_kredit =
        kind == Some(PositionKind::Fungsional) && !ctx.config.angka_kredit.is_empty();
    let exam = ctx.config.ujian_dinas
        && profile
            .golongan_id
            .as_deref()
            .is_some_and(|g| matches!(g.trim(), "24" | "34"));
    let pendidikan = kind == Some(PositionKind::Pelaksana) || exam;
    (true, angka_kredit, pendidikan)
}

fn kind_of(profile: &BknProfile, ehrm: Option<&EhrmPerson>) -> Option<PositionKind> {
    profile
        .jenis_jabatan_id
        .as_deref()
        .and_then(PositionKind::parse)
        .or_else(|| {
            ehrm?
                .pegawai
                .jenis_jabatan
                .as_deref()
                .and_then(PositionKind::parse)
        })
}

/// Every promotion finding for the case. A person BKN does not know gets one K11 finding
/// (blocking: nothing else can be checked).
pub fn evaluate_kp(
    case: &KpCase<'_>,
    bkn: &BknPerson,
    ehrm: Option<&EhrmPerson>,
    ctx: Ctx<'_>,
) -> Vec<ReadinessFinding> {
    let done = |d: Draft| d.finish(case.nip, Service::Kp, case.periode, case.periode);
    let Some(profile) = &bkn.profile else {
        let mut f = done(Draft::new(
            RuleId::K11,
            Side::BknData,
            "NIP tidak ditemukan di SIASN (data-utama)",
            "NIP not found at SIASN (data-utama)",
        ));
        f.severity = Severity::Block;
        return vec![f];
    };
    // data-utama without its education: the highest of rw-pendidikan, when it was read.
    let with_education;
    let profile = match (&profile.tk_pendidikan_id, best_education(bkn)) {
        (None, Some(best)) => {
            with_education = BknProfile {
                tk_pendidikan_id: Some(format!("{best:02}")),
                ..profile.clone()
            };
            &with_education
        }
        _ => profile,
    };
    let kind = kind_of(profile, ehrm);
    let target = case
        .proposal
        .and_then(|p| p.golongan_baru.clone())
        .or_else(|| {
            profile
                .golongan_id
                .as_deref()
                .and_then(next_golongan)
                .map(str::to_string)
        });
    let mut out: Vec<ReadinessFinding> = [
        k1_proposal(case),
        k2_no_proposal(case),
        k3_time_in_rank(case, profile, bkn, ehrm, kind),
        k5_position(case, profile, bkn, kind, target.as_deref()),
        k6_credit_points(case, profile, bkn, kind, target.as_deref(), ctx),
        k7_education(profile, bkn, kind, target.as_deref()),
        k8_exam(profile, bkn, ctx),
        k9_status(profile, ehrm),
        k10_penalty(case, bkn),
        k11_identity(case.nip, profile),
    ]
    .into_iter()
    .flatten()
    .map(done)
    .collect();
    out.extend(super::skp::k4_skp(case, bkn, ehrm, ctx.today));
    out
}

fn k1_proposal(case: &KpCase<'_>) -> Option<Draft> {
    proposal_problem(
        RuleId::K1,
        case.proposal?,
        ("Usulan KP", "Promotion proposal"),
    )
}

fn k2_no_proposal(case: &KpCase<'_>) -> Option<Draft> {
    (case.proposal.is_none() && case.due_without_proposal).then(|| {
        Draft::new(
            RuleId::K2,
            Side::Usulan,
            "Masa dalam pangkat terpenuhi menurut eHRM, tetapi belum ada usulan KP di BKN untuk periode ini atau sebelumnya",
            "Time in rank reached by eHRM's data, but BKN lists no promotion proposal for this or an earlier period",
        )
    })
}

fn k3_time_in_rank(
    case: &KpCase<'_>,
    profile: &BknProfile,
    bkn: &BknPerson,
    ehrm: Option<&EhrmPerson>,
    kind: Option<PositionKind>,
) -> Option<Draft> {
    let years = if kind == Some(PositionKind::Fungsional) {
        2
    } else {
        4
    };
    let met = |tmt: Option<Date>| tmt.is_some_and(|t| add_years(t, years) <= case.periode);
    let latest = bkn
        .golongan
        .iter()
        .filter(|g| g.tmt.is_some())
        .max_by_key(|g| g.tmt);
    // Ranks compared by their place in the order, so `34` and `III/d` agree.
    let history_agrees = latest.is_some_and(|g| {
        g.tmt == profile.tmt_golongan
            && g.golongan_id.as_deref().and_then(rank)
                == profile.golongan_id.as_deref().and_then(rank)
    });
    let bkn_value = format!(
        "data-utama {} TMT {}; rw-golongan {} TMT {}",
        gol(profile.golongan_id.as_deref()),
        iso(profile.tmt_golongan),
        gol(latest.and_then(|g| g.golongan_id.as_deref())),
        iso(latest.and_then(|g| g.tmt)),
    );
    let ehrm_tmt = ehrm.and_then(|e| e.pegawai.tmt_golongan.as_deref().and_then(parse_iso_date));
    let ehrm_value = ehrm.map(|e| {
        format!(
            "{} TMT {}",
            e.pegawai.golongan.as_deref().unwrap_or("-"),
            iso(ehrm_tmt)
        )
    });
    if !history_agrees {
        return Some(
            Draft::new(
                RuleId::K3,
                Side::BknData,
                "Golongan/TMT terakhir di data-utama tidak sama dengan riwayat golongan SIASN; perbaiki riwayat golongan di SIASN",
                "Latest rank/TMT in data-utama differs from SIASN's rank history; fix the rank history at SIASN",
            )
            .values(Some(bkn_value), ehrm_value),
        );
    }
    if met(profile.tmt_golongan) {
        return None;
    }
    let side = if met(ehrm_tmt) {
        Side::BknData
    } else {
        Side::Usulan
    };
    Some(
        Draft::new(
            RuleId::K3,
            side,
            format!("Masa dalam pangkat belum {years} tahun pada periode ini (TMT golongan di SIASN {})", iso(profile.tmt_golongan)),
            format!("Time in rank is under {years} years at this period (SIASN's rank TMT {})", iso(profile.tmt_golongan)),
        )
        .values(Some(bkn_value), ehrm_value),
    )
}

fn k5_position(
    case: &KpCase<'_>,
    profile: &BknProfile,
    bkn: &BknPerson,
    kind: Option<PositionKind>,
    target: Option<&str>,
) -> Option<Draft> {
    let filled = |id: &Option<String>| id.is_some() || profile.jabatan_nama.is_some();
    let problem = match kind {
        None => Some((
            "jenis jabatan kosong di SIASN".to_string(),
            "no position kind at SIASN".to_string(),
        )),
        Some(PositionKind::Fungsional) => jf_problem(case, profile, bkn, filled),
        Some(PositionKind::Struktural) => {
            let range = profile.eselon_id.as_deref().and_then(eselon_range);
            match (range, target.and_then(rank)) {
                (None, _) => Some((
                    "eselon kosong di data-utama".into(),
                    "no eselon in data-utama".into(),
                )),
                (Some((_, max)), Some(t)) if rank(max).is_some_and(|m| t > m) => Some((
                    format!(
                        "golongan tujuan {} di atas rentang pangkat eselon {}",
                        gol(target),
                        esl(profile.eselon_id.as_deref())
                    ),
                    format!(
                        "target rank {} is above the eselon {} range",
                        gol(target),
                        esl(profile.eselon_id.as_deref())
                    ),
                )),
                _ => None,
            }
        }
        Some(PositionKind::Pelaksana) => {
            (!filled(&profile.jabatan_fungsional_umum_id)).then(|| {
                (
                    "jabatan pelaksana kosong di data-utama".into(),
                    "no pelaksana position in data-utama".into(),
                )
            })
        }
    }?;
    Some(
        Draft::new(
            RuleId::K5,
            Side::BknData,
            format!("Jabatan tidak sesuai jenis KP: {}", problem.0),
            format!("Position does not fit the kind of promotion: {}", problem.1),
        )
        .values(profile.jabatan_nama.clone(), None),
    )
}

/// A functional position: present in data-utama, and held for a year by SIASN's position
/// history (the tenure starts at the first of the trailing run of JF rows).
fn jf_problem(
    case: &KpCase<'_>,
    profile: &BknProfile,
    bkn: &BknPerson,
    filled: impl Fn(&Option<String>) -> bool,
) -> Option<(String, String)> {
    let mut rows: Vec<_> = bkn.jabatan.iter().filter(|j| j.tmt.is_some()).collect();
    rows.sort_by_key(|j| j.tmt);
    let since = rows
        .iter()
        .rev()
        .take_while(|j| {
            PositionKind::parse(j.jenis_jabatan.as_deref().unwrap_or(""))
                == Some(PositionKind::Fungsional)
        })
        .last()
        .and_then(|j| j.tmt);
    if !filled(&profile.jabatan_fungsional_id) {
        Some((
            "jabatan fungsional kosong di data-utama".into(),
            "no functional position in data-utama".into(),
        ))
    } else if since.is_none_or(|s| add_years(s, 1) > case.periode) {
        Some((
            format!(
                "belum 1 tahun dalam jabatan fungsional menurut riwayat jabatan SIASN (sejak {})",
                iso(since)
            ),
            format!(
                "under 1 year in the functional position by SIASN's position history (since {})",
                iso(since)
            ),
        ))
    } else {
        None
    }
}

fn k6_credit_points(
    case: &KpCase<'_>,
    profile: &BknProfile,
    bkn: &BknPerson,
    kind: Option<PositionKind>,
    target: Option<&str>,
    ctx: Ctx<'_>,
) -> Option<Draft> {
    if kind != Some(PositionKind::Fungsional) {
        return None;
    }
    let needed = *ctx.config.angka_kredit.get(target?.trim())?;
    let rows = bkn.angka_kredit.as_ref()?;
    let since = profile.tmt_golongan.map_or(i32::MIN, |d| d.year());
    let sum: f64 = rows
        .iter()
        .filter(|r| r.tahun_selesai.is_none_or(|t| t >= since))
        .filter_map(|r| r.total)
        .sum();
    let through = rows.iter().filter_map(|r| r.tahun_selesai).max();
    let current = through.is_some_and(|t| t >= case.periode.year() - 1);
    if sum >= needed && current {
        return None;
    }
    Some(
        Draft::new(
            RuleId::K6,
            Side::BknData,
            format!("Angka kredit di SIASN {sum:.3} (sampai tahun {}), dibutuhkan {needed:.3} untuk golongan {}", through.map_or("-".into(), |t| t.to_string()), gol(target)),
            format!("Credit points at SIASN {sum:.3} (through {}), {needed:.3} needed for rank {}", through.map_or("-".into(), |t| t.to_string()), gol(target)),
        )
        .values(Some(format!("{sum:.3}")), None),
    )
}

fn best_education(bkn: &BknPerson) -> Option<u32> {
    bkn.pendidikan
        .as_ref()?
        .iter()
        .filter_map(|p| p.tk_pendidikan_id.as_deref()?.trim().parse().ok())
        .max()
}

fn k7_education(
    profile: &BknProfile,
    bkn: &BknPerson,
    kind: Option<PositionKind>,
    target: Option<&str>,
) -> Option<Draft> {
    if kind != Some(PositionKind::Pelaksana) {
        return None;
    }
    let tk = profile.tk_pendidikan_id.as_deref()?;
    let claimed: u32 = tk.trim().parse().ok()?;
    if bkn.pendidikan.is_some() && best_education(bkn).is_none_or(|b| b < claimed) {
        return Some(
            Draft::new(
                RuleId::K7,
                Side::BknData,
                format!(
                    "Pendidikan terakhir di data-utama ({}) tidak ada di riwayat pendidikan SIASN",
                    pendidikan_name(tk)
                ),
                format!(
                    "The highest education in data-utama ({}) is not in SIASN's education history",
                    pendidikan_name(tk)
                ),
            )
            .values(
                Some(format!(
                    "data-utama {}; rw-pendidikan {}",
                    pendidikan_name(tk),
                    best_education(bkn).map_or("-".into(), |b| pendidikan_name(&format!("{b:02}")))
                )),
                None,
            ),
        );
    }
    let ceiling = education_ceiling(tk)?;
    if target.and_then(rank)? <= rank(ceiling)? {
        return None;
    }
    Some(
        Draft::new(
            RuleId::K7,
            Side::BknData,
            format!("Golongan tujuan {} melewati batas pendidikan {} (paling tinggi golongan {}); catat ijazah baru di SIASN atau KP reguler tidak dapat diproses", gol(target), pendidikan_name(tk), gol(Some(ceiling))),
            format!("Target rank {} is above the ceiling of education {} (rank {} at most); record a newer degree at SIASN or the regular promotion cannot proceed", gol(target), pendidikan_name(tk), gol(Some(ceiling))),
        )
        .values(Some(pendidikan_name(tk)), None),
    )
}

fn k8_exam(profile: &BknProfile, bkn: &BknPerson, ctx: Ctx<'_>) -> Option<Draft> {
    if !ctx.config.ujian_dinas {
        return None;
    }
    let (tingkat, exempt_from) = match profile.golongan_id.as_deref()?.trim() {
        "24" => ("I", 35),
        "34" => ("II", 45),
        _ => return None,
    };
    let education =
        best_education(bkn).or_else(|| profile.tk_pendidikan_id.as_deref()?.trim().parse().ok());
    if education.is_some_and(|e| e >= exempt_from) {
        return None;
    }
    Some(Draft::new(
        RuleId::K8,
        Side::Usulan,
        format!(
            "KP ke golongan berikutnya memerlukan STLUD Tingkat {tingkat} (tidak dibebaskan oleh pendidikan); lampirkan pada usulan"
        ),
        format!(
            "The next rank needs the service examination certificate (STLUD) level {tingkat} (education does not exempt); attach it to the proposal"
        ),
    ))
}

fn k9_status(profile: &BknProfile, ehrm: Option<&EhrmPerson>) -> Option<Draft> {
    let active = active_kedudukan(
        profile.kedudukan_id.as_deref(),
        profile.kedudukan_nama.as_deref(),
    );
    if active != Some(false) {
        return None;
    }
    let ehrm_status = ehrm.and_then(|e| e.status.clone());
    let side = if ehrm_status
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("aktif"))
    {
        Side::BknData
    } else {
        Side::Usulan
    };
    let value = format!(
        "{} {}",
        profile.kedudukan_id.as_deref().unwrap_or("-"),
        profile.kedudukan_nama.as_deref().unwrap_or("")
    );
    Some(
        Draft::new(
            RuleId::K9,
            side,
            format!("Kedudukan hukum di SIASN bukan aktif ({})", value.trim()),
            format!("Legal status at SIASN is not active ({})", value.trim()),
        )
        .values(Some(value.trim().to_string()), ehrm_status),
    )
}

fn k10_penalty(case: &KpCase<'_>, bkn: &BknPerson) -> Option<Draft> {
    let row = bkn
        .hukdis
        .as_ref()?
        .iter()
        .filter(|h| h.mulai.is_none_or(|m| m <= case.periode))
        .find(|h| h.akhir.is_some_and(|a| a >= case.periode))?;
    Some(
        Draft::new(
            RuleId::K10,
            Side::Usulan,
            format!(
                "Hukuman disiplin {} berlaku sampai {}: KP tidak dapat diproses pada periode ini",
                row.jenis.as_deref().unwrap_or(""),
                iso(row.akhir)
            ),
            format!(
                "Disciplinary penalty {} in force until {}: no promotion this period",
                row.jenis.as_deref().unwrap_or(""),
                iso(row.akhir)
            ),
        )
        .values(Some(iso(row.akhir)), None),
    )
}

/// CON_1–3 (NIP vs birth date, CPNS month, gender), TIM_1 (unit), COM_3 (education).
pub(super) fn k11_identity(nip: &str, profile: &BknProfile) -> Option<Draft> {
    let mut problems: Vec<(&str, &str)> = Vec::new();
    let digits = |r: std::ops::Range<usize>| nip.get(r).and_then(|s| s.parse::<u32>().ok());
    let ymd = |d: Date| {
        d.year() as u32 * 10_000 + u32::from(u8::from(d.month())) * 100 + u32::from(d.day())
    };
    if profile
        .tgl_lahir
        .is_none_or(|d| digits(0..8) != Some(ymd(d)))
    {
        problems.push((
            "tanggal lahir tidak sesuai NIP",
            "birth date does not match the NIP",
        ));
    }
    // PPPK NIPs carry no CPNS month (…2022211005), so only a month-shaped field is checked.
    let month = digits(12..14).filter(|m| (1..=12).contains(m));
    if let (Some(m), Some(t)) = (month, profile.tmt_cpns) {
        let nip_ym = digits(8..12).map(|y| y * 100 + m);
        if nip_ym != Some(t.year() as u32 * 100 + u32::from(u8::from(t.month()))) {
            problems.push((
                "TMT CPNS tidak sesuai NIP",
                "CPNS start does not match the NIP",
            ));
        }
    }
    let gender = profile
        .jenis_kelamin
        .as_deref()
        .map(|g| g.trim().to_ascii_uppercase());
    let expected = match nip.get(14..15) {
        Some("1") => ["M", "L", "1", "PRIA"],
        Some("2") => ["F", "P", "2", "WANITA"],
        _ => ["?", "?", "?", "?"],
    };
    if gender.as_deref().is_some_and(|g| !expected.contains(&g)) {
        problems.push((
            "jenis kelamin tidak sesuai NIP",
            "gender does not match the NIP",
        ));
    }
    if profile.unor_id.is_none() {
        problems.push(("unit organisasi kosong", "no work unit"));
    }
    if profile.tk_pendidikan_id.is_none() {
        problems.push(("pendidikan terakhir kosong", "no highest education"));
    }
    listing(
        RuleId::K11,
        Side::BknData,
        ("Data identitas di SIASN", "Identity data at SIASN"),
        &problems,
    )
}
