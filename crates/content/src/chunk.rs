//! Token-bounded chunking of Markdown: cuts preferably at headings, then paragraphs,
//! then sentences, then words; consecutive chunks overlap. No word of the input is
//! lost, and no cut falls inside a UTF-8 character.

use unicode_segmentation::UnicodeSegmentation;

/// Counts tokens the way the embedding model will.
pub trait TokenCounter: Send + Sync {
    /// Number of tokens in `text`.
    fn count(&self, text: &str) -> usize;
}

/// Approximate counter: one token per word and per punctuation mark. For tests and
/// keyword-only mode.
pub struct WordCounter;

impl TokenCounter for WordCounter {
    fn count(&self, text: &str) -> usize {
        text.split_word_bounds()
            .filter(|w| !w.trim().is_empty())
            .count()
    }
}

/// Chunk size and overlap in tokens.
#[derive(Clone, Debug)]
pub struct ChunkOptions {
    /// Most tokens in one chunk (at least 8 are used).
    pub max_tokens: usize,
    /// Tokens repeated from the end of one chunk at the start of the next (at most
    /// half of `max_tokens`).
    pub overlap_tokens: usize,
}

impl Default for ChunkOptions {
    fn default() -> Self {
        Self {
            max_tokens: 256,
            overlap_tokens: 32,
        }
    }
}

/// One chunk of a document.
#[derive(Clone, Debug, PartialEq)]
pub struct TextChunk {
    /// Position in the document, from 0.
    pub index: usize,
    /// The chunk's Markdown.
    pub text: String,
}

/// Splits Markdown into chunks of at most `max_tokens` (per `counter`).
pub fn chunk_markdown(md: &str, counter: &dyn TokenCounter, opts: &ChunkOptions) -> Vec<TextChunk> {
    let max = opts.max_tokens.max(8);
    let overlap = opts.overlap_tokens.min(max / 2);
    // Pieces no larger than `max`, in order, each tagged with how strong a cut point
    // precedes it (3 heading, 2 paragraph, 1 sentence, 0 word).
    let mut pieces: Vec<(u8, String, usize)> = Vec::new();
    for (strength, section) in sections(md) {
        split_to_fit(section, strength, counter, max, &mut pieces);
    }
    let mut chunks: Vec<TextChunk> = Vec::new();
    let mut current: Vec<(u8, String, usize)> = Vec::new();
    let mut current_tokens = 0usize;
    for (strength, text, tokens) in &pieces {
        let would = current_tokens + tokens;
        let prefer_cut = *strength == 3 && current_tokens > max / 2;
        if !current.is_empty() && (would > max || prefer_cut) {
            emit(&mut chunks, &current);
            // carry an overlap tail of whole pieces
            let mut tail: Vec<(u8, String, usize)> = Vec::new();
            let mut tail_tokens = 0;
            for (st, t, n) in current.iter().rev() {
                if tail_tokens + n > overlap || tail_tokens + n + tokens > max {
                    break;
                }
                tail_tokens += n;
                tail.insert(0, (*st, t.clone(), *n));
            }
            current = tail;
            current_tokens = tail_tokens;
        }
        current.push((*strength, text.clone(), *tokens));
        current_tokens += tokens;
    }
    if !current.is_empty() {
        emit(&mut chunks, &current);
    }
    chunks
}

fn emit(chunks: &mut Vec<TextChunk>, parts: &[(u8, String, usize)]) {
    let mut text = String::new();
    for (strength, p, _) in parts {
        if !text.is_empty() {
            text.push_str(if *strength >= 2 {
                "\n\n"
            } else if p.starts_with(char::is_whitespace) {
                ""
            } else {
                " "
            });
        }
        text.push_str(if *strength >= 2 {
            p.trim()
        } else {
            p.trim_end()
        });
    }
    let text = text.trim().to_string();
    if !text.is_empty() {
        chunks.push(TextChunk {
            index: chunks.len(),
            text,
        });
    }
}

/// Paragraph-level blocks with the strength of the cut before each.
fn sections(md: &str) -> Vec<(u8, &str)> {
    let mut out = Vec::new();
    for block in md.split("\n\n") {
        if block.trim().is_empty() {
            continue;
        }
        let strength = if block.trim_start().starts_with('#') {
            3
        } else {
            2
        };
        out.push((strength, block));
    }
    out
}

