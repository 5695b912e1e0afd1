//! The four ways Jira pages a list, each walked to the end:
//! offset + `isLast` (`values`), bare array (stop on a short or empty page),
//! `nextPageToken` (see `search`), offset + `total` (comments, audit records).
//!
//! Every walk moves `startAt` by the number of items actually returned (Jira may cap
//! `maxResults` below what was asked) and stops on an empty page, so it always ends.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::JiraError;
use crate::de;
use crate::transport::Transport;

/// `{startAt, maxResults, total, isLast, values}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", bound = "T: DeserializeOwned")]
struct OffsetPage<T> {
    #[serde(default, deserialize_with = "de::null_default")]
    values: Vec<T>,
    #[serde(default)]
    is_last: Option<bool>,
    #[serde(default)]
    total: Option<u64>,
}

impl Transport {
    /// Walks an offset + `isLast` list (`group/bulk`, `group/member`, `project/search`,
    /// security level members).
    pub(crate) async fn offset_pages<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Result<Vec<T>, JiraError> {
        let page_size = self.cfg.page_size.max(1);
        let mut out = Vec::new();
        let mut start = 0usize;
        let mut longest = 0usize;
        loop {
            let mut q = query.to_vec();
            q.push(("startAt", start.to_string()));
            q.push(("maxResults", page_size.to_string()));
            let page: OffsetPage<T> = self.get_json(segments, &q).await?;
            let n = page.values.len();
            out.extend(page.values);
            start += n;
            let done = match (page.is_last, page.total) {
                _ if n == 0 => true,
                (Some(is_last), _) => is_last,
                (None, Some(total)) => start as u64 >= total,
                (None, None) => short_page_ends_walk(n, page_size, &mut longest),
            };
            if done {
                return Ok(out);
            }
        }
    }

    /// Walks a bare-array list (`users/search`): stops on an empty page, or on a page
    /// shorter than both the page size and an earlier page. A short *first* page costs
    /// one more request, because Jira may serve fewer than asked (a server-side cap):
    /// stopping there could lose users silently.
    pub(crate) async fn array_pages<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, String)],
        page_size: usize,
    ) -> Result<Vec<T>, JiraError> {
        let page_size = page_size.max(1);
        let mut out = Vec::new();
        let mut start = 0usize;
        let mut longest = 0usize;
        loop {
            let mut q = query.to_vec();
            q.push(("startAt", start.to_string()));
            q.push(("maxResults", page_size.to_string()));
            let page: Vec<T> = self.get_json(segments, &q).await?;
            let n = page.len();
            out.extend(page);
            start += n;
            if short_page_ends_walk(n, page_size, &mut longest) {
                return Ok(out);
            }
        }
    }
}

/// Drops later duplicates (same key), keeping the first: offset pages of a list that
/// changes during the walk can repeat an item when another one is inserted before it.
pub(crate) fn dedup_by_key<T, K: Ord>(items: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut seen = std::collections::BTreeSet::new();
    items.into_iter().filter(|i| seen.insert(key(i))).collect()
}

/// Whether a page of `n` items ends a walk that has neither `isLast` nor `total`:
/// empty, or shorter than both the page size and the longest earlier page.
pub(crate) fn short_page_ends_walk(n: usize, page_size: usize, longest: &mut usize) -> bool {
    let ends = n == 0 || (n < page_size && n < *longest);
    *longest = (*longest).max(n);
    ends
}

/// Whether an offset + `total` walk is finished after a page of `n` items that
/// brought the position to `next_start`.
pub(crate) fn total_walk_done(n: usize, next_start: u64, total: u64) -> bool {
    n == 0 || next_start >= total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(pages: &[usize], page_size: usize) -> usize {
        let mut longest = 0;
        for (i, &n) in pages.iter().enumerate() {
            if short_page_ends_walk(n, page_size, &mut longest) {
                return i + 1;
            }
        }
        usize::MAX
    }

    #[test]
    fn short_pages_end_walks_only_after_a_longer_one() {
        assert_eq!(walk(&[100, 100, 50], 100), 3);
        assert_eq!(walk(&[100, 100, 0], 100), 3);
        // A short first page may be a server cap: ask once more.
        assert_eq!(walk(&[12, 0], 100), 2);
        assert_eq!(walk(&[50, 50, 50, 20], 100), 4);
        assert_eq!(walk(&[0], 100), 1);
    }

    #[test]
    fn duplicates_are_dropped_keeping_the_first() {
        let v = dedup_by_key(vec![(1, "a"), (2, "b"), (1, "c")], |x| x.0);
        assert_eq!(v, vec![(1, "a"), (2, "b")]);
    }

    #[test]
    fn total_walks_end_at_total_or_empty() {
        assert!(total_walk_done(0, 10, 95));
        assert!(total_walk_done(5, 95, 95));
        assert!(!total_walk_done(40, 40, 95));
    }
}
