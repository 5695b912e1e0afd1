//! The store's behaviour, each test body run against both backends (`sqlite::*` and
//! `postgres::*`, the latter on a real server started for the test), plus what only
//! one backend has: the legacy import (SQLite), reconnection, runtimes and the
//! concurrent schema migration (PostgreSQL).

use std::collections::BTreeSet;
use std::io::BufRead;
use std::time::{Duration, Instant};

use access::{DirGroup, DirProject, DirUser, Directory};

use super::*;
use crate::test_support::PostgresServer;

/// A store to test: opened as often as a test needs, each time on the same data.
trait Fixture {
    /// Opens the store (again).
    fn open(&self) -> StateStore;
    /// How a child process opens the same store (see [`child_process_lock_holder`]).
    fn spec(&self) -> String;
}

struct SqliteFx(tempfile::TempDir);

impl SqliteFx {
    fn new() -> SqliteFx {
        SqliteFx(tempfile::tempdir().unwrap())
    }
}

impl Fixture for SqliteFx {
    fn open(&self) -> StateStore {
        StateStore::open(&DataDir::new(self.0.path())).unwrap()
    }
    fn spec(&self) -> String {
        format!("sqlite:{}", self.0.path().display())
    }
}

struct PgFx(PostgresServer);

impl PgFx {
    fn new() -> PgFx {
        PgFx(PostgresServer::start_or_panic())
    }
}

impl Fixture for PgFx {
    fn open(&self) -> StateStore {
        StateStore::open_postgres(&self.0.url(), None).unwrap()
    }
    fn spec(&self) -> String {
        format!("postgres:{}", self.0.url())
    }
}

/// Opens the store a [`Fixture::spec`] names.
fn open_spec(spec: &str) -> StateStore {
    match spec.split_once(':') {
        Some(("sqlite", dir)) => StateStore::open(&DataDir::new(dir)).unwrap(),
        Some(("postgres", url)) => StateStore::open_postgres(url, None).unwrap(),
        _ => panic!("bad store spec {spec}"),
    }
}

/// Runs each named test body against SQLite and against PostgreSQL.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $name() {
                super::$name(&super::SqliteFx::new());
            })*
        }
        mod postgres {
            $(#[test]
            fn $name() {
                super::$name(&super::PgFx::new());
            })*
        }
    };
}

both_backends!(
    issues_checkpoints_and_runs_survive_reopen,
    directory_roundtrips_through_identity_tables,
    directory_version_moves_only_on_a_real_change,
    config_changes_are_audited_newest_first,
    identity_meta_roundtrips,
    run_history_keeps_the_last_thousand,
    hints_are_taken_oldest_first_and_once,
    two_takers_never_get_the_same_hint,
    unmatched_callers_are_normalized_and_sorted,
    one_worker_lock_at_a_time,
    worker_lock_dies_with_its_process,
    worker_lock_blocking_waits_and_stops,
);

fn issue(key: &str, chunks: &[&str]) -> IssueState {
    IssueState {
        key: key.into(),
        project_id: "1".into(),
        project_key: "ENG".into(),
        content_hash: format!("h-{key}"),
        chunk_ids: chunks.iter().map(|c| c.to_string()).collect(),
        chunk_hashes: chunks.iter().map(|c| format!("ch-{c}")).collect(),
        updated: 7,
    }
}

fn directory() -> Directory {
    Directory {
        users: vec![
            DirUser {
                account_id: "a1".into(),
                email: Some("a@x".into()),
                display_name: "A".into(),
                active: true,
                account_type: "atlassian".into(),
                product_keys: Some(vec!["jira-software".into()]),
            },
            DirUser {
                account_id: "a0".into(),
                email: None,
                display_name: "Z".into(),
                active: false,
                account_type: "app".into(),
                product_keys: None,
            },
        ],
        application_roles_unreadable: true,
        groups: vec![
            DirGroup {
                group_id: "g2".into(),
                name: "ops".into(),
                members: vec![],
            },
            DirGroup {
                group_id: "g1".into(),
                name: "eng".into(),
                members: vec!["a1".into(), "a0".into()],
            },
        ],
        projects: vec![DirProject {
            id: "100".into(),
            key: "ENG".into(),
            name: "Eng".into(),
            lead: Some("a1".into()),
            access_level: Some("private".into()),
            is_private: true,
            ..Default::default()
        }],
        jira_admins: vec!["a1".into()],
        warnings: vec!["roles unreadable".into()],
        ..Default::default()
    }
}

