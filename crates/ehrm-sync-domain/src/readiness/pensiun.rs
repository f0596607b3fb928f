//! The retirement rules R1–R7 for one person and their retirement date.

use time::Date;

use super::bup::{PositionKind, bup_age, tmt_pensiun};
use super::codes::{active_kedudukan, rank};
use super::facts::{BknPerson, BknProfile, EhrmPerson, Proposal};
use super::{
    Ctx, Draft, ReadinessFinding, RuleId, Service, Severity, Side, add_months, add_years, iso,
    listing, proposal_problem,
};
use crate::dates::parse_iso_date;

/// The retirement age and date SIASN's own data implies (R1), `None` without a birth date.
pub fn expected_retirement(profile: &BknProfile, ctx: Ctx<'_>) -> Option<(u8, Date)> {
    let kind = profile
        .jenis_jabatan_id
        .as_deref()
        .and_then(PositionKind::parse)
        .unwrap_or(PositionKind::Pelaksana);
    let age = bup_age(
        kind,
        profile.eselon_id.as_deref(),
        profile.jabatan_nama.as_deref(),
        &ctx.config.jf_bup,
    )?;
    Some((age, tmt_pensiun(profile.tgl_lahir?, age)?))
}

/// The retirement date eHRM's data implies: its own `tmt_pensiun`, else its birth date and
/// position.
pub fn ehrm_retirement(ehrm: &EhrmPerson, ctx: Ctx<'_>) -> Option<Date> {
    let p = &ehrm.pegawai;
    if let Some(d) = p.tmt_pensiun.as_deref().and_then(parse_iso_date) {
        return Some(d);
    }
    let kind = p.jenis_jabatan.as_deref().and_then(PositionKind::parse)?;
    let age = bup_age(
        kind,
        p.eselon.as_deref(),
        p.jabatan.as_deref(),
        &ctx.config.jf_bup,
    )?;
    tmt_pensiun(p.tgl_lahir.as_deref().and_then(parse_iso_date)?, age)
}

/// Whether a service promotion (KP pengabdian) is expected at retirement: ≥ 30 years of
/// service and ≥ 1 month in rank, ≥ 20 and ≥ 1 year, or ≥ 10 and ≥ 2 years [S: P11].
#[derive(Clone, Copy, Debug)]
pub struct KppFacts {
    pub tmt_cpns: Date,
    pub tmt_golongan: Date,
    pub tmt: Date,
}

impl KppFacts {
    pub fn expected(&self) -> bool {
        let (service, in_rank) = (self.tmt_cpns, self.tmt_golongan);
        let at = self.tmt;
        (add_years(service, 30) <= at && add_months(in_rank, 1) <= at)
            || (add_years(service, 20) <= at && add_years(in_rank, 1) <= at)
            || (add_years(service, 10) <= at && add_years(in_rank, 2) <= at)
    }
}

/// Every retirement finding for a person whose retirement date is `tmt`.
pub fn evaluate_pensiun(
    nip: &str,
    tmt: Date,
    proposal: Option<&Proposal>,
    bkn: &BknPerson,
    ehrm: Option<&EhrmPerson>,
    ctx: Ctx<'_>,
) -> Vec<ReadinessFinding> {
    let lead = add_months(tmt, -(ctx.config.pension_lead_months as i32));
    let done = |d: Draft| d.finish(nip, Service::Pensiun, tmt, lead);
    let Some(profile) = &bkn.profile else {
        let mut f = done(Draft::new(
            RuleId::R4,
            Side::BknData,
            "NIP tidak ditemukan di SIASN (data-utama)",
            "NIP not found at SIASN (data-utama)",
        ));
        f.severity = Severity::Block;
        return vec![f];
    };
    let mut out: Vec<ReadinessFinding> = [
        r1_retirement_date(profile, ehrm, ctx),
        r3_proposal(proposal),
        r4_completeness(profile, bkn),
        r6_service_promotion(profile, proposal, tmt),
    ]
    .into_iter()
    .flatten()
    .map(done)
    .collect();
    out.extend(r2_no_proposal(nip, tmt, proposal, ctx));
    out.extend(r5_last_skp(nip, tmt, bkn, ehrm, ctx, lead));
    out.extend(r7_past_retirement(nip, tmt, profile, ctx));
    out
}

