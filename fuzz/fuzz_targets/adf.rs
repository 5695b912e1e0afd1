//! ADF → Markdown on arbitrary JSON: must never panic, overflow the stack or loop.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = content::adf_to_markdown(&value);
    }
});