fn issues_checkpoints_and_runs_survive_reopen(fx: &dyn Fixture) {
    {
        let s = fx.open();
        s.record_issues(&[
            ("10".into(), issue("ENG-1", &["issue:10:0", "comment:5:0"])),
            ("11".into(), issue("ENG-2", &["issue:11:0"])),
        ])
        .unwrap();
        // Rewriting an issue replaces its chunk list.
        s.record_issues(&[("10".into(), issue("ENG-1", &["issue:10:0"]))])
            .unwrap();
        s.remove_issues(&["11".into()]).unwrap();
        s.set_checkpoint(&Checkpoint {
            fingerprint: "fp".into(),
            projects: [("ENG".to_string(), 42)].into(),
        })
        .unwrap();
        for n in 0..3 {
            s.push_run(&RunRecord {
                started_ms: n,
                ..Default::default()
            })
            .unwrap();
        }
    }
    let s = fx.open();
    let state = s.load().unwrap();
    assert_eq!(state.issues.len(), 1);
    assert_eq!(state.issues["10"], issue("ENG-1", &["issue:10:0"]));
    assert_eq!(state.checkpoint.fingerprint, "fp");
    assert_eq!(state.checkpoint.projects["ENG"], 42);
    let starts: Vec<i64> = state.runs.iter().map(|r| r.started_ms).collect();
    assert_eq!(starts, vec![0, 1, 2]);
    // A new checkpoint replaces the old one whole; an empty batch changes nothing.
    s.set_checkpoint(&Checkpoint {
        fingerprint: "fp2".into(),
        projects: [("OPS".to_string(), 5)].into(),
    })
    .unwrap();
    s.record_issues(&[]).unwrap();
    s.remove_issues(&[]).unwrap();
    let cp = fx.open().checkpoint().unwrap();
    assert_eq!(cp.fingerprint, "fp2");
    assert_eq!(cp.projects, [("OPS".to_string(), 5)].into());
    assert_eq!(s.load().unwrap().issues.len(), 1);
}

fn directory_roundtrips_through_identity_tables(fx: &dyn Fixture) {
    let s = fx.open();
    assert!(s.load_directory().unwrap().is_none());
    let d = directory();
    s.save_directory(&d).unwrap();
    assert_eq!(fx.open().load_directory().unwrap().unwrap(), d);
    // A smaller directory replaces the tables whole.
    let small = Directory {
        users: d.users[..1].to_vec(),
        ..Default::default()
    };
    s.save_directory(&small).unwrap();
    assert_eq!(s.load_directory().unwrap().unwrap(), small);
}

fn directory_version_moves_only_on_a_real_change(fx: &dyn Fixture) {
    let s = fx.open();
    assert_eq!(s.directory_version().unwrap(), 0);
    let d = directory();
    s.save_directory(&d).unwrap();
    let v1 = s.directory_version().unwrap();
    assert!(v1 > 0);
    s.save_directory(&d).unwrap();
    assert_eq!(
        s.directory_version().unwrap(),
        v1,
        "same directory, same version"
    );
    let mut d2 = d.clone();
    d2.users[0].display_name = "A renamed".into();
    s.save_directory(&d2).unwrap();
    let v2 = fx.open().directory_version().unwrap();
    assert!(v2 > v1, "{v2} > {v1}");
    s.save_directory(&d).unwrap();
    let v3 = s.directory_version().unwrap();
    assert!(v3 > v2, "back to the first directory is a change too");
    assert_eq!(s.load_directory().unwrap().unwrap(), d);
}

