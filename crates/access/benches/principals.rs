//! Principal-set expansion time (issue 5's target: under 5 ms uncached for a person in
//! 2,000 projects and 500 groups).
//!
//! ```text
//! cargo bench -p access --bench principals
//! ```
//!
//! Site: 2,000 projects (5 roles each, grants to roles, groups, reporter, lead,
//! application role, some group custom fields, security levels in one project in
//! three), 3,000 groups, 20,000 users. The measured person is in 500 groups and holds
//! a role in every project, so they reach all 2,000 projects. Prints medians of 31
//! runs: the uncached expansion straight from the directory, the same through a
//! prebuilt `DirectoryIndex` (what a cache miss costs in a running server), building
//! that index once per directory load, and a cache hit. The figures are also written,
//! with the commit and the machine, to `target/bench-results/access-principals.json`.

use std::time::{Duration, Instant};

use access::*;

const PROJECTS: usize = 2_000;
const GROUPS: usize = 3_000;
const USERS: usize = 20_000;
const PERSON_GROUPS: usize = 500;
const RUNS: usize = 31;

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

fn gid(g: usize) -> String {
    format!("{g:08x}-1111-4000-8000-000000000000")
}

fn site(person: &str, stress: bool) -> Directory {
    let mut rng = Lcg(7);
    let users = (0..USERS)
        .map(|i| DirUser {
            account_id: acc(i),
            email: Some(format!("user{i}@example.com")),
            display_name: format!("User {i}"),
            active: true,
            account_type: "atlassian".into(),
            product_keys: None,
        })
        .collect();
    let mut groups: Vec<DirGroup> = (0..GROUPS)
        .map(|g| DirGroup {
            group_id: gid(g),
            name: format!("group-{g}"),
            members: (0..25).map(|_| acc(rng.next(USERS))).collect(),
        })
        .collect();
    for g in groups
        .iter_mut()
        .step_by(GROUPS / PERSON_GROUPS)
        .take(PERSON_GROUPS)
    {
        g.members.push(person.to_string());
    }
    let application_roles = vec![AppRole {
        key: "jira-software".into(),
        group_ids: (0..100).map(gid).collect(),
    }];
    let mut projects = Vec::new();
    let mut role_actors = Vec::new();
    let mut browse_grants = Vec::new();
    let mut security_levels = Vec::new();
    for p in 0..PROJECTS {
        let pid = format!("{}", 10_000 + p);
        projects.push(DirProject {
            id: pid.clone(),
            key: format!("P{p}"),
            name: format!("Project {p}"),
            lead: Some(acc(rng.next(USERS))),
            archived: false,
            team_managed: p % 10 == 0,
            is_private: false,
            access_level: None,
        });
        for r in 0..5 {
            let mut users: Vec<String> = (0..4).map(|_| acc(rng.next(USERS))).collect();
            if r == p % 5 && (stress || p % 4 == 0) {
                users.push(person.to_string());
            }
            role_actors.push(RoleActors {
                project_id: pid.clone(),
                role_id: format!("{}", 10_002 + r),
                role_name: format!("Role {r}"),
                users,
                groups: if stress {
                    (0..3).map(|_| gid(rng.next(GROUPS))).collect()
                } else {
                    vec![gid(rng.next(GROUPS))]
                },
            });
        }
        let mut holders: Vec<Holder> = (0..5)
            .map(|r| Holder::ProjectRole {
                role_id: format!("{}", 10_002 + r),
            })
            .collect();
        // One of the person's groups opens every project.
        let step = GROUPS / PERSON_GROUPS;
        holders.push(Holder::Group {
            group_id: gid((p % PERSON_GROUPS) * step),
        });
        holders.push(Holder::ProjectLead);
        if stress {
            holders.push(Holder::Reporter);
            if p % 4 == 0 {
                holders.push(Holder::ApplicationRole { key: None });
            }
            if p % 20 == 0 {
                holders.push(Holder::GroupCustomField {
                    field_id: "customfield_10050".into(),
                });
            }
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
                    members: if stress {
                        vec![
                            Holder::ProjectRole {
                                role_id: "10004".into(),
                            },
                            Holder::Reporter,
                            Holder::Group {
                                group_id: gid(rng.next(GROUPS)),
                            },
                        ]
                    } else {
                        vec![Holder::Group {
                            group_id: gid(rng.next(GROUPS)),
                        }]
                    },
                });
            }
        }
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

