use std::collections::BTreeMap;

use time::{Date, Month};

use super::bup::{PositionKind, bup_age, tmt_pensiun};
use super::facts::{GolonganRow, HukdisRow, JabatanRow, SkpRow};
use super::*;
use crate::reconcile::{KinerjaFacts, PegawaiFacts};

fn d(y: i32, m: u8, day: u8) -> Date {
    Date::from_calendar_date(y, Month::try_from(m).unwrap(), day).unwrap()
}

#[test]
fn the_rule_table_is_indexed_by_id_and_lists_every_rule_once() {
    for (i, r) in RULES.iter().enumerate() {
        assert_eq!(r.id as usize, i, "{}", r.code);
        assert_eq!(RuleId::parse(r.code), Some(r.id));
        assert!(!r.reads.is_empty() && !r.basis.is_empty());
    }
    assert_eq!(rules::rule(RuleId::K10).code, "K10");
    assert_eq!(rules::rule(RuleId::R2).severity, Severity::Warn);
}

#[test]
fn retirement_age_follows_the_position() {
    let none = BTreeMap::new();
    let s = PositionKind::Struktural;
    assert_eq!(bup_age(s, Some("21"), None, &none), Some(60));
    assert_eq!(bup_age(s, Some("I.b"), None, &none), Some(60));
    assert_eq!(bup_age(s, Some("31"), None, &none), Some(58));
    assert_eq!(bup_age(s, Some("IV.a"), None, &none), Some(58));
    assert_eq!(
        bup_age(PositionKind::Pelaksana, None, Some("Analis"), &none),
        Some(58)
    );
    let jf =
        |n: &str, t: &BTreeMap<String, u8>| bup_age(PositionKind::Fungsional, None, Some(n), t);
    assert_eq!(
        jf("Teknik Jalan dan Jembatan Ahli Pertama", &none),
        Some(58)
    );
    assert_eq!(jf("Teknik Jalan dan Jembatan Ahli Muda", &none), Some(58));
    assert_eq!(jf("Teknik Pengairan Ahli Madya", &none), Some(60));
    assert_eq!(jf("Teknik Pengairan Ahli Utama", &none), Some(65));
    assert_eq!(jf("Teknik Pengairan Terampil", &none), Some(58));
    let own: BTreeMap<String, u8> = [("Peneliti Ahli Utama".to_string(), 70)].into();
    assert_eq!(jf("Peneliti Ahli Utama", &own), Some(70));
    assert_eq!(jf("Teknik Pengairan Ahli Utama", &own), Some(65));
    // A functional position whose name shows no jenjang has no age to guess.
    assert_eq!(jf("Pranata Komputer", &none), None);
}

#[test]
fn retirement_is_the_first_of_the_month_after_the_birthday() {
    // R1's sample: born 30-03-1967, BUP 58 → 01-04-2025.
    assert_eq!(tmt_pensiun(d(1967, 3, 30), 58), Some(d(2025, 4, 1)));
    // A birthday on the last day of a month still retires on the 1st of the next month.
    assert_eq!(tmt_pensiun(d(1969, 1, 31), 58), Some(d(2027, 2, 1)));
    assert_eq!(tmt_pensiun(d(1968, 12, 31), 58), Some(d(2027, 1, 1)));
    assert_eq!(tmt_pensiun(d(1969, 2, 28), 58), Some(d(2027, 3, 1)));
    // Born on the 1st: the birthday month still counts in full.
    assert_eq!(tmt_pensiun(d(1969, 5, 1), 58), Some(d(2027, 6, 1)));
    assert_eq!(tmt_pensiun(d(1964, 2, 29), 60), Some(d(2024, 3, 1)));
}

#[test]
fn months_and_years_clamp_to_the_calendar() {
    assert_eq!(add_months(d(2027, 3, 31), -1), d(2027, 2, 28));
    assert_eq!(add_months(d(2027, 1, 1), -15), d(2025, 10, 1));
    assert_eq!(add_years(d(2024, 2, 29), 1), d(2025, 2, 28));
}

