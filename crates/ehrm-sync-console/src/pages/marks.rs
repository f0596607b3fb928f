//! Follow-up marks (tindak lanjut) of findings, shared by the Rekonsiliasi and Kesiapan pages:
//! the inline form, and storing a mark with its audit entry.

use axum::response::{IntoResponse, Redirect};
use maud::{Markup, html};
use serde::Deserialize;

use ehrm_sync_core::ports::{FindingMark, MAX_NOTE_CHARS, MarkState};

use super::{Ctx, InPage, Page, PageError, when};
use crate::Console;
use crate::audit::{self, AuditEntry};
use crate::label::Label;

/// The inline form of one finding's mark, posting to `action`.
pub fn mark_form(
    c: &Ctx,
    action: &str,
    id: &str,
    mark: Option<&FindingMark>,
    back: &str,
) -> Markup {
    let l = c.lang;
    let state = mark.map_or(MarkState::Open, |m| m.state);
    html! {
        form.inline.mark method="post" action=(action) {
            input type="hidden" name="csrf" value=(c.csrf);
            input type="hidden" name="finding_id" value=(id);
            input type="hidden" name="back" value=(back);
            select name="state" aria-label=(l.t("Tindak lanjut", "Follow-up")) {
                @for s in <MarkState as Label>::ALL { option value=(s.code()) selected[state == *s] { (s.label(l)) } }
            }
            label.compact { (l.t("Catatan", "Note"))
                input name="note" value=(mark.map_or("", |m| m.note.as_str())) placeholder=(l.t("apa yang sudah dilakukan", "what was done")) maxlength="1000" size="14"; }
            button type="submit" { (l.t("Simpan", "Save")) }
            @if let Some(m) = mark { br; span.muted { (m.by) ", " (when(m.at)) } }
        }
    }
}

#[derive(Deserialize)]
pub struct MarkForm {
    #[serde(default)]
    pub csrf: String,
    pub finding_id: String,
    pub state: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub back: String,
}

/// The state the form asks for, or the answer refusing it.
pub fn state_of(c: &Ctx, f: &MarkForm) -> Result<MarkState, PageError> {
    crate::label::parse_param::<MarkState>("state", &f.state)
        .in_page(c.lang)?
        .ok_or_else(|| c.bad(c.lang.t("Pilih tindak lanjut.", "Choose a follow-up.")))
}

/// Stores the mark (both roles: HR officers record what they did), audits it as `what`, and
/// sends the browser back to `f.back` when it is a page under `pages`, else to `fallback`.
pub async fn save(
    console: &Console,
    c: &Ctx,
    f: MarkForm,
    state: MarkState,
    what: String,
    pages: &str,
    fallback: String,
) -> Page {
    let now = console.deps.clock.now_ms();
    let mark = FindingMark {
        finding_id: f.finding_id.clone(),
        state,
        note: f.note.trim().chars().take(MAX_NOTE_CHARS).collect(),
        by: c.user.clone(),
        at: now,
    };
    console.deps.marks.put_mark(&mark).await.in_page(c.lang)?;
    let entry = AuditEntry {
        who: c.user.clone(),
        address: c.address.clone(),
        action: "mark".into(),
        what,
        count: Some(1),
        people: Vec::new(),
    };
    audit::record_or_log(console.deps.controls.as_ref(), now, entry).await;
    let back = Some(f.back).filter(|b| b.starts_with(pages) && !b.contains(['\r', '\n']));
    Ok(Redirect::to(&back.unwrap_or(fallback)).into_response())
}