fn median<T>(mut f: impl FnMut() -> T) -> (T, Duration) {
    let mut times = Vec::with_capacity(RUNS);
    let mut out = f();
    for _ in 0..RUNS {
        let start = Instant::now();
        out = std::hint::black_box(f());
        times.push(start.elapsed());
    }
    times.sort();
    (out, times[RUNS / 2])
}

fn main() {
    println!("site: {PROJECTS} projects, {GROUPS} groups, {USERS} users; medians of {RUNS} runs");
    let mut results = bench_results::Results::new();
    for (key, name, stress) in [
        ("typical", "typical (group and role grants)", false),
        (
            "stress",
            "stress (also reporter, product, group-picker grants in every project)",
            true,
        ),
    ] {
        // `PRINCIPALS_SCENARIO=typical` (or `stress`) runs one of them, for profiling.
        if let Ok(only) = std::env::var("PRINCIPALS_SCENARIO")
            && !name.starts_with(&only)
        {
            continue;
        }
        scenario(name, stress, key, &mut results);
    }
    results.write("access-principals", env!("CARGO_MANIFEST_DIR"));
}

/// Runs one scenario; prints its figures and records them under `key.`.
fn scenario(name: &str, stress: bool, key: &str, results: &mut bench_results::Results) {
    let person = acc(USERS / 2);
    let dir = site(&person, stress);
    let (set, scan) = median(|| principals_for_account(&dir, &person));
    let projects = dir
        .projects
        .iter()
        .filter(|p| set.contains(&format!("p:{}", p.id)))
        .count();
    let groups = set.0.iter().filter(|t| t.starts_with("g:")).count();
    let (_, build) = median(|| DirectoryIndex::new(&dir));
    let index = DirectoryIndex::new(&dir);
    let (indexed, miss) = median(|| index.principals_for_account(&dir, &person));
    assert_eq!(indexed, set, "index and scan must agree");
    let cache = PrincipalCache::new();
    let mapping = EmailMapping::default();
    let email = format!("user{}@example.com", USERS / 2);
    let (cached, hit) = median(|| cache.get_or_compute(&dir, &email, &mapping));
    assert_eq!(*cached, set);
    println!(
        "\n{name}: person in {groups} groups, reaching {projects} projects, {} tags",
        set.len()
    );
    println!("  uncached, cache miss (through the DirectoryIndex): {miss:?}");
    println!("  uncached, no index (scan of the whole directory):  {scan:?}");
    println!("  DirectoryIndex::new (once per directory load):      {build:?}");
    println!("  cache hit:                                          {hit:?}");
    let met = miss < Duration::from_millis(5);
    println!(
        "  target < 5 ms uncached: {}",
        if met { "met" } else { "MISSED" }
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    results.add(&format!("{key}.person_groups"), groups as f64, "groups");
    results.add(
        &format!("{key}.projects_reached"),
        projects as f64,
        "projects",
    );
    results.add(&format!("{key}.tags"), set.len() as f64, "tags");
    results.add(&format!("{key}.cache_miss_ms"), ms(miss), "ms");
    results.add(&format!("{key}.scan_ms"), ms(scan), "ms");
    results.add(&format!("{key}.index_build_ms"), ms(build), "ms");
    results.add(
        &format!("{key}.cache_hit_us"),
        hit.as_secs_f64() * 1e6,
        "us",
    );
    results.add(
        &format!("{key}.target_5ms_met"),
        f64::from(u8::from(met)),
        "bool",
    );
}
