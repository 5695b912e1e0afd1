//! Snippets of the cluster backend: the window of a chunk's text that holds the most
//! query terms, with each word whose term is a query term marked `**word**` (as the
//! local keyword index marks its snippets), or the text's start when no term is in
//! it.

use std::collections::HashSet;

use super::bm25::terms;

/// Characters of a snippet.
const SNIPPET_CHARS: usize = 200;

/// The snippet of `text` for `query`.
pub(crate) fn snippet(query: &str, text: &str) -> String {
    let wanted: HashSet<String> = terms(query).into_iter().collect();
    // Words with their byte ranges; a word is marked when its term is wanted.
    let mut words: Vec<(usize, usize, bool)> = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                let hit = terms(&text[s..i]).iter().any(|t| wanted.contains(t));
                words.push((s, i, hit));
                start = None;
            }
            _ => {}
        }
    }
    if !words.iter().any(|w| w.2) {
        return head(text);
    }
    // A short text is shown whole; a longer one from its densest window.
    let best = if text.chars().count() <= SNIPPET_CHARS {
        Some((0, text.len()))
    } else {
        best_window(text, &words)
    };
    let Some(best) = best else {
        return head(text);
    };
    let (from, to) = best;
    let mut out = String::with_capacity(to - from + 16);
    let mut at = from;
    for &(s, e, _) in words.iter().filter(|w| w.0 >= from && w.1 <= to && w.2) {
        out.push_str(&text[at..s]);
        out.push_str("**");
        out.push_str(&text[s..e]);
        out.push_str("**");
        at = e;
    }
    out.push_str(&text[at..to]);
    out
}

/// The byte range of at most [`SNIPPET_CHARS`] characters, starting at a word, with
/// the most marked words (the first such); `None` when no word is marked.
fn best_window(text: &str, words: &[(usize, usize, bool)]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, (usize, usize))> = None;
    for (i, &(s, _, hit)) in words.iter().enumerate() {
        if !hit {
            continue;
        }
        let limit = text[s..]
            .char_indices()
            .nth(SNIPPET_CHARS)
            .map_or(text.len(), |(j, _)| s + j);
        let inside = words[i..].iter().take_while(|w| w.1 <= limit);
        let count = inside.clone().filter(|w| w.2).count();
        let end = inside.last().map_or(limit, |w| w.1);
        if best.is_none_or(|(c, _)| count > c) {
            best = Some((count, (s, end)));
        }
    }
    best.map(|(_, range)| range)
}

fn head(text: &str) -> String {
    match text.char_indices().nth(SNIPPET_CHARS) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_words_are_marked_by_their_stems() {
        let s = snippet(
            "password reset",
            "Users who reset their passwords cannot sign in.",
        );
        assert_eq!(s, "Users who **reset** their **passwords** cannot sign in.");
    }

    #[test]
    fn the_densest_window_is_chosen_and_no_match_gives_the_start() {
        let text = format!(
            "{} deploy fails deploy {}",
            "x ".repeat(150),
            "y ".repeat(150)
        );
        let s = snippet("deploy", &text);
        assert!(s.starts_with("**deploy** fails **deploy**"), "{s}");
        assert!(s.chars().count() <= SNIPPET_CHARS + 8);
        assert_eq!(snippet("nothing", "short text"), "short text");
        assert!(snippet("nothing", &"é".repeat(300)).ends_with('…'));
    }
}
