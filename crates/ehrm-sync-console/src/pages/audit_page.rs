//! Audit: every login, logout and action, newest first.

use std::sync::Arc;

use axum::extract::State;
use maud::html;

use super::{Ctx, InPage, Page, when};
use crate::audit::{SHOWN, recent};
use crate::{Console, layout};

pub async fn page(State(console): State<Arc<Console>>, c: Ctx) -> Page {
    let l = c.lang;
    let entries = recent(console.deps.controls.as_ref(), SHOWN)
        .await
        .in_page(l)?;
    let body = html! {
        table id="audit" {
            tr { th { (l.t("Waktu", "Time")) } th { (l.t("Siapa", "Who")) } th { (l.t("Dari", "From")) } th { (l.t("Tindakan", "Action")) } th { (l.t("Apa", "What")) } th.num { (l.t("Jumlah", "Count")) } }
            @for (at, e) in &entries {
                tr { td { (when(*at)) } td { (e.who) } td { (e.address) } td { (e.action) } td { (e.what) } td.num { (e.count.map_or(String::new(), |n| n.to_string())) } }
            }
        }
        @if entries.len() == SHOWN { p.muted { (l.t("Hanya 500 entri terbaru yang ditampilkan.", "Only the newest 500 entries are shown.")) } }
    };
    Ok(layout::page(&c, "Audit", "/console/audit", body))
}
