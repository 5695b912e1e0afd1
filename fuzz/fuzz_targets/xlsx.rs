//! XLSX extraction: the input, cut at 0xFF, gives the workbook, its relationships,
//! the first sheet, the shared strings, the sheet's relationships and a comments part
//! of a package that is otherwise well formed.
#![no_main]

use content_fuzz::{CONTENT_TYPES, package, parts, root_rels};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let p = parts(data, 6);
    let root = root_rels("xl/workbook.xml");
    let zip = package(&[
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", &root),
        ("xl/workbook.xml", p[0]),
        ("xl/_rels/workbook.xml.rels", p[1]),
        ("xl/worksheets/sheet1.xml", p[2]),
        ("xl/sharedStrings.xml", p[3]),
        ("xl/worksheets/_rels/sheet1.xml.rels", p[4]),
        ("xl/comments1.xml", p[5]),
    ]);
    let _ = content::extract(&zip, "fuzz.xlsx", &content_fuzz::limits());
});
