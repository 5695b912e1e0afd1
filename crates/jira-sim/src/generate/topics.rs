//! The topics issue text is written about: for each, its components, symptoms,
//! features, code snippets and labels.

/// What the text of an issue is about.
pub(super) struct Topic {
    pub(super) components: &'static [&'static str],
    pub(super) symptoms: &'static [&'static str],
    pub(super) features: &'static [&'static str],
    pub(super) code: &'static [&'static str],
    pub(super) labels: &'static [&'static str],
}

pub(super) const TOPICS: [Topic; 10] = [
    Topic {
        components: &[
            "payment gateway",
            "card authorization",
            "refund flow",
            "checkout page",
            "currency conversion",
            "chargeback handler",
        ],
        symptoms: &[
            "returns duplicate charges",
            "times out under load",
            "rejects valid cards",
            "rounds amounts incorrectly",
        ],
        features: &[
            "retry with idempotency keys",
            "support for partial refunds",
            "a payment audit trail",
        ],
        code: &[
            "POST /v1/payments 502 Bad Gateway (upstream timeout after 30000 ms)",
            "ERROR PaymentService: idempotency key already used",
        ],
        labels: &["payments", "checkout"],
    },
    Topic {
        components: &[
            "login page",
            "SSO redirect",
            "password reset",
            "two-factor prompt",
            "session cookie",
            "OAuth callback",
        ],
        symptoms: &[
            "loops back to the start page",
            "logs users out after a minute",
            "shows a blank screen",
            "ignores the remember me option",
        ],
        features: &[
            "passkey sign in",
            "a clearer lockout message",
            "rate limiting on failed attempts",
        ],
        code: &[
            "WARN AuthFilter: session token expired for request /dashboard",
            "HTTP 302 Location: /login?next=%2Flogin",
        ],
        labels: &["login", "auth"],
    },
    Topic {
        components: &[
            "search results",
            "relevance ranking",
            "autocomplete",
            "search index",
            "query parser",
            "facet filters",
        ],
        symptoms: &[
            "returns stale documents",
            "ranks old tickets first",
            "crashes on quotes",
            "misses exact title matches",
        ],
        features: &[
            "typo tolerance",
            "highlighting of matched words",
            "filters by date range",
        ],
        code: &[
            "QueryParseError: unexpected token '\"' at position 14",
            "GET /search?q=refund&page=2 took 4120 ms",
        ],
        labels: &["search"],
    },
    Topic {
        components: &[
            "deploy pipeline",
            "canary release",
            "build agent",
            "Helm chart",
            "rollback script",
            "artifact cache",
        ],
        symptoms: &[
            "fails on the integration stage",
            "hangs while pulling images",
            "deploys the wrong tag",
            "skips the smoke tests",
        ],
        features: &[
            "automatic rollback on error budget burn",
            "parallel test shards",
            "signed build artifacts",
        ],
        code: &[
            "Error: UPGRADE FAILED: timed out waiting for the condition",
            "step 7/12 exited with code 137 (out of memory)",
        ],
        labels: &["deploy", "ci"],
    },
    Topic {
        components: &[
            "database migration",
            "schema change",
            "read replica",
            "connection pool",
            "index rebuild",
            "nightly backup job",
        ],
        symptoms: &[
            "locks the orders table",
            "exhausts connections",
            "lags behind the primary",
            "runs for hours",
        ],
        features: &[
            "online schema changes",
            "a dry run mode",
            "point in time recovery checks",
        ],
        code: &[
            "ALTER TABLE invoices ADD COLUMN due_date DATE NOT NULL;",
            "FATAL: remaining connection slots are reserved",
        ],
        labels: &["database", "migration"],
    },
    Topic {
        components: &[
            "invoice PDF",
            "tax calculation",
            "billing cycle",
            "invoice email",
            "credit note",
            "dunning reminder",
        ],
        symptoms: &[
            "shows the wrong VAT rate",
            "is sent twice",
            "uses the old company address",
            "is missing line items",
        ],
        features: &[
            "multi currency invoices",
            "bulk invoice export",
            "custom invoice numbering",
        ],
        code: &[
            "InvoiceRenderer: font 'Inter' not found, falling back",
            "tax_rate=0.19 expected=0.07 country=DE",
        ],
        labels: &["invoices", "billing"],
    },
    Topic {
        components: &[
            "onboarding checklist",
            "welcome email",
            "laptop provisioning",
            "account setup",
            "training plan",
            "buddy program",
        ],
        symptoms: &[
            "is missing for new hires",
            "arrives after the first day",
            "assigns the wrong manager",
            "skips the security training",
        ],
        features: &[
            "a self service onboarding portal",
            "automatic account creation",
            "a first week schedule",
        ],
        code: &[
            "provisioning: group 'new-hires' not found in directory",
            "cron onboarding-reminder exited 1",
        ],
        labels: &["onboarding", "people"],
    },
    Topic {
        components: &[
            "notification service",
            "push notifications",
            "email digest",
            "webhook delivery",
            "in app banner",
            "SMS gateway",
        ],
        symptoms: &[
            "delivers messages twice",
            "drops events during deploys",
            "ignores user preferences",
            "is delayed by hours",
        ],
        features: &[
            "per channel preferences",
            "delivery receipts",
            "a quiet hours setting",
        ],
        code: &[
            "webhook delivery failed: 410 Gone from subscriber",
            "queue depth 48211 exceeds threshold 10000",
        ],
        labels: &["notifications"],
    },
    Topic {
        components: &[
            "reporting dashboard",
            "CSV export",
            "usage metrics",
            "sales report",
            "chart widget",
            "data warehouse sync",
        ],
        symptoms: &[
            "shows yesterday's numbers",
            "exports empty files",
            "double counts refunds",
            "renders slowly",
        ],
        features: &[
            "scheduled report emails",
            "drill down by region",
            "a shareable dashboard link",
        ],
        code: &[
            "SELECT region, sum(amount) FROM sales GROUP BY region;",
            "export job 8812 produced 0 rows",
        ],
        labels: &["reporting", "analytics"],
    },
    Topic {
        components: &[
            "mobile app",
            "offline mode",
            "image upload",
            "settings screen",
            "deep links",
            "app store release",
        ],
        symptoms: &[
            "crashes on startup",
            "loses drafts when offline",
            "drains the battery",
            "opens the wrong screen",
        ],
        features: &["dark mode", "biometric unlock", "background sync"],
        code: &[
            "java.lang.NullPointerException at SettingsFragment.onResume(SettingsFragment.kt:88)",
            "Thread 1: Fatal error: Unexpectedly found nil",
        ],
        labels: &["mobile"],
    },
];
