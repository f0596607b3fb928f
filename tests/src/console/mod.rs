//! A console client for tests: a cookie jar over any transport (the router in process, the
//! Lambda handler through API Gateway's event shapes, or a real server), and a console over a
//! temporary SQLite store with a clock the test moves and a launcher that records requests.

pub mod aws;
pub mod cases;
mod people_case;
mod personal_case;
mod readiness_case;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{HeaderMap, Request, header};
use futures::future::BoxFuture;

use ehrm_sync_console::{
    ClientAddr, Console, ConsoleSettings, LaunchError, LaunchRequest, Launched, Launcher, Role,
    Users, user_line,
};
use ehrm_sync_core::clock::SystemClock;
use ehrm_sync_core::ports::{
    Clock, ControlStore, DeliveryQueue, QueueConsumer, ReconcileStore, SyncStore,
};
use ehrm_sync_sqlite::{QueueOptions, SqliteStore};

pub const OPERATOR: (&str, &str) = ("sari", "kata-sandi-operator-1");
pub const VIEWER: (&str, &str) = ("budi", "kata-sandi-pengamat-1");

/// The users file of the tests: an operator and a viewer.
pub fn users_text() -> String {
    let op = user_line(OPERATOR.0, Role::Operator, OPERATOR.1).expect("operator line");
    let viewer = user_line(VIEWER.0, Role::Viewer, VIEWER.1).expect("viewer line");
    format!("# console users\n{op}\n{viewer}\n")
}

/// The system clock moved by the test.
#[derive(Default)]
pub struct ShiftedClock(pub AtomicI64);

impl ShiftedClock {
    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::Relaxed);
    }
}

impl Clock for ShiftedClock {
    fn now_ms(&self) -> i64 {
        SystemClock.now_ms() + self.0.load(Ordering::Relaxed)
    }
}

/// One answer: status, headers, body.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    pub fn location(&self) -> Option<String> {
        self.header("location")
    }

    /// The CSRF token of the first form on the page.
    pub fn csrf(&self) -> String {
        let text = self.text();
        text.split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a form with a CSRF token")
            .to_string()
    }
}

pub type Transport = Arc<dyn Fn(Request<Body>) -> BoxFuture<'static, Answer> + Send + Sync>;

/// A browser without a browser: keeps cookies, sends forms.
pub struct Client {
    send: Transport,
    cookies: Mutex<BTreeMap<String, String>>,
}

