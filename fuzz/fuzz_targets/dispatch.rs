//! The format dispatcher: arbitrary bytes under a file name picked by the first
//! byte, so sniffing, the tie-breaks between text kinds and every extractor behind
//! them are reached from unshaped input.
#![no_main]

use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &[
    "a.pdf", "a.docx", "a.xlsx", "a.pptx", "a.odt", "a.ods", "a.odp", "a.html", "a.xml",
    "a.json", "a.csv", "a.md", "a.log", "a.rs", "a.txt", "a.png", "a", "noext.bin",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let name = NAMES[usize::from(pick) % NAMES.len()];
    let _ = content::extract(rest, name, &content_fuzz::limits());
});
