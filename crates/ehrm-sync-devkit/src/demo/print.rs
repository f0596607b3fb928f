//! The demo's report, for a person at a terminal.

use std::collections::BTreeMap;

use super::DemoReport;

pub(super) fn print_report(r: &DemoReport) {
    let n = |code: u16| r.responses.get(&code).copied().unwrap_or(0);
    println!();
    println!(
        "ehrm-sync demo: {} employees, {} webhook events, {} records",
        r.employees, r.events_sent, r.records
    );
    println!();
    println!("Ingest (POST /v1/events)");
    println!(
        "  202 accepted                 {:>6}   (new versions, and older ones acknowledged but ignored)",
        n(202)
    );
    println!("  200 repeat of an accepted id {:>6}", n(200));
    println!("  409 id reused, other body    {:>6}", n(409));
    println!(
        "  422 rules broken             {:>6}   {}",
        n(422),
        fields(&r.rejected_fields)
    );
    println!("  400 malformed                {:>6}", n(400));
    println!("  401 bad or stale signature   {:>6}", n(401));
    println!("  413 body too large           {:>6}", n(413));
    print_delivery(r);
    print_positions(r);
    print_bkn(r);
    print_invariants(r);
}

fn print_delivery(r: &DemoReport) {
    let st = |s: &str| r.statuses.get(s).copied().unwrap_or(0);
    println!();
    println!(
        "Delivery to BKN SIASN (rate limit {}/s; drained in {:.1} s)",
        r.rate, r.drain_seconds
    );
    println!("  synced                       {:>6}", st("synced"));
    println!("  failed (BKN refused)         {:>6}", st("failed"));
    for ex in &r.failed_examples {
        println!("      e.g. {ex}");
    }
    println!(
        "  needs action at BKN          {:>6}   (annual SKP deleted in eHRM, or someone's only position)",
        st("needs_action")
    );
    println!("  dead (retries exhausted)     {:>6}", st("dead"));
    println!(
        "  still open                   {:>6}",
        st("pending") + st("sending") + st("retrying")
    );
}

fn print_positions(r: &DemoReport) {
    let p = &r.positions;
    println!();
    println!(
        "Riwayat jabatan ({} positions, {} versions; each with its SK document)",
        p.positions, p.versions
    );
    println!("  at BKN at the latest version {:>6}", p.synced);
    println!("  deleted at BKN               {:>6}", p.deleted);
    println!("  failed (BKN refused)         {:>6}", p.failed);
    println!(
        "  documents uploaded           {:>6}   data-utama refreshed {}",
        p.uploads, p.refreshes
    );
    println!(
        "  BKN calls for positions      {:>6}   ({:.2} per version)",
        p.calls,
        p.calls as f64 / p.versions.max(1) as f64
    );
}

fn print_bkn(r: &DemoReport) {
    println!();
    let s = &r.sim;
    println!("What BKN SIASN saw");
    println!(
        "  calls                        {:>6}   ({} API, {} token; {:.2} per record)",
        s.calls_total,
        s.api_calls,
        s.token_calls,
        s.calls_total as f64 / r.records.max(1) as f64
    );
    println!(
        "  busiest second               {:>6}   calls (limit {}/s)",
        s.max_calls_per_second, r.rate
    );
    println!(
        "  creates / updates / deletes  {:>6} / {} / {}",
        s.creates, s.updates, s.deletes
    );
    println!(
        "  faults injected              {:>6}   5xx, {} lost responses, {} 429s, {} outage, {} SUSPENDED, {} token errors",
        s.errors_injected,
        s.lost_responses,
        s.throttled,
        s.outage_answers,
        s.suspended_answers,
        s.token_errors
    );
    println!("  duplicates                   {:>6}", s.duplicates);
    println!(
        "  calls without both tokens    {:>6}",
        s.calls_without_tokens
    );
}

fn print_invariants(r: &DemoReport) {
    println!();
    if r.violations.is_empty() {
        println!(
            "Invariants: nothing lost, latest version everywhere, no duplicate at BKN, rate respected — all hold."
        );
    } else {
        println!("INVARIANTS VIOLATED ({}):", r.violations.len());
        for v in r.violations.iter().take(30) {
            println!("  - {v}");
        }
    }
    println!("({:.1} s in all)", r.total_seconds);
}

fn fields(m: &BTreeMap<String, usize>) -> String {
    if m.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = m.iter().map(|(f, n)| format!("{f} {n}")).collect();
    format!("({})", parts.join(", "))
}
