//! `jira-index demo`: starts the simulator in-process, syncs it into `jira-index-data/`
//! next to the config file, and shows what three different people get for one query
//! and why. It leaves the config (`jira-index.toml`) and the data behind, so a
//! newcomer can go on with `search` and `status`.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result};
use index::{SearchFilters, SearchMode};
use jira_sim::generate::{GenConfig, generate};

use crate::output::{kind_name, truncate};

pub const DEFAULT_QUERY: &str = "database migration failing";
const SEED: u64 = 42;

/// The first line of the config the demo writes.
const MARK: &str = "# Written by `jira-index demo`";

pub async fn run(config_path: &Path, query: &str, keyword_only: bool) -> Result<()> {
    let started = std::time::Instant::now();
    // A previous demo's data belongs to a simulator that is gone (and may come from
    // another version): start clean. Only a directory the demo's own config names.
    let previous = std::fs::read_to_string(config_path).unwrap_or_default();
    let data = config_path
        .parent()
        .unwrap_or(Path::new("."))
        .join("jira-index-data");
    if previous.starts_with(MARK) && data.exists() {
        std::fs::remove_dir_all(&data)
            .with_context(|| format!("removing the previous demo's {}", data.display()))?;
    }
    let ws = generate(&GenConfig::skeleton(SEED));
    let people = pick_people(&ws);
    let (email, token) = (ws.admin_email.clone(), ws.admin_api_token.clone());
    let handle = jira_sim::server::start(ws, ([127, 0, 0, 1], 0).into())
        .await
        .context("starting the simulator")?;
    println!("1. Simulated Jira Cloud site at {}", handle.base_url);

    let text = format!(
        "{MARK}: a simulated site (seed {SEED}) that ran in-process.\n\
         # The simulator is gone when the demo ends; `jira-index search` and `status` work on\n\
         # the data it left. To sync again, run `jira-index sim --port 8080` and point\n\
         # base_url at it.\n\n\
         [jira]\nbase_url = {:?}\nemail = {email:?}\n\
         # a simulator credential, not a secret; real sites use api_token_env\n\
         api_token = {token:?}\n\n[data]\ndir = \"jira-index-data\"\n\n[embedding]\nenabled = {}\n",
        handle.base_url, !keyword_only
    );
    std::fs::write(config_path, text)
        .with_context(|| format!("writing {}", config_path.display()))?;
    let cfg = config::Config::load(config_path)?;
    println!("   config written to {}", config_path.display());

    let load_cfg = cfg.clone();
    let embedder =
        tokio::task::spawn_blocking(move || sync::pipeline::load_embedder(&load_cfg)).await??;
    if embedder.is_some() {
        let cache = cfg
            .embedding
            .cache_dir
            .clone()
            .unwrap_or_else(index::default_cache_dir);
        println!(
            "2. Embedding model loaded (all-MiniLM-L6-v2 int8, cached in {})",
            cache.display()
        );
    } else {
        println!("2. Keyword-only mode: no embedding model");
    }
    let report = sync::run_sync(&cfg, embedder.clone(), &sync::SyncOptions::default()).await?;
    let r = &report.run;
    println!(
        "3. Synced {} issues into {} chunks in {:.1} s ({} API calls, {} errors)",
        r.issues_seen,
        report.chunk_count,
        (r.finished_ms - r.started_ms) as f64 / 1000.0,
        r.api_calls,
        r.errors.len()
    );
    handle.shutdown().await;

    let searcher = search::Searcher::open(&cfg, embedder.clone())?;
    let mode = if embedder.is_some() {
        SearchMode::Hybrid
    } else {
        SearchMode::Keyword
    };
    println!("\n4. The same query, three people: {query:?}\n");
    let mut result_sets = Vec::new();
    for person in &people {
        let top = SearchFilters {
            collapse_by_issue: true,
            ..SearchFilters::default()
        };
        let outcome = searcher.search_as(&person.email, query, 5, mode, top)?;
        println!(
            "── {} <{}> — {}",
            person.label, person.email, outcome.identity
        );
        for line in explain_reach(&searcher, &person.email) {
            println!("   {line}");
        }
        // Vector search ranks every readable chunk; count the issues whose text has
        // the query's words (keyword side) to show how much each person can reach.
        let all = searcher.search_as(
            &person.email,
            query,
            10_000,
            SearchMode::Keyword,
            SearchFilters::default(),
        )?;
        let keys: BTreeSet<String> = all.hits.iter().map(|h| h.issue_key.clone()).collect();
        println!(
            "   {} readable issues contain these words; top {} by hybrid rank:",
            keys.len(),
            outcome.hits.len().min(5)
        );
        for hit in &outcome.hits {
            println!(
                "     {:<9} [{}] {}",
                hit.issue_key,
                kind_name(hit.kind),
                truncate(&hit.title, 70)
            );
        }
        if outcome.hits.is_empty() {
            println!("     (nothing)");
        }
        println!();
        result_sets.push(keys);
    }
    let differ = result_sets.windows(2).any(|w| w[0] != w[1]);
    println!(
        "They differ because each chunk carries its issue's project, security-level and\n\
         comment restrictions as tags, and each person holds only the tags their Jira\n\
         groups, roles and grants give them. {}",
        if differ {
            ""
        } else {
            "(Here they happen to agree.)"
        }
    );
    println!(
        "\nDone in {:.1} s. Try: jira-index search --as {} \"{}\"",
        started.elapsed().as_secs_f64(),
        people
            .first()
            .map(|p| p.email.as_str())
            .unwrap_or("someone@example.com"),
        query
    );
    Ok(())
}