fn config_changes_are_audited_newest_first(fx: &dyn Fixture) {
    let s = fx.open();
    let change = |key: &str| config::editable::SettingChange {
        key: key.into(),
        before: "1".into(),
        after: "2".into(),
    };
    s.record_config_changes("admin-key", 10, &[change("sync.interval")])
        .unwrap();
    s.record_config_changes("ops@x", 20, &[change("a"), change("b")])
        .unwrap();
    let audit = fx.open().config_changes(2).unwrap();
    let keys: Vec<(&str, &str, i64)> = audit
        .iter()
        .map(|a| (a.change.key.as_str(), a.who.as_str(), a.at_ms))
        .collect();
    assert_eq!(keys, vec![("b", "ops@x", 20), ("a", "ops@x", 20)]);
    assert_eq!(s.config_changes(10).unwrap().len(), 3);
    assert_eq!(
        s.config_changes(10).unwrap()[2].change,
        change("sync.interval")
    );
}

fn identity_meta_roundtrips(fx: &dyn Fixture) {
    let s = fx.open();
    assert_eq!(s.identity_meta().unwrap(), IdentityMeta::default());
    let m = IdentityMeta {
        full_read_ms: 5,
        last_read_ms: 9,
        audit_seen: vec!["r1".into(), "r2".into()],
    };
    s.set_identity_meta(&m).unwrap();
    assert_eq!(fx.open().identity_meta().unwrap(), m);
}

fn run_history_keeps_the_last_thousand(fx: &dyn Fixture) {
    let s = fx.open();
    for n in 0..1005 {
        s.push_run(&RunRecord {
            started_ms: n,
            errors: vec![crate::RunError::new(
                crate::RunErrorKind::Issue,
                "ENG-1",
                "x",
            )],
            ..Default::default()
        })
        .unwrap();
    }
    let runs = s.runs(5000).unwrap();
    assert_eq!(runs.len(), 1000);
    assert_eq!(runs[0].started_ms, 5);
    assert_eq!(runs[999].started_ms, 1004);
    assert_eq!(runs[0].errors[0].item, "ENG-1");
    let state = s.load().unwrap();
    assert_eq!(state.runs.len(), 100);
    assert_eq!(state.runs[99].started_ms, 1004);
}

fn hints_are_taken_oldest_first_and_once(fx: &dyn Fixture) {
    let s = fx.open();
    assert!(s.take_hints(10).unwrap().is_empty());
    for n in 0..5 {
        s.push_hint(&format!("{{\"issue\":{n}}}")).unwrap();
    }
    assert!(s.take_hints(0).unwrap().is_empty());
    assert_eq!(
        s.take_hints(2).unwrap(),
        vec!["{\"issue\":0}", "{\"issue\":1}"]
    );
    assert_eq!(fx.open().take_hints(10).unwrap().len(), 3);
    assert!(s.take_hints(10).unwrap().is_empty());
}

fn two_takers_never_get_the_same_hint(fx: &dyn Fixture) {
    let s = fx.open();
    let all: BTreeSet<String> = (0..400).map(|n| format!("{{\"n\":{n}}}")).collect();
    for h in &all {
        s.push_hint(h).unwrap();
    }
    // Two stores: two connections, as two workers would have.
    let (a, b) = (fx.open(), fx.open());
    let take_all = |store: &StateStore| {
        let mut got = Vec::new();
        loop {
            let batch = store.take_hints(7).unwrap();
            if batch.is_empty() {
                return got;
            }
            got.extend(batch);
        }
    };
    let (ga, gb) = std::thread::scope(|sc| {
        let ta = sc.spawn(|| take_all(&a));
        let tb = sc.spawn(|| take_all(&b));
        (ta.join().unwrap(), tb.join().unwrap())
    });
    let taken: BTreeSet<String> = ga.iter().chain(&gb).cloned().collect();
    assert_eq!(ga.len() + gb.len(), all.len(), "a hint was taken twice");
    assert_eq!(taken, all);
}

