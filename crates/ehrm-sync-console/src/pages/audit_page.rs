//! Audit: every login, logout and action, newest first.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use maud::html;

use super::{ctx, unavailable, when};
use crate::audit::{SHOWN, recent};
use crate::{ClientAddr, Console, layout};

pub async fn page(
    State(console): State<Arc<Console>>,
    addr: Option<axum::Extension<ClientAddr>>,
    headers: HeaderMap,
) -> Response {
    let c = crate::try_page!(ctx(&console, &headers, addr.as_deref()).await);
    let l = c.lang;
    let entries = match recent(console.deps.controls.as_ref(), SHOWN).await {
        Ok(e) => e,
        Err(e) => return unavailable(l, &e),
    };
    let body = html! {
        table id="audit" {
            tr { th { (l.t("Waktu", "Time")) } th { (l.t("Siapa", "Who")) } th { (l.t("Dari", "From")) } th { (l.t("Tindakan", "Action")) } th { (l.t("Apa", "What")) } th.num { (l.t("Jumlah", "Count")) } }
            @for (at, e) in &entries {
                tr { td { (when(*at)) } td { (e.who) } td { (e.address) } td { (e.action) } td { (e.what) } td.num { (e.count.map_or(String::new(), |n| n.to_string())) } }
            }
        }
        @if entries.len() == SHOWN { p.muted { (l.t("Hanya 500 entri terbaru yang ditampilkan.", "Only the newest 500 entries are shown.")) } }
    };
    layout::page(&c, "Audit", "/console/audit", body)
}
