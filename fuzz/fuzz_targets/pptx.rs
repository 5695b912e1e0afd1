//! PPTX extraction: the input, cut at 0xFF, gives the presentation, its
//! relationships, a slide, the slide's relationships and a notes slide of a package
//! that is otherwise well formed.
#![no_main]

use content_fuzz::{CONTENT_TYPES, package, parts, root_rels};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let p = parts(data, 5);
    let root = root_rels("ppt/presentation.xml");
    let zip = package(&[
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", &root),
        ("ppt/presentation.xml", p[0]),
        ("ppt/_rels/presentation.xml.rels", p[1]),
        ("ppt/slides/slide1.xml", p[2]),
        ("ppt/slides/_rels/slide1.xml.rels", p[3]),
        ("ppt/notesSlides/notesSlide1.xml", p[4]),
    ]);
    let _ = content::extract(&zip, "fuzz.pptx", &content_fuzz::limits());
});
