//! [`TextSink`]: where the format modules write text, up to the output budget.

/// Collects text up to a character budget; past it, further text is dropped and the
/// sink reports itself full so extractors can stop early.
pub(crate) struct TextSink {
    text: String,
    chars: usize,
    max_chars: usize,
    truncated: bool,
}

impl TextSink {
    pub(super) fn new(max_chars: usize) -> Self {
        Self {
            text: String::new(),
            chars: 0,
            max_chars,
            truncated: false,
        }
    }

    /// Appends `s`, or as much of it as fits.
    pub(crate) fn push(&mut self, s: &str) {
        if self.truncated || s.is_empty() {
            return;
        }
        let room = self.max_chars - self.chars;
        // Fast path: even one char per byte fits.
        if s.len() <= room {
            self.text.push_str(s);
            self.chars += s.chars().count();
            return;
        }
        match s.char_indices().nth(room) {
            Some((cut, _)) => {
                self.text.push_str(&s[..cut]);
                self.chars = self.max_chars;
                self.truncated = true;
            }
            None => {
                self.text.push_str(s);
                self.chars += s.chars().count();
            }
        }
    }

    pub(crate) fn push_char(&mut self, c: char) {
        let mut buf = [0u8; 4];
        self.push(c.encode_utf8(&mut buf));
    }

    /// Ends the current line unless the text is empty or already ends one.
    pub(crate) fn newline(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.push("\n");
        }
    }

    /// Starts a new paragraph: a blank line unless the text is empty or has one.
    pub(crate) fn paragraph_break(&mut self) {
        if self.text.is_empty() || self.text.ends_with("\n\n") {
            return;
        }
        self.newline();
        self.push("\n");
    }

    pub(crate) fn is_full(&self) -> bool {
        self.truncated
    }

    pub(super) fn finish(self) -> String {
        let trimmed = self.text.trim_end();
        if trimmed.len() == self.text.len() {
            self.text
        } else {
            trimmed.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sink_truncates_on_char_boundaries() {
        let mut s = TextSink::new(5);
        s.push("ab");
        s.push("çdéf");
        assert!(s.is_full());
        assert_eq!(s.finish(), "abçdé");
        let mut s = TextSink::new(3);
        s.push("abc");
        assert!(!s.is_full());
        s.push("d");
        assert!(s.is_full());
    }
}
