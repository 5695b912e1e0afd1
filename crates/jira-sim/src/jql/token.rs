//! `search/jql` page tokens: an offset bound to the query's fingerprint.

use base64::Engine;

/// A stable fingerprint of a JQL string, bound into page tokens.
pub fn fingerprint(jql: &str) -> u64 {
    // FNV-1a: stable across runs and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in jql.trim().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Encodes a next-page token (offset bound to the query).
pub fn encode_token(offset: usize, fp: u64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("sim1:{offset}:{fp:016x}"))
}

/// Decodes a token; None when malformed or issued for another query.
pub fn decode_token(token: &str, fp: u64) -> Option<usize> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim())
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let mut parts = s.split(':');
    if parts.next()? != "sim1" {
        return None;
    }
    let offset: usize = parts.next()?.parse().ok()?;
    let f = u64::from_str_radix(parts.next()?, 16).ok()?;
    (f == fp).then_some(offset)
}
