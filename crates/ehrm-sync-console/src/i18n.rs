//! The console's two languages. Bahasa Indonesia is the default; English is chosen with a
//! switch kept in a cookie. SIASN's own terms (NIP, riwayat kinerja, tahunan, periodik, rekon)
//! stay as they are in both.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Id,
    En,
}

impl Lang {
    pub fn from_cookie(value: Option<&str>) -> Lang {
        match value {
            Some("en") => Lang::En,
            _ => Lang::Id,
        }
    }

    /// `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    /// The text in this language.
    pub fn t(self, id: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Id => id,
            Lang::En => en,
        }
    }

    /// A sync status as people say it.
    pub fn status(self, s: &str) -> &'static str {
        match (self, s) {
            (Lang::Id, "pending") => "menunggu",
            (Lang::Id, "sending") => "sedang dikirim",
            (Lang::Id, "synced") => "tersinkron",
            (Lang::Id, "retrying") => "dicoba lagi",
            (Lang::Id, "failed") => "ditolak BKN",
            (Lang::Id, "dead") => "gagal permanen",
            (Lang::Id, "needs_action") => "perlu tindakan",
            (Lang::En, "pending") => "pending",
            (Lang::En, "sending") => "sending",
            (Lang::En, "synced") => "synced",
            (Lang::En, "retrying") => "retrying",
            (Lang::En, "failed") => "refused by BKN",
            (Lang::En, "dead") => "dead",
            (Lang::En, "needs_action") => "needs action",
            _ => "?",
        }
    }

    pub fn mark(self, s: &str) -> &'static str {
        match (self, s) {
            (Lang::Id, "handled") => "sudah ditangani",
            (Lang::Id, "ignored") => "diabaikan",
            (Lang::Id, _) => "terbuka",
            (Lang::En, "handled") => "handled",
            (Lang::En, "ignored") => "ignored",
            (Lang::En, _) => "open",
        }
    }

    /// A finding's code (kind, priority, authority, action; readiness's service, severity, side) as
    /// people say it (the filters keep the
    /// code as the value, the workbooks and CSV keep the code); an unknown code as it is.
    pub fn finding_code(self, code: &str) -> &str {
        match (self, code) {
            (Lang::Id, "missing_at_bkn") => "tidak ada di BKN",
            (Lang::Id, "missing_in_ehrm") => "tidak ada di eHRM",
            (Lang::Id, "differs") => "berbeda",
            (Lang::Id, "kenaikan_pangkat") => "kenaikan pangkat",
            (Lang::Id, "normal") => "biasa",
            (Lang::Id, "queued_for_bkn") => "diantrekan ke BKN",
            (Lang::Id, "sent_to_ehrm") => "dikirim ke eHRM",
            (Lang::Id, "needs_review") => "perlu ditinjau",
            (Lang::Id, "kp") => "KP",
            (Lang::Id, "block") => "menghalangi",
            (Lang::Id, "warn") => "peringatan",
            (Lang::Id, "bkn_data") => "data BKN",
            (Lang::Id, "ehrm_data") => "data eHRM",
            (Lang::En, "missing_at_bkn") => "missing at BKN",
            (Lang::En, "missing_in_ehrm") => "missing in eHRM",
            (Lang::En, "kenaikan_pangkat") => "promotion (kenaikan pangkat)",
            (Lang::En, "pensiun") => "retirement (pensiun)",
            (Lang::En, "struktural") => "structural",
            (Lang::En, "queued_for_bkn") => "queued for BKN",
            (Lang::En, "sent_to_ehrm") => "sent to eHRM",
            (Lang::En, "needs_review") => "needs review",
            (Lang::En, "kp") => "promotion (KP)",
            (Lang::En, "block") => "blocks",
            (Lang::En, "warn") => "warning",
            (Lang::En, "bkn_data") => "BKN's data",
            (Lang::En, "ehrm_data") => "eHRM's data",
            (Lang::En, "usulan") => "the proposal (usulan)",
            (_, "ehrm") => "eHRM",
            (_, "bkn") => "BKN",
            _ => code,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Lang;
    use ehrm_sync_domain::readiness::{Service, Side};
    use ehrm_sync_domain::reconcile::{Kind, Priority};

    #[test]
    fn every_code_a_page_shows_reads_as_words_in_both_languages() {
        let mut codes: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        codes.extend(Priority::ALL.iter().map(|p| p.as_str()));
        codes.extend([
            "queued_for_bkn",
            "sent_to_ehrm",
            "needs_review",
            "block",
            "warn",
        ]);
        codes.extend([Service::Kp.as_str(), Service::Pensiun.as_str()]);
        codes.extend([
            Side::BknData.as_str(),
            Side::EhrmData.as_str(),
            Side::Usulan.as_str(),
        ]);
        for lang in [Lang::Id, Lang::En] {
            for code in &codes {
                let label = lang.finding_code(code);
                assert!(!label.contains('_'), "{lang:?} {code} → {label}");
            }
        }
        assert_eq!(Lang::Id.finding_code("missing_at_bkn"), "tidak ada di BKN");
        assert_eq!(
            Lang::En.finding_code("K4"),
            "K4",
            "a rule's code is its name"
        );
    }
}
