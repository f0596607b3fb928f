//! The SSO watch: run every minute by the scheduled task (and by `serve`'s housekeeping), it
//! publishes the seconds the login has left as a metric and tells eHRM when the login is about
//! to end, has left BKN work waiting, or works again (`docs/bkn-sso.md`, "Warnings").

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use ehrm_sync_domain::dates::format_ms;
use ehrm_sync_domain::record::Millis;
use ehrm_sync_domain::sso::{SsoStatus, Standing, WaitReason, duration_words_id};

use super::SsoDesk;
use crate::callbacks::{CallbackEvent, SsoNotice, SsoNoticeState, new_callback};
use crate::ports::{
    CallbackOutbox, Metric, Metrics, SsoKeeper, StoreError, load_document, overwrite_document,
};

/// What the last tick told eHRM, so each change is told once.
const TOLD: &str = "bkn/sso-told";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Told {
    /// `expiring`, `waiting` or `usable`.
    state: String,
}

pub struct SsoWatch {
    desk: Arc<SsoDesk>,
    outbox: Option<Arc<dyn CallbackOutbox>>,
    metrics: Arc<dyn Metrics>,
    keeper: Option<Arc<dyn SsoKeeper>>,
}

impl SsoWatch {
    pub fn new(
        desk: Arc<SsoDesk>,
        outbox: Option<Arc<dyn CallbackOutbox>>,
        metrics: Arc<dyn Metrics>,
    ) -> Self {
        SsoWatch {
            desk,
            outbox,
            metrics,
            keeper: None,
        }
    }

    /// Each look first lets `keeper` renew a pasted refresh token that is due, so a quiet
    /// spell does not end its session.
    pub fn with_keeper(mut self, keeper: Arc<dyn SsoKeeper>) -> Self {
        self.keeper = Some(keeper);
        self
    }

    /// One look: the metric, and a callback when the login's state changed since the last.
    pub async fn tick(&self) -> Result<Option<SsoNoticeState>, StoreError> {
        if let Some(keeper) = &self.keeper {
            let status = self.desk.status().await?;
            if status.refresh_due(self.desk.clock().now_ms()) && status.waiting.is_none() {
                keeper.keep_alive().await;
            }
        }
        let (status, standing) = self.desk.standing().await?;
        let now = self.desk.clock().now_ms();
        let seconds_left = match standing {
            Standing::Waiting { .. } => Some(0),
            _ => status.seconds_left(now),
        };
        if let Some(seconds) = seconds_left {
            self.metrics.record(Metric::SsoSecondsLeft { seconds });
        }
        let state = match standing {
            Standing::Waiting { .. } => "waiting",
            Standing::Ending { .. } => "expiring",
            Standing::Usable { .. } => "usable",
            Standing::Unknown => return Ok(None),
        };
        let (told, _) = load_document::<Told>(self.desk.controls.as_ref(), TOLD).await?;
        let told = told.unwrap_or_default();
        if told.state == state {
            return Ok(None);
        }
        let news = match (state, told.state.as_str()) {
            ("waiting", _) => Some(SsoNoticeState::Waiting),
            ("expiring", _) => Some(SsoNoticeState::Expiring),
            ("usable", "waiting" | "expiring") => Some(SsoNoticeState::Restored),
            _ => None,
        };
        if let (Some(news), Some(outbox)) = (news, &self.outbox) {
            let reason = match standing {
                Standing::Waiting { reason } => Some(reason),
                _ => None,
            };
            let notice = notice(news, &status, reason, seconds_left, now);
            let identity = format!(
                "{}|{}|{}|{}",
                state,
                status.revision,
                status.ends_at().unwrap_or(0),
                status.waiting.as_ref().map_or(0, |w| w.since)
            );
            let cb = new_callback(
                &CallbackEvent::BknSso {
                    occurred_at: format_ms(now),
                    data: notice,
                },
                &identity,
                now,
            );
            outbox.add_callback(&cb).await?;
        }
        overwrite_document(
            self.desk.controls.as_ref(),
            TOLD,
            &Told {
                state: state.into(),
            },
        )
        .await?;
        Ok(news)
    }
}

fn notice(
    state: SsoNoticeState,
    status: &SsoStatus,
    reason: Option<WaitReason>,
    seconds_left: Option<i64>,
    now: Millis,
) -> SsoNotice {
    let ends_at = status.ends_at();
    let message = match (state, reason) {
        (SsoNoticeState::Waiting, Some(reason)) => format!(
            "Pengiriman ke BKN menunggu token SSO (tidak ada data yang gagal). {}",
            reason.words_id()
        ),
        (SsoNoticeState::Expiring, _) => format!(
            "Token SSO BKN berakhir {} lagi ({}): tempel token baru di konsol ehrm-sync.",
            duration_words_id(ends_at.unwrap_or(now) - now),
            ends_at.map(format_ms).unwrap_or_default()
        ),
        _ => "Token SSO BKN berlaku lagi: pengiriman ke BKN berjalan kembali.".to_string(),
    };
    SsoNotice {
        state,
        kind: status.kind,
        ends_at: ends_at.map(format_ms),
        seconds_left,
        reason,
        message,
    }
}
