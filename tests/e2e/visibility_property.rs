//! Property test of the first promise, end to end: random workspaces (random grants of
//! every holder type, group and role memberships, security levels, restricted
//! comments, team-managed restrictions, custom-field grants, hidden emails with and
//! without a mapping line, inactive users, archived projects) are served by the
//! simulator, synced over HTTP into a real index, and searched as random people with
//! random words of the corpus. Every (person, query) pair must return nothing the
//! simulator's oracle says the person cannot see, and every visible issue that
//! contains the word (the limit is above the corpus size).
//!
//! The oracle (`jira_sim::oracle`) implements Jira's rules on the simulator's own data
//! model; it shares no code with `access`.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use index::{ChunkKind, SearchFilters, SearchMode};
use jira_index_tests::start_workspace;
use jira_sim::generate::{CF_GROUP_PICKER, CF_USER_PICKER, GenConfig, generate};
use jira_sim::model::{CommentVisibility, Holder, RoleActor, Workspace};
use jira_sim::mutate::IssueUpdate;
use jira_sim::{MARKER_IN_COMMENT, MARKER_IN_DESCRIPTION};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Workspaces generated; pairs per workspace. 4 × 260 > 1,000 pairs.
const WORKSPACES: u64 = 4;
const PAIRS_PER_WORKSPACE: usize = 260;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_people_and_queries_see_exactly_what_jira_shows() {
    let mut pairs = 0usize;
    let mut nonempty = 0usize;
    let mut denied_somewhere = 0usize;
    for case in 0..WORKSPACES {
        let (p, n, d) = check_workspace(1_000 + case).await;
        pairs += p;
        nonempty += n;
        denied_somewhere += d;
    }
    assert!(pairs >= 1_000, "{pairs} pairs checked");
    // The test is only worth something if results are not trivially empty and the
    // workspaces really deny people things.
    assert!(
        nonempty >= pairs / 3,
        "only {nonempty} of {pairs} pairs had results"
    );
    println!(
        "{pairs} pairs: {nonempty} with results, {denied_somewhere} where the admin finds more"
    );
    assert!(
        denied_somewhere >= pairs / 20,
        "only {denied_somewhere} of {pairs} pairs had a matching issue the person may not see"
    );
}

/// Generates, mutates, syncs and checks one workspace; returns (pairs, pairs with
/// results, pairs where the oracle hides some matching issue).
async fn check_workspace(seed: u64) -> (usize, usize, usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let gen_cfg = GenConfig {
        seed,
        projects: rng.gen_range(6..=18),
        users: rng.gen_range(14..=40),
        groups: rng.gen_range(6..=12),
        issues: rng.gen_range(150..=260),
        comments_per_issue: 2,
        long_comment_threads: rng.gen_range(0..=2),
    };
    let mut ws = generate(&gen_cfg);
    let log = randomize(&mut ws, &mut rng);

    // A mapping line for every other person whose email Jira hides.
    let tmp = tempfile::tempdir().unwrap();
    let mut mapping = String::new();
    let mut mapped: BTreeSet<String> = BTreeSet::new();
    for (i, u) in ws
        .users
        .iter()
        .filter(|u| !u.email_visible && u.account_type == "atlassian")
        .enumerate()
    {
        if i % 2 == 0 {
            writeln!(mapping, "{:?} = {:?}", u.email, u.account_id).unwrap();
            mapped.insert(u.account_id.clone());
        }
    }
    let mapping_file = tmp.path().join("mapping.toml");
    std::fs::write(&mapping_file, &mapping).unwrap();
    let extra = format!(
        "[identity]\nemail_mapping_file = {:?}\n",
        mapping_file.display().to_string()
    );
    let site = start_workspace(ws.clone(), &tmp.path().join("data"), false, &extra)
        .await
        .unwrap();
    let report = sync::run_sync(&site.config, None, &Default::default())
        .await
        .unwrap();
    assert_eq!(
        site.unexpected_errors(&report.run.errors),
        Vec::<String>::new(),
        "seed {seed}"
    );
    let searcher = search::Searcher::open(&site.config, None).unwrap();

    let vocabulary = vocabulary(&ws);
    let callers: Vec<(String, String)> = ws
        .users
        .iter()
        .filter(|u| u.account_type == "atlassian")
        .map(|u| {
            // Who Jira would take the caller to be: a hidden email matches only through
            // a mapping line; otherwise the caller is anonymous.
            let account = if u.email_visible || mapped.contains(&u.account_id) {
                u.account_id.clone()
            } else {
                String::new()
            };
            (u.email.clone(), account)
        })
        .chain([("stranger@elsewhere.example".to_string(), String::new())])
        .collect();

    let (mut nonempty, mut denied) = (0, 0);
    for pair in 0..PAIRS_PER_WORKSPACE {
        let (email, account) = callers.choose(&mut rng).unwrap();
        let term = vocabulary.choose(&mut rng).unwrap();
        let context = || format!("seed {seed}, pair {pair}: {email} searching {term:?}\n{log}");
        let hits = searcher
            .search_as(
                email,
                term,
                100_000,
                SearchMode::Keyword,
                SearchFilters::default(),
            )
            .unwrap()
            .hits;
        // No leaks: each hit's issue is visible, and a comment hit's comment is too.
        for hit in &hits {
            assert!(
                ws.can_see_issue(account, &hit.issue_id),
                "LEAK: {} ({:?}) returned; {}",
                hit.issue_key,
                hit.kind,
                context()
            );
            if hit.kind == ChunkKind::Comment {
                let comment_id = hit.chunk_id.split(':').nth(1).unwrap();
                assert!(
                    ws.can_see_comment(account, comment_id),
                    "LEAK: restricted comment {comment_id} on {}; {}",
                    hit.issue_key,
                    context()
                );
            }
        }
        // Nothing lost: every visible issue whose visible text has the word is found.
        let got: BTreeSet<String> = hits.into_iter().map(|h| h.issue_key).collect();
        let expected = ws.issues_matching(account, term);
        let missing: Vec<_> = expected.difference(&got).collect();
        assert!(missing.is_empty(), "LOST {missing:?}; {}", context());
        if !got.is_empty() {
            nonempty += 1;
        }
        if ws.issues_matching(&ws.admin_account_id, term).len() > expected.len() {
            denied += 1;
        }
    }
    site.handle.shutdown().await;
    (PAIRS_PER_WORKSPACE, nonempty, denied)
}