impl Client {
    pub fn new(send: Transport) -> Self {
        Client {
            send,
            cookies: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().expect("jar").get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.cookies
            .lock()
            .expect("jar")
            .insert(name.into(), value.into());
    }

    fn cookie_header(&self) -> String {
        let jar = self.cookies.lock().expect("jar");
        jar.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&self, a: &Answer) {
        let mut jar = self.cookies.lock().expect("jar");
        for v in a.headers.get_all(header::SET_COOKIE) {
            let Ok(v) = v.to_str() else { continue };
            let Some((name, rest)) = v.split_once('=') else {
                continue;
            };
            let value = rest.split(';').next().unwrap_or("");
            if v.contains("Max-Age=0") {
                jar.remove(name);
            } else {
                jar.insert(name.into(), value.into());
            }
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        let req = Request::get(path)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .expect("request");
        let a = (self.send)(req).await;
        self.keep(&a);
        a
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let body = form
            .iter()
            .map(|(k, v)| format!("{k}={}", ehrm_sync_console::findings::encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let req = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        let a = (self.send)(req).await;
        self.keep(&a);
        a
    }

    /// Opens the login form and submits it.
    pub async fn login(&self, user: &str, password: &str) -> Answer {
        let form = self.get("/console/login").await;
        let csrf = form.csrf();
        self.post(
            "/console/login",
            &[("user", user), ("password", password), ("csrf", &csrf)],
        )
        .await
    }
}

/// Serves requests with a router in process, from a client address.
pub fn router_transport(router: axum::Router, address: &str) -> Transport {
    use tower::ServiceExt;
    let address = address.to_string();
    Arc::new(move |mut req: Request<Body>| {
        let router = router.clone();
        req.extensions_mut().insert(ClientAddr(address.clone()));
        Box::pin(async move {
            let res = router.oneshot(req).await.expect("infallible");
            let (parts, body) = res.into_parts();
            let bytes = http_body_util::BodyExt::collect(body)
                .await
                .map(|b| b.to_bytes().to_vec())
                .unwrap_or_default();
            Answer {
                status: parts.status.as_u16(),
                headers: parts.headers,
                bytes,
            }
        })
    })
}

/// Sends requests over HTTP to a served console at `base` (`http://127.0.0.1:port`), as a
/// browser would (redirects are answers, not followed).
pub fn http_transport(base: &str) -> Transport {
    let base = base.trim_end_matches('/').to_string();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    Arc::new(move |req: Request<Body>| {
        let (http, base) = (http.clone(), base.clone());
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let bytes = http_body_util::BodyExt::collect(body)
                .await
                .map(|b| b.to_bytes().to_vec())
                .unwrap_or_default();
            let mut r = http.request(parts.method, format!("{base}{}", parts.uri));
            for (name, value) in &parts.headers {
                r = r.header(name, value);
            }
            let res = r.body(bytes).send().await.expect("the console answers");
            let status = res.status().as_u16();
            let headers = res.headers().clone();
            let bytes = res.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
            Answer {
                status,
                headers,
                bytes,
            }
        })
    })
}

/// Records what the console asked to launch.
#[derive(Default)]
pub struct RecordingLauncher {
    pub reconciles: Mutex<Vec<LaunchRequest>>,
    /// Each readiness launch's `restart`.
    pub readiness: Mutex<Vec<bool>>,
}

#[async_trait::async_trait]
impl Launcher for RecordingLauncher {
    async fn reconcile(&self, request: LaunchRequest) -> Result<Launched, LaunchError> {
        self.reconciles
            .lock()
            .map_err(|e| LaunchError::Unavailable(e.to_string()))?
            .push(request);
        Ok(Launched::InBackground)
    }

    async fn readiness(&self, restart: bool) -> Result<Launched, LaunchError> {
        self.readiness
            .lock()
            .map_err(|e| LaunchError::Unavailable(e.to_string()))?
            .push(restart);
        Ok(Launched::Idle)
    }
}

/// A console on some store and queue, with a clock the test moves and a launcher that records.
pub struct ConsoleFixture {
    pub store: Arc<dyn SyncStore>,
    pub reconcile: Arc<dyn ReconcileStore>,
    pub controls: Arc<dyn ControlStore>,
    pub gate: Arc<dyn ehrm_sync_core::ports::RateGate>,
    pub producer: Arc<dyn DeliveryQueue>,
    pub consumer: Arc<dyn QueueConsumer>,
    /// Receives after which a message is dead-lettered.
    pub max_receives: u32,
    pub clock: Arc<ShiftedClock>,
    pub launcher: Arc<RecordingLauncher>,
    /// Whether the console sets `Secure` cookies.
    pub secure_cookies: bool,
    /// A transport from a client address.
    pub transport: Arc<dyn Fn(&str) -> Transport + Send + Sync>,
    /// The same, answers exactly as a browser gets them (on AWS: paths under the stage).
    pub as_served: Arc<dyn Fn(&str) -> Transport + Send + Sync>,
    pub keep_alive: Vec<Box<dyn std::any::Any + Send + Sync>>,
}

impl ConsoleFixture {
    pub fn client(&self, address: &str) -> Client {
        Client::new((self.transport)(address))
    }

    /// The console over a temporary SQLite store, called in process (as `serve` on loopback).
    /// Pasted SSO tokens are sealed with a key of its own.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let clock = Arc::new(ShiftedClock::default());
        let store = SqliteStore::open_with_clock(dir.path().join("store.db"), clock.clone())
            .expect("store");
        let queue = store.queue(QueueOptions {
            name: "delivery".into(),
            visibility_secs: 30,
            max_receives: 1,
        });
        let launcher = Arc::new(RecordingLauncher::default());
        let shared = Arc::new(store.clone());
        let key = test_token_key();
        let sso = ehrm_sync_local::sso_desk(&store, Some(&key), clock.clone()).expect("vault");
        let deps = ehrm_sync_local::console_deps(
            &store,
            &queue,
            Some(launcher.clone()),
            Arc::new(ehrm_sync_sheets::Xlsx),
            sso,
            clock.clone(),
        );
        let console = Console::new(deps, test_users(), test_settings(false));
        let router = ehrm_sync_console::router(Arc::new(console));
        ConsoleFixture {
            store: shared.clone(),
            reconcile: shared.clone(),
            gate: shared.clone(),
            controls: shared,
            producer: Arc::new(queue.clone()),
            consumer: Arc::new(queue),
            max_receives: 1,
            clock,
            launcher,
            secure_cookies: false,
            transport: {
                let router = router.clone();
                Arc::new(move |address| router_transport(router.clone(), address))
            },
            as_served: Arc::new(move |address| router_transport(router.clone(), address)),
            keep_alive: vec![Box::new(dir)],
        }
    }
}

pub fn test_users() -> Users {
    Users::parse(&users_text()).expect("users")
}

pub fn test_settings(secure_cookies: bool) -> ConsoleSettings {
    ConsoleSettings {
        secure_cookies,
        bkn_rate_per_sec: 2.0,
    }
}

/// One `#[tokio::test]` per console case; `$make` evaluates to a [`ConsoleFixture`].
#[macro_export]
macro_rules! console_cases {
    ($make:expr) => {
        $crate::console_cases!(@cases $make;
            pages_need_a_session_and_carry_the_security_headers,
            login_sets_a_strict_http_only_cookie_and_every_page_renders,
            the_language_switch_is_remembered,
            the_login_form_needs_its_csrf_token_and_failures_are_throttled_and_audited,
            one_address_is_throttled_across_user_names,
            concurrent_guesses_stay_within_the_limit,
            sessions_expire_after_thirty_idle_minutes_and_on_logout,
            a_viewer_is_refused_every_action,
            replay_counts_first_then_replays_on_confirmation_and_is_audited,
            redrive_and_reconciliation_are_operator_actions_and_audited,
            the_readiness_check_is_an_operator_action_and_audited,
            a_follow_up_mark_carries_over_while_the_finding_persists,
            downloads_keep_nips_as_exact_text,
            failed_records_filter_by_message_and_page_by_key,
            the_employee_page_shows_bkns_message_and_the_attempts,
            the_overview_shows_the_bkn_rate_and_its_cuts,
            readiness_findings_filter_carry_their_marks_and_download,
            the_personal_data_report_and_erasure_are_for_operators_and_audited,
            an_indonesian_page_shows_our_messages_in_indonesian,
            failed_records_filter_by_unit_and_name_their_people,
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let fixture = $make;
                $crate::console::cases::$case(&fixture).await;
            }
        )*
    };
}

/// A fresh `BKN_TOKEN_KEY` for a test store.
pub fn test_token_key() -> ehrm_sync_local::vault::TokenKey {
    let text = ehrm_sync_local::vault::new_key().expect("a key");
    let env: std::collections::HashMap<String, String> =
        [(ehrm_sync_local::vault::KEY_VAR.to_string(), text)].into();
    ehrm_sync_local::vault::TokenKey::from_env(&env)
        .expect("valid")
        .expect("set")
}