fn split_to_fit(
    text: &str,
    strength: u8,
    counter: &dyn TokenCounter,
    max: usize,
    out: &mut Vec<(u8, String, usize)>,
) {
    let n = counter.count(text);
    if n <= max {
        if n > 0 {
            out.push((strength, text.to_string(), n));
        }
        return;
    }
    let sentences: Vec<&str> = text.split_sentence_bounds().collect();
    if sentences.len() > 1 {
        let mut first = true;
        for s in sentences {
            split_to_fit(s, if first { strength } else { 1 }, counter, max, out);
            first = false;
        }
        return;
    }
    // One long sentence: cut at words, grouping as many as fit.
    let mut buf = String::new();
    let mut first = true;
    for word in text.split_word_bounds() {
        let candidate = format!("{buf}{word}");
        if !buf.trim().is_empty() && counter.count(&candidate) > max {
            let n = counter.count(&buf);
            out.push((
                if first { strength } else { 0 },
                std::mem::take(&mut buf),
                n,
            ));
            first = false;
            buf.push_str(word);
        } else {
            buf = candidate;
        }
        if counter.count(&buf) > max {
            // a single "word" longer than max tokens: cut it by characters
            let chars: Vec<char> = buf.chars().collect();
            let half = chars.len() / 2;
            if half == 0 {
                break;
            }
            let left: String = chars[..half].iter().collect();
            let right: String = chars[half..].iter().collect();
            split_to_fit(&left, 0, counter, max, out);
            buf = right;
        }
    }
    if !buf.trim().is_empty() {
        let n = counter.count(&buf);
        out.push((if first { strength } else { 0 }, buf, n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(max: usize, overlap: usize) -> ChunkOptions {
        ChunkOptions {
            max_tokens: max,
            overlap_tokens: overlap,
        }
    }

    #[test]
    fn empty_input_gives_no_chunks() {
        assert!(chunk_markdown("  \n\n ", &WordCounter, &opts(16, 4)).is_empty());
    }

    #[test]
    fn short_text_is_one_chunk() {
        let c = chunk_markdown("# Title\n\nHello world.", &WordCounter, &opts(64, 8));
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].text, "# Title\n\nHello world.");
    }

    #[test]
    fn limits_respected_and_no_word_lost() {
        let text: String = (0..500)
            .map(|i| {
                if i % 40 == 0 {
                    format!("\n\n## Section {i}\n\n")
                } else if i % 7 == 0 {
                    format!("word{i}. ")
                } else {
                    format!("word{i} ")
                }
            })
            .collect();
        let chunks = chunk_markdown(&text, &WordCounter, &opts(32, 8));
        assert!(chunks.len() > 10);
        for c in &chunks {
            assert!(WordCounter.count(&c.text) <= 32, "{}", c.text);
        }
        let all: String = chunks
            .iter()
            .map(|c| c.text.clone())
            .collect::<Vec<_>>()
            .join(" ");
        for i in 0..500 {
            assert!(
                all.contains(&format!("word{i}")) || i % 40 == 0,
                "word{i} lost"
            );
        }
        for (i, c) in chunks.iter().enumerate() {
            assert_eq!(c.index, i);
        }
    }

    #[test]
    fn consecutive_chunks_overlap() {
        let text: String = (0..200)
            .map(|i| format!("Sentence number {i} ends here. "))
            .collect();
        let chunks = chunk_markdown(&text, &WordCounter, &opts(40, 10));
        assert!(chunks.len() > 3);
        let shared = chunks.windows(2).filter(|w| {
            let last_words: Vec<&str> = w[0].text.split_whitespace().rev().take(3).collect();
            last_words.iter().all(|lw| w[1].text.contains(lw))
        });
        assert!(shared.count() >= chunks.len() / 2);
    }

    #[test]
    fn headings_are_preferred_cut_points() {
        let body = "alpha beta gamma delta epsilon zeta eta theta. ".repeat(3);
        let text = format!("# One\n\n{body}\n\n# Two\n\n{body}");
        let chunks = chunk_markdown(&text, &WordCounter, &opts(48, 0));
        assert!(
            chunks.iter().any(|c| c.text.starts_with("# Two")),
            "{chunks:?}"
        );
    }

    #[test]
    fn huge_word_and_unicode_are_cut_safely() {
        let text = "é".repeat(5000) + " ünïcödé 日本語のテキスト";
        let chunks = chunk_markdown(&text, &WordCounter, &opts(16, 2));
        assert!(!chunks.is_empty());
        let joined: String = chunks.iter().map(|c| c.text.as_str()).collect();
        assert!(joined.contains("ünïcödé"));
    }
}
