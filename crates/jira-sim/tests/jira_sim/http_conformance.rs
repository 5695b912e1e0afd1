//! Conformance of the simulator's REST endpoints over real HTTP on loopback.

use jira_sim::model::{CommentVisibility, Workspace};
use jira_sim::{GenConfig, SimHandle, generate, start};
use serde_json::{Value, json};
use std::collections::BTreeSet;

struct Sim {
    handle: SimHandle,
    http: reqwest::Client,
    ws: Workspace,
}

impl Sim {
    async fn new(cfg: GenConfig) -> Sim {
        let ws = generate(&cfg);
        let handle = start(ws.clone(), "127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("start");
        Sim {
            handle,
            http: reqwest::Client::new(),
            ws,
        }
    }
    fn url(&self, path: &str) -> String {
        format!("{}{}", self.handle.base_url, path)
    }
    async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(self.url(path))
            .basic_auth(&self.ws.admin_email, Some(&self.ws.admin_api_token))
            .send()
            .await
            .expect("send");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
    async fn ok(&self, path: &str) -> Value {
        let (s, v) = self.get(path).await;
        assert_eq!(s, 200, "GET {path}: {v}");
        v
    }
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(path))
            .basic_auth(&self.ws.admin_email, Some(&self.ws.admin_api_token))
            .json(&body)
            .send()
            .await
            .expect("send");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

fn arr(v: &Value) -> &Vec<Value> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected array: {v}"))
}

