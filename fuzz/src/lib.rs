//! Helpers shared by the fuzz targets: the fuzzer's bytes cut into parts, and parts
//! packed into a zip package, so the structure-aware targets reach the XML walkers of
//! XLSX, PPTX and OpenDocument instead of stopping at the zip reader.

use std::io::{Cursor, Write};

/// Separates parts in a fuzz input (a byte XML never needs).
pub const SEPARATOR: u8 = 0xff;

/// The limits every target runs under: small inputs, the default time budget.
pub fn limits() -> content::ExtractLimits {
    content::ExtractLimits {
        max_input_bytes: 1 << 20,
        ..Default::default()
    }
}

/// `data` cut at [`SEPARATOR`] into at most `n` parts (the last keeps the rest);
/// missing parts are empty.
pub fn parts(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = data.splitn(n, |b| *b == SEPARATOR).collect();
    out.resize(n, &[]);
    out
}

/// A stored (uncompressed) zip of `entries`, in order.
pub fn package(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in entries {
        if zip.start_file(*name, options).is_ok() {
            let _ = zip.write_all(bytes);
        }
    }
    zip.finish().map(|c| c.into_inner()).unwrap_or_default()
}

/// The `[Content_Types].xml` every Office package needs to be sniffed as one.
pub const CONTENT_TYPES: &[u8] = br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#;

/// A root relationship to the main part `target`.
pub fn root_rels(target: &str) -> Vec<u8> {
    format!(r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="{target}"/></Relationships>"#).into_bytes()
}
