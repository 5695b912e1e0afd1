//! What one extraction may cost: the per-file [`ExtractLimits`] callers set, and the
//! [`Deadline`] the format modules check between units of work.

use std::time::{Duration, Instant};

use super::error::ExtractError;

/// Per-file limits. Defaults: 50 MiB input, 1,000,000 output characters, 10 s, and
/// for zip-based formats 10,000 entries, 256 MiB uncompressed, ratio 200 per large
/// entry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExtractLimits {
    /// Larger inputs are refused with [`ExtractError::TooLarge`].
    pub max_input_bytes: usize,
    /// Text beyond this many characters is cut off and [`crate::Extracted::truncated`] set.
    pub max_output_chars: usize,
    /// Wall-clock budget for one file; checked between pages, parts and XML events.
    pub timeout: Duration,
    /// Archives (DOCX/XLSX/PPTX) with more entries are refused.
    pub max_archive_entries: usize,
    /// Archives whose entries declare more uncompressed bytes in total are refused.
    pub max_archive_uncompressed_bytes: u64,
    /// An entry over 1 MiB uncompressed that is compressed more than this ratio is
    /// refused (a zip bomb).
    pub max_compression_ratio: u64,
}

impl Default for ExtractLimits {
    fn default() -> Self {
        Self {
            max_input_bytes: 50 * 1024 * 1024,
            max_output_chars: 1_000_000,
            timeout: Duration::from_secs(10),
            max_archive_entries: 10_000,
            max_archive_uncompressed_bytes: 256 * 1024 * 1024,
            max_compression_ratio: 200,
        }
    }
}

/// The extraction deadline, checked by the format modules between units of work.
pub(crate) struct Deadline {
    at: Instant,
    budget: Duration,
}

impl Deadline {
    pub(super) fn new(budget: Duration) -> Self {
        let now = Instant::now();
        Self {
            at: now
                .checked_add(budget)
                .unwrap_or(now + Duration::from_secs(86_400)),
            budget,
        }
    }

    pub(crate) fn check(&self) -> Result<(), ExtractError> {
        if Instant::now() > self.at {
            Err(ExtractError::Timeout(self.budget))
        } else {
            Ok(())
        }
    }
}
