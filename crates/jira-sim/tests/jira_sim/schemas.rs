//! Responses validate against Atlassian's OpenAPI document, generated ADF against the
//! ADF JSON Schema.

use jira_sim::{GenConfig, generate, start};
use serde_json::{Map, Value, json};
use std::path::PathBuf;

fn reference(name: &str) -> Option<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference")
        .join(name);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("skipping: cannot read {}: {e}", path.display());
            return None;
        }
    };
    serde_json::from_str(&text).ok()
}

/// OpenAPI 3.0 → JSON Schema Draft 4: `nullable: true` adds the `null` type.
fn denullable(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (_, x) in m.iter_mut() {
                denullable(x);
            }
            if m.get("nullable") == Some(&Value::Bool(true)) {
                m.remove("nullable");
                match m.get("type").cloned() {
                    Some(Value::String(t)) => {
                        m.insert("type".into(), json!([t, "null"]));
                        if let Some(Value::Array(e)) = m.get_mut("enum") {
                            e.push(Value::Null);
                        }
                    }
                    _ => {
                        let inner = Value::Object(std::mem::take(m));
                        m.insert("anyOf".into(), json!([inner, {"type": "null"}]));
                    }
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(denullable),
        _ => {}
    }
}

struct OpenApi {
    doc: Value,
}

impl OpenApi {
    fn load() -> Option<Self> {
        let mut doc = reference("jira-platform-openapi-v3.json")?;
        denullable(&mut doc);
        Some(OpenApi { doc })
    }

    fn validator(&self, path: &str, method: &str, status: &str) -> Option<jsonschema::Validator> {
        let schema = self.doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"].clone();
        if schema.is_null() {
            return None;
        }
        let mut root = Map::new();
        root.insert("allOf".into(), json!([schema]));
        root.insert("components".into(), self.doc["components"].clone());
        let root = Value::Object(root);
        match jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .should_validate_formats(false)
            .build(&root)
        {
            Ok(v) => Some(v),
            Err(e) => panic!("schema of {method} {path} {status} does not compile: {e}"),
        }
    }

    fn check(&self, path: &str, method: &str, status: u16, body: &Value) -> bool {
        let Some(v) = self.validator(path, method, &status.to_string()) else {
            return false;
        };
        let errors: Vec<String> = v
            .iter_errors(body)
            .take(10)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path} {status} violates its schema:\n{}",
            errors.join("\n")
        );
        true
    }
}

