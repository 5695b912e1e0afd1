//! The text embedder: all-MiniLM-L6-v2 (int8 ONNX) through fastembed and a
//! dynamically loaded ONNX Runtime. 384-d, L2-normalised, mean pooling, inputs
//! truncated to 256 tokens. Batches are sorted by length inside a call so padding
//! is not wasted; results come back in input order.

use std::path::Path;
use std::sync::{Mutex, OnceLock};

use fastembed::{
    InitOptionsUserDefined, Pooling, TextEmbedding, TokenizerFiles, UserDefinedEmbeddingModel,
};
use tracing::{debug, info};

use crate::assets::AssetPaths;
use crate::{EMBEDDING_DIM, IndexError};

/// Longest input given to the model, in tokens (longer inputs are truncated).
pub const MAX_TOKENS: usize = 256;
/// Tuning of an [`Embedder`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmbedderOptions {
    /// Texts per model call (default 32; keep moderate: 256 × 256 tokens reached 10 GB RSS).
    pub batch_size: usize,
    /// ONNX Runtime intra-op threads of the bulk session (`None`: all cores).
    pub intra_threads: Option<usize>,
}

impl Default for EmbedderOptions {
    fn default() -> Self {
        EmbedderOptions {
            batch_size: 32,
            intra_threads: None,
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

/// Sentence embedder; `Send + Sync`. It holds two sessions of the same model, each
/// behind its own mutex: one for bulk batches ([`Embedder::embed`]) and a small one
/// for search queries ([`Embedder::embed_query`]), so searches stay fast while a sync
/// is embedding.
pub struct Embedder {
    batch_size: usize,
    model: Mutex<TextEmbedding>,
    query_model: Mutex<TextEmbedding>,
    /// Tokenizer without truncation, for [`Embedder::count_tokens`].
    counter: tokenizers::Tokenizer,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("dim", &EMBEDDING_DIM)
            .finish()
    }
}

impl Embedder {
    /// Loads ONNX Runtime, the model and its tokenizer from verified asset paths.
    pub fn load(assets: &AssetPaths) -> Result<Self, IndexError> {
        Self::load_with(assets, EmbedderOptions::default())
    }

    /// [`Self::load`] with explicit options.
    pub fn load_with(assets: &AssetPaths, options: EmbedderOptions) -> Result<Self, IndexError> {
        let batch_size = options.batch_size.max(1);
        load_onnxruntime(&assets.onnxruntime_lib)?;
        let read = |p: &Path| std::fs::read(p).map_err(|e| IndexError::io(p, e));
        let onnx = read(&assets.model_onnx)?;
        let tok = |name: &str| read(&assets.tokenizer_dir.join(name));
        let files = TokenizerFiles {
            tokenizer_file: tok("tokenizer.json")?,
            config_file: tok("config.json")?,
            special_tokens_map_file: tok("special_tokens_map.json")?,
            tokenizer_config_file: tok("tokenizer_config.json")?,
        };
        let session = |onnx: Vec<u8>, files: TokenizerFiles, threads: Option<usize>| {
            let model = UserDefinedEmbeddingModel::new(onnx, files).with_pooling(Pooling::Mean);
            let mut options = InitOptionsUserDefined::new().with_max_length(MAX_TOKENS);
            if let Some(t) = threads {
                options = options.with_intra_threads(t);
            }
            TextEmbedding::try_new_from_user_defined(model, options).map_err(|e| {
                IndexError::Embed {
                    context: format!("creating session from {}", assets.model_onnx.display()),
                    message: e.to_string(),
                }
            })
        };
        let query_files = TokenizerFiles {
            tokenizer_file: files.tokenizer_file.clone(),
            config_file: files.config_file.clone(),
            special_tokens_map_file: files.special_tokens_map_file.clone(),
            tokenizer_config_file: files.tokenizer_config_file.clone(),
        };
        let query_threads = std::thread::available_parallelism()
            .map(|n| n.get().min(2))
            .unwrap_or(1);
        let query_model = session(onnx.clone(), query_files, Some(query_threads))?;
        let model = session(onnx, files, options.intra_threads)?;
        let mut counter = model.tokenizer.clone();
        counter
            .with_truncation(None)
            .map_err(|e| IndexError::Embed {
                context: "configuring token counter".into(),
                message: e.to_string(),
            })?;
        counter.with_padding(None);
        let embedder = Embedder {
            batch_size,
            model: Mutex::new(model),
            query_model: Mutex::new(query_model),
            counter,
        };
        // Fail now, not at the first sync batch, when the model is not what we expect.
        let dim = embedder.embed_query("probe")?.len();
        if dim != EMBEDDING_DIM {
            return Err(IndexError::Embed {
                context: format!("model {}", assets.model_onnx.display()),
                message: format!("produces {dim}-d vectors, expected {EMBEDDING_DIM}"),
            });
        }
        Ok(embedder)
    }

    /// Dimension of the vectors (384).
    pub fn dim(&self) -> usize {
        EMBEDDING_DIM
    }

    /// Embeds `texts`, returning one normalised vector per text in input order.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, IndexError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        // Sort by length (bytes approximate tokens well enough) so each batch pads little.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        let mut model = self.model.lock().unwrap_or_else(|e| e.into_inner());
        for batch in order.chunks(self.batch_size) {
            let inputs: Vec<&str> = batch.iter().map(|&i| texts[i]).collect();
            let vectors =
                model
                    .embed(&inputs, Some(self.batch_size))
                    .map_err(|e| IndexError::Embed {
                        context: format!("embedding a batch of {} texts", inputs.len()),
                        message: e.to_string(),
                    })?;
            if vectors.len() != inputs.len() {
                return Err(IndexError::Embed {
                    context: "embedding".into(),
                    message: format!(
                        "model returned {} vectors for {} texts",
                        vectors.len(),
                        inputs.len()
                    ),
                });
            }
            for (&i, v) in batch.iter().zip(vectors) {
                out[i] = v;
            }
        }
        debug!(texts = texts.len(), "embedded");
        Ok(out)
    }

    /// Embeds one search query on the query session (never queued behind bulk batches).
    pub fn embed_query(&self, text: &str) -> Result<Vec<f32>, IndexError> {
        let mut model = self.query_model.lock().unwrap_or_else(|e| e.into_inner());
        let mut v = model
            .embed([text], Some(1))
            .map_err(|e| IndexError::Embed {
                context: "embedding a query".into(),
                message: e.to_string(),
            })?;
        v.pop().ok_or_else(|| IndexError::Embed {
            context: "embedding a query".into(),
            message: "model returned no vector".into(),
        })
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
        for i in [0usize, 5, 17, 39] {
            let single = e.embed(&[refs[i]]).expect("embed one");
            assert!(cosine(&all[i], &single[0]) > 0.999, "text {i} moved");
            let query = e.embed_query(refs[i]).expect("embed query");
            assert!(
                cosine(&all[i], &query) > 0.999,
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
