use super::*;

fn pegawai(nip: &str) -> PegawaiFacts {
    PegawaiFacts {
        nip: nip.into(),
        nama: Some("Budi Santoso".into()),
        gelar_belakang: Some("S.T.".into()),
        tgl_lahir: Some("1985-07-14".into()),
        jenis_kelamin: Some("L".into()),
        golongan: Some("III/d".into()),
        tmt_golongan: Some("2021-04-01".into()),
        jenis_jabatan: Some("fungsional".into()),
        jabatan: Some("Teknik Jalan Ahli Muda".into()),
        unor: Some("PU.01".into()),
        tmt_cpns: Some("2010-01-01".into()),
        tmt_pensiun: Some("2043-08-01".into()),
        ..PegawaiFacts::default()
    }
}

fn bkn_view(p: &PegawaiFacts) -> PegawaiFacts {
    PegawaiFacts {
        nama: p.nama.as_ref().map(|n| n.to_uppercase()),
        gelar_belakang: Some("S. T.".into()),
        tgl_lahir: Some("14-07-1985".into()),
        jenis_kelamin: Some("M".into()),
        golongan: Some("34".into()),
        tmt_golongan: Some("01-04-2021".into()),
        jenis_jabatan: Some("2".into()),
        jabatan: Some("TEKNIK  JALAN AHLI MUDA".into()),
        unor: Some("aa11".into()),
        tmt_cpns: Some("01-01-2010".into()),
        tmt_pensiun: Some("01-08-2043".into()),
        pns_id: Some("P1".into()),
        ..p.clone()
    }
}

fn ctx() -> Context {
    let units = [UnitFacts {
        id: "PU.01".into(),
        bkn_id: Some("AA11".into()),
        ..UnitFacts::default()
    }];
    Context::new(&units, &[])
}

fn side(p: PegawaiFacts) -> EmployeeFacts {
    EmployeeFacts {
        pegawai: p,
        ..EmployeeFacts::default()
    }
}

const NIP: &str = "198507142010011002";

#[test]
fn the_same_facts_in_two_notations_agree() {
    let e = side(pegawai(NIP));
    let b = side(bkn_view(&e.pegawai));
    let out = compare_employee(&ctx(), NIP, Some(&e), Some(&b));
    assert!(out.rows.is_empty(), "{:#?}", out.rows);
}

#[test]
fn a_rank_difference_is_bkn_authoritative_and_prioritised() {
    let e = side(pegawai(NIP));
    let mut b = side(bkn_view(&e.pegawai));
    b.pegawai.golongan = Some("41".into());
    let mut c = ctx();
    c.kenaikan_pangkat.insert(NIP.into());
    c.callbacks_enabled = true;
    let out = compare_employee(&c, NIP, Some(&e), Some(&b));
    assert_eq!(out.rows.len(), 1);
    let r = &out.rows[0];
    assert_eq!(r.field.as_deref(), Some("golongan"));
    assert_eq!(
        (r.ehrm_value.as_deref(), r.bkn_value.as_deref()),
        (Some("III/d"), Some("IV/a"))
    );
    assert_eq!(r.authority, Authority::Bkn);
    assert_eq!(r.action, Action::SentToEhrm);
    assert_eq!(r.priority, Priority::KenaikanPangkat);
}

#[test]
fn retirement_and_rank_differences_carry_their_subject_whoever_the_person_is() {
    let e = side(pegawai(NIP));
    let mut b = side(bkn_view(&e.pegawai));
    b.pegawai.tmt_pensiun = Some("2034-10-02".into());
    b.pegawai.tmt_golongan = Some("2001-04-01".into());
    b.pegawai.nama = Some("Nama Lain".into());
    // Neither in a promotion list nor retiring soon.
    let out = compare_employee(&ctx(), NIP, Some(&e), Some(&b));
    let priority = |field: &str| {
        out.rows
            .iter()
            .find(|r| r.field.as_deref() == Some(field))
            .map(|r| r.priority)
    };
    assert_eq!(priority("tmt_pensiun"), Some(Priority::Pensiun));
    assert_eq!(priority("tmt_golongan"), Some(Priority::KenaikanPangkat));
    assert_eq!(priority("nama"), Some(Priority::Normal), "{:#?}", out.rows);
}

