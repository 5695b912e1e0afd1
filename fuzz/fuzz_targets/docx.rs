//! DOCX (and other zip-based Office) extraction on arbitrary bytes. Inputs that do
//! not already look like a zip are given a zip signature so the archive reader and
//! the XML walk are what gets exercised.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = content::ExtractLimits {
        max_input_bytes: 1 << 20,
        ..Default::default()
    };
    if data.starts_with(b"PK") {
        let _ = content::extract(data, "fuzz.docx", &limits);
    } else {
        let mut bytes = b"PK\x03\x04".to_vec();
        bytes.extend_from_slice(data);
        let _ = content::extract(&bytes, "fuzz.docx", &limits);
    }
});