/// A pelaksana in III/b since 2022-12-01, born 1985-07-14, clean at BKN and in eHRM.
fn clean() -> (String, BknPerson, EhrmPerson) {
    let nip = "198507142010011002".to_string();
    let profile = BknProfile {
        pns_id: Some("a".repeat(32)),
        tgl_lahir: Some(d(1985, 7, 14)),
        jenis_kelamin: Some("M".into()),
        tmt_cpns: Some(d(2010, 1, 1)),
        kedudukan_id: Some("01".into()),
        kedudukan_nama: Some("Aktif".into()),
        golongan_id: Some("32".into()),
        tmt_golongan: Some(d(2022, 12, 1)),
        jenis_jabatan_id: Some("4".into()),
        jabatan_nama: Some("Analis".into()),
        jabatan_fungsional_umum_id: Some("x".into()),
        unor_id: Some("u".into()),
        tk_pendidikan_id: Some("40".into()),
        tmt_jabatan: Some(d(2015, 1, 1)),
        ..BknProfile::default()
    };
    let bkn = BknPerson {
        profile: Some(profile),
        golongan: vec![GolonganRow {
            golongan_id: Some("32".into()),
            tmt: Some(d(2022, 12, 1)),
        }],
        skp: vec![
            SkpRow {
                tahun: 2025,
                kuadran: Some(2),
                id: Some("s25".into()),
            },
            SkpRow {
                tahun: 2024,
                kuadran: Some(1),
                id: Some("s24".into()),
            },
        ],
        jabatan: vec![JabatanRow {
            jenis_jabatan: Some("4".into()),
            tmt: Some(d(2015, 1, 1)),
        }],
        hukdis: Some(vec![]),
        angka_kredit: None,
        pendidikan: Some(vec![facts::PendidikanRow {
            tk_pendidikan_id: Some("40".into()),
            tgl_lulus: None,
        }]),
    };
    let annual = |tahun, predikat| KinerjaFacts {
        tahun,
        jenis: "tahunan".into(),
        predikat: Some(predikat),
        hasil_kinerja: Some(2),
        perilaku_kerja: Some(2),
        version: Some(1),
        ..KinerjaFacts::default()
    };
    let ehrm = EhrmPerson {
        pegawai: PegawaiFacts {
            nip: nip.clone(),
            tgl_lahir: Some("1985-07-14".into()),
            golongan: Some("III/b".into()),
            tmt_golongan: Some("2022-12-01".into()),
            jenis_jabatan: Some("pelaksana".into()),
            ..PegawaiFacts::default()
        },
        kinerja: vec![annual(2025, 2), annual(2024, 1)],
        status: Some("aktif".into()),
    };
    (nip, bkn, ehrm)
}

fn kp(
    nip: &str,
    bkn: &BknPerson,
    ehrm: &EhrmPerson,
    periode: Date,
    proposal: Option<&Proposal>,
) -> Vec<ReadinessFinding> {
    let config = ReadinessConfig::default();
    let case = KpCase {
        nip,
        periode,
        proposal,
        due_without_proposal: proposal.is_none(),
    };
    evaluate_kp(
        &case,
        bkn,
        Some(ehrm),
        Ctx {
            today: d(2026, 12, 2),
            config: &config,
        },
    )
}

fn rules_of(f: &[ReadinessFinding]) -> Vec<(RuleId, Option<i32>)> {
    f.iter().map(|f| (f.rule, f.tahun)).collect()
}

#[test]
fn a_clean_person_with_a_proposal_has_no_finding_and_without_one_only_k2() {
    let (nip, bkn, ehrm) = clean();
    let proposal = Proposal {
        id: "p".into(),
        nip: nip.clone(),
        status: Some("12".into()),
        ..Proposal::default()
    };
    assert_eq!(
        kp(&nip, &bkn, &ehrm, d(2026, 12, 1), Some(&proposal)),
        vec![]
    );
    let f = kp(&nip, &bkn, &ehrm, d(2026, 12, 1), None);
    assert_eq!(rules_of(&f), vec![(RuleId::K2, None)]);
    assert_eq!(f[0].deadline, d(2026, 12, 1));
}

