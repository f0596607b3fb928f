//! `bench compare` (the comparison engine alone: time and peak memory) and `bench reconcile` (a
//! full run against the simulators at a BKN rate: calls per employee, share of the rate budget).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use ehrm_sync_core::ports::Scope;
use ehrm_sync_core::reconcile::{RunOutcome, RunRequest};
use ehrm_sync_domain::reconcile::compare::{Context, compare_employee};
use ehrm_sync_domain::reconcile::{
    EmployeeFacts, JabatanFacts, KinerjaFacts, PegawaiFacts, StructuralPost, UnitFacts,
};
use ehrm_sync_local::{LocalSettings, Wiring};
use ehrm_sync_population::{Employee, PopulationSpec, eselon_to_bkn, generate, golongan_to_bkn};

/// `bench reconcile`: one full run by hand against the simulators.
pub async fn full_run(employees: usize, rate: f64, dir: &Path) -> Result<String, String> {
    let world = crate::world::ReconcileWorld::start(crate::world::WorldSpec {
        employees,
        seed: 2026,
        per_kind: 1,
        rate,
    })
    .await?;
    let settings =
        LocalSettings::for_jobs(&world.env, dir.join("bench.db")).map_err(|e| e.to_string())?;
    let reconcile = Wiring::new(settings)
        .and_then(|w| w.reconcile(dir.join("reports")))
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let outcome = reconcile
        .run(
            &RunRequest {
                scope: Scope::All,
                dry_run: true,
                restart: false,
            },
            None,
            &|_| {},
        )
        .await
        .map_err(|e| e.to_string())?;
    let secs = started.elapsed().as_secs_f64();
    let RunOutcome::Finished(summary) = outcome else {
        return Err(format!("the run did not finish: {outcome:?}"));
    };
    let stats = world.siasn.stats();
    let done = summary.employees_done as u64;
    let budget = rate * secs;
    Ok(format!(
        "reconcile: {done} employees in {secs:.1} s at {rate}/s; BKN calls {} ({:.2} per employee); \
         {:.1}% of the rate budget ({budget:.0} calls in that time); busiest second {}; \
         {} discrepancies found, {} injected",
        stats.calls_total,
        stats.calls_total as f64 / done.max(1) as f64,
        stats.calls_total as f64 * 100.0 / budget.max(1.0),
        stats.max_calls_per_second,
        summary.rows.unwrap_or(0),
        world.injected.expected.len()
    ))
}

// ---------------------------------------------------------------------------------------------
// The comparison engine alone

/// eHRM's view of an employee, as the eHRM adapter would deliver it.
fn ehrm_facts(e: &Employee) -> EmployeeFacts {
    EmployeeFacts {
        pegawai: PegawaiFacts {
            nip: e.nip.clone(),
            nama: Some(e.nama.clone()),
            gelar_depan: e.gelar_depan.clone(),
            gelar_belakang: e.gelar_belakang.clone(),
            tgl_lahir: Some(e.tgl_lahir.clone()),
            jenis_kelamin: Some(e.jenis_kelamin.clone()),
            golongan: Some(e.golongan.clone()),
            tmt_golongan: Some(e.tmt_golongan.clone()),
            jenis_jabatan: Some(e.jenis_jabatan.as_str().into()),
            jabatan: Some(e.jabatan_nama.clone()),
            eselon: e.eselon.clone(),
            unor: Some(e.unor_id.clone()),
            tmt_cpns: Some(e.tmt_cpns.clone()),
            tmt_pensiun: Some(e.tmt_pensiun.clone()),
            pns_id: None,
        },
        jabatan: e
            .riwayat_jabatan
            .iter()
            .map(|j| JabatanFacts {
                jenis_jabatan: Some(j.jenis_jabatan.as_str().into()),
                nama_jabatan: Some(j.nama_jabatan.clone()),
                unor: Some(j.unor_id.clone()),
                eselon: j.eselon.clone(),
                nomor_sk: Some(j.nomor_sk.clone()),
                tanggal_sk: Some(j.tanggal_sk.clone()),
                tmt_jabatan: Some(j.tmt_jabatan.clone()),
                tmt_pelantikan: j.tmt_pelantikan.clone(),
                ..JabatanFacts::default()
            })
            .collect(),
        kinerja: e
            .kinerja
            .iter()
            .map(|k| KinerjaFacts {
                tahun: k.tahun,
                jenis: k.jenis.clone(),
                periodik: k.periodik.clone(),
                bulan_mulai: k.bulan_mulai,
                bulan_selesai: k.bulan_selesai,
                hasil_kinerja: Some(k.hasil_kinerja),
                perilaku_kerja: Some(k.perilaku_kerja),
                predikat: Some(k.predikat),
                version: Some(k.version),
                ..KinerjaFacts::default()
            })
            .collect(),
    }
}

