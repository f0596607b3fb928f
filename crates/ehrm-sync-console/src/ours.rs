//! The messages ehrm-sync itself writes (a record's last error, an attempt's note, the breaker's
//! reason, a run's pause) in the page's language. They are stored in English — the logs' and
//! the API's language — or as `Indonesian / English` pairs; what follows our words (BKN's own
//! message) stays verbatim. A message that is not ours is shown as it is.

use std::borrow::Cow;

use crate::i18n::Lang;

/// The start of each English message of ours, and its Indonesian form (longest first where
/// one starts another).
const PREFIXES: &[(&str, &str)] = &[
    (
        "the connection to BKN broke before an answer was read",
        "Sambungan ke BKN terputus sebelum jawabannya terbaca",
    ),
    (
        "the NIP is not known at BKN SIASN",
        "NIP tidak dikenal di SIASN BKN",
    ),
    (
        "BKN did not answer in time",
        "BKN tidak menjawab tepat waktu",
    ),
    ("BKN answered again", "BKN menjawab lagi"),
    ("BKN answered ", "BKN menjawab "),
    (
        "BKN rate limit (429): ",
        "BKN membatasi laju panggilan (429): ",
    ),
    (
        "BKN refused our tokens; the APIM token is dropped",
        "BKN menolak token kami; token APIM dibuang",
    ),
    ("BKN server error ", "Kesalahan server BKN "),
    (
        "BKN has no such endpoint (404): check BKN_API_BASE_URL; ",
        "Alamat ini tidak ada di BKN (404): periksa BKN_API_BASE_URL; ",
    ),
    (
        "BKN is unavailable (circuit breaker open)",
        "BKN sedang tidak dihubungi (terlalu banyak gangguan)",
    ),
    (
        "BKN work waits for an SSO token: ",
        "Pekerjaan ke BKN menunggu token SSO: ",
    ),
    (
        "BKN work resumes: a usable SSO token is held",
        "Pekerjaan ke BKN berlanjut: token SSO yang berlaku sudah ada",
    ),
    (
        "BKN token error; renewing the tokens and retrying once",
        "Token BKN bermasalah; token diperbarui dan dicoba sekali lagi",
    ),
    (
        "BKN refused freshly renewed tokens: ",
        "BKN menolak token yang baru diperbarui: ",
    ),
    (
        "BKN call abandoned after a token renewal",
        "Panggilan ke BKN dibatalkan setelah token diperbarui",
    ),
    (
        "BKN circuit breaker opened: deliveries wait",
        "Hubungan ke BKN dihentikan sementara: pengiriman menunggu",
    ),
    (
        "BKN circuit breaker closed: deliveries resume",
        "Hubungan ke BKN pulih: pengiriman berlanjut",
    ),
    (
        "BKN did not confirm the save (no `success: true`): ",
        "BKN tidak mengonfirmasi penyimpanan: ",
    ),
    (
        "BKN confirmed the create but gave no id; it is looked up before any retry: ",
        "BKN mengonfirmasi pembuatan tanpa memberi id; dicari dulu sebelum mencoba lagi: ",
    ),
    (
        "BKN confirmed the save of a position without naming it",
        "BKN mengonfirmasi penyimpanan jabatan tanpa menyebut id-nya",
    ),
    ("BKN unavailable: ", "BKN tidak tersedia: "),
    (
        "BKN backend suspended: ",
        "Layanan BKN ditangguhkan (SUSPENDED): ",
    ),
    ("BKN refused the read: ", "BKN menolak pembacaan: "),
    (
        "BKN did not confirm the upload: ",
        "BKN tidak mengonfirmasi unggahan: ",
    ),
    (
        "BKN refused a remembered PNS id; data-utama names another, saving again",
        "BKN menolak ID PNS yang tersimpan; data utama menyebut ID lain, disimpan lagi",
    ),
];

/// The Indonesian starts of our `Indonesian / English` pairs.
const PAIRS: &[&str] = &[
    "riwayat ini belum pernah dikirim eHRM",
    "dihapus di eHRM",
    "unit ",
    "peta unit eHRM",
    "API baca eHRM",
    "dokumen SK ",
    "BKN SIASN mencantumkan",
    "menunggu token SSO BKN",
];

/// The English starts of our messages (a test looks for them on Indonesian pages).
pub fn english_starts() -> impl Iterator<Item = &'static str> {
    PREFIXES.iter().map(|(en, _)| *en)
}

/// `message` in the page's language where it is ours; BKN's words after ours stay verbatim.
pub fn shown(l: Lang, message: &str) -> Cow<'_, str> {
    if PAIRS.iter().any(|p| message.starts_with(p))
        && let Some((id, en)) = message.split_once(" / ")
    {
        return Cow::Owned(if l == Lang::Id { id } else { en }.to_string());
    }
    if l == Lang::Id
        && let Some(indonesian) = in_indonesian(message, 3)
    {
        return Cow::Owned(indonesian);
    }
    Cow::Borrowed(message)
}

/// Our English start translated, then what follows it when that is ours too (`BKN
/// unavailable: the connection to BKN broke …`), at most `depth` deep.
fn in_indonesian(message: &str, depth: u8) -> Option<String> {
    let (id, rest) = PREFIXES
        .iter()
        .find_map(|(en, id)| message.strip_prefix(en).map(|rest| (*id, rest)))?;
    let rest = match depth {
        0 => None,
        _ => in_indonesian(rest, depth - 1),
    }
    .unwrap_or_else(|| rest.to_string());
    Some(format!("{id}{rest}"))
}

/// Why a typed NIP is not one, in the page's language.
pub fn bad_nip(l: Lang, e: &ehrm_sync_domain::nip::NipError) -> String {
    match l {
        Lang::Id => format!("NIP tidak valid: {}.", e.words_id()),
        Lang::En => format!("Not a valid NIP: {e}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ours_in_the_pages_language_bkns_words_verbatim() {
        let msg = "BKN server error 503: Service Unavailable";
        assert_eq!(
            shown(Lang::Id, msg),
            "Kesalahan server BKN 503: Service Unavailable"
        );
        assert_eq!(shown(Lang::En, msg), msg);
        assert_eq!(shown(Lang::Id, "BKN answered again"), "BKN menjawab lagi");
        assert_eq!(
            shown(
                Lang::Id,
                "BKN unavailable: the connection to BKN broke before an answer was read"
            ),
            "BKN tidak tersedia: Sambungan ke BKN terputus sebelum jawabannya terbaca",
            "ours within ours"
        );
        let pair = "dihapus di eHRM lewat webhook / deleted in eHRM by webhook";
        assert_eq!(shown(Lang::Id, pair), "dihapus di eHRM lewat webhook");
        assert_eq!(shown(Lang::En, pair), "deleted in eHRM by webhook");
        let bkn = "Data Riwayat Kinerja tidak valid: predikat / x";
        assert_eq!(shown(Lang::Id, bkn), bkn, "not ours: verbatim");
    }
}
