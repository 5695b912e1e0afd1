//! Prometheus metrics of the server (`GET /metrics`): requests by route and status,
//! search latency, webhooks received and applied, sync runs and their outcome, and
//! the size of the index, and the last verify-access run (leaks, misses). Counters only: no query text, no email, no content.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

/// The server's metrics, registered in their own registry.
pub struct Metrics {
    registry: Registry,
    /// Requests by route and status.
    pub requests: IntCounterVec,
    /// Request durations by route.
    pub request_seconds: HistogramVec,
    /// Refused credentials, by reason.
    pub auth_failures: IntCounterVec,
    /// Webhook deliveries, by event and outcome.
    pub webhooks: IntCounterVec,
    /// Issues re-read because of webhooks, by outcome.
    pub webhook_issues: IntCounterVec,
    /// Sync runs, by trigger and outcome.
    pub sync_runs: IntCounterVec,
    /// 1 while a sync runs.
    pub sync_running: IntGauge,
    /// Chunks in the index after the last sync.
    pub indexed_chunks: IntGauge,
    /// The last verify-access run: leaks, misses, pairs checked, when it started.
    pub verify_leaks: IntGauge,
    /// Misses of the last verify-access run.
    pub verify_misses: IntGauge,
    /// Person-issue pairs the last verify-access run checked.
    pub verify_pairs: IntGauge,
    /// When the last verify-access run ended (epoch seconds).
    pub verify_last_run: IntGauge,
    /// verify-access runs, by outcome.
    pub verify_runs: IntCounterVec,
}

impl Metrics {
    /// Registers every metric in a fresh registry.
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("jira_index".into()), None)
            .expect("a constant prefix is valid");
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by route and status"),
            &["route", "status"],
        )
        .expect("valid metric");
        let request_seconds = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency").buckets(
                vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
                ],
            ),
            &["route"],
        )
        .expect("valid metric");
        let auth_failures = IntCounterVec::new(
            Opts::new("auth_failures_total", "Refused requests by reason"),
            &["reason"],
        )
        .expect("valid metric");
        let webhooks = IntCounterVec::new(
            Opts::new("webhooks_total", "Webhooks received by event and outcome"),
            &["event", "outcome"],
        )
        .expect("valid metric");
        let webhook_issues = IntCounterVec::new(
            Opts::new(
                "webhook_issue_updates_total",
                "Issues updated because of webhooks, by result",
            ),
            &["result"],
        )
        .expect("valid metric");
        let sync_runs = IntCounterVec::new(
            Opts::new("sync_runs_total", "Sync runs by trigger and outcome"),
            &["trigger", "outcome"],
        )
        .expect("valid metric");
        let sync_running = IntGauge::new("sync_running", "1 while a sync runs").expect("valid");
        let indexed_chunks =
            IntGauge::new("indexed_chunks", "Chunks in the index after the last sync")
                .expect("valid");
        let verify_leaks = IntGauge::new(
            "verify_leaks",
            "Leaks the last verify-access run found (index shows, Jira denies)",
        )
        .expect("valid");
        let verify_misses = IntGauge::new(
            "verify_misses",
            "Misses the last verify-access run found (Jira allows, index hides)",
        )
        .expect("valid");
        let verify_pairs = IntGauge::new(
            "verify_pairs_checked",
            "(person, issue) pairs the last verify-access run compared",
        )
        .expect("valid");
        let verify_last_run = IntGauge::new(
            "verify_last_run_timestamp_seconds",
            "Start of the last finished verify-access run (Unix seconds)",
        )
        .expect("valid");
        let verify_runs = IntCounterVec::new(
            Opts::new(
                "verify_runs_total",
                "verify-access runs by outcome (agree, leak, miss, error)",
            ),
            &["outcome"],
        )
        .expect("valid metric");
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(request_seconds.clone()),
            Box::new(auth_failures.clone()),
            Box::new(webhooks.clone()),
            Box::new(webhook_issues.clone()),
            Box::new(sync_runs.clone()),
            Box::new(sync_running.clone()),
            Box::new(indexed_chunks.clone()),
            Box::new(verify_leaks.clone()),
            Box::new(verify_misses.clone()),
            Box::new(verify_pairs.clone()),
            Box::new(verify_last_run.clone()),
            Box::new(verify_runs.clone()),
        ] {
            registry
                .register(c)
                .expect("each metric is registered once");
        }
        Self {
            registry,
            requests,
            request_seconds,
            auth_failures,
            webhooks,
            webhook_issues,
            sync_runs,
            sync_running,
            indexed_chunks,
            verify_leaks,
            verify_misses,
            verify_pairs,
            verify_last_run,
            verify_runs,
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buf) {
            tracing::warn!(error = %e, "encoding metrics failed");
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::new();
        m.requests.with_label_values(&["/v1/search", "200"]).inc();
        m.sync_running.set(1);
        let text = m.render();
        assert!(
            text.contains("jira_index_http_requests_total{route=\"/v1/search\",status=\"200\"} 1"),
            "{text}"
        );
        assert!(text.contains("jira_index_sync_running 1"), "{text}");
        m.verify_leaks.set(2);
        assert!(m.render().contains("jira_index_verify_leaks 2"));
    }
}
