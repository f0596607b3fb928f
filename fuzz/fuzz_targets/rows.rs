//! Fuzzes the reconciliation engine with rows as eHRM and BKN might write them: any Unicode in
//! any field (en dashes, Roman numerals, combining marks), any numbers in the kinerja columns.
//! Every normaliser and the whole comparison (employees, units, structural posts) must take it
//! without panicking.

#![no_main]

use std::collections::{HashMap, HashSet};

use libfuzzer_sys::fuzz_target;

use ehrm_sync_domain::reconcile::compare::{Context, compare_employee, compare_units};
use ehrm_sync_domain::reconcile::normalize as norm;
use ehrm_sync_domain::reconcile::{
    EmployeeFacts, JabatanFacts, KinerjaFacts, PegawaiFacts, StructuralPost, UnitFacts,
};

/// Hands out the input's fields: text split at 0x00, numbers from the bytes themselves.
struct Fields<'a> {
    parts: Vec<&'a [u8]>,
    next: usize,
}

impl<'a> Fields<'a> {
    fn text(&mut self) -> Option<String> {
        let p = self.parts.get(self.next)?;
        self.next += 1;
        (!p.is_empty()).then(|| String::from_utf8_lossy(p).into_owned())
    }
    fn string(&mut self) -> String {
        self.text().unwrap_or_default()
    }
    fn byte(&mut self) -> Option<u8> {
        self.text().and_then(|t| t.bytes().next())
    }
}

fn pegawai(f: &mut Fields, nip: &str) -> PegawaiFacts {
    PegawaiFacts {
        nip: nip.to_string(),
        nama: f.text(),
        gelar_depan: f.text(),
        gelar_belakang: f.text(),
        tgl_lahir: f.text(),
        jenis_kelamin: f.text(),
        golongan: f.text(),
        tmt_golongan: f.text(),
        jenis_jabatan: f.text(),
        jabatan: f.text(),
        eselon: f.text(),
        unor: f.text(),
        tmt_cpns: f.text(),
        tmt_pensiun: f.text(),
        pns_id: f.text(),
    }
}

fn jabatan(f: &mut Fields) -> JabatanFacts {
    JabatanFacts {
        jenis_jabatan: f.text(),
        nama_jabatan: f.text(),
        unor: f.text(),
        eselon: f.text(),
        nomor_sk: f.text(),
        tanggal_sk: f.text(),
        tmt_jabatan: f.text(),
        tmt_pelantikan: f.text(),
        bkn_id: f.text(),
        ..JabatanFacts::default()
    }
}

fn kinerja(f: &mut Fields) -> KinerjaFacts {
    KinerjaFacts {
        tahun: f.byte().map_or(2024, |b| 1990 + i32::from(b)),
        jenis: f.string(),
        periodik: f.text(),
        bulan_mulai: f.byte(),
        bulan_selesai: f.byte(),
        hasil_kinerja: f.byte(),
        perilaku_kerja: f.byte(),
        predikat: f.byte(),
        koefisien_id: f.text(),
        version: f.byte().map(u64::from),
        bkn_id: f.text(),
        penilai: None,
    }
}

fn unit(f: &mut Fields) -> UnitFacts {
    UnitFacts {
        id: f.string(),
        bkn_id: f.text(),
        nama: f.text(),
        parent: f.text(),
        eselon: f.text(),
        nama_jabatan: f.text(),
        head_pns_id: f.text(),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut f = Fields {
        parts: data.split(|b| *b == 0).collect(),
        next: 0,
    };
    let nip = f.text().unwrap_or_else(|| "198507142010011002".into());
    let side = |f: &mut Fields| EmployeeFacts {
        pegawai: pegawai(f, &nip),
        jabatan: vec![jabatan(f), jabatan(f)],
        kinerja: vec![kinerja(f), kinerja(f)],
    };
    let ehrm = side(&mut f);
    let bkn = side(&mut f);
    let ehrm_units = vec![unit(&mut f), unit(&mut f)];
    let bkn_units = vec![unit(&mut f), unit(&mut f)];
    let posts = vec![StructuralPost {
        unor_id: f.string(),
        nama_jabatan: f.text(),
        eselon: f.text(),
        nip: Some(nip.clone()),
        tmt_jabatan: f.text(),
    }];

    for v in [&ehrm.pegawai.eselon, &bkn.pegawai.golongan, &ehrm.pegawai.tgl_lahir] {
        let v = v.as_deref();
        let _ = (norm::eselon(v), norm::golongan(v), norm::date(v), norm::text(v));
        let _ = (norm::gelar(v), norm::jenis_jabatan(v), norm::jenis_kelamin(v), norm::id(v));
    }

    let mut ctx = Context::new(&ehrm_units, &posts);
    ctx.pensiun = HashSet::from([nip.clone()]);
    let _ = compare_employee(&ctx, &nip, Some(&ehrm), Some(&bkn));
    let _ = compare_employee(&ctx, &nip, Some(&ehrm), None);
    let _ = compare_employee(&ctx, &nip, None, Some(&bkn));
    let holder_pns = HashMap::from([(nip.clone(), bkn.pegawai.pns_id.clone().unwrap_or_default())]);
    let nip_of_pns = HashMap::new();
    let _ = compare_units(&ctx, &ehrm_units, &bkn_units, &posts, &holder_pns, &nip_of_pns, &HashSet::new());

});
