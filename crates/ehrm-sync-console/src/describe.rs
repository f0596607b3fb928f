//! A record named in words an HR officer reads: "SKP tahunan 2025", "Kinerja triwulan 2026
//! mulai bulan 4", "Riwayat jabatan Kepala Bagian Umum, TMT 15-01-2026" — the key stays
//! available as `data-code` for those who need it.

use ehrm_sync_domain::dates::{format_bkn_date, parse_iso_date};
use ehrm_sync_domain::kinerja::Periodik;
use ehrm_sync_domain::record::{RecordData, RecordKey, SyncRecord};

use crate::i18n::Lang;

/// What the record is, in the reader's language.
pub fn record(l: Lang, rec: &SyncRecord) -> String {
    match (&rec.key, &rec.data) {
        (RecordKey::Tahunan { tahun, .. }, _) => {
            format!("{} {tahun}", l.t("SKP tahunan", "Annual SKP"))
        }
        (
            RecordKey::Periodik {
                tahun,
                periodik,
                bulan_mulai,
                ..
            },
            _,
        ) => match periodik {
            Periodik::Bulanan => format!(
                "{} {tahun}, {} {bulan_mulai}",
                l.t("Kinerja bulanan", "Monthly evaluation"),
                l.t("bulan", "month")
            ),
            Periodik::Triwulan => format!(
                "{} {tahun}, {} {bulan_mulai}",
                l.t("Kinerja triwulan", "Quarterly evaluation"),
                l.t("mulai bulan", "from month")
            ),
        },
        (RecordKey::Jabatan { riwayat_id, .. }, Some(RecordData::Jabatan(j))) => {
            let tmt = parse_iso_date(&j.tmt_jabatan)
                .map(format_bkn_date)
                .unwrap_or_else(|| j.tmt_jabatan.clone());
            format!(
                "{} {} ({}), TMT {tmt} · {riwayat_id}",
                l.t("Riwayat jabatan", "Position"),
                j.nama_jabatan,
                j.jenis_jabatan.label()
            )
        }
        (RecordKey::Jabatan { riwayat_id, .. }, _) => {
            format!("{} {riwayat_id}", l.t("Riwayat jabatan", "Position"))
        }
    }
}

/// Where a position's SK document stands (`None` for other records).
pub fn document(l: Lang, rec: &SyncRecord) -> Option<String> {
    let Some(RecordData::Jabatan(j)) = &rec.data else {
        return None;
    };
    Some(match &j.dokumen_sk {
        None => l
            .t(
                "tidak ada (eHRM tidak mengirim dokumen SK)",
                "none (eHRM sent no SK document)",
            )
            .to_string(),
        Some(d) if rec.document_sha256.as_deref() == Some(d.sha256.as_str()) => {
            format!("{} ({})", l.t("sudah di BKN", "held by BKN"), d.nama)
        }
        Some(d) => format!(
            "{} ({})",
            l.t("belum terkirim ke BKN", "not yet at BKN"),
            d.nama
        ),
    })
}

/// A run's scope as stored (`all`, `priority-only`, `unit PU.01`, `nip 1985…`, `rolling
/// slice`) in the page's language.
pub fn scope(l: Lang, scope: &str) -> String {
    match scope {
        "all" => l.t("semua pegawai", "everyone").into(),
        "priority-only" => l.t("hanya prioritas", "priority only").into(),
        "rolling slice" => l
            .t("sebagian bergilir (terjadwal)", "rolling slice (scheduled)")
            .into(),
        other if other.contains("..") => other
            .split(", ")
            .map(|part| window(l, part))
            .collect::<Vec<_>>()
            .join(", "),
        other => match other.split_once(' ') {
            Some(("nip", n)) => format!("NIP {n}"),
            Some(("unit", u)) => format!("unit {u}"),
            _ => other.into(),
        },
    }
}

/// A readiness scope's part, `kp 2027-01..2027-06` → `KP Jan 2027 – Jun 2027`.
fn window(l: Lang, part: &str) -> String {
    let Some((kind, range)) = part.split_once(' ') else {
        return part.into();
    };
    let Some((from, to)) = range.split_once("..") else {
        return part.into();
    };
    let kind = match kind {
        "kp" => "KP",
        "pensiun" => l.t("pensiun", "retirement"),
        other => other,
    };
    format!("{kind} {} – {}", month(l, from), month(l, to))
}

/// `2027-01` → `Jan 2027` (`Agu`, `Okt`, `Des` in Indonesian); anything else as it is.
fn month(l: Lang, ym: &str) -> String {
    const ID: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des",
    ];
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let names = if l == Lang::Id { &ID } else { &EN };
    match (
        ym.get(..4),
        ym.get(5..7).and_then(|m| m.parse::<usize>().ok()),
    ) {
        (Some(year), Some(m)) if (1..=12).contains(&m) && ym.len() == 7 => {
            format!("{} {year}", names[m - 1])
        }
        _ => ym.into(),
    }
}

#[cfg(test)]
mod scope_tests {
    use super::*;

    #[test]
    fn scopes_read_as_words() {
        assert_eq!(
            scope(Lang::Id, "kp 2027-01..2027-06, pensiun 2026-12..2028-02"),
            "KP Jan 2027 – Jun 2027, pensiun Des 2026 – Feb 2028"
        );
        assert_eq!(scope(Lang::Id, "all"), "semua pegawai");
        assert_eq!(scope(Lang::En, "nip 1985"), "NIP 1985");
    }
}
