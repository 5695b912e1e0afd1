//! How hybrid search merges the BM25 and vector rankings: [`Fusion`] (by default a
//! convex combination of scores measured on the labeled query set; rank fusion when
//! the query names an issue key) and [`fuse`], the same for every backend.

use std::collections::HashMap;

/// RRF constant.
const RRF_K: f32 = 60.0;

/// How hybrid search merges the BM25 and vector rankings.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum Fusion {
    /// Reciprocal rank fusion: `w / (k + rank)` per side (`w` = 1 for BM25,
    /// `vector_weight` for vectors).
    Rrf {
        /// The RRF constant `k`.
        k: f32,
        /// Weight of the vector side (BM25 weighs 1).
        vector_weight: f32,
    },
    /// Convex combination of scores: `vector_weight * cosine + (1 - vector_weight) *
    /// bm25 / max_bm25` (BM25 divided by the best BM25 score of the query's
    /// candidates); a chunk missing from one side gets 0 there.
    Convex {
        /// Weight of the vector side, 0 to 1.
        vector_weight: f32,
    },
}

/// The fusion of queries that name an issue key: the BM25 side ranks the key's chunks
/// first (boosted), and rank fusion keeps them near the top whatever the vectors say.
pub const KEY_QUERY_FUSION: Fusion = Fusion::Rrf {
    k: RRF_K,
    vector_weight: 1.0,
};

impl Default for Fusion {
    /// Measured on the labeled query set (`cargo bench --bench search_quality`, see
    /// `tests/e2e/search_quality.rs`): a convex combination that lets BM25 re-rank the
    /// vector side beat RRF (k = 5…60, vector weights 1…3) and both sides alone on
    /// MRR, on two generated sites.
    fn default() -> Self {
        Fusion::Convex {
            vector_weight: 0.95,
        }
    }
}

/// Merges the BM25 ranking `kw` and the vector ranking `vs` (each best first, with
/// its scores) by `fusion`. Ties keep the order of first appearance (BM25 first).
pub(crate) fn fuse<'a>(
    fusion: Fusion,
    kw: &'a [(String, f32)],
    vs: &'a [(String, f32)],
) -> Vec<(String, f32)> {
    let mut scores: HashMap<&'a str, (f32, usize)> = HashMap::new();
    let mut order = 0usize;
    let mut add = |id: &'a str, x: f32| {
        let e = scores.entry(id).or_insert_with(|| {
            order += 1;
            (0.0, order)
        });
        e.0 += x;
    };
    match fusion {
        Fusion::Rrf { k, vector_weight } => {
            for (rank, (id, _)) in kw.iter().enumerate() {
                add(id, 1.0 / (k + rank as f32 + 1.0));
            }
            for (rank, (id, _)) in vs.iter().enumerate() {
                add(id, vector_weight / (k + rank as f32 + 1.0));
            }
        }
        Fusion::Convex { vector_weight } => {
            let max_kw = kw.iter().map(|(_, s)| *s).fold(0.0f32, f32::max);
            for (id, s) in kw {
                let norm = if max_kw > 0.0 { s / max_kw } else { 0.0 };
                add(id, (1.0 - vector_weight) * norm);
            }
            for (id, s) in vs {
                add(id, vector_weight * s);
            }
        }
    }
    let mut fused: Vec<(String, f32, usize)> = scores
        .into_iter()
        .map(|(id, (s, o))| (id.to_string(), s, o))
        .collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
    fused.into_iter().map(|(id, s, _)| (id, s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranked(ids: &[&str]) -> Vec<(String, f32)> {
        ids.iter().map(|i| (i.to_string(), 1.0)).collect()
    }

    #[test]
    fn convex_lets_bm25_break_near_ties_of_the_vector_side() {
        let kw = vec![("b".to_string(), 8.0), ("c".to_string(), 2.0)];
        let vs = vec![("a".to_string(), 0.61), ("b".to_string(), 0.60)];
        let fused = fuse(Fusion::default(), &kw, &vs);
        let ids: Vec<&str> = fused.iter().map(|(i, _)| i.as_str()).collect();
        // b: 0.95 * 0.60 + 0.05 * 1.0 = 0.62; a: 0.95 * 0.61 = 0.5795; c: 0.05 * 0.25
        assert_eq!(ids, vec!["b", "a", "c"]);
        assert!((fused[0].1 - 0.62).abs() < 1e-6);
    }

    #[test]
    fn rrf_rewards_agreement() {
        let fused = fuse(
            KEY_QUERY_FUSION,
            &ranked(&["x", "y", "z"]),
            &ranked(&["z", "y", "w"]),
        );
        let ids: Vec<&str> = fused.iter().map(|(i, _)| i.as_str()).collect();
        // z: 1/63 + 1/61 = 0.032266; y: 2/62 = 0.032258; x: 1/61; w: 1/63
        assert_eq!(ids, vec!["z", "y", "x", "w"]);
        assert!((fused[1].1 - 2.0 / 62.0).abs() < 1e-6);
    }
}
