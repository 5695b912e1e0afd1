//! The retry backoff shared by every retrying caller (Jira requests in `transport`,
//! OAuth token refreshes in `oauth`): equal-jitter exponential, capped.

use std::time::Duration;

/// Backoff after the first failed attempt.
pub(crate) const BACKOFF_BASE: Duration = Duration::from_millis(500);
/// Longest backoff between two attempts (a `Retry-After` may be longer).
pub(crate) const BACKOFF_CAP: Duration = Duration::from_secs(30);

/// Equal-jitter exponential backoff: `d = min(cap, base·2^(attempt-1))`, waited for
/// a uniform time in `[d/2, d]`.
pub(crate) fn backoff_delay(attempt: u32, rng: &mut impl rand::Rng) -> Duration {
    let exp = attempt.saturating_sub(1).min(20);
    let d = BACKOFF_BASE.saturating_mul(1u32 << exp).min(BACKOFF_CAP);
    let half = d / 2;
    half + Duration::from_secs_f64(rng.gen_range(0.0..=half.as_secs_f64()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let mut rng = rand::thread_rng();
        for _ in 0..100 {
            let d1 = backoff_delay(1, &mut rng);
            assert!(
                d1 >= Duration::from_millis(250) && d1 <= Duration::from_millis(500),
                "{d1:?}"
            );
            let d3 = backoff_delay(3, &mut rng);
            assert!(
                d3 >= Duration::from_millis(1000) && d3 <= Duration::from_millis(2000),
                "{d3:?}"
            );
            let d20 = backoff_delay(20, &mut rng);
            assert!(
                d20 >= Duration::from_secs(15) && d20 <= BACKOFF_CAP,
                "{d20:?}"
            );
            let big = backoff_delay(u32::MAX, &mut rng);
            assert!(big <= BACKOFF_CAP);
        }
    }
}
