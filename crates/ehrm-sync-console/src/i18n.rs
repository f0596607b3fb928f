//! The console's two languages. Bahasa Indonesia is the default; English is chosen with a
//! switch kept in a cookie. SIASN's own terms (NIP, riwayat kinerja, tahunan, periodik, rekon)
//! stay as they are in both. Codes read as words through [`crate::label::Label`].

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
}
