//! Random draws and time helpers shared by the generator's parts: Jira-like ids,
//! picking from a list, and the instant generated data is anchored on.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

pub(super) fn hex_id(rng: &mut ChaCha8Rng, len: usize) -> String {
    let mut s = String::with_capacity(len);
    while s.len() < len {
        s.push_str(&format!("{:016x}", rng.r#gen::<u64>()));
    }
    s.truncate(len);
    s
}

pub(super) fn uuid_like(rng: &mut ChaCha8Rng) -> String {
    let h = hex_id(rng, 32);
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

pub(super) fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

/// The fixed instant generated data is anchored on (first issue is created shortly after).
pub fn epoch_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 6, 9, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

pub(super) fn add_ms(t: DateTime<Utc>, ms: i64) -> DateTime<Utc> {
    t + Duration::milliseconds(ms)
}