fn bkn_date(iso: &str) -> String {
    ehrm_sync_domain::dates::parse_iso_date(iso)
        .map_or_else(|| iso.to_string(), ehrm_sync_domain::dates::format_bkn_date)
}

/// BKN's view, in BKN's notation (dates `dd-mm-yyyy`, ids for golongan and eselon, capitals).
fn bkn_facts(e: &Employee, unit_ids: &HashMap<&str, String>) -> EmployeeFacts {
    let mut f = ehrm_facts(e);
    let p = &mut f.pegawai;
    p.nama = p.nama.as_ref().map(|n| n.to_uppercase());
    for d in [
        &mut p.tgl_lahir,
        &mut p.tmt_golongan,
        &mut p.tmt_cpns,
        &mut p.tmt_pensiun,
    ] {
        *d = d.as_deref().map(bkn_date);
    }
    p.golongan = golongan_to_bkn(&e.golongan);
    p.eselon = e.eselon.as_deref().and_then(eselon_to_bkn);
    p.jenis_jabatan = Some(e.jenis_jabatan.bkn_id().to_string());
    p.jenis_kelamin = Some(if e.jenis_kelamin == "L" { "M" } else { "F" }.into());
    p.unor = unit_ids.get(e.unor_id.as_str()).cloned();
    p.pns_id = Some(e.pns_id.clone());
    for j in &mut f.jabatan {
        j.unor = j.unor.as_deref().and_then(|u| unit_ids.get(u)).cloned();
        j.tmt_jabatan = j.tmt_jabatan.as_deref().map(bkn_date);
        j.tanggal_sk = j.tanggal_sk.as_deref().map(bkn_date);
        j.eselon = j.eselon.as_deref().and_then(eselon_to_bkn);
    }
    f
}

/// Peak resident memory of this process (Linux `VmHWM`), in MiB.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Employees generated and compared per batch: a run feeds the engine one employee at a time,
/// so the bench keeps only a batch of inputs in memory, not 100,000 employees at once.
const BATCH: usize = 10_000;

/// `bench compare`: both views of `employees` people (with a share of differences), prepared in
/// batches, then compared — employees, positions, structural posts, performance records, and the
/// unit tree. Only the comparison is timed.
pub fn compare(employees: usize) -> Result<String, String> {
    let rss_before = peak_rss_mib().unwrap_or(0.0);
    let mut secs = 0.0;
    let mut totals = [0usize; 6]; // rows, fields, positions, records, units, posts
    let mut done = 0;
    let mut batch = 0;
    while done < employees {
        let n = BATCH.min(employees - done);
        let (elapsed, counts) = compare_batch(7 + batch as u64, n, batch == 0)?;
        secs += elapsed;
        for (t, c) in totals.iter_mut().zip(counts) {
            *t += c;
        }
        done += n;
        batch += 1;
    }
    let peak = peak_rss_mib().unwrap_or(0.0);
    let [rows, fields, positions, records, units, posts] = totals;
    Ok(format!(
        "compare: {employees} employees × 4 data sets ({positions} position entries, {records} performance records, {units} units, {posts} structural posts; {fields} field comparisons) in {secs:.3} s; {rows} discrepancies; peak RSS {peak:.0} MiB (process start {rss_before:.0} MiB; inputs prepared in batches of {BATCH})"
    ))
}

