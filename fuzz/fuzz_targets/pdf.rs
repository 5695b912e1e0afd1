//! PDF extraction on arbitrary bytes. Inputs are made to start with a PDF header so
//! that every run reaches the PDF parser rather than another format's.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = content::ExtractLimits {
        max_input_bytes: 1 << 20,
        ..Default::default()
    };
    if data.starts_with(b"%PDF-") {
        let _ = content::extract(data, "fuzz.pdf", &limits);
    } else {
        let mut bytes = b"%PDF-1.4\n".to_vec();
        bytes.extend_from_slice(data);
        let _ = content::extract(&bytes, "fuzz.pdf", &limits);
    }
});
