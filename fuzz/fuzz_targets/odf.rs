//! OpenDocument extraction: the first byte picks text, spreadsheet or presentation;
//! the rest, cut at 0xFF, gives `content.xml` and `styles.xml` of a package that is
//! otherwise well formed.
#![no_main]

use content_fuzz::{package, parts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (mime, name) = match pick % 3 {
        0 => ("application/vnd.oasis.opendocument.text", "fuzz.odt"),
        1 => ("application/vnd.oasis.opendocument.spreadsheet", "fuzz.ods"),
        _ => ("application/vnd.oasis.opendocument.presentation", "fuzz.odp"),
    };
    let p = parts(rest, 2);
    let zip = package(&[
        ("mimetype", mime.as_bytes()),
        ("content.xml", p[0]),
        ("styles.xml", p[1]),
    ]);
    let _ = content::extract(&zip, name, &content_fuzz::limits());
});