/// Words to search for: the planted markers and words of summaries, descriptions and
/// comments (restricted ones included, so that their leaks would show).
fn vocabulary(ws: &Workspace) -> Vec<String> {
    let mut words: BTreeSet<String> = BTreeSet::new();
    let texts = ws.issues.iter().flat_map(|i| {
        [i.summary.as_str(), i.description_text.as_str()]
            .into_iter()
            .chain(i.comments.iter().map(|c| c.body_text.as_str()))
    });
    for text in texts {
        for w in text.split(|c: char| !c.is_alphanumeric()) {
            if w.len() >= 4 && w.chars().all(|c| c.is_ascii_alphabetic()) {
                words.insert(w.to_lowercase());
            }
        }
    }
    let mut out: Vec<String> = words.into_iter().collect();
    // The markers are rare and mostly behind restrictions: weight them up.
    for _ in 0..out.len() / 10 {
        out.push(MARKER_IN_DESCRIPTION.to_string());
        out.push(MARKER_IN_COMMENT.to_string());
    }
    out
}

/// Random permission changes through the simulator's mutation API; returns a log of
/// them for failure messages.
fn randomize(ws: &mut Workspace, rng: &mut ChaCha8Rng) -> String {
    let mut log = String::from("mutations:\n");
    let accounts: Vec<String> = ws
        .users
        .iter()
        .filter(|u| u.account_id != ws.admin_account_id)
        .map(|u| u.account_id.clone())
        .collect();
    let group_ids: Vec<String> = ws.groups.iter().map(|g| g.group_id.clone()).collect();
    let role_ids: Vec<String> = ws.project_roles.iter().map(|r| r.id.clone()).collect();
    let classic: Vec<String> = ws
        .projects
        .iter()
        .filter(|p| p.permission_scheme_id.is_some())
        .map(|p| p.key.clone())
        .collect();
    let all_projects: Vec<String> = ws.projects.iter().map(|p| p.key.clone()).collect();

    // Group memberships.
    for _ in 0..rng.gen_range(4..12) {
        let g = group_ids.choose(rng).unwrap().clone();
        let a = accounts.choose(rng).unwrap().clone();
        if rng.gen_bool(0.5) {
            ws.add_group_member(&g, &a).unwrap();
            writeln!(log, "  add {a} to group {g}").unwrap();
        } else if let Some(m) = ws
            .groups
            .iter()
            .find(|x| x.group_id == g)
            .and_then(|x| x.members.choose(rng).cloned())
        {
            ws.remove_group_member(&g, &m).unwrap();
            writeln!(log, "  remove {m} from group {g}").unwrap();
        }
    }
    // Grants of every holder type, added and removed.
    for _ in 0..rng.gen_range(3..10) {
        let Some(p) = classic.choose(rng).cloned() else {
            break;
        };
        let holder = random_holder(rng, &accounts, &group_ids, &role_ids);
        if rng.gen_bool(0.7) {
            ws.add_browse_grant(&p, holder.clone()).unwrap();
            writeln!(log, "  grant BROWSE on {p} to {holder:?}").unwrap();
        } else {
            let scheme = ws
                .projects
                .iter()
                .find(|x| x.key == p)
                .and_then(|x| x.permission_scheme_id.clone());
            let existing = ws
                .permission_schemes
                .iter()
                .find(|s| Some(&s.id) == scheme.as_ref())
                .and_then(|s| s.grants.choose(rng).map(|g| g.holder.clone()));
            if let Some(h) = existing {
                ws.remove_browse_grant(&p, &h).unwrap();
                writeln!(log, "  revoke BROWSE on {p} from {h:?}").unwrap();
            }
        }
    }
    // Project role actors.
    for _ in 0..rng.gen_range(3..10) {
        let p = all_projects.choose(rng).unwrap().clone();
        let r = role_ids.choose(rng).unwrap().clone();
        let actor = if rng.gen_bool(0.5) {
            RoleActor::User {
                account_id: accounts.choose(rng).unwrap().clone(),
            }
        } else {
            RoleActor::Group {
                group_id: group_ids.choose(rng).unwrap().clone(),
            }
        };
        if rng.gen_bool(0.7) {
            ws.add_role_actor(&p, &r, actor.clone()).unwrap();
            writeln!(log, "  role {r} on {p} += {actor:?}").unwrap();
        } else {
            ws.remove_role_actor(&p, &r, &actor).unwrap();
            writeln!(log, "  role {r} on {p} -= {actor:?}").unwrap();
        }
    }
    // Restricted comments (and some restrictions lifted).
    let comment_ids: Vec<String> = ws
        .issues
        .iter()
        .flat_map(|i| i.comments.iter().map(|c| c.id.clone()))
        .collect();
    for c in comment_ids.choose_multiple(rng, comment_ids.len() / 6) {
        let visibility = match rng.gen_range(0..3) {
            0 => None,
            1 => {
                let g = ws.groups.choose(rng).unwrap();
                Some(CommentVisibility::Group {
                    group_id: g.group_id.clone(),
                    name: g.name.clone(),
                })
            }
            _ => {
                let r = ws.project_roles.choose(rng).unwrap();
                Some(CommentVisibility::Role {
                    role_id: r.id.clone(),
                    name: r.name.clone(),
                })
            }
        };
        writeln!(log, "  comment {c} visibility {visibility:?}").unwrap();
        ws.restrict_comment(c, visibility).unwrap();
    }
    // Security levels, team-managed restrictions, picker custom fields.
    let issue_keys: Vec<String> = ws.issues.iter().map(|i| i.key.clone()).collect();
    for key in issue_keys.choose_multiple(rng, issue_keys.len() / 5) {
        let issue = ws.issues.iter().find(|i| &i.key == key).unwrap();
        let project = ws
            .projects
            .iter()
            .find(|p| p.id == issue.project_id)
            .unwrap()
            .clone();
        let mut change = IssueUpdate::default();
        if let Some(scheme) = ws
            .security_schemes
            .iter()
            .find(|s| Some(&s.id) == project.security_scheme_id.as_ref())
        {
            let level = if rng.gen_bool(0.3) {
                None
            } else {
                scheme.levels.choose(rng).map(|l| l.id.clone())
            };
            change.security_level_id = Some(level);
        }
        if project.access_level.is_some() {
            let n = rng.gen_range(0..=2);
            change.restricted_to_role_ids =
                Some(role_ids.choose_multiple(rng, n).cloned().collect());
        }
        if rng.gen_bool(0.3) {
            let n = rng.gen_range(0..=2);
            change.user_custom_field = Some((
                CF_USER_PICKER.to_string(),
                accounts.choose_multiple(rng, n).cloned().collect(),
            ));
            change.group_custom_field = Some((
                CF_GROUP_PICKER.to_string(),
                group_ids.choose_multiple(rng, n).cloned().collect(),
            ));
        }
        if rng.gen_bool(0.3) {
            change.assignee_account_id = Some(accounts.choose(rng).cloned());
        }
        writeln!(log, "  issue {key}: {change:?}").unwrap();
        ws.update_issue(key, change).unwrap();
    }
    // People: hidden emails, deactivations; an archived project now and then.
    for a in accounts.choose_multiple(rng, 2) {
        ws.hide_email(a).unwrap();
        writeln!(log, "  hide email of {a}").unwrap();
    }
    let gone = accounts.choose(rng).unwrap().clone();
    ws.set_user_active(&gone, false).unwrap();
    writeln!(log, "  deactivate {gone}").unwrap();
    if rng.gen_bool(0.5) {
        let p = all_projects.choose(rng).unwrap().clone();
        ws.set_project_archived(&p, true).unwrap();
        writeln!(log, "  archive {p}").unwrap();
    }
    log
}

fn random_holder(
    rng: &mut ChaCha8Rng,
    accounts: &[String],
    groups: &[String],
    roles: &[String],
) -> Holder {
    match rng.gen_range(0..10) {
        0 => Holder::Anyone,
        1 => Holder::ApplicationRole {
            key: [None, Some("jira-software"), Some("jira-servicedesk")]
                .choose(rng)
                .unwrap()
                .map(str::to_string),
        },
        2 | 3 => Holder::Group {
            group_id: groups.choose(rng).unwrap().clone(),
        },
        4 => Holder::User {
            account_id: accounts.choose(rng).unwrap().clone(),
        },
        5 => Holder::ProjectRole {
            role_id: roles.choose(rng).unwrap().clone(),
        },
        6 => Holder::ProjectLead,
        7 => Holder::Reporter,
        8 => Holder::Assignee,
        _ => {
            if rng.gen_bool(0.5) {
                Holder::UserCustomField {
                    field_id: CF_USER_PICKER.into(),
                }
            } else {
                Holder::GroupCustomField {
                    field_id: CF_GROUP_PICKER.into(),
                }
            }
        }
    }
}