/// One batch: returns the comparison time and (rows, fields, positions, records, units, posts).
/// Long because it prepares both views of a batch for each of the five data sets, in turn.
fn compare_batch(
    seed: u64,
    employees: usize,
    with_units: bool,
) -> Result<(f64, [usize; 6]), String> {
    let pop = generate(&PopulationSpec {
        seed,
        employees,
        ..Default::default()
    });
    let unit_ids: HashMap<&str, String> = pop
        .units
        .iter()
        .filter_map(|u| Some((u.unor_id.as_str(), u.unor_id_bkn.clone()?)))
        .collect();
    let units: Vec<UnitFacts> = pop
        .units
        .iter()
        .map(|u| UnitFacts {
            id: u.unor_id.clone(),
            bkn_id: u.unor_id_bkn.clone(),
            nama: Some(u.nama.clone()),
            parent: u.parent_id.clone(),
            eselon: u.eselon.clone(),
            nama_jabatan: Some(u.nama_jabatan.clone()),
            head_pns_id: None,
        })
        .collect();
    let posts: Vec<StructuralPost> = pop
        .units
        .iter()
        .filter(|u| u.eselon.is_some())
        .map(|u| StructuralPost {
            unor_id: u.unor_id.clone(),
            nama_jabatan: Some(u.nama_jabatan.clone()),
            eselon: u.eselon.clone(),
            nip: u.head_nip.clone(),
            tmt_jabatan: u.head_tmt.clone(),
        })
        .collect();
    let pairs: Vec<(EmployeeFacts, EmployeeFacts)> = pop
        .employees
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut b = bkn_facts(e, &unit_ids);
            if i % 50 == 0 {
                b.pegawai.golongan = Some("41".into());
            }
            if i % 70 == 0 {
                b.kinerja.pop();
            }
            (ehrm_facts(e), b)
        })
        .collect();
    let pns_of: HashMap<&str, &str> = pop
        .employees
        .iter()
        .map(|e| (e.nip.as_str(), e.pns_id.as_str()))
        .collect();
    let bkn_units: Vec<UnitFacts> = pop
        .units
        .iter()
        .filter_map(|u| {
            Some(UnitFacts {
                id: u.unor_id_bkn.clone()?,
                bkn_id: None,
                nama: Some(u.nama.to_uppercase()),
                parent: u
                    .parent_id
                    .as_deref()
                    .and_then(|p| unit_ids.get(p))
                    .cloned(),
                eselon: u.eselon.as_deref().and_then(eselon_to_bkn),
                nama_jabatan: Some(u.nama_jabatan.clone()),
                head_pns_id: u
                    .head_nip
                    .as_deref()
                    .and_then(|n| pns_of.get(n))
                    .map(|p| p.to_string()),
            })
        })
        .collect();
    let holder_pns: HashMap<String, String> = posts
        .iter()
        .filter_map(|p| {
            let nip = p.nip.clone()?;
            let pns = pns_of.get(nip.as_str())?.to_string();
            Some((nip, pns))
        })
        .collect();
    let nip_of_pns: HashMap<String, String> = holder_pns
        .iter()
        .map(|(n, p)| (p.to_uppercase(), n.clone()))
        .collect();
    drop(pns_of);
    drop(pop);
    let mut ctx = Context::new(&units, &posts);
    ctx.callbacks_enabled = true;
    let started = Instant::now();
    let mut rows = 0usize;
    let mut fields = 0usize;
    for (e, b) in &pairs {
        fields += 14 + e.jabatan.len() * 7 + e.kinerja.len() * 4;
        rows += compare_employee(&ctx, &e.pegawai.nip, Some(e), Some(b))
            .rows
            .len();
    }
    if with_units {
        rows += ehrm_sync_domain::reconcile::compare::compare_units(
            &ctx,
            &units,
            &bkn_units,
            &posts,
            &holder_pns,
            &nip_of_pns,
            &HashSet::new(),
        )
        .len();
    }
    let secs = started.elapsed().as_secs_f64();
    let positions = pairs.iter().map(|(e, _)| e.jabatan.len()).sum::<usize>();
    let records = pairs.iter().map(|(e, _)| e.kinerja.len()).sum::<usize>();
    let (u, p) = if with_units {
        (units.len(), posts.len())
    } else {
        (0, 0)
    };
    Ok((secs, [rows, fields, positions, records, u, p]))
}