#[test]
fn a_missing_skp_that_ehrm_holds_is_repaired_and_one_it_lacks_is_ehrms_to_fix() {
    let (nip, mut bkn, mut ehrm) = clean();
    let proposal = Proposal {
        id: "p".into(),
        nip: nip.clone(),
        status: Some("12".into()),
        ..Proposal::default()
    };
    bkn.skp.retain(|s| s.tahun != 2024);
    let f = kp(&nip, &bkn, &ehrm, d(2026, 12, 1), Some(&proposal));
    assert_eq!(rules_of(&f), vec![(RuleId::K4, Some(2024))]);
    assert_eq!((f[0].side, f[0].severity), (Side::BknData, Severity::Block));
    assert_eq!(f[0].repair.as_ref().map(|r| r.0.tahun), Some(2024));
    ehrm.kinerja.retain(|k| k.tahun != 2024);
    let f = kp(&nip, &bkn, &ehrm, d(2026, 12, 1), Some(&proposal));
    assert_eq!((f[0].side, f[0].repair.is_none()), (Side::EhrmData, true));
    // A period in the first quarter: last year's SKP may not be final yet, so only a warning.
    // A period in the first quarter: last year's SKP may not be final yet, so only a warning;
    // a year not over yet is not looked for.
    bkn.skp.retain(|s| s.tahun != 2025);
    let f = kp(&nip, &bkn, &ehrm, d(2026, 3, 1), Some(&proposal));
    let y1 = f.iter().find(|f| f.tahun == Some(2025)).unwrap();
    assert_eq!(y1.severity, Severity::Warn);
    let f = kp(&nip, &bkn, &ehrm, d(2027, 5, 1), Some(&proposal));
    assert!(f.iter().all(|f| f.tahun != Some(2026)), "{f:?}");
}

#[test]
fn each_promotion_blocker_is_found_alone() {
    let (nip, base, ehrm) = clean();
    let proposal = Proposal {
        id: "p".into(),
        nip: nip.clone(),
        status: Some("12".into()),
        ..Proposal::default()
    };
    let p = d(2026, 12, 1);
    let only = |bkn: &BknPerson, prop: &Proposal| rules_of(&kp(&nip, bkn, &ehrm, p, Some(prop)));
    let refused = Proposal {
        status: Some("6".into()),
        status_nama: Some("Tidak Memenuhi Syarat".into()),
        ..proposal.clone()
    };
    assert_eq!(only(&base, &refused), vec![(RuleId::K1, None)]);
    let with_reason = Proposal {
        alasan_tolak: Some("BTS: SK salah".into()),
        ..proposal.clone()
    };
    assert_eq!(only(&base, &with_reason), vec![(RuleId::K1, None)]);
    let mut b = base.clone();
    b.golongan[0].tmt = Some(d(2022, 10, 1));
    assert_eq!(only(&b, &proposal), vec![(RuleId::K3, None)]);
    let mut b = base.clone();
    b.skp[0].kuadran = Some(3);
    assert_eq!(only(&b, &proposal), vec![(RuleId::K4, Some(2025))]);
    let mut b = base.clone();
    if let Some(pr) = b.profile.as_mut() {
        pr.jabatan_fungsional_umum_id = None;
        pr.jabatan_nama = None;
    }
    assert_eq!(only(&b, &proposal), vec![(RuleId::K5, None)]);
    let mut b = base.clone();
    if let Some(pr) = b.profile.as_mut() {
        pr.tk_pendidikan_id = Some("15".into());
    }
    b.pendidikan = Some(vec![facts::PendidikanRow {
        tk_pendidikan_id: Some("15".into()),
        tgl_lulus: None,
    }]);
    assert_eq!(only(&b, &proposal), vec![(RuleId::K7, None)]);
    let mut b = base.clone();
    if let Some(pr) = b.profile.as_mut() {
        pr.kedudukan_id = Some("02".into());
        pr.kedudukan_nama = Some("CLTN".into());
    }
    assert_eq!(only(&b, &proposal), vec![(RuleId::K9, None)]);
    let mut b = base.clone();
    b.hukdis = Some(vec![HukdisRow {
        mulai: Some(d(2026, 6, 1)),
        akhir: Some(d(2027, 5, 31)),
        jenis: Some("sedang".into()),
    }]);
    assert_eq!(only(&b, &proposal), vec![(RuleId::K10, None)]);
    let mut b = base.clone();
    if let Some(pr) = b.profile.as_mut() {
        pr.tgl_lahir = Some(d(1985, 7, 15));
    }
    assert_eq!(only(&b, &proposal), vec![(RuleId::K11, None)]);
}

