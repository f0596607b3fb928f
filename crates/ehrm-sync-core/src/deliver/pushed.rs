//! What one push to BKN came to, for the record's state machine, the attempt history and the
//! breaker: the outcome, the operations made, BKN's HTTP status, how the call went for the
//! breaker, and what the push learnt (the PNS id, where BKN's id came from).

use ehrm_sync_domain::record::{DeliveryOutcome, Progress};

use crate::breaker::CallResult;
use crate::ports::{BknError, BknErrorKind, Operation, Operations};

/// How the push's request went, for the breaker and the attempt count.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Call {
    /// No request was made (the lease ran short, the rate gate failed, nothing to ask).
    NotMade,
    /// BKN answered (accepted or refused): it is up.
    Answered,
    /// BKN's gateway throttled the call: it is up; the rate slows down.
    Throttled,
    /// BKN did not answer (timeout, 5xx, connection failure, SUSPENDED).
    Unavailable { reason: String, suspended: bool },
    /// No request was made: no usable SSO token is held (`docs/bkn-sso.md`).
    AwaitingSso,
}

impl Call {
    fn of(err: &BknError) -> Call {
        match err.kind {
            BknErrorKind::Permanent => Call::Answered,
            BknErrorKind::Throttled { .. } => Call::Throttled,
            BknErrorKind::Transient { suspended, .. } => Call::Unavailable {
                reason: err.message.clone(),
                suspended,
            },
            BknErrorKind::AwaitingSso { .. } => Call::AwaitingSso,
        }
    }

    /// What the breaker is told; `None` when no request was made.
    pub(super) fn for_breaker(&self) -> Option<CallResult> {
        match self {
            Call::NotMade | Call::AwaitingSso => None,
            Call::Answered | Call::Throttled => Some(CallResult::Answered),
            Call::Unavailable { reason, suspended } => Some(CallResult::Unavailable {
                reason: reason.clone(),
                suspended: *suspended,
            }),
        }
    }
}

/// Where the PNS id a push used came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum PnsId {
    /// Known before the push (the record, the cache, eHRM): BKN may not know it.
    Known(String),
    /// Read from data-utama in this push.
    Checked(String),
}

impl PnsId {
    pub(super) fn id(&self) -> &str {
        match self {
            PnsId::Known(id) | PnsId::Checked(id) => id,
        }
    }

    pub(super) fn checked(&self) -> bool {
        matches!(self, PnsId::Checked(_))
    }
}

/// Where the BKN id a save wrote to came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Target {
    /// No id: a create; or the record's own id, or one read from BKN's list in this push.
    CreatedOrKnown,
    /// An entry of a remembered list (BKN may have dropped it since).
    Remembered,
}

pub(super) struct Pushed {
    pub(super) outcome: DeliveryOutcome,
    pub(super) ops: Operations,
    pub(super) http_status: Option<u16>,
    pub(super) call: Call,
    pub(super) pns: Option<PnsId>,
    pub(super) target: Target,
    /// What BKN holds after the steps done, whatever came of the last one (riwayat jabatan).
    pub(super) progress: Option<Progress>,
}

impl Pushed {
    pub(super) fn new(ops: Vec<Operation>, outcome: DeliveryOutcome) -> Self {
        Pushed {
            outcome,
            ops: ops.into(),
            http_status: None,
            call: Call::Answered,
            pns: None,
            target: Target::CreatedOrKnown,
            progress: None,
        }
    }

    pub(super) fn delivered(ops: Vec<Operation>, bkn_id: Option<String>, deleted: bool) -> Self {
        Pushed::new(
            ops,
            DeliveryOutcome::Delivered {
                bkn_id,
                deleted_at_bkn: deleted,
            },
        )
    }

    /// A refusal or a failure of the request; `creating` when it was a create (a create whose
    /// answer was lost may have been stored).
    pub(super) fn failed(ops: Vec<Operation>, err: BknError, creating: bool) -> Self {
        let outcome = match err.kind {
            BknErrorKind::Permanent => DeliveryOutcome::Permanent {
                error: err.message.clone(),
            },
            _ => DeliveryOutcome::Transient {
                error: err.message.clone(),
                retry_after_ms: err.retry_after_ms(),
                ambiguous_create: creating && err.maybe_applied(),
            },
        };
        Pushed {
            outcome,
            ops: ops.into(),
            http_status: err.http_status,
            call: Call::of(&err),
            pns: None,
            target: Target::CreatedOrKnown,
            progress: None,
        }
    }

    /// A transient failure before any request was made.
    pub(super) fn not_attempted(ops: Vec<Operation>, err: BknError) -> Self {
        let mut p = Pushed::failed(ops, err, false);
        p.call = Call::NotMade;
        p
    }

    pub(super) fn with_pns(mut self, pns: &PnsId) -> Self {
        self.pns = Some(pns.clone());
        self
    }

    pub(super) fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    pub(super) fn with_target(mut self, target: Target) -> Self {
        self.target = target;
        self
    }
}