#[test]
fn performance_records_missing_or_different_at_bkn_are_repaired() {
    let k = |tahun, predikat| KinerjaFacts {
        tahun,
        jenis: "tahunan".into(),
        hasil_kinerja: Some(2),
        perilaku_kerja: Some(2),
        predikat: Some(predikat),
        ..KinerjaFacts::default()
    };
    let mut e = side(pegawai(NIP));
    e.kinerja = vec![k(2023, 2), k(2024, 2)];
    let mut b = side(bkn_view(&e.pegawai));
    b.kinerja = vec![
        KinerjaFacts {
            bkn_id: Some("X".into()),
            ..k(2024, 3)
        },
        k(2022, 2),
    ];
    let out = compare_employee(&ctx(), NIP, Some(&e), Some(&b));
    let kinds: Vec<_> = out
        .rows
        .iter()
        .map(|r| (r.kind, r.field.clone(), r.action))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (Kind::MissingAtBkn, None, Action::QueuedForBkn),
            (
                Kind::Differs,
                Some("tahunan/2024.predikat".into()),
                Action::QueuedForBkn
            ),
            (Kind::MissingInEhrm, None, Action::NeedsReview),
        ]
    );
    assert_eq!(out.repairs.len(), 2);
    assert_eq!(out.repairs[1].bkn_id.as_deref(), Some("X"));
}

#[test]
fn a_structural_holder_is_checked_against_the_post() {
    let units = [UnitFacts {
        id: "PU.01".into(),
        bkn_id: Some("AA11".into()),
        eselon: Some("II.a".into()),
        ..UnitFacts::default()
    }];
    let posts = [StructuralPost {
        unor_id: "PU.01".into(),
        eselon: Some("II.a".into()),
        nip: Some(NIP.into()),
        ..StructuralPost::default()
    }];
    let c = Context::new(&units, &posts);
    let mut e = side(pegawai(NIP));
    e.pegawai.jenis_jabatan = Some("struktural".into());
    e.pegawai.eselon = Some("II.a".into());
    let mut b = side(bkn_view(&e.pegawai));
    b.pegawai.jenis_jabatan = Some("1".into());
    b.pegawai.eselon = Some("22".into());
    let out = compare_employee(&c, NIP, Some(&e), Some(&b));
    assert_eq!(out.rows.len(), 1, "{:#?}", out.rows);
    assert_eq!(out.rows[0].data_set, DataSet::PejabatStruktural);
    assert_eq!(out.rows[0].unor_id.as_deref(), Some("PU.01"));
    assert_eq!(out.rows[0].field.as_deref(), Some("eselon_pemimpin"));
    assert_eq!(out.rows[0].priority, Priority::Struktural);
}

/// Long because it is one scenario: a small tree on both sides with every kind of unit
/// difference, checked row by row.
#[test]
fn units_unmapped_missing_renamed_and_heads() {
    let e = [
        UnitFacts {
            id: "PU".into(),
            bkn_id: Some("A0".into()),
            nama: Some("Kementerian".into()),
            ..UnitFacts::default()
        },
        UnitFacts {
            id: "PU.01".into(),
            bkn_id: Some("A1".into()),
            nama: Some("Direktorat Jalan".into()),
            parent: Some("PU".into()),
            eselon: Some("II.a".into()),
            ..UnitFacts::default()
        },
        UnitFacts {
            id: "PU.02".into(),
            bkn_id: None,
            nama: Some("Baru".into()),
            parent: Some("PU".into()),
            ..UnitFacts::default()
        },
    ];
    let b = [
        UnitFacts {
            id: "A0".into(),
            nama: Some("KEMENTERIAN".into()),
            ..UnitFacts::default()
        },
        UnitFacts {
            id: "A1".into(),
            nama: Some("Direktorat Jembatan".into()),
            parent: Some("A0".into()),
            eselon: Some("21".into()),
            head_pns_id: Some("P9".into()),
            ..UnitFacts::default()
        },
        UnitFacts {
            id: "A7".into(),
            nama: Some("Lama".into()),
            parent: Some("A0".into()),
            ..UnitFacts::default()
        },
    ];
    let posts = [StructuralPost {
        unor_id: "PU.01".into(),
        nip: Some(NIP.into()),
        eselon: Some("II.a".into()),
        ..StructuralPost::default()
    }];
    let c = Context::new(&e, &posts);
    let holder = HashMap::from([(NIP.to_string(), "P1".to_string())]);
    let out = compare_units(
        &c,
        &e,
        &b,
        &posts,
        &holder,
        &HashMap::new(),
        &HashSet::new(),
    );
    let got: Vec<_> = out
        .iter()
        .map(|d| {
            (
                d.data_set,
                d.kind,
                d.unor_id.clone().unwrap_or_default(),
                d.field.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                DataSet::Unor,
                Kind::Differs,
                "PU.01".into(),
                Some("nama".into())
            ),
            (DataSet::Unor, Kind::MissingAtBkn, "PU.02".into(), None),
            (DataSet::Unor, Kind::MissingInEhrm, "A7".into(), None),
            (
                DataSet::PejabatStruktural,
                Kind::Differs,
                "PU.01".into(),
                Some("pemimpin".into())
            ),
        ]
    );
    assert_eq!(out[3].bkn_value.as_deref(), Some("pns:P9"));
}
