//! Scale check: principal sets for users of a site with 1,000 projects, 10,000 groups
//! and 20,000 users are right (scan, index, email and cache agree). Timings are
//! printed for information only; the speed target lives in
//! `cargo bench -p access --bench principals`.

use std::time::{Duration, Instant};

use access::*;

/// A small deterministic generator (no `rand` dependency needed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

fn acc(i: usize) -> String {
    format!("557058:{i:08x}-0000-4000-8000-{i:012x}")
}

fn big_directory() -> Directory {
    let mut rng = Lcg(42);
    let n_users = 20_000;
    let n_groups = 10_000;
    let n_projects = 1_000;
    let users = (0..n_users)
        .map(|i| DirUser {
            account_id: acc(i),
            email: Some(format!("user{i}@example.com")),
            display_name: format!("User {i}"),
            active: i % 50 != 0,
            account_type: "atlassian".into(),
            product_keys: None,
        })
        .collect();
    let groups = (0..n_groups)
        .map(|g| DirGroup {
            group_id: format!("{g:08x}-1111-4000-8000-000000000000"),
            name: format!("group-{g}"),
            members: (0..20).map(|_| acc(rng.next(n_users))).collect(),
        })
        .collect::<Vec<_>>();
    let gid = |g: usize| format!("{g:08x}-1111-4000-8000-000000000000");
    let application_roles = vec![
        AppRole {
            key: "jira-software".into(),
            group_ids: (0..50).map(gid).collect(),
        },
        AppRole {
            key: "jira-servicedesk".into(),
            group_ids: (50..60).map(gid).collect(),
        },
    ];
    let mut projects = Vec::new();
    let mut role_actors = Vec::new();
    let mut browse_grants = Vec::new();
    let mut security_levels = Vec::new();
    for p in 0..n_projects {
        let pid = format!("{}", 10_000 + p);
        projects.push(DirProject {
            id: pid.clone(),
            key: format!("P{p}"),
            name: format!("Project {p}"),
            lead: Some(acc(rng.next(n_users))),
            archived: p % 97 == 0,
            team_managed: false,
            is_private: false,
            access_level: None,
        });
        for r in 0..5 {
            role_actors.push(RoleActors {
                project_id: pid.clone(),
                role_id: format!("{}", 10_002 + r),
                role_name: format!("Role {r}"),
                users: (0..3).map(|_| acc(rng.next(n_users))).collect(),
                groups: (0..3).map(|_| gid(rng.next(n_groups))).collect(),
            });
        }
        let mut holders = vec![
            Holder::ProjectRole {
                role_id: "10002".into(),
            },
            Holder::ProjectRole {
                role_id: "10003".into(),
            },
            Holder::Group {
                group_id: gid(rng.next(n_groups)),
            },
            if p % 3 == 0 {
                Holder::ApplicationRole { key: None }
            } else {
                Holder::Reporter
            },
            Holder::ProjectLead,
        ];
        // Group custom-field grants (service-desk style) in one project in twenty: each
        // gives a member one tag per group they are in.
        if p % 20 == 0 {
            holders.push(Holder::GroupCustomField {
                field_id: "customfield_10050".into(),
            });
        }
        browse_grants.push(ProjectGrants {
            project_id: pid.clone(),
            holders,
        });
        if p % 3 == 0 {
            for l in 0..3 {
                security_levels.push(SecurityLevel {
                    project_id: pid.clone(),
                    level_id: format!("{}", 20_000 + l),
                    name: format!("Level {l}"),
                    members: vec![
                        Holder::ProjectRole {
                            role_id: "10004".into(),
                        },
                        Holder::Reporter,
                        Holder::Group {
                            group_id: gid(rng.next(n_groups)),
                        },
                    ],
                });
            }
        }
    }
    // A busy person: in 60 groups (licensed), several roles.
    let busy = acc(1);
    let mut groups = groups;
    for g in (0..n_groups).step_by(n_groups / 60) {
        groups[g].members.push(busy.clone());
    }
    Directory {
        users,
        groups,
        application_roles,
        projects,
        role_actors,
        browse_grants,
        security_levels,
        ..Default::default()
    }
}

fn time<T>(f: impl Fn() -> T) -> (T, Duration) {
    let mut best = Duration::MAX;
    let mut out = f();
    for _ in 0..5 {
        let start = Instant::now();
        out = f();
        best = best.min(start.elapsed());
    }
    (out, best)
}

#[test]
fn principal_sets_of_a_large_site_agree() {
    let dir = big_directory();
    let busy = acc(1);
    let (set, took) = time(|| principals_for_account(&dir, &busy));
    let (anon, took_anon) = time(|| anonymous_principals(&dir));
    let mapping = EmailMapping::default();
    let (by_email, took_email) =
        time(|| principals_for_email(&dir, "USER1@example.com ", &mapping));
    let build = Instant::now();
    let index = DirectoryIndex::new(&dir);
    let took_build = build.elapsed();
    let (indexed, took_indexed) = time(|| index.principals_for_account(&dir, &busy));
    let cache = PrincipalCache::new();
    let (cached, took_cached) = time(|| cache.get_or_compute(&dir, "user1@example.com", &mapping));
    println!(
        "1,000 projects / 10,000 groups / 20,000 users, one person in {} groups:\n  \
         principals_for_account {took:?} ({} tags)\n  \
         DirectoryIndex::new {took_build:?}, then per account {took_indexed:?}\n  \
         anonymous {took_anon:?}; by email {took_email:?}; cache hit {took_cached:?}",
        set.0.iter().filter(|t| t.starts_with("g:")).count(),
        set.len()
    );
    assert!(set.len() > 60, "the busy user holds their groups and more");
    assert_eq!(set, by_email);
    assert_eq!(set, indexed);
    assert_eq!(set, *cached);
    assert_eq!(anon.tags(), ["*"]);
    // Every other user too: index and scan agree.
    for i in (0..20_000).step_by(997) {
        assert_eq!(
            index.principals_for_account(&dir, &acc(i)),
            principals_for_account(&dir, &acc(i))
        );
    }
}
