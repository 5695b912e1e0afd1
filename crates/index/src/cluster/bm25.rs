//! BM25 as sparse vectors, for the cluster backend. A chunk's title and text are cut
//! into terms by the same analyzer as the local keyword index (tantivy's `en_stem`:
//! words, lower case, at most 40 bytes, English stems); each term is a dimension
//! (FNV-1a of the term, 32 bits), and its value is BM25's term-frequency part,
//! `tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg_len))`. The IDF part is
//! Qdrant's own: the sparse vector is declared with the `idf` modifier, so the
//! collection's document frequencies weigh each query term (Qdrant, "Sparse vectors",
//! modifier `idf`). A query's vector holds each distinct query term with weight 1, so
//! a chunk's score is `Σ idf(t) * tf_part(t)`: BM25.

use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer, TokenStream,
};

/// BM25's term-frequency saturation (as tantivy).
const K1: f32 = 1.2;
/// BM25's length normalisation (as tantivy).
const B: f32 = 0.75;
/// The length (in terms) a chunk's text is normalised against. tantivy uses the
/// index's running average; a cluster shared by replicas needs a constant: the mean of
/// the simulator's small site (every chunk kind) is about 60 terms.
const AVG_LEN: f32 = 60.0;
/// The same for a chunk's title (issue key and summary).
const AVG_TITLE_LEN: f32 = 8.0;

/// A sparse vector: sorted, distinct dimensions and their values.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Sparse {
    pub(crate) indices: Vec<u32>,
    pub(crate) values: Vec<f32>,
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::English))
        .build()
}

thread_local! {
    static ANALYZER: std::cell::RefCell<TextAnalyzer> = std::cell::RefCell::new(analyzer());
}

/// The terms of `text`, in order.
pub(crate) fn terms(text: &str) -> Vec<String> {
    ANALYZER.with_borrow_mut(|analyzer| {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    })
}

/// The dimension of a term.
pub(crate) fn term_id(term: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in term.as_bytes() {
        hash ^= u32::from(*b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

fn sparse(mut pairs: Vec<(u32, f32)>) -> Sparse {
    pairs.sort_by_key(|(i, _)| *i);
    let mut out = Sparse::default();
    for (i, v) in pairs {
        // Two terms on one dimension (a hash collision) add up.
        if out.indices.last() == Some(&i) {
            if let Some(last) = out.values.last_mut() {
                *last += v;
            }
        } else {
            out.indices.push(i);
            out.values.push(v);
        }
    }
    out
}

/// The document vector of a chunk. As the local index scores the title and the text
/// as two fields and adds their BM25 scores, each term's value is the sum of its
/// term-frequency part in the title and in the text, each normalised by its own
/// field's length.
pub(crate) fn document(title: &str, text: &str) -> Sparse {
    let mut values: std::collections::HashMap<String, f32> = std::collections::HashMap::new();
    for (field, avg) in [(title, AVG_TITLE_LEN), (text, AVG_LEN)] {
        let all = terms(field);
        let len = all.len() as f32;
        let mut tf: std::collections::HashMap<String, f32> = std::collections::HashMap::new();
        for t in all {
            *tf.entry(t).or_default() += 1.0;
        }
        let norm = K1 * (1.0 - B + B * len / avg);
        for (t, f) in tf {
            *values.entry(t).or_default() += f * (K1 + 1.0) / (f + norm);
        }
    }
    sparse(values.into_iter().map(|(t, v)| (term_id(&t), v)).collect())
}

/// The query vector: every distinct term of the query, weight 1.
pub(crate) fn query(text: &str) -> Sparse {
    let mut seen = std::collections::HashSet::new();
    sparse(
        terms(text)
            .into_iter()
            .filter(|t| seen.insert(t.clone()))
            .map(|t| (term_id(&t), 1.0))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_the_keyword_index_terms() {
        assert_eq!(
            terms("Login FAILS after password resets"),
            ["login", "fail", "after", "password", "reset"]
        );
        assert_eq!(terms("ENG-123"), ["eng", "123"]);
    }

    #[test]
    fn term_frequency_saturates_and_long_chunks_weigh_less() {
        let once = document("", "deploy");
        let thrice = document("", "deploy deploy deploy");
        let id = term_id("deploy");
        let at = |s: &Sparse| s.values[s.indices.iter().position(|i| *i == id).unwrap()];
        assert!(at(&thrice) > at(&once));
        assert!(at(&thrice) < 3.0 * at(&once));
        let long = document("", &format!("deploy {}", "word ".repeat(200)));
        assert!(at(&long) < at(&once));
        // Sorted, distinct dimensions.
        assert!(long.indices.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn a_query_weighs_each_term_once() {
        let q = query("reset the reset password");
        assert_eq!(q.indices.len(), 3);
        assert!(q.values.iter().all(|v| *v == 1.0));
    }
}