fn r1_retirement_date(
    profile: &BknProfile,
    ehrm: Option<&EhrmPerson>,
    ctx: Ctx<'_>,
) -> Option<Draft> {
    let (age, expected) = expected_retirement(profile, ctx)?;
    let bkn_wrong = profile.tmt_pensiun.is_some_and(|t| t != expected)
        || profile.bup_pensiun.is_some_and(|b| b != age);
    let ehrm_tmt = ehrm.and_then(|e| ehrm_retirement(e, ctx));
    let ehrm_wrong = ehrm_tmt.is_some_and(|t| t != expected);
    if !bkn_wrong && !ehrm_wrong {
        return None;
    }
    let bkn_value = format!(
        "tmtPensiun {} bupPensiun {} (dihitung/computed: BUP {age}, TMT {})",
        iso(profile.tmt_pensiun),
        profile.bup_pensiun.map_or("-".into(), |b| b.to_string()),
        iso(Some(expected))
    );
    let (side, id, en) = if bkn_wrong {
        (
            Side::BknData,
            format!(
                "TMT pensiun/BUP di SIASN tidak sesuai jabatan dan tanggal lahir di SIASN (seharusnya BUP {age}, TMT {}); periksa jabatan dan tanggal lahir di SIASN",
                iso(Some(expected))
            ),
            format!(
                "SIASN's retirement date/age does not follow its own position and birth date (expected age {age}, TMT {}); check position and birth date at SIASN",
                iso(Some(expected))
            ),
        )
    } else {
        (
            Side::EhrmData,
            format!(
                "TMT pensiun di eHRM ({}) berbeda dari yang dihitung dari data SIASN ({})",
                iso(ehrm_tmt),
                iso(Some(expected))
            ),
            format!(
                "eHRM's retirement date ({}) differs from the one SIASN's data gives ({})",
                iso(ehrm_tmt),
                iso(Some(expected))
            ),
        )
    };
    Some(
        Draft::new(RuleId::R1, side, id, en)
            .values(Some(bkn_value), ehrm_tmt.map(|t| iso(Some(t)))),
    )
}

fn r2_no_proposal(
    nip: &str,
    tmt: Date,
    proposal: Option<&Proposal>,
    ctx: Ctx<'_>,
) -> Option<ReadinessFinding> {
    if proposal.is_some() {
        return None;
    }
    let escalate = add_months(tmt, -(ctx.config.pension_escalate_months as i32));
    let lead = add_months(tmt, -(ctx.config.pension_lead_months as i32));
    let late = ctx.today >= escalate;
    let mut f = Draft::new(
        RuleId::R2,
        Side::Usulan,
        format!("TMT pensiun {} dan belum ada usulan pensiun di BKN (usulan diharapkan {} bulan sebelumnya)", iso(Some(tmt)), ctx.config.pension_lead_months),
        format!("Retirement on {} and no retirement proposal at BKN (expected {} months before)", iso(Some(tmt)), ctx.config.pension_lead_months),
    )
    .finish(nip, Service::Pensiun, tmt, if late { escalate } else { lead });
    if late {
        f.severity = Severity::Block;
    }
    Some(f)
}

fn r3_proposal(proposal: Option<&Proposal>) -> Option<Draft> {
    proposal_problem(
        RuleId::R3,
        proposal?,
        ("Usulan pensiun", "Retirement proposal"),
    )
}

fn r4_completeness(profile: &BknProfile, bkn: &BknPerson) -> Option<Draft> {
    let mut gaps: Vec<(&str, &str)> = Vec::new();
    if profile.tgl_lahir.is_none() {
        gaps.push(("tanggal lahir", "birth date"));
    }
    if profile.tmt_cpns.is_none() {
        gaps.push(("TMT CPNS", "CPNS start"));
    }
    if profile.golongan_id.is_none() || profile.tmt_golongan.is_none() {
        gaps.push(("golongan/TMT golongan terakhir", "latest rank/rank TMT"));
    }
    if bkn.golongan.is_empty() {
        gaps.push(("riwayat golongan", "rank history"));
    }
    listing(
        RuleId::R4,
        Side::BknData,
        (
            "Data pensiun belum lengkap di SIASN",
            "Retirement data incomplete at SIASN",
        ),
        &gaps,
    )
}

