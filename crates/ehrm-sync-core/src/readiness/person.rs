//! One person: read eHRM and BKN (only the histories a rule needs), check every subject, and
//! send eHRM's annual SKP to BKN where that is the blocker (normal delivery path).

use std::collections::BTreeMap;

use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::readiness::kp::{KpCase, kp_extra_reads};
use ehrm_sync_domain::readiness::{
    BknPerson, Ctx, EhrmPerson, ReadinessFinding, Service, evaluate_kp, evaluate_pensiun,
};
use ehrm_sync_domain::reconcile::Action;
use ehrm_sync_domain::reconcile::compare::KinerjaRepair;

use super::state::Candidate;
use super::{ReadinessJob, Stopped, ehrm_stopped};
use crate::job::{ReadFailure, Turn};
use crate::ports::{History, HistoryRows};
use crate::repair::{Repaired, queue_kinerja};

impl ReadinessJob {
    async fn history(
        &self,
        nip: &Nip,
        which: History,
        turn: &Turn<'_>,
    ) -> Result<HistoryRows, Stopped> {
        match turn.bkn(|| self.deps.bkn.history(nip, which)).await {
            Ok(rows) => Ok(rows),
            // BKN refused this read (not found, a rule): nothing listed.
            Err(ReadFailure::Refused(e)) => {
                tracing::warn!(history = which.path(), error = %e.message, "history not read");
                Ok(empty(which))
            }
            Err(ReadFailure::Halted(h)) => Err(Stopped::Halt(h)),
        }
    }

    /// What BKN holds for the person: data-utama, then the histories every subject needs.
    async fn read_bkn(
        &self,
        nip: &Nip,
        c: &Candidate,
        ctx: Ctx<'_>,
        turn: &Turn<'_>,
    ) -> Result<BknPerson, Stopped> {
        let profile = match turn.bkn(|| self.deps.bkn.profile(nip)).await {
            Ok(p) => p,
            Err(ReadFailure::Refused(e)) => {
                tracing::warn!(error = %e.message, "data-utama not read");
                None
            }
            Err(ReadFailure::Halted(h)) => return Err(Stopped::Halt(h)),
        };
        let Some(profile) = profile else {
            return Ok(BknPerson::default());
        };
        let mut person = BknPerson {
            profile: Some(profile.clone()),
            ..BknPerson::default()
        };
        let mut wanted = vec![History::Golongan, History::Skp22, History::Jabatan];
        if c.subjects.iter().any(|s| s.service == Service::Kp) {
            let (hukdis, angka_kredit, pendidikan) = kp_extra_reads(&profile, ctx);
            for (on, h) in [
                (hukdis, History::Hukdis),
                (angka_kredit, History::AngkaKredit),
                (pendidikan, History::Pendidikan),
            ] {
                if on {
                    wanted.push(h);
                }
            }
        }
        for which in wanted {
            match self.history(nip, which, turn).await? {
                HistoryRows::Golongan(r) => person.golongan = r,
                HistoryRows::Skp22(r) => person.skp = r,
                HistoryRows::Jabatan(r) => person.jabatan = r,
                HistoryRows::Hukdis(r) => person.hukdis = Some(r),
                HistoryRows::AngkaKredit(r) => person.angka_kredit = Some(r),
                HistoryRows::Pendidikan(r) => person.pendidikan = Some(r),
            }
        }
        Ok(person)
    }

    /// Every finding for the candidate, repairs queued.
    pub(super) async fn assess(
        &self,
        c: &Candidate,
        ctx: Ctx<'_>,
        dry_run: bool,
        turn: &Turn<'_>,
    ) -> Result<Vec<ReadinessFinding>, Stopped> {
        let Ok(nip) = Nip::parse(&c.nip) else {
            tracing::warn!("a proposal names an invalid NIP; skipped");
            return Ok(Vec::new());
        };
        let ehrm = turn
            .ehrm(|| self.deps.run.ehrm.employee(nip.as_str()))
            .await
            .map_err(ehrm_stopped)?
            .map(|facts| EhrmPerson {
                pegawai: facts.pegawai,
                kinerja: facts.kinerja,
                status: None,
            });
        let bkn = self.read_bkn(&nip, c, ctx, turn).await?;
        let mut findings = Vec::new();
        for s in &c.subjects {
            findings.extend(match s.service {
                Service::Kp => {
                    let case = KpCase {
                        nip: &c.nip,
                        periode: s.period,
                        proposal: s.proposal.as_ref(),
                        due_without_proposal: s.due_without_proposal,
                    };
                    evaluate_kp(&case, &bkn, ehrm.as_ref(), ctx)
                }
                Service::Pensiun => evaluate_pensiun(
                    &c.nip,
                    s.period,
                    s.proposal.as_ref(),
                    &bkn,
                    ehrm.as_ref(),
                    ctx,
                ),
            });
        }
        for f in &mut findings {
            f.unit = c.unit.clone();
        }
        self.repair(&c.nip, &mut findings, dry_run).await;
        Ok(findings)
    }

    /// Queues each year's record once (K4 and R5 may both ask for it); a finding whose record
    /// went to the queue says `queued_for_bkn`.
    async fn repair(&self, nip: &str, findings: &mut [ReadinessFinding], dry_run: bool) {
        let mut done: BTreeMap<i32, bool> = BTreeMap::new();
        for f in findings.iter_mut() {
            let Some((record, bkn_id)) = f.repair.take() else {
                continue;
            };
            let queued = match done.get(&record.tahun) {
                Some(q) => *q,
                None => {
                    let q = !dry_run && self.queue_one(nip, record.clone(), bkn_id).await;
                    done.insert(record.tahun, q);
                    q
                }
            };
            if queued {
                f.action = Some(Action::QueuedForBkn);
            }
        }
    }

    async fn queue_one(
        &self,
        nip: &str,
        record: ehrm_sync_domain::reconcile::KinerjaFacts,
        bkn_id: Option<String>,
    ) -> bool {
        let repair = KinerjaRepair {
            nip: nip.to_string(),
            record,
            bkn_id,
            rows: Vec::new(),
        };
        match queue_kinerja(
            &self.deps.run.store,
            &self.deps.run.queue,
            &self.deps.run.clock,
            &repair,
        )
        .await
        {
            Ok(Repaired::Queued) => true,
            Ok(Repaired::NotPossible(why)) => {
                tracing::warn!(why = %why, "SKP not queued");
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "SKP not queued");
                false
            }
        }
    }
}

fn empty(which: History) -> HistoryRows {
    match which {
        History::Golongan => HistoryRows::Golongan(Vec::new()),
        History::Skp22 => HistoryRows::Skp22(Vec::new()),
        History::Jabatan => HistoryRows::Jabatan(Vec::new()),
        History::Hukdis => HistoryRows::Hukdis(Vec::new()),
        History::AngkaKredit => HistoryRows::AngkaKredit(Vec::new()),
        History::Pendidikan => HistoryRows::Pendidikan(Vec::new()),
    }
}