#[tokio::test]
async fn responses_match_openapi_schemas() {
    let Some(api) = OpenApi::load() else { return };
    let ws = generate(&GenConfig::small(11));
    let sim = start(ws.clone(), "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("start");
    let http = reqwest::Client::new();
    let eng_group = ws
        .group_by_name("engineering")
        .map(|g| g.group_id.clone())
        .unwrap_or_default();
    let issue = ws
        .issues
        .iter()
        .find(|i| i.comments.iter().any(|c| c.visibility.is_some()))
        .expect("issue");
    let attachment_id = ws
        .issues
        .iter()
        .skip(1)
        .flat_map(|i| i.attachments.iter())
        .map(|a| a.id.clone())
        .next()
        .expect("the small preset has attachments");
    let mut ws_mut = ws.clone();
    ws_mut
        .delete_issue(&ws.issues[0].key, &ws.admin_account_id)
        .expect("delete");
    {
        let lock = sim.workspace();
        let mut w = lock.write().expect("lock");
        *w = ws_mut;
    }
    let cases: Vec<(&str, String)> = vec![
        ("/rest/api/3/myself", "/rest/api/3/myself".into()),
        ("/rest/api/3/users/search", "/rest/api/3/users/search?maxResults=1000".into()),
        ("/rest/api/3/user", format!("/rest/api/3/user?accountId={}&expand=groups,applicationRoles", ws.users[1].account_id)),
        ("/rest/api/3/user/bulk", format!("/rest/api/3/user/bulk?accountId={}&accountId={}", ws.users[1].account_id, ws.users[8].account_id)),
        ("/rest/api/3/group/bulk", "/rest/api/3/group/bulk?maxResults=50".into()),
        ("/rest/api/3/group/member", format!("/rest/api/3/group/member?groupId={eng_group}&includeInactiveUsers=true")),
        ("/rest/api/3/applicationrole", "/rest/api/3/applicationrole".into()),
        ("/rest/api/3/project/search", "/rest/api/3/project/search?expand=lead&status=live&status=archived&maxResults=100".into()),
        ("/rest/api/3/project/{projectIdOrKey}/role", "/rest/api/3/project/OPS/role".into()),
        ("/rest/api/3/project/{projectIdOrKey}/role/{id}", "/rest/api/3/project/OPS/role/10001".into()),
        ("/rest/api/3/project/{projectKeyOrId}/permissionscheme", "/rest/api/3/project/ENG/permissionscheme".into()),
        ("/rest/api/3/permissionscheme/{schemeId}", "/rest/api/3/permissionscheme/10000?expand=permissions".into()),
        ("/rest/api/3/permissionscheme", "/rest/api/3/permissionscheme?expand=permissions".into()),
        ("/rest/api/3/project/{projectKeyOrId}/issuesecuritylevelscheme", "/rest/api/3/project/ENG/issuesecuritylevelscheme".into()),
        ("/rest/api/3/project/{projectKeyOrId}/issuesecuritylevelscheme", "/rest/api/3/project/HR/issuesecuritylevelscheme".into()),
        ("/rest/api/3/issuesecurityschemes/level/member", "/rest/api/3/issuesecurityschemes/level/member?schemeId=10001&maxResults=50".into()),
        ("/rest/api/3/role", "/rest/api/3/role".into()),
        ("/rest/api/3/issuesecurityschemes/search", "/rest/api/3/issuesecurityschemes/search?maxResults=50".into()),
        ("/rest/api/3/issuesecurityschemes/level", "/rest/api/3/issuesecurityschemes/level?maxResults=50".into()),
        ("/rest/api/3/search/jql", "/rest/api/3/search/jql?jql=project%20in%20(ENG,PUB)%20ORDER%20BY%20updated%20ASC&fields=*all&maxResults=100".into()),
        ("/rest/api/3/search/jql", "/rest/api/3/search/jql?jql=&fields=id&maxResults=5000".into()),
        ("/rest/api/3/search/jql", "/rest/api/3/search/jql?jql=summary%20~%20x".into()),
        ("/rest/api/3/issue/{issueIdOrKey}", format!("/rest/api/3/issue/{}", issue.key)),
        ("/rest/api/3/issue/{issueIdOrKey}/comment", format!("/rest/api/3/issue/{}/comment?orderBy=created", issue.key)),
        ("/rest/api/3/issue/{issueIdOrKey}/comment", "/rest/api/3/issue/NOPE-1/comment".into()),
        ("/rest/api/3/auditing/record", "/rest/api/3/auditing/record?offset=0&limit=100".into()),
        ("/rest/api/3/attachment/{id}", format!("/rest/api/3/attachment/{}", attachment_id)),
    ];
    let mut validated = 0;
    for (template, url) in &cases {
        let r = http
            .get(format!("{}{}", sim.base_url, url))
            .basic_auth(&ws.admin_email, Some(&ws.admin_api_token))
            .send()
            .await
            .expect("send");
        let status = r.status().as_u16();
        let body: Value = r.json().await.expect("json body");
        if api.check(template, "get", status, &body) {
            validated += 1;
        } else {
            assert!(
                status >= 400,
                "no schema for successful GET {template} {status}"
            );
        }
    }
    // POST search/jql
    let r = http
        .post(format!("{}/rest/api/3/search/jql", sim.base_url))
        .basic_auth(&ws.admin_email, Some(&ws.admin_api_token))
        .json(&json!({"jql": "project = OPS", "fields": ["summary", "comment", "security", "reporter"], "maxResults": 20}))
        .send()
        .await
        .expect("send");
    let status = r.status().as_u16();
    let body: Value = r.json().await.expect("json");
    assert!(api.check("/rest/api/3/search/jql", "post", status, &body));
    // POST issue/bulkfetch, with one id that does not exist (issue 0 was deleted above)
    let mut ids: Vec<String> = ws
        .issues
        .iter()
        .skip(1)
        .take(5)
        .map(|i| i.id.clone())
        .collect();
    ids.push("NOPE-1".to_string());
    let r = http
        .post(format!("{}/rest/api/3/issue/bulkfetch", sim.base_url))
        .basic_auth(&ws.admin_email, Some(&ws.admin_api_token))
        .json(&json!({"issueIdsOrKeys": ids, "fields": ["summary", "comment"]}))
        .send()
        .await
        .expect("send");
    let status = r.status().as_u16();
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["issues"].as_array().map(Vec::len), Some(5));
    assert_eq!(body["issueErrors"][0]["id"], "NOPE-1");
    assert!(api.check("/rest/api/3/issue/bulkfetch", "post", status, &body));
    // POST permissions/check answers with the oracle's verdicts
    let alice = ws
        .user_by_email("alice@example.com")
        .expect("alice")
        .account_id
        .clone();
    let ids: Vec<u64> = ws
        .issues
        .iter()
        .skip(1)
        .take(40)
        .filter_map(|i| i.id.parse().ok())
        .collect();
    let r = http
        .post(format!("{}/rest/api/3/permissions/check", sim.base_url))
        .basic_auth(&ws.admin_email, Some(&ws.admin_api_token))
        .json(&json!({"accountId": alice, "projectPermissions": [{"permissions": ["BROWSE_PROJECTS"], "issues": ids}]}))
        .send()
        .await
        .expect("send");
    let status = r.status().as_u16();
    let body: Value = r.json().await.expect("json");
    assert!(api.check("/rest/api/3/permissions/check", "post", status, &body));
    let allowed: Vec<String> = body["projectPermissions"][0]["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .map(|v| v.to_string())
        .collect();
    let expected: Vec<String> = ids
        .iter()
        .map(|i| i.to_string())
        .filter(|i| ws.can_see_issue(&alice, i))
        .collect();
    assert_eq!(allowed, expected);
    assert!(
        !expected.is_empty() && expected.len() < ids.len(),
        "alice sees some, not all"
    );
    // 401
    let r = http
        .get(format!("{}/rest/api/3/myself", sim.base_url))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 401);
    assert!(validated >= 18, "validated only {validated}");
    sim.shutdown().await;
}

