//! The console's "Verify access" page: runs the self-audit against Jira's own
//! permission check ([`sync::verify`]) with a budget from the form, and shows the
//! summary and every disagreement with its explanation. Running it is a POST (it
//! spends Jira API calls); the page shows the last run's report.

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use sync::verify::{DisagreementKind, VerifyOptions, VerifyReport};

use super::{html, pages};
use crate::app::AppState;
use crate::verify::VerifyFailure;

/// The form, as typed (empty fields take the defaults).
#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct VerifyForm {
    #[serde(default)]
    max_calls: String,
    #[serde(default)]
    people: String,
    #[serde(default)]
    issues: String,
    #[serde(default)]
    seed: String,
}

impl VerifyForm {
    fn options(&self) -> Result<VerifyOptions, String> {
        fn num<T: std::str::FromStr>(name: &str, v: &str) -> Result<Option<T>, String> {
            let v = v.trim().replace([',', '_'], "");
            if v.is_empty() {
                return Ok(None);
            }
            v.parse()
                .map(Some)
                .map_err(|_| format!("{name}: {v:?} is not a whole number"))
        }
        Ok(VerifyOptions {
            max_calls: num("max_calls", &self.max_calls)?,
            people: num("people", &self.people)?,
            issues: num("issues", &self.issues)?,
            seed: num("seed", &self.seed)?,
        })
    }
}

/// `GET /admin/verify`: the form and the last run's report.
pub(super) async fn page(State(state): State<Arc<AppState>>) -> Response {
    let last = state.verify.last();
    html(page_markup(
        &VerifyForm::default(),
        Some(match &last {
            Some(r) => report(r),
            None => html! { p.muted { "No run since the server started." } },
        }),
    ))
}

/// `POST /admin/verify`: runs it now (a fragment for htmx, the page without it).
pub(super) async fn run(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(form): Form<VerifyForm>,
) -> Response {
    let (status, fragment) = match form.options() {
        Err(e) => (StatusCode::BAD_REQUEST, pages::error_fragment(&e)),
        Ok(opts) => match crate::verify::run(&state, &opts).await {
            Ok(r) => (StatusCode::OK, report(&r)),
            Err(VerifyFailure::Sync(e)) => {
                // Internal text goes to the log; the page gets the code's message.
                let answer = crate::api::ApiError::from(e);
                (answer.status(), pages::error_fragment(&answer.message()))
            }
            Err(e) => {
                let status = match &e {
                    VerifyFailure::Busy => StatusCode::CONFLICT,
                    VerifyFailure::NotSynced => StatusCode::SERVICE_UNAVAILABLE,
                    _ => StatusCode::BAD_REQUEST,
                };
                (status, pages::error_fragment(&e.to_string()))
            }
        },
    };
    // htmx swaps 2xx answers only: errors come back as 200 fragments there.
    if headers.contains_key("hx-request") {
        return html(fragment);
    }
    let mut res = html(page_markup(&form, Some(fragment)));
    *res.status_mut() = status;
    res
}

fn page_markup(form: &VerifyForm, result: Option<Markup>) -> Markup {
    let content = html! {
        section {
            p.muted {
                "Asks Jira which of a sample of indexed issues a sample of people may browse "
                "(" code { "permissions/check" } ", one call per person per 1,000 issues; it needs "
                "Administer Jira) and compares each answer with what the index decides for them. "
                "A " b { "leak" } ": the index shows what Jira denies. A " b { "miss" } ": Jira "
                "allows what the index hides (e.g. a change not synced yet)."
            }
            form.row #verify-form method="post" action="/admin/verify" hx-post="/admin/verify" hx-target="#verify-result" hx-swap="innerHTML" {
                label { "Most calls" input type="number" name="max_calls" min="1" value=(form.max_calls) placeholder=(sync::verify::DEFAULT_MAX_CALLS); }
                label { "People" input type="number" name="people" min="1" value=(form.people) placeholder="all that fit"; }
                label { "Issues per person" input type="number" name="issues" min="1" value=(form.issues) placeholder=(sync::verify::DEFAULT_ISSUES_PER_PERSON); }
                label { "Seed" input type="number" name="seed" min="0" value=(form.seed) placeholder="random"; }
                button type="submit" { "Run verify-access" }
            }
        }
        div #verify-result { @if let Some(r) = result { (r) } }
    };
    pages::layout("Verify access", content)
}

/// A report: figures, then the disagreements, leaks first.
pub(super) fn report(r: &VerifyReport) -> Markup {
    html! {
        section #verify-report {
            h2 class=(if r.agrees() { "ok" } else { "bad" }) {
                @if r.agrees() { "The index agrees with Jira." }
                @else if r.leaks > 0 { (r.leaks) " leaks found." }
                @else { (r.misses) " misses found (no leak)." }
            }
            div.kpis {
                div { b #verify-leaks { (r.leaks) } "leaks" }
                div { b #verify-misses { (r.misses) } "misses" }
                div { b { (r.people_checked) } "people of " (r.people_available) }
                div { b { (r.pairs_checked) } "pairs checked" }
                div { b { (r.calls_used) } "calls of " (r.max_calls) }
                div { b { (format!("{:.2}", r.calls_per_1000_pairs)) } "calls / 1,000 pairs" }
            }
            p.muted { (r.summary()) }
            @if !r.disagreements.is_empty() {
                table {
                    thead { tr { th { "" } th { "Issue" } th { "Person" } th.n { "Chunks shown" } th { "Explain" } } }
                    tbody {
                        @for d in &r.disagreements {
                            tr {
                                td class=(if d.kind == DisagreementKind::Leak { "bad" } else { "muted" }) { (d.kind.as_str()) }
                                td { (d.issue_key) }
                                td { (d.display_name) br; span.muted { (d.account_id) } }
                                td.n { (d.visible_chunks) " / " (d.chunks) }
                                td {
                                    details {
                                        summary {
                                            @if d.kind == DisagreementKind::Leak { "shown, Jira denies" } @else { "hidden, Jira allows" }
                                        }
                                        pre { (d.explain) }
                                    }
                                    @if let Some(email) = &d.email {
                                        a href=(format!("/admin/explain?as={}&key={}", urlencode(email), urlencode(&d.issue_key))) { "explain access" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @for e in &r.errors { p.bad { "Not checked: " (e) } }
        }
    }
}

/// Percent-encodes a query value.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_reads_numbers_and_the_report_escapes_names() {
        let form = VerifyForm {
            max_calls: "1,000".into(),
            people: " 5 ".into(),
            ..Default::default()
        };
        let opts = form.options().unwrap();
        assert_eq!(
            (opts.max_calls, opts.people, opts.issues),
            (Some(1000), Some(5), None)
        );
        let bad = VerifyForm {
            seed: "x".into(),
            ..Default::default()
        };
        assert!(bad.options().unwrap_err().contains("seed"));
        let r = VerifyReport {
            leaks: 1,
            disagreements: vec![sync::verify::Disagreement {
                kind: DisagreementKind::Leak,
                issue_key: "ENG-1".into(),
                issue_id: "1".into(),
                account_id: "acc".into(),
                display_name: "<b>Bob</b>".into(),
                email: Some("bob+x@example.com".into()),
                visible_chunks: 1,
                chunks: 2,
                explain: "why".into(),
            }],
            ..Default::default()
        };
        let page = report(&r).into_string();
        assert!(page.contains("&lt;b&gt;Bob&lt;/b&gt;"), "{page}");
        assert!(
            page.contains("as=bob%2Bx%40example.com&amp;key=ENG-1"),
            "{page}"
        );
        assert!(page.contains("1 leaks found"));
    }
}