fn unmatched_callers_are_normalized_and_sorted(fx: &dyn Fixture) {
    let s = fx.open();
    for e in ["b@x.com", " A@X.com ", "B@x.com", "  "] {
        s.note_unmatched_caller(e).unwrap();
    }
    assert_eq!(
        fx.open().unmatched_callers().unwrap(),
        vec!["a@x.com", "b@x.com"]
    );
}

fn one_worker_lock_at_a_time(fx: &dyn Fixture) {
    let (s1, s2) = (fx.open(), fx.open());
    let lock = s1.try_worker_lock().unwrap().expect("the lock is free");
    assert!(lock.is_held());
    assert!(s2.try_worker_lock().unwrap().is_none());
    assert!(
        s1.try_worker_lock().unwrap().is_none(),
        "not twice in one store"
    );
    drop(lock);
    let again = s2.try_worker_lock().unwrap().expect("released on drop");
    assert!(s1.try_worker_lock().unwrap().is_none());
    drop(again);
}

/// Not a test on its own: the child process of [`worker_lock_dies_with_its_process`]
/// (the test binary run again with `STATE_TEST_LOCK_HOLDER` set) takes the worker
/// lock, says so, and waits to be killed.
#[test]
fn child_process_lock_holder() {
    let Ok(spec) = std::env::var("STATE_TEST_LOCK_HOLDER") else {
        return;
    };
    let store = open_spec(&spec);
    let _lock = store
        .try_worker_lock()
        .unwrap()
        .expect("child: lock is free");
    println!("LOCKED");
    std::thread::sleep(Duration::from_secs(120));
}

fn worker_lock_dies_with_its_process(fx: &dyn Fixture) {
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "store::tests::child_process_lock_holder",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("STATE_TEST_LOCK_HOLDER", fx.spec())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut locked = false;
    for line in out.lines() {
        if line.unwrap().contains("LOCKED") {
            locked = true;
            break;
        }
    }
    assert!(locked, "the child did not take the lock");
    let s = fx.open();
    assert!(s.try_worker_lock().unwrap().is_none(), "the child holds it");
    child.kill().unwrap(); // SIGKILL: no destructor runs
    child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(lock) = s.try_worker_lock().unwrap() {
            assert!(lock.is_held());
            break;
        }
        assert!(Instant::now() < deadline, "the lock outlived its process");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn worker_lock_blocking_waits_and_stops(fx: &dyn Fixture) {
    let (s1, s2) = (fx.open(), fx.open());
    let lock = s1.try_worker_lock().unwrap().unwrap();
    let started = Instant::now();
    let none = s2
        .worker_lock_blocking(Duration::from_millis(20), || {
            started.elapsed() > Duration::from_millis(300)
        })
        .unwrap();
    assert!(none.is_none(), "stop() ends the wait");
    let got = std::thread::scope(|sc| {
        let waiter = sc.spawn(|| {
            s2.worker_lock_blocking(Duration::from_millis(20), || false)
                .unwrap()
        });
        std::thread::sleep(Duration::from_millis(200));
        drop(lock);
        waiter.join().unwrap()
    });
    assert!(got.expect("taken once released").is_held());
}

#[test]
fn legacy_state_json_is_imported_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let mut legacy = SyncState::default();
    legacy
        .issues
        .insert("10".into(), issue("ENG-1", &["issue:10:0"]));
    config::write_json_atomic(&data.state_file(), &legacy).unwrap();
    let s = StateStore::open(&data).unwrap();
    assert_eq!(s.load().unwrap().issues.len(), 1);
    assert!(!data.state_file().exists());
}

#[test]
fn sqlite_keeps_at_most_ten_thousand_unmatched_callers() {
    let fx = SqliteFx::new();
    let s = fx.open();
    for n in 0..10_003 {
        s.note_unmatched_caller(&format!("u{n:05}@x")).unwrap();
    }
    let all = s.unmatched_callers().unwrap();
    assert_eq!(all.len(), 10_000);
    assert!(all.contains(&"u00000@x".to_string()));
    assert!(!all.contains(&"u10002@x".to_string()));
}