/// The last year's SKP, which the pension file needs (the last year complete before both today
/// and the retirement year).
fn r5_last_skp(
    nip: &str,
    tmt: Date,
    bkn: &BknPerson,
    ehrm: Option<&EhrmPerson>,
    ctx: Ctx<'_>,
    lead: Date,
) -> Option<ReadinessFinding> {
    let tahun = (tmt.year() - 1).min(ctx.today.year() - 1);
    if bkn.skp.iter().any(|s| s.tahun == tahun) {
        return None;
    }
    let in_ehrm = ehrm
        .and_then(|e| e.annual(tahun))
        .filter(|k| k.predikat.is_some());
    let (side, id, en) = match in_ehrm {
        Some(_) => (
            Side::BknData,
            format!(
                "SKP {tahun} belum ada di SIASN; eHRM memilikinya dan ehrm-sync mengirimnya ke BKN"
            ),
            format!("SKP {tahun} is not at SIASN; eHRM holds it and ehrm-sync sends it to BKN"),
        ),
        None => (
            Side::EhrmData,
            format!(
                "SKP {tahun} belum ada di SIASN maupun eHRM (berkas pensiun memerlukan SKP 1 tahun terakhir)"
            ),
            format!(
                "SKP {tahun} is neither at SIASN nor in eHRM (the pension file needs the last year's SKP)"
            ),
        ),
    };
    let mut f = Draft::new(RuleId::R5, side, id, en).finish(nip, Service::Pensiun, tmt, lead);
    f.tahun = Some(tahun);
    f.repair = in_ehrm.map(|k| (k.clone(), None));
    Some(f)
}

fn r6_service_promotion(
    profile: &BknProfile,
    proposal: Option<&Proposal>,
    tmt: Date,
) -> Option<Draft> {
    let p = proposal?;
    // PPPK (no rank in the order) and IV/e get no service promotion.
    let at_top = profile
        .golongan_id
        .as_deref()
        .and_then(rank)
        .is_none_or(|r| Some(r) == rank("45"));
    let facts = KppFacts {
        tmt_cpns: profile.tmt_cpns?,
        tmt_golongan: profile.tmt_golongan?,
        tmt,
    };
    let has_kpp = p.golongan_baru.is_some()
        || p.jenis
            .as_deref()
            .is_some_and(|j| j.to_ascii_uppercase().contains("KPP"));
    if at_top || !facts.expected() || has_kpp {
        return None;
    }
    Some(
        Draft::new(
            RuleId::R6,
            Side::Usulan,
            "Masa kerja memenuhi KP pengabdian, tetapi usulan pensiun bukan BUP KPP (tanpa golongan KPP)",
            "Service qualifies for a service promotion (KP pengabdian), but the retirement proposal is not BUP KPP (no KPP rank)",
        )
        .values(p.jenis.clone(), None),
    )
}

fn r7_past_retirement(
    nip: &str,
    tmt: Date,
    profile: &BknProfile,
    ctx: Ctx<'_>,
) -> Option<ReadinessFinding> {
    let (_, expected) = expected_retirement(profile, ctx)?;
    let active = active_kedudukan(
        profile.kedudukan_id.as_deref(),
        profile.kedudukan_nama.as_deref(),
    );
    // Unknown status counts as active: SIASN still lists the person.
    if ctx.today < expected || active == Some(false) {
        return None;
    }
    Some(
        Draft::new(
            RuleId::R7,
            Side::BknData,
            format!(
                "Telah melewati BUP (TMT pensiun {}) tetapi masih aktif di SIASN",
                iso(Some(expected))
            ),
            format!(
                "Past retirement age (retirement date {}) but still active at SIASN",
                iso(Some(expected))
            ),
        )
        .finish(nip, Service::Pensiun, tmt, ctx.today),
    )
}
