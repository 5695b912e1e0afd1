//! HTML extraction on arbitrary bytes, always sniffed as HTML (an `<html>` prefix).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut bytes = b"<!DOCTYPE html><html>".to_vec();
    bytes.extend_from_slice(data);
    let _ = content::extract(&bytes, "fuzz.html", &content_fuzz::limits());
});
