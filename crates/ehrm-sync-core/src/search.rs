//! Finding records by the text of their last error (BKN's message), for stores that cannot
//! filter where the data is: pages of a status read and filtered in memory.

use ehrm_sync_domain::record::{Millis, SyncRecord, SyncStatus};

use crate::ports::{StoreError, SyncStore};

const PAGE: usize = 1_000;

/// Records in `status`, updated within `[since, until]`, whose last error contains `text`
/// (lower case), oldest first, at most `limit`.
pub async fn with_error_in_memory<S: SyncStore + ?Sized>(
    store: &S,
    status: SyncStatus,
    since: Millis,
    until: Millis,
    text: &str,
    limit: usize,
) -> Result<Vec<SyncRecord>, StoreError> {
    let mut out = Vec::new();
    let mut from = since;
    loop {
        let page = store.records_by_status(status, from, until, PAGE).await?;
        let full = page.len() == PAGE;
        let last = page.last().map(|r| r.updated_at);
        out.extend(page.into_iter().filter(|r| {
            r.last_error
                .as_deref()
                .is_some_and(|m| m.to_lowercase().contains(text))
        }));
        match last {
            // Past records sharing the page's last time: a page of ties must not loop forever.
            Some(at) if full && out.len() < limit => from = if at == from { at + 1 } else { at },
            _ => break,
        }
    }
    out.sort_by_cached_key(|r| (r.updated_at, r.key.to_string()));
    out.dedup_by(|a, b| a.key == b.key);
    out.truncate(limit);
    Ok(out)
}
