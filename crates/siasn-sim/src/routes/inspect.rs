//! `/_sim/*`: faults to set, state and statistics to read (tests and operators).

use super::*;

pub(super) async fn get_faults(State(sim): State<Shared>) -> Response {
    json_response(
        StatusCode::OK,
        serde_json::to_value(sim.faults()).unwrap_or(Value::Null),
    )
}

pub(super) async fn put_faults(State(sim): State<Shared>, body: Bytes) -> Response {
    match serde_json::from_slice::<Faults>(&body) {
        Ok(f) => {
            if let Ok(mut slot) = sim.faults.lock() {
                *slot = f.clone();
            }
            json_response(
                StatusCode::OK,
                serde_json::to_value(f).unwrap_or(Value::Null),
            )
        }
        Err(e) => json_response(StatusCode::BAD_REQUEST, json!({"error": e.to_string()})),
    }
}

pub(super) async fn get_state(State(sim): State<Shared>) -> Response {
    json_response(StatusCode::OK, sim.snapshot())
}

pub(super) async fn get_stats(State(sim): State<Shared>) -> Response {
    json_response(
        StatusCode::OK,
        serde_json::to_value(sim.stats()).unwrap_or(Value::Null),
    )
}

pub(crate) fn window_max(times: &[u64]) -> u64 {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    max_in_window(&sorted, 1000)
}