#[test]
fn generated_adf_validates() {
    let Some(schema) = reference("adf-schema-v1-full.json") else {
        return;
    };
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(false)
        .build(&schema)
        .expect("ADF schema compiles");
    for ws in [
        generate(&GenConfig::skeleton(5)),
        generate(&GenConfig::small(5)),
    ] {
        let mut docs = 0;
        for i in &ws.issues {
            let d = i.description.to_adf();
            let errs: Vec<String> = validator
                .iter_errors(&d)
                .take(5)
                .map(|e| format!("{e} at {}", e.instance_path))
                .collect();
            assert!(errs.is_empty(), "{}: {}\n{d}", i.key, errs.join("\n"));
            docs += 1;
            for c in &i.comments {
                let d = c.body.to_adf();
                assert!(validator.is_valid(&d), "comment {} of {}: {d}", c.id, i.key);
                docs += 1;
            }
        }
        assert!(docs > ws.issues.len());
    }
    // Every block kind the generator uses appears.
    let ws = generate(&GenConfig::skeleton(5));
    let all = serde_json::to_string(
        &ws.issues
            .iter()
            .map(|i| i.description.to_adf())
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    for t in [
        "heading",
        "bulletList",
        "orderedList",
        "codeBlock",
        "panel",
        "blockquote",
        "rule",
        "hardBreak",
        "strong",
        "link",
        "code",
    ] {
        assert!(
            all.contains(&format!("\"type\":\"{t}\"")),
            "no {t} in generated ADF"
        );
    }
}