#[tokio::test]
async fn auth_required_and_errors_are_json() {
    let sim = Sim::new(GenConfig::skeleton(1)).await;
    let r = sim
        .http
        .get(sim.url("/rest/api/3/myself"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 401);
    let body: Value = r.json().await.expect("json");
    assert!(body["errorMessages"].is_array() && body["errors"].is_object());
    let r = sim
        .http
        .get(sim.url("/rest/api/3/myself"))
        .basic_auth(&sim.ws.admin_email, Some("wrong"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 401);
    let me = sim.ok("/rest/api/3/myself").await;
    assert_eq!(me["accountId"], json!(sim.ws.admin_account_id));
    assert_eq!(me["emailAddress"], json!(sim.ws.admin_email));
    let (s, v) = sim.get("/rest/api/3/search?jql=").await;
    assert_eq!(s, 410);
    assert!(
        v["errorMessages"][0]
            .as_str()
            .is_some_and(|m| m.contains("search/jql"))
    );
    let (s, _) = sim.post("/rest/api/3/search", json!({"jql": ""})).await;
    assert_eq!(s, 410);
    let (s, v) = sim.get("/rest/api/3/nope").await;
    assert_eq!(s, 404);
    assert!(v["errorMessages"].is_array());
    assert!(sim.handle.request_count() >= 6);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn users_groups_and_application_roles() {
    let sim = Sim::new(GenConfig::small(2)).await;
    // users/search: bare array pages
    let mut seen = Vec::new();
    let mut start = 0;
    loop {
        let page = sim
            .ok(&format!(
                "/rest/api/3/users/search?startAt={start}&maxResults=7"
            ))
            .await;
        let page = arr(&page);
        for u in page {
            assert!(
                u["accountId"].is_string()
                    && u["displayName"].is_string()
                    && u["active"].is_boolean()
            );
            let kind = u["accountType"].as_str().unwrap_or_default().to_string();
            assert!(
                ["atlassian", "app", "customer"].contains(&kind.as_str()),
                "{u}"
            );
            seen.push(u.clone());
        }
        if page.len() < 7 {
            break;
        }
        start += 7;
    }
    assert_eq!(seen.len(), sim.ws.users.len());
    // People, an app and a service-desk customer.
    for kind in ["atlassian", "app", "customer"] {
        assert!(
            seen.iter().any(|u| u["accountType"] == kind),
            "no {kind} account"
        );
    }
    for (u, w) in seen.iter().zip(&sim.ws.users) {
        assert_eq!(u["accountId"], json!(w.account_id));
        assert_eq!(u["accountType"], json!(w.account_type));
        assert_eq!(u.get("emailAddress").is_some(), w.email_visible, "{u}");
        assert_eq!(u["active"], json!(w.active));
    }
    // group/bulk
    let mut groups = Vec::new();
    let mut start = 0;
    loop {
        let page = sim
            .ok(&format!(
                "/rest/api/3/group/bulk?startAt={start}&maxResults=5"
            ))
            .await;
        assert_eq!(page["total"], json!(sim.ws.groups.len()));
        for g in arr(&page["values"]) {
            groups.push((
                g["groupId"].as_str().unwrap_or_default().to_string(),
                g["name"].as_str().unwrap_or_default().to_string(),
            ));
        }
        if page["isLast"] == json!(true) {
            break;
        }
        start += 5;
    }
    let want: Vec<(String, String)> = sim
        .ws
        .groups
        .iter()
        .map(|g| (g.group_id.clone(), g.name.clone()))
        .collect();
    assert_eq!(groups, want);
    // group/member with and without inactive users
    let eng = sim.ws.group_by_name("engineering").expect("engineering");
    for include in [false, true] {
        let mut members = BTreeSet::new();
        let mut start = 0;
        loop {
            let page = sim
                .ok(&format!("/rest/api/3/group/member?groupId={}&includeInactiveUsers={include}&startAt={start}&maxResults=2", eng.group_id))
                .await;
            for u in arr(&page["values"]) {
                members.insert(u["accountId"].as_str().unwrap_or_default().to_string());
            }
            if page["isLast"] == json!(true) {
                break;
            }
            start += 2;
        }
        let want: BTreeSet<String> = eng
            .members
            .iter()
            .filter(|a| include || sim.ws.user(a).is_some_and(|u| u.active))
            .cloned()
            .collect();
        assert_eq!(members, want);
    }
    let (s, _) = sim
        .get("/rest/api/3/group/member?groupId=does-not-exist")
        .await;
    assert_eq!(s, 404);
    // application roles
    let roles = sim.ok("/rest/api/3/applicationrole").await;
    let sw = arr(&roles)
        .iter()
        .find(|r| r["key"] == "jira-software")
        .expect("jira-software");
    assert!(arr(&sw["groups"]).contains(&json!("jira-users")));
    assert!(
        arr(&sw["groupDetails"])
            .iter()
            .any(|g| g["name"] == "jira-users" && g["groupId"].is_string())
    );
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn projects_roles_and_schemes() {
    let sim = Sim::new(GenConfig::small(2)).await;
    let mut projects = Vec::new();
    let mut start = 0;
    loop {
        let page = sim
            .ok(&format!("/rest/api/3/project/search?startAt={start}&maxResults=3&expand=lead&status=live&status=archived"))
            .await;
        for p in arr(&page["values"]) {
            for f in [
                "id",
                "key",
                "name",
                "projectTypeKey",
                "style",
                "simplified",
                "isPrivate",
                "archived",
            ] {
                assert!(p.get(f).is_some(), "missing {f} in {p}");
            }
            assert!(p["lead"]["accountId"].is_string());
            projects.push(p.clone());
        }
        if page["isLast"] == json!(true) {
            break;
        }
        start += 3;
    }
    assert_eq!(projects.len(), sim.ws.projects.len());
    let live = sim.ok("/rest/api/3/project/search?maxResults=100").await;
    assert_eq!(
        live["total"],
        json!(sim.ws.projects.iter().filter(|p| !p.archived).count())
    );
    assert!(arr(&live["values"])[0].get("lead").is_none());

    // roles of OPS: Developers has a user and a group actor
    let roles = sim.ok("/rest/api/3/project/OPS/role").await;
    let dev_url = roles["Developers"].as_str().expect("Developers url");
    assert!(dev_url.ends_with("/role/10001"), "{dev_url}");
    let dev = sim.ok("/rest/api/3/project/OPS/role/10001").await;
    assert_eq!(dev["name"], "Developers");
    let actors = arr(&dev["actors"]);
    assert!(actors.iter().any(
        |a| a["type"] == "atlassian-user-role-actor" && a["actorUser"]["accountId"].is_string()
    ));
    assert!(
        actors
            .iter()
            .any(|a| a["type"] == "atlassian-group-role-actor"
                && a["actorGroup"]["groupId"].is_string()
                && a["actorGroup"]["name"] == "ops-team")
    );

    // permission schemes
    let ps = sim.ok("/rest/api/3/project/ENG/permissionscheme").await;
    let id = ps["id"].as_i64().expect("scheme id");
    let full = sim
        .ok(&format!(
            "/rest/api/3/permissionscheme/{id}?expand=permissions"
        ))
        .await;
    let perms = arr(&full["permissions"]);
    let eng = sim.ws.group_by_name("engineering").expect("eng");
    assert!(perms.iter().any(|p| p["permission"] == "BROWSE_PROJECTS"
        && p["holder"]["type"] == "group"
        && p["holder"]["value"] == json!(eng.group_id)
        && p["holder"]["parameter"] == "engineering"));
    assert!(perms.iter().any(|p| p["permission"] != "BROWSE_PROJECTS"));
    let pubs = sim.ok("/rest/api/3/project/PUB/permissionscheme").await;
    let full = sim
        .ok(&format!(
            "/rest/api/3/permissionscheme/{}?expand=permissions",
            pubs["id"]
        ))
        .await;
    assert!(
        arr(&full["permissions"])
            .iter()
            .any(|p| p["permission"] == "BROWSE_PROJECTS" && p["holder"]["type"] == "anyone")
    );
    // every holder type appears across schemes of the small preset
    let mut types = BTreeSet::new();
    for p in &sim.ws.projects {
        let (s, v) = sim
            .get(&format!("/rest/api/3/project/{}/permissionscheme", p.key))
            .await;
        if p.is_team_managed() {
            assert_eq!(s, 404);
            continue;
        }
        let full = sim
            .ok(&format!(
                "/rest/api/3/permissionscheme/{}?expand=permissions",
                v["id"]
            ))
            .await;
        for g in arr(&full["permissions"]) {
            if g["permission"] == "BROWSE_PROJECTS" {
                types.insert(g["holder"]["type"].as_str().unwrap_or_default().to_string());
            }
        }
    }
    assert_eq!(types.len(), 10, "{types:?}");

    // issue security
    let sec = sim
        .ok("/rest/api/3/project/ENG/issuesecuritylevelscheme")
        .await;
    let level = arr(&sec["levels"])
        .iter()
        .find(|l| l["name"] == "Security-Restricted")
        .expect("level")
        .clone();
    let members = sim
        .ok(&format!("/rest/api/3/issuesecurityschemes/level/member?schemeId={}&levelId={}&startAt=0&maxResults=1", sec["id"], level["id"].as_str().unwrap_or_default()))
        .await;
    assert_eq!(members["total"], 2);
    assert_eq!(arr(&members["values"]).len(), 1);
    let next = sim
        .ok(&format!("/rest/api/3/issuesecurityschemes/level/member?schemeId={}&levelId={}&startAt=1&maxResults=1", sec["id"], level["id"].as_str().unwrap_or_default()))
        .await;
    let holders: BTreeSet<String> = [&members, &next]
        .iter()
        .flat_map(|p| {
            arr(&p["values"])
                .iter()
                .map(|m| m["holder"]["type"].as_str().unwrap_or_default().to_string())
        })
        .collect();
    assert_eq!(
        holders,
        BTreeSet::from(["group".to_string(), "reporter".to_string()])
    );
    assert_eq!(
        arr(&members["values"])[0]["issueSecurityLevelId"],
        level["id"]
    );
    let (s, v) = sim
        .get("/rest/api/3/project/HR/issuesecuritylevelscheme")
        .await;
    assert_eq!(s, 404);
    assert!(v["errorMessages"].is_array());
    let (s, _) = sim.get("/rest/api/3/project/NOPE/role").await;
    assert_eq!(s, 404);
    sim.handle.shutdown().await;
}

async fn walk_search(sim: &Sim, jql: &str, fields: &str, max: usize, post: bool) -> Vec<Value> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let (s, v) = if post {
            let mut body = json!({"jql": jql, "maxResults": max, "fields": fields.split(',').collect::<Vec<_>>()});
            if let Some(t) = &token {
                body["nextPageToken"] = json!(t);
            }
            sim.post("/rest/api/3/search/jql", body).await
        } else {
            let mut url = reqwest::Url::parse(&sim.url("/rest/api/3/search/jql")).expect("url");
            url.query_pairs_mut()
                .append_pair("jql", jql)
                .append_pair("maxResults", &max.to_string())
                .append_pair("fields", fields);
            if let Some(t) = &token {
                url.query_pairs_mut().append_pair("nextPageToken", t);
            }
            let path = format!("{}?{}", url.path(), url.query().unwrap_or_default());
            sim.get(&path).await
        };
        assert_eq!(s, 200, "{v}");
        let issues = arr(&v["issues"]);
        out.extend(issues.iter().cloned());
        if v["isLast"] == json!(true) {
            assert!(v.get("nextPageToken").is_none());
            break;
        }
        token = Some(v["nextPageToken"].as_str().expect("token").to_string());
    }
    out
}

#[tokio::test]
async fn search_jql_pages_fields_and_errors() {
    let sim = Sim::new(GenConfig::skeleton(4)).await;
    // all issues, content fields, GET and POST
    for post in [false, true] {
        let issues = walk_search(
            &sim,
            "project in (ENG, OPS, HR, PUB) ORDER BY updated ASC, key ASC",
            "*all",
            37,
            post,
        )
        .await;
        let story: Vec<&str> = ["ENG", "OPS", "HR", "PUB"]
            .iter()
            .filter_map(|k| sim.ws.project_by_id_or_key(k))
            .map(|p| p.id.as_str())
            .collect();
        let in_story = sim
            .ws
            .issues
            .iter()
            .filter(|i| story.contains(&i.project_id.as_str()))
            .count();
        assert_eq!(issues.len(), in_story);
        let keys: BTreeSet<&str> = issues.iter().filter_map(|i| i["key"].as_str()).collect();
        assert_eq!(keys.len(), in_story);
        let mut prev = String::new();
        for i in &issues {
            let f = &i["fields"];
            let w = sim
                .ws
                .issue(i["id"].as_str().unwrap_or_default())
                .expect("issue exists");
            assert_eq!(i["key"], json!(w.key));
            assert!(
                i["self"]
                    .as_str()
                    .is_some_and(|s| s.ends_with(&format!("/rest/api/3/issue/{}", w.id)))
            );
            assert_eq!(f["summary"], json!(w.summary));
            assert_eq!(f["description"]["type"], "doc");
            assert_eq!(f["description"]["version"], 1);
            assert!(
                f["status"]["name"].is_string() && f["status"]["statusCategory"]["key"].is_string()
            );
            assert!(f["priority"]["name"].is_string() && f["issuetype"]["name"].is_string());
            assert!(f["labels"].is_array());
            assert_eq!(
                f["project"]["key"],
                json!(w.key.split('-').next().unwrap_or_default())
            );
            assert!(f["reporter"]["accountId"].is_string());
            assert!(f["assignee"].is_null() || f["assignee"]["accountId"].is_string());
            let updated = f["updated"].as_str().unwrap_or_default();
            assert_eq!(
                updated.len(),
                "2025-03-04T17:01:51.123+0000".len(),
                "{updated}"
            );
            assert!(updated.ends_with("+0000"));
            assert!(updated >= prev.as_str());
            prev = updated.to_string();
            // A sub-task has no security field (it takes its parent's level).
            assert_eq!(
                f.get("security").is_some(),
                w.security_level_id.is_some() && !w.is_subtask()
            );
            if f.get("security").is_some() {
                assert_eq!(f["security"]["name"], "Security-Restricted");
            }
            let c = &f["comment"];
            assert_eq!(c["total"], json!(w.comments.len()));
            assert_eq!(arr(&c["comments"]).len(), w.comments.len().min(20));
            assert!(f["attachment"].is_array());
            for (cj, cw) in arr(&c["comments"]).iter().zip(&w.comments) {
                assert_eq!(cj["id"], json!(cw.id));
                assert_eq!(cj["body"]["type"], "doc");
                match &cw.visibility {
                    None => assert!(cj.get("visibility").is_none()),
                    Some(CommentVisibility::Group { group_id, name }) => {
                        assert_eq!(
                            cj["visibility"],
                            json!({"type": "group", "value": name, "identifier": group_id})
                        );
                    }
                    // OpenAPI `Visibility.identifier`: "the ID of the group or the
                    // name of the role".
                    Some(CommentVisibility::Role { name, .. }) => {
                        assert_eq!(
                            cj["visibility"],
                            json!({"type": "role", "value": name, "identifier": name})
                        );
                    }
                }
            }
        }
    }
    // id-only pages up to 5000; content pages capped at 100
    let (s, v) = sim
        .get("/rest/api/3/search/jql?jql=&maxResults=5000&fields=id")
        .await;
    assert_eq!(s, 200);
    assert_eq!(arr(&v["issues"]).len(), sim.ws.issues.len());
    assert_eq!(v["isLast"], true);
    assert!(
        arr(&v["issues"])[0]["fields"]
            .as_object()
            .is_some_and(|m| m.is_empty())
    );
    let (_, v) = sim
        .get("/rest/api/3/search/jql?jql=&maxResults=5000&fields=summary")
        .await;
    assert_eq!(arr(&v["issues"]).len(), 100);
    assert_eq!(v["isLast"], false);
    // default: ids only
    let (_, v) = sim
        .get("/rest/api/3/search/jql?jql=project%20%3D%20HR")
        .await;
    let hr = sim
        .ws
        .issues
        .iter()
        .filter(|i| i.key.starts_with("HR-"))
        .count();
    assert_eq!(arr(&v["issues"]).len(), hr.min(50));
    // updated >= epoch ms
    let cut = sim.ws.issues[150].updated;
    let got = walk_search(
        &sim,
        &format!("updated >= {} ORDER BY updated ASC", cut.timestamp_millis()),
        "id,key",
        1000,
        false,
    )
    .await;
    assert_eq!(
        got.len(),
        sim.ws.issues.iter().filter(|i| i.updated >= cut).count()
    );
    let got = walk_search(&sim, "project not in (ENG, PUB)", "key", 10, true).await;
    assert!(got.iter().all(|i| {
        i["key"]
            .as_str()
            .is_some_and(|k| ["OPS-", "HR-", "LAB-"].iter().any(|p| k.starts_with(p)))
    }));
    // unsupported JQL and bad tokens → 400
    for bad in [
        "summary ~ login",
        "project = ENG OR",
        "assignee = currentUser()",
        "project = NOPE",
    ] {
        let (s, v) = sim
            .post("/rest/api/3/search/jql", json!({"jql": bad}))
            .await;
        assert_eq!(s, 400, "{bad}");
        assert!(!arr(&v["errorMessages"]).is_empty());
    }
    let (s, _) = sim
        .post(
            "/rest/api/3/search/jql",
            json!({"jql": "", "nextPageToken": "bogus"}),
        )
        .await;
    assert_eq!(s, 400);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn comments_endpoint_pages() {
    let sim = Sim::new(GenConfig::small(9)).await;
    let issue = sim
        .ws
        .issues
        .iter()
        .find(|i| i.comments.len() > 20)
        .expect("long thread");
    let mut ids = Vec::new();
    let mut start = 0;
    loop {
        let v = sim
            .ok(&format!(
                "/rest/api/3/issue/{}/comment?startAt={start}&maxResults=7&orderBy=created",
                issue.key
            ))
            .await;
        assert_eq!(v["total"], json!(issue.comments.len()));
        let c = arr(&v["comments"]);
        for x in c {
            assert!(
                x["author"]["accountId"].is_string()
                    && x["created"].is_string()
                    && x["body"]["type"] == "doc"
            );
            ids.push(x["id"].as_str().unwrap_or_default().to_string());
        }
        if c.is_empty() || start + c.len() >= issue.comments.len() {
            break;
        }
        start += 7;
    }
    let want: Vec<String> = issue.comments.iter().map(|c| c.id.clone()).collect();
    assert_eq!(ids, want);
    let v = sim
        .ok(&format!(
            "/rest/api/3/issue/{}/comment?orderBy=-created",
            issue.id
        ))
        .await;
    assert_eq!(arr(&v["comments"])[0]["id"], json!(want.last()));
    let (s, _) = sim.get("/rest/api/3/issue/NOPE-1/comment").await;
    assert_eq!(s, 404);
    // archived projects leave search results
    let archived: BTreeSet<&str> = sim
        .ws
        .projects
        .iter()
        .filter(|p| p.archived)
        .map(|p| p.id.as_str())
        .collect();
    assert!(!archived.is_empty());
    let all = walk_search(&sim, "", "id", 5000, false).await;
    assert_eq!(
        all.len(),
        sim.ws
            .issues
            .iter()
            .filter(|i| !archived.contains(i.project_id.as_str()))
            .count()
    );
    sim.handle.shutdown().await;
}