struct Person {
    label: String,
    email: String,
}

/// Three people who see different parts of the site: the active person who sees the
/// most, the active person whose view differs most from theirs, and a person whose
/// email Jira hides (who is searched for as anonymous until an admin maps them).
fn pick_people(ws: &jira_sim::model::Workspace) -> Vec<Person> {
    let candidates: Vec<_> = ws
        .users
        .iter()
        .filter(|u| {
            u.active
                && u.email_visible
                && u.account_type == "atlassian"
                && u.email != ws.admin_email
        })
        .map(|u| (u, ws.visible_issue_keys(&u.account_id)))
        .collect();
    let mut people = Vec::new();
    let Some((first, first_set)) = candidates.iter().max_by_key(|(_, s)| s.len()) else {
        return people;
    };
    people.push(Person {
        label: format!("{} (sees the most)", first.display_name),
        email: first.email.clone(),
    });
    if let Some((second, _)) = candidates
        .iter()
        .filter(|(u, s)| u.account_id != first.account_id && !s.is_empty())
        .min_by_key(|(_, s)| s.intersection(first_set).count() * 1000 / s.len().max(1))
    {
        people.push(Person {
            label: format!("{} (a different team)", second.display_name),
            email: second.email.clone(),
        });
    }
    if let Some(hidden) = ws.users.iter().find(|u| !u.email_visible && u.active) {
        people.push(Person {
            label: format!("{} (email hidden by Jira)", hidden.display_name),
            email: hidden.email.clone(),
        });
    }
    people
}

/// Which projects a person can browse and which tags give it, from the principal set
/// the search itself uses.
fn explain_reach(searcher: &search::Searcher, email: &str) -> Vec<String> {
    let principals = searcher.principals(email);
    let dir = searcher.directory();
    let tags = principals.tags();
    if tags.is_empty() {
        return vec!["holds no tags: sees nothing".into()];
    }
    let projects: Vec<String> = dir
        .projects
        .iter()
        .filter(|p| tags.contains(&format!("p:{}", p.id)))
        .map(|p| p.key.clone())
        .collect();
    let groups: Vec<String> = dir
        .groups
        .iter()
        .filter(|g| tags.contains(&format!("g:{}", g.group_id)))
        .map(|g| g.name.clone())
        .collect();
    let levels: Vec<String> = dir
        .security_levels
        .iter()
        .filter(|l| tags.contains(&format!("sl:{}:{}", l.level_id, l.project_id)))
        .map(|l| l.name.clone())
        .collect();
    vec![
        format!(
            "browses projects: {}",
            if projects.is_empty() {
                "none".into()
            } else {
                projects.join(", ")
            }
        ),
        format!(
            "groups: {}; security levels: {}",
            if groups.is_empty() {
                "none".into()
            } else {
                groups.join(", ")
            },
            if levels.is_empty() {
                "none".into()
            } else {
                levels.join(", ")
            }
        ),
    ]
}
