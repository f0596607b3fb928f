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
}
