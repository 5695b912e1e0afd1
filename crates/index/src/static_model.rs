//! A static (model2vec-style) embedding model: one vector per token in a table
//! (`model.safetensors`, tensor `embeddings`, f32 `[vocab, dim]`); a text's vector is
//! the mean of its tokens' rows, L2-normalised. Tokens are taken without special
//! tokens and without the unknown token, at most [`STATIC_MAX_TOKENS`] per text, as
//! model2vec's `StaticModel.encode` does. Tokenizing runs in parallel across cores
//! (`encode_batch`); the lookup is a few additions per token.

use std::path::Path;

use tokenizers::Tokenizer;

use crate::error::IndexError;
use crate::types::EMBEDDING_DIM;

/// Tokens of one text that count towards its vector (model2vec's default).
pub const STATIC_MAX_TOKENS: usize = 512;

/// The loaded table and its tokenizer.
pub(crate) struct StaticModel {
    tokenizer: Tokenizer,
    table: Vec<f32>,
    rows: usize,
    dim: usize,
    unk_id: Option<u32>,
}

fn embed_err(context: &str, message: impl std::fmt::Display) -> IndexError {
    IndexError::Embed {
        context: context.to_string(),
        message: message.to_string(),
    }
}

impl StaticModel {
    /// Loads `model.safetensors` and `tokenizer.json` from `dir`.
    pub fn load(dir: &Path) -> Result<Self, IndexError> {
        let path = dir.join("model.safetensors");
        let bytes = std::fs::read(&path).map_err(|e| IndexError::io(&path, e))?;
        let context = format!("reading {}", path.display());
        let tensors =
            safetensors::SafeTensors::deserialize(&bytes).map_err(|e| embed_err(&context, e))?;
        let view = tensors
            .tensor("embeddings")
            .map_err(|e| embed_err(&context, e))?;
        let (rows, dim) = match (view.dtype(), view.shape()) {
            (safetensors::Dtype::F32, [rows, dim]) => (*rows, *dim),
            (dtype, shape) => {
                return Err(embed_err(
                    &context,
                    format!(
                        "tensor `embeddings` is {dtype:?} {shape:?}, expected f32 [vocab, dim]"
                    ),
                ));
            }
        };
        if dim > EMBEDDING_DIM {
            return Err(embed_err(
                &context,
                format!("{dim}-d vectors do not fit the index's {EMBEDDING_DIM}"),
            ));
        }
        let table: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let tok_path = dir.join("tokenizer.json");
        let mut tokenizer = Tokenizer::from_file(&tok_path)
            .map_err(|e| embed_err(&format!("reading {}", tok_path.display()), e))?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(None)
            .map_err(|e| embed_err("configuring the tokenizer", e))?;
        let unk_id = tokenizer.token_to_id("[UNK]");
        Ok(StaticModel {
            tokenizer,
            table,
            rows,
            dim,
            unk_id,
        })
    }

    /// The tokenizer, for counting tokens.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// One normalised vector per text, padded with zeros to [`EMBEDDING_DIM`].
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, IndexError> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), false)
            .map_err(|e| embed_err("tokenizing", e))?;
        Ok(encodings
            .iter()
            .map(|enc| self.vector(enc.get_ids()))
            .collect())
    }

    fn vector(&self, ids: &[u32]) -> Vec<f32> {
        let mut out = vec![0f32; EMBEDDING_DIM];
        let mut n = 0usize;
        for &id in ids.iter().filter(|&&id| Some(id) != self.unk_id) {
            let row = id as usize;
            if row >= self.rows {
                continue;
            }
            for (o, v) in out[..self.dim]
                .iter_mut()
                .zip(&self.table[row * self.dim..(row + 1) * self.dim])
            {
                *o += v;
            }
            n += 1;
            if n == STATIC_MAX_TOKENS {
                break;
            }
        }
        // The mean's direction is the sum's; normalising makes the scale irrelevant.
        let norm = out.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            for x in &mut out {
                *x /= norm;
            }
        } else {
            // No known token: a fixed unit vector (a zero vector has no direction).
            out[0] = 1.0;
        }
        out
    }
}
