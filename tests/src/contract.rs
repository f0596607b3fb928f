//! The contract every store and queue backend must honour, written once. A backend's test file
//! instantiates it with [`store_contract!`](crate::store_contract) and
//! [`queue_contract!`](crate::queue_contract), giving a factory that returns a fresh backend.

use std::sync::Arc;

use ehrm_sync_core::ports::FindingMarks;
use ehrm_sync_core::ports::Series;
use ehrm_sync_core::ports::{
    CallbackOutbox, ControlStore, DeadLetters, DeliveryQueue, PnsIdCache, QueueConsumer, RateGate,
    ReconcileStore, RiwayatLists, SyncStore,
};

pub mod console;
pub mod ingest;
pub mod queue;
pub mod store;

/// A store backend under test.
pub struct StoreUnderTest {
    pub store: Arc<dyn SyncStore>,
    pub pns: Arc<dyn PnsIdCache>,
    pub lists: Arc<dyn RiwayatLists>,
    pub gate: Arc<dyn RateGate>,
    pub control: Arc<dyn ControlStore>,
    pub outbox: Arc<dyn CallbackOutbox>,
    pub reconcile: Arc<dyn ReconcileStore>,
    pub marks: Arc<dyn FindingMarks>,
    pub series: Arc<dyn Series>,
    /// Whatever must live as long as the backend (a temporary directory, a stack).
    pub keep_alive: Vec<Box<dyn std::any::Any + Send + Sync>>,
}

/// A queue backend under test.
pub struct QueueUnderTest {
    pub producer: Arc<dyn DeliveryQueue>,
    pub consumer: Arc<dyn QueueConsumer>,
    pub dead: Arc<dyn DeadLetters>,
    /// How long a received message stays hidden.
    pub visibility_secs: u32,
    /// Receives after which a message moves to the dead letters.
    pub max_receives: u32,
    pub keep_alive: Vec<Box<dyn std::any::Any + Send + Sync>>,
}

/// Generates one `#[tokio::test]` per store contract case. `$make` is an expression (usually an
/// `async` block) evaluating to a [`StoreUnderTest`].
#[macro_export]
macro_rules! store_contract {
    ($make:expr) => {
        $crate::store_contract!(@cases $make;
            accept_is_atomic_and_idempotent,
            stale_writes_lose_compare_and_swap,
            concurrent_writers_never_lose_an_update,
            guards_make_cross_record_checks_atomic,
            due_index_pages_in_order_and_skips_settled,
            status_queries_and_counts,
            attempts_are_kept_in_order,
            expired_idempotency_is_forgotten,
            pns_ids_are_cached,
            riwayat_lists_are_remembered_per_employee_and_family,
            rate_gate_spaces_and_holds,
            rate_gate_adapts_and_shows_its_changes,
            controls_are_compare_and_swap,
            events_come_back_newest_first,
            callbacks_are_idempotent_and_due_in_order,
            callbacks_stay_out_of_record_queries,
            reconcile_rows_are_replaced_by_key_and_runs_listed_newest_first,
            one_webhook_id_with_two_bodies_at_once,
            overlong_webhook_ids_are_malformed,
        );
        $crate::store_contract!(@console $make;
            finding_marks_are_replaced_and_listed,
            series_add_set_and_read_a_range,
            attempts_and_gate_slots_are_counted,
        );
    };
    (@console $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let backend = $make;
                $crate::contract::console::$case(&backend).await;
            }
        )*
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let backend = $make;
                $crate::contract::store::$case(&backend).await;
            }
        )*
    };
}

/// Generates one `#[tokio::test]` per queue contract case.
#[macro_export]
macro_rules! queue_contract {
    ($make:expr) => {
        $crate::queue_contract!(@cases $make;
            sent_messages_are_received_once,
            unacknowledged_messages_return_after_visibility,
            deleted_messages_never_return,
            visibility_can_be_shortened,
            poison_messages_move_to_dead_letters_and_redrive_back,
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let backend = $make;
                $crate::contract::queue::$case(&backend).await;
            }
        )*
    };
}