#[test]
fn retirement_rules_compare_bkn_with_its_own_position_and_birth_date() {
    let (nip, mut bkn, ehrm) = clean();
    let config = ReadinessConfig::default();
    let ctx = Ctx {
        today: d(2026, 12, 2),
        config: &config,
    };
    if let Some(p) = bkn.profile.as_mut() {
        p.tgl_lahir = Some(d(1969, 1, 31));
        p.tmt_pensiun = Some(d(2027, 2, 1));
    }
    let tmt = d(2027, 2, 1);
    let proposal = Proposal {
        id: "q".into(),
        nip: nip.clone(),
        status: Some("12".into()),
        jenis: Some("BUP KPP".into()),
        ..Proposal::default()
    };
    let mut e = ehrm.clone();
    e.pegawai.tmt_pensiun = Some("2027-02-01".into());
    assert_eq!(
        evaluate_pensiun(&nip, tmt, Some(&proposal), &bkn, Some(&e), ctx),
        vec![]
    );
    // No proposal 2 months before: R2 blocks, due 3 months before TMT.
    let f = evaluate_pensiun(&nip, tmt, None, &bkn, Some(&e), ctx);
    assert_eq!(rules_of(&f), vec![(RuleId::R2, None)]);
    assert_eq!(
        (f[0].severity, f[0].deadline),
        (Severity::Block, d(2026, 11, 1))
    );
    // BKN's date one month off.
    if let Some(p) = bkn.profile.as_mut() {
        p.tmt_pensiun = Some(d(2027, 1, 1));
    }
    let f = evaluate_pensiun(&nip, tmt, Some(&proposal), &bkn, Some(&e), ctx);
    assert_eq!(rules_of(&f), vec![(RuleId::R1, None)]);
    assert_eq!(f[0].side, Side::BknData);
    // Without KPP in the proposal although service qualifies.
    if let Some(p) = bkn.profile.as_mut() {
        p.tmt_pensiun = Some(d(2027, 2, 1));
    }
    let plain = Proposal {
        jenis: Some("BUP".into()),
        ..proposal.clone()
    };
    let f = evaluate_pensiun(&nip, tmt, Some(&plain), &bkn, Some(&e), ctx);
    assert_eq!(rules_of(&f), vec![(RuleId::R6, None)]);
    // Past retirement age and still active.
    let past = Ctx {
        today: d(2027, 3, 1),
        config: &config,
    };
    let f = evaluate_pensiun(&nip, tmt, Some(&proposal), &bkn, Some(&e), past);
    assert!(rules_of(&f).contains(&(RuleId::R7, None)), "{f:?}");
}

#[test]
fn what_siasn_leaves_out_is_not_read_as_a_blocker() {
    let (nip, mut bkn, ehrm) = clean();
    let proposal = Proposal {
        id: "p".into(),
        nip: nip.clone(),
        status: Some("12".into()),
        ..Proposal::default()
    };
    // No legal status at all, the rank history by name, the education only in rw-pendidikan,
    // the eselon written as a name: nothing to report.
    if let Some(p) = bkn.profile.as_mut() {
        p.kedudukan_id = None;
        p.kedudukan_nama = None;
        p.tk_pendidikan_id = None;
    }
    bkn.golongan[0].golongan_id = Some("III/b".into());
    assert_eq!(
        kp(&nip, &bkn, &ehrm, d(2026, 12, 1), Some(&proposal)),
        vec![]
    );
    // "Tidak Aktif" is not active, whatever its id.
    if let Some(p) = bkn.profile.as_mut() {
        p.kedudukan_id = Some("01".into());
        p.kedudukan_nama = Some("Tidak Aktif".into());
    }
    let f = kp(&nip, &bkn, &ehrm, d(2026, 12, 1), Some(&proposal));
    assert_eq!(rules_of(&f), vec![(RuleId::K9, None)]);
    assert_eq!(codes::eselon_range("IV.a"), codes::eselon_range("41"));
}
