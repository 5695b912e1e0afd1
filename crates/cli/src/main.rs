//! `jira-index`: the command-line edge of the project. Parses arguments, sets up
//! logging (stderr; stdout carries results), and calls into the library crates. No
//! logic of its own beyond presentation.

mod demo;
mod output;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use index::{ChunkKind, SearchFilters, SearchMode};

#[derive(Parser)]
#[command(
    name = "jira-index",
    version,
    about = "Permission-exact search over a Jira Cloud site"
)]
struct Cli {
    /// Configuration file.
    #[arg(
        long,
        global = true,
        default_value = "jira-index.toml",
        env = "JIRA_INDEX_CONFIG"
    )]
    config: PathBuf,
    /// More logging on stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the simulator in-process, sync it, and show what three people get for one query.
    Demo {
        /// The query to show.
        #[arg(long, default_value = demo::DEFAULT_QUERY)]
        query: String,
        /// Skip the embedding model (keyword search only).
        #[arg(long)]
        keyword_only: bool,
    },
    /// Serve a simulated Jira Cloud site on loopback.
    Sim {
        /// Workspace size.
        #[arg(long, value_enum, default_value = "skeleton")]
        preset: Preset,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Inject faults: `storm` = 10% 429s (Retry-After 1-2 s), 5% 503s, 1% resets.
        #[arg(long, value_enum, default_value = "none")]
        faults: Faults,
        /// Points budget per hour, reported in RateLimit headers and enforced with 429s.
        #[arg(long)]
        points_per_hour: Option<u64>,
    },
    /// Sync the site named in the config into its data directory.
    Sync {
        /// Re-index every issue, even unchanged ones.
        #[arg(long, conflicts_with = "identity_only")]
        force: bool,
        /// Sync only users, groups, roles, grants and security levels: permission
        /// changes take effect without touching the index.
        #[arg(long)]
        identity_only: bool,
        /// Print the run report as JSON.
        #[arg(long)]
        json: bool,
        /// Stage progress on stderr: bars, JSON lines (one object per update), or off.
        /// `auto`: bars when stderr is a terminal.
        #[arg(long, value_enum, default_value = "auto")]
        progress: ProgressMode,
    },
    /// Search as a person: only what they may open in Jira.
    Search {
        /// Email of the person to search for.
        #[arg(long = "as", value_name = "EMAIL")]
        as_email: String,
        /// One JSON object per hit on stdout.
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[arg(long, value_enum, default_value = "hybrid")]
        mode: Mode,
        /// Only these project keys (repeatable).
        #[arg(long = "project")]
        projects: Vec<String>,
        /// Only these kinds of chunk (repeatable).
        #[arg(long = "kind", value_enum)]
        kinds: Vec<Kind>,
        /// The query.
        #[arg(required = true, num_args = 1..)]
        query: Vec<String>,
    },
    /// Why a person may or may not open an issue: each chunk's three gates and the
    /// grants behind them, decided by the search filter itself.
    Explain {
        /// Email of the person.
        #[arg(long = "as", value_name = "EMAIL")]
        as_email: String,
        /// The explanation as one JSON object.
        #[arg(long)]
        json: bool,
        /// The issue key, e.g. ENG-42.
        key: String,
    },
    /// Self-audit against Jira's own permission check: for sampled people and
    /// indexed issues, ask Jira (`permissions/check`, one call per person per 1,000
    /// issues, needs Administer Jira) and compare with what the index decides. Exit
    /// status 2 when a leak is found (the index shows what Jira denies), 3 when there
    /// are misses but no leak (Jira allows what the index hides), 0 when they agree.
    VerifyAccess {
        /// Most calls to Jira.
        #[arg(long, default_value_t = sync::verify::DEFAULT_MAX_CALLS)]
        max_calls: usize,
        /// Most people to check (default: every active account the budget allows;
        /// a seeded random sample when not all fit).
        #[arg(long)]
        people: Option<usize>,
        /// Issues checked per person (default 1,000: one call each; all indexed
        /// issues when there are fewer).
        #[arg(long)]
        issues: Option<usize>,
        /// Seed of the samples (default: random; the report names it).
        #[arg(long)]
        seed: Option<u64>,
        /// The report as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Sync and indexing filters.
    Filters {
        #[command(subcommand)]
        action: FiltersAction,
    },
    /// The config file: its JSON Schema, and checking a file against it.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Test the connection and report what the account can and cannot read.
    Check {
        #[arg(long)]
        json: bool,
    },
    /// OAuth 2.0 (3LO): authorize the app once and store the refresh token.
    Auth {
        #[command(subcommand)]
        action: AuthAction,
    },
    /// Show the last sync runs and the identity report.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Run the server: HTTP search API, MCP over HTTP (/mcp), webhooks, scheduled
    /// sync, metrics ([serve] in the config). Stops gracefully on Ctrl-C / SIGTERM.
    Serve {
        /// Listen address (default: serve.listen).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// `all`: search, webhooks and syncs in one process (one machine). `search`: a
        /// stateless search replica on the Qdrant cluster and PostgreSQL (no syncs).
        /// `worker`: the sync worker (one active at a time, through a PostgreSQL
        /// advisory lock; a second waits and takes over).
        #[arg(long, default_value = "all")]
        role: serve::Role,
    },
    /// MCP server over stdin/stdout for an AI assistant, answering as one person.
    Mcp {
        /// Email of the person the assistant acts for.
        #[arg(long = "as", value_name = "EMAIL")]
        as_email: String,
    },
    /// API keys for `serve`.
    ApiKey {
        #[command(subcommand)]
        action: ApiKeyAction,
    },
    /// The attachment extraction worker (started by jira-index itself; reads requests
    /// on stdin, answers on stdout).
    #[command(hide = true)]
    ExtractWorker,
}