#[test]
fn open_config_picks_the_backend() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config::Config::parse(
        "[jira]\nbase_url = \"https://example.atlassian.net\"\nemail = \"bot@example.com\"\napi_token_env = \"JIRA_API_TOKEN\"\n",
    )
    .unwrap();
    cfg.data.dir = dir.path().to_path_buf();
    let s = StateStore::open_config(&cfg).unwrap();
    assert!(s.location().ends_with("state.db"), "{}", s.location());
    drop(s);
    let pg = PostgresServer::start_or_panic();
    cfg.state.url = Some(pg.url());
    let s = StateStore::open_config(&cfg).unwrap();
    assert_eq!(s.location(), pg.url());
    s.push_hint("{}").unwrap();
    cfg.state.password_env = Some("STATE_TEST_UNSET_PASSWORD_VARIABLE".into());
    let err = StateStore::open_config(&cfg).unwrap_err();
    assert!(
        err.to_string()
            .contains("STATE_TEST_UNSET_PASSWORD_VARIABLE"),
        "{err}"
    );
}

#[test]
fn postgres_store_reconnects_after_a_server_restart() {
    let pg = PgFx::new();
    let secret = "s3cret-never-shown";
    let s = StateStore::open_postgres(&pg.0.url(), Some(secret)).unwrap();
    s.record_issues(&[("10".into(), issue("ENG-1", &["issue:10:0"]))])
        .unwrap();
    let lock = s.try_worker_lock().unwrap().unwrap();
    pg.0.stop().unwrap();
    let err = s.load().unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&pg.0.url()), "names the database: {msg}");
    assert!(!msg.contains(secret), "{msg}");
    assert!(!lock.is_held(), "a lost connection lost the lock");
    pg.0.restart().unwrap();
    // The same store goes on: no reopen, no process restart.
    assert_eq!(s.load().unwrap().issues.len(), 1);
    s.push_run(&RunRecord::default()).unwrap();
    drop(lock);
    assert!(s.try_worker_lock().unwrap().is_some());
    // A restart between two calls is not even seen by the caller.
    pg.0.stop().unwrap();
    pg.0.restart().unwrap();
    assert_eq!(s.load().unwrap().runs.len(), 1);
}

#[test]
fn postgres_schema_is_made_once_by_concurrent_openers() {
    let pg = PgFx::new();
    let barrier = std::sync::Barrier::new(6);
    std::thread::scope(|sc| {
        for n in 0..6 {
            let (barrier, url) = (&barrier, pg.0.url());
            sc.spawn(move || {
                barrier.wait();
                let s = StateStore::open_postgres(&url, None).unwrap();
                s.push_hint(&n.to_string()).unwrap();
            });
        }
    });
    assert_eq!(pg.open().take_hints(100).unwrap().len(), 6);
}

/// The store works directly inside async fns, in blocking tasks and when dropped
/// there, on both kinds of tokio runtime (the sync PostgreSQL client would panic on a
/// runtime thread if it ran there).
#[test]
fn postgres_store_works_inside_tokio_runtimes() {
    let pg = PgFx::new();
    let exercise = |store: std::sync::Arc<StateStore>| async move {
        store.push_hint("{\"from\":\"async\"}").unwrap();
        store.save_directory(&directory()).unwrap();
        assert_eq!(store.load_directory().unwrap().unwrap(), directory());
        let lock = store.try_worker_lock().unwrap().unwrap();
        let blocking = store.clone();
        let taken = tokio::task::spawn_blocking(move || blocking.take_hints(10).unwrap())
            .await
            .unwrap();
        assert_eq!(taken, vec!["{\"from\":\"async\"}"]);
        drop(lock);
        store.load().unwrap();
    };
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    current.block_on(async {
        let store = std::sync::Arc::new(pg.open());
        exercise(store.clone()).await;
        drop(store); // dropped on the runtime thread
    });
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    multi.block_on(async {
        let store = std::sync::Arc::new(pg.open());
        tokio::spawn(exercise(store)).await.unwrap();
        let in_task = pg.0.url();
        tokio::spawn(async move {
            let s = StateStore::open_postgres(&in_task, None).unwrap();
            s.load().unwrap();
        })
        .await
        .unwrap();
    });
}
