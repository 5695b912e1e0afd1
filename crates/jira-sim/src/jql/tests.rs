//! Tests of the JQL subset: parsing, matching, ordering and paging.

use super::eval::{id_cmp, split_key};
use super::*;
use crate::generate::{GenConfig, generate};

#[test]
fn pages_equal_slices_of_the_full_order() {
    let ws = generate(&GenConfig::small(3));
    for jql in [
        "ORDER BY key ASC",
        "project in (ENG, OPS) ORDER BY updated DESC",
        "",
    ] {
        let q = parse(jql).unwrap();
        let all: Vec<String> = q.run(&ws).unwrap().iter().map(|i| i.id.clone()).collect();
        let mut paged = Vec::new();
        let mut offset = 0;
        loop {
            let (page, total) = q.run_page(&ws, offset, 37).unwrap();
            assert_eq!(total, all.len());
            if page.is_empty() {
                break;
            }
            offset += page.len();
            paged.extend(page.iter().map(|i| i.id.clone()));
        }
        assert_eq!(paged, all, "{jql}");
    }
}

#[test]
fn parses_supported_subset() {
    assert!(parse("").is_ok());
    assert!(
        parse(
            "project in (ENG, \"OPS\") AND updated >= 1741107711123 ORDER BY updated ASC, key ASC"
        )
        .is_ok()
    );
    assert!(parse("project = ENG").is_ok());
    assert!(parse("project not in (HR) and created >= \"2025/03/04 17:01\" order by id").is_ok());
    assert!(parse("project = A OR project = B").is_ok());
    assert!(
        parse("((project = A AND updated >= 5) OR (project = B)) AND created < 9 ORDER BY key")
            .is_ok()
    );
    assert!(parse("(project = A").is_err());
    assert!(parse("project = A project = B").is_err());
    assert!(matches!(parse("text ~ foo"), Err(JqlError::Unsupported(_))));
    assert!(matches!(
        parse("assignee = currentUser()"),
        Err(JqlError::Unsupported(_))
    ));
    assert!(parse("updated >= -1d").is_err());
    assert!(parse("project = ").is_err());
}

#[test]
fn or_and_parentheses_match_like_jira() {
    let ws = generate(&GenConfig::skeleton(3));
    let cut = ws.issues[100].updated;
    let eng = ws.project_by_id_or_key("ENG").unwrap().id.clone();
    let ops = ws.project_by_id_or_key("OPS").unwrap().id.clone();
    let got: Vec<String> = parse(&format!(
        "(project = ENG AND updated >= {}) OR project = \"OPS\" ORDER BY id",
        cut.timestamp_millis()
    ))
    .and_then(|q| q.run(&ws))
    .unwrap()
    .iter()
    .map(|i| i.id.clone())
    .collect();
    let mut want: Vec<String> = ws
        .issues
        .iter()
        .filter(|i| (i.project_id == eng && i.updated >= cut) || i.project_id == ops)
        .map(|i| i.id.clone())
        .collect();
    want.sort_by(|a, b| id_cmp(a, b));
    assert!(!want.is_empty());
    assert_eq!(got, want);
}

#[test]
fn runs_against_workspace() {
    let ws = generate(&GenConfig::skeleton(3));
    let eng = parse("project = ENG ORDER BY key ASC")
        .and_then(|q| q.run(&ws))
        .unwrap_or_default();
    assert_eq!(
        eng.len(),
        ws.issues
            .iter()
            .filter(|i| i.key.starts_with("ENG-"))
            .count()
    );
    assert!(
        eng.windows(2)
            .all(|w| split_key(&w[0].key) < split_key(&w[1].key))
    );
    let cut = ws.issues[100].updated;
    let q = parse(&format!(
        "updated >= {} ORDER BY updated ASC",
        cut.timestamp_millis()
    ))
    .and_then(|q| q.run(&ws))
    .unwrap_or_default();
    assert!(q.iter().all(|i| i.updated >= cut));
    assert_eq!(
        q.len(),
        ws.issues.iter().filter(|i| i.updated >= cut).count()
    );
    assert!(matches!(
        parse("project = NOPE").and_then(|q| q.run(&ws)),
        Err(JqlError::UnknownValue { .. })
    ));
    let t = encode_token(150, fingerprint("x"));
    assert_eq!(decode_token(&t, fingerprint("x")), Some(150));
    assert_eq!(decode_token(&t, fingerprint("y")), None);
    assert_eq!(decode_token("garbage", 0), None);
}