#[derive(Subcommand)]
enum ApiKeyAction {
    /// Make a new random key: prints the key (give it to the caller, once) and the
    /// [[serve.api_keys]] entry holding only its hash.
    New {
        /// A name for the key (logs, console).
        #[arg(long)]
        name: String,
        /// The person the key searches as.
        #[arg(long)]
        email: Option<String>,
        /// Scopes: search, impersonate, admin, metrics (repeatable; default search).
        #[arg(long = "scope", value_enum)]
        scopes: Vec<KeyScope>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ProgressMode {
    Auto,
    Bars,
    Json,
    Off,
}

#[derive(Clone, Copy, ValueEnum)]
enum KeyScope {
    Search,
    Impersonate,
    Admin,
    Metrics,
}

#[derive(Clone, Copy, ValueEnum)]
enum Preset {
    Skeleton,
    Small,
    Medium,
    Large,
}

#[derive(Subcommand)]
enum FiltersAction {
    /// What the next sync would do under the filters: per project, the issues selected,
    /// fetched and deleted, with chunks, API calls and time (asks Jira, changes nothing).
    Preview {
        /// A candidate config whose filters to preview against the index of --config
        /// (default: --config itself, as edited).
        #[arg(long, value_name = "FILE")]
        with: Option<std::path::PathBuf>,
        /// The preview as one JSON object.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ConfigAction {
    /// Print the config file's JSON Schema (the one `schemas/config.schema.json` holds).
    Schema,
    /// Validate --config against the JSON Schema and the value checks, without
    /// reaching Jira.
    Check,
}

#[derive(Subcommand)]
enum AuthAction {
    /// Print the authorize URL, wait for the redirect on the loopback callback port,
    /// exchange the code and write the token file named in [jira.oauth].
    Login {
        /// Seconds to wait for the browser.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Faults {
    None,
    Storm,
}

#[derive(Clone, Copy, ValueEnum)]
enum Mode {
    Hybrid,
    Keyword,
    Vector,
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Issue,
    Comment,
    Attachment,
}

/// mimalloc: with glibc's malloc a keyword-only sync spent a third of its CPU on
/// allocation churn across threads (`cargo bench --bench sync_large`: 930 → 1,374
/// issues/s).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<()> {
    let cli = Cli::parse();
    if let Command::ExtractWorker = cli.command {
        return extractor::serve_stdio().context("extraction worker");
    }
    // Attachments are extracted in child processes of this same binary, so that a
    // parser that crashes costs one file and not the process.
    if let Ok(exe) = std::env::current_exe() {
        extractor::set_worker_command(exe, vec!["extract-worker".into()]);
    }
    let level = match cli.verbose {
        // qdrant-edge warns about process-wide flags it never needs embedded: quiet it.
        0 => "warn,qdrant_edge=error",
        1 => "info,qdrant_edge=error",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level)),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let json = cli.command.json_output();
    let result = run(cli, &runtime);
    if let Err(e) = &result
        && json
    {
        // `--json` asked for machine-readable output: errors too, with the same
        // stable codes as the HTTP API and MCP.
        output::print_error_json(e);
        std::process::exit(1);
    }
    result
}

impl Command {
    /// Whether the command was asked for JSON output.
    fn json_output(&self) -> bool {
        match self {
            Command::Sync { json, .. }
            | Command::Search { json, .. }
            | Command::Explain { json, .. }
            | Command::VerifyAccess { json, .. }
            | Command::Check { json }
            | Command::Status { json } => *json,
            Command::Filters {
                action: FiltersAction::Preview { json, .. },
            } => *json,
            _ => false,
        }
    }
}

/// Runs the command.
fn run(cli: Cli, runtime: &tokio::runtime::Runtime) -> Result<()> {
    match cli.command {
        Command::Demo {
            query,
            keyword_only,
        } => runtime.block_on(demo::run(&cli.config, &query, keyword_only)),
        Command::Sim {
            preset,
            seed,
            port,
            faults,
            points_per_hour,
        } => {
            let mut faults = match faults {
                Faults::None => jira_sim::faults::FaultConfig::none(),
                Faults::Storm => jira_sim::faults::FaultConfig::storm(seed),
            };
            faults.points_per_window = points_per_hour;
            runtime.block_on(run_sim(preset, seed, port, faults))
        }
        Command::Sync {
            force,
            identity_only,
            json,
            progress,
        } => {
            let cfg = load_config(&cli.config)?;
            if identity_only {
                let report = runtime.block_on(sync::pipeline::run_identity_sync(&cfg))?;
                output::print_report(&report, json);
                return Ok(());
            }
            let embedder = sync::pipeline::load_embedder(&cfg)?;
            // Ctrl-C stops the run at the next batch (what was written is committed;
            // the next run reads the rest); a second Ctrl-C exits at once, which is
            // safe too (the next run resumes).
            let cancel = tokio_util::sync::CancellationToken::new();
            let stopping = cancel.clone();
            runtime.spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    eprintln!("stopping after the current batch (Ctrl-C again to quit now)");
                    stopping.cancel();
                    if tokio::signal::ctrl_c().await.is_ok() {
                        std::process::exit(130);
                    }
                }
            });
            let report = runtime.block_on(sync::run_sync(
                &cfg,
                embedder,
                &sync::SyncOptions {
                    force_reindex: force,
                    progress: progress_sink(progress),
                    cancel: Some(cancel),
                },
            ))?;
            output::print_report(&report, json);
            Ok(())
        }
        Command::Search {
            as_email,
            json,
            limit,
            mode,
            projects,
            kinds,
            query,
        } => {
            let cfg = load_config(&cli.config)?;
            let mode = match mode {
                Mode::Hybrid => SearchMode::Hybrid,
                Mode::Keyword => SearchMode::Keyword,
                Mode::Vector => SearchMode::Vector,
            };
            let embedder = if mode == SearchMode::Keyword {
                None
            } else {
                sync::pipeline::load_embedder(&cfg)?
            };
            let searcher = search::Searcher::open(&cfg, embedder)?;
            let filters = SearchFilters {
                project_keys: projects,
                kinds: kinds
                    .into_iter()
                    .map(|k| match k {
                        Kind::Issue => ChunkKind::Issue,
                        Kind::Comment => ChunkKind::Comment,
                        Kind::Attachment => ChunkKind::Attachment,
                    })
                    .collect(),
                ..Default::default()
            };
            let outcome = searcher.search_as(&as_email, &query.join(" "), limit, mode, filters)?;
            output::print_hits(&outcome, json);
            Ok(())
        }
        Command::Explain {
            as_email,
            json,
            key,
        } => {
            let cfg = load_config(&cli.config)?;
            // The verdict needs stored tags only: no embedder.
            let searcher = search::Searcher::open(&cfg, None)?;
            match searcher.explain_access(&as_email, &key)? {
                Some(access) if json => println!("{}", serde_json::to_string_pretty(&access)?),
                Some(access) => print!("{}", access.render()),
                None => anyhow::bail!(
                    "{key} is not in the index (not synced yet, outside the sync filters, or deleted in Jira)"
                ),
            }
            Ok(())
        }
        Command::VerifyAccess {
            max_calls,
            people,
            issues,
            seed,
            json,
        } => {
            let cfg = load_config(&cli.config)?;
            // The index's decisions need stored tags only: no embedder.
            let searcher = std::sync::Arc::new(search::Searcher::open(&cfg, None)?);
            let opts = sync::verify::VerifyOptions {
                max_calls: Some(max_calls),
                people,
                issues,
                seed,
            };
            let report = runtime.block_on(sync::verify::verify_access(&cfg, searcher, &opts))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.render());
            }
            if report.leaks > 0 {
                std::process::exit(2);
            }
            if report.misses > 0 {
                std::process::exit(3);
            }
            Ok(())
        }
        Command::Config {
            action: ConfigAction::Schema,
        } => {
            println!(
                "{}",
                serde_json::to_string_pretty(&config::editable::schema())?
            );
            Ok(())
        }
        Command::Config {
            action: ConfigAction::Check,
        } => {
            let text = std::fs::read_to_string(&cli.config)
                .with_context(|| format!("reading {}", cli.config.display()))?;
            config::editable::validate_text(&text)
                .with_context(|| format!("{} is not valid", cli.config.display()))?;
            println!("{} is valid.", cli.config.display());
            Ok(())
        }
        Command::Check { json } => {
            let cfg = load_config(&cli.config)?;
            let report = runtime.block_on(sync::check::run_check(&cfg))?;
            output::print_check(&report, json)?;
            if !report.ready() {
                std::process::exit(2);
            }
            Ok(())
        }
        Command::Filters {
            action: FiltersAction::Preview { with, json },
        } => {
            let current = load_config(&cli.config)?;
            let candidate = match with {
                Some(path) => load_config(&path)?,
                None => current.clone(),
            };
            let preview = runtime.block_on(sync::preview::preview_filters(&current, &candidate))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&preview)?);
            } else {
                print!("{}", preview.render());
            }
            Ok(())
        }
        Command::Auth {
            action: AuthAction::Login { timeout },
        } => {
            let cfg = load_config(&cli.config)?;
            let file = runtime.block_on(sync::credentials::login(
                &cfg,
                |url| {
                    println!("Open this URL in a browser and approve jira-index:\n\n  {url}\n");
                    println!("Waiting for the redirect to the loopback callback...");
                },
                std::time::Duration::from_secs(timeout),
            ))?;
            println!(
                "Authorized for {} (cloud id {}); the refresh token is stored in the token file.",
                file.site_url, file.cloud_id
            );
            Ok(())
        }
        Command::Status { json } => {
            let cfg = load_config(&cli.config)?;
            output::print_status(&cfg, json)
        }
        Command::Serve { listen, role } => {
            let cfg = load_config(&cli.config)?;
            let embedder = sync::pipeline::load_embedder(&cfg)?;
            runtime.block_on(async move {
                let server = serve::start_with_role(cfg, embedder, listen, role).await?;
                eprintln!(
                    "jira-index serving on http://{} (role {})",
                    server.addr,
                    role.name()
                );
                let stop = server.cancel_token();
                tokio::spawn(async move {
                    shutdown_signal().await;
                    eprintln!("shutting down");
                    stop.cancel();
                });
                server.wait().await?;
                Ok::<(), anyhow::Error>(())
            })
        }
        Command::Mcp { as_email } => {
            let cfg = load_config(&cli.config)?;
            let embedder = sync::pipeline::load_embedder(&cfg)?;
            let searcher = search::Searcher::open(&cfg, embedder)?;
            let slot = std::sync::Arc::new(serve::runner::SearcherSlot::with(searcher));
            let tools = serve::mcp::JiraTools::new(slot, Some(as_email));
            runtime.block_on(serve::mcp::serve_stdio(tools))?;
            Ok(())
        }
        Command::ExtractWorker => unreachable!("handled before the runtime starts"),
        Command::ApiKey {
            action:
                ApiKeyAction::New {
                    name,
                    email,
                    scopes,
                },
        } => {
            let key = serve::auth::new_key();
            let scopes: Vec<&str> = if scopes.is_empty() {
                vec!["search"]
            } else {
                scopes
                    .iter()
                    .map(|s| match s {
                        KeyScope::Search => "search",
                        KeyScope::Impersonate => "impersonate",
                        KeyScope::Admin => "admin",
                        KeyScope::Metrics => "metrics",
                    })
                    .collect()
            };
            println!("key (shown once; give it to the caller): {key}\n");
            println!(
                "[[serve.api_keys]]\nname = {name:?}\nsha256 = {:?}",
                serve::auth::key_hash(&key)
            );
            if let Some(e) = email {
                println!("email = {e:?}");
            }
            println!("scopes = {scopes:?}");
            Ok(())
        }
    }
}

/// Stage progress on stderr, as the user asked.
fn progress_sink(mode: ProgressMode) -> Option<sync::progress::ProgressSink> {
    use std::io::IsTerminal;
    let bars = match mode {
        ProgressMode::Off => return None,
        ProgressMode::Json => false,
        ProgressMode::Bars => true,
        ProgressMode::Auto => {
            if !std::io::stderr().is_terminal() {
                return None;
            }
            true
        }
    };
    if bars {
        Some(output::progress_bars())
    } else {
        Some(output::progress_json())
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

fn load_config(path: &std::path::Path) -> Result<config::Config> {
    config::Config::load(path).with_context(|| {
        format!(
            "loading {} (run `jira-index demo` to create one, or pass --config)",
            path.display()
        )
    })
}

async fn run_sim(
    preset: Preset,
    seed: u64,
    port: u16,
    faults: jira_sim::faults::FaultConfig,
) -> Result<()> {
    use jira_sim::generate::{GenConfig, generate};
    let gen_cfg = match preset {
        Preset::Skeleton => GenConfig::skeleton(seed),
        Preset::Small => GenConfig::small(seed),
        Preset::Medium => GenConfig::medium(seed),
        Preset::Large => GenConfig::large(seed),
    };
    let started = std::time::Instant::now();
    let ws = generate(&gen_cfg);
    let (email, token, issues) = (
        ws.admin_email.clone(),
        ws.admin_api_token.clone(),
        ws.issues.len(),
    );
    let options = jira_sim::SimOptions {
        faults,
        ..Default::default()
    };
    let handle = jira_sim::start_with(ws, ([127, 0, 0, 1], port).into(), options)
        .await
        .with_context(|| format!("starting the simulator on port {port}"))?;
    println!(
        "jira-sim serving {issues} issues (generated in {:.1?})",
        started.elapsed()
    );
    println!("base URL:  {}", handle.base_url);
    println!("email:     {email}");
    println!("API token: {token}   (a simulator credential, not a secret)");
    let oauth = handle.oauth_config();
    println!(
        "OAuth:     client_id {} / client_secret {} (simulator credentials); authorize at {}/authorize, token at {}/oauth/token, API at {}",
        oauth.client_id,
        oauth.client_secret,
        handle.base_url,
        handle.base_url,
        handle.gateway_url()
    );
    println!(
        "admin:     POST {}/_sim/mutate, GET {}/_sim/requests, PUT {}/_sim/faults",
        handle.base_url, handle.base_url, handle.base_url
    );
    println!("Ctrl-C to stop.");
    tokio::signal::ctrl_c().await.ok();
    handle.shutdown().await;
    Ok(())
}
