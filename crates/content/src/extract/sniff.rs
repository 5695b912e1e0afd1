//! Format detection from the bytes: magic numbers first (PDF, zip-based Office files,
//! images, known binaries), then the shape of text (HTML, XML, JSON), and only then
//! the file name, to tell text kinds apart (CSV, Markdown, logs, source code).
//! Also reads image dimensions from headers.

use std::io::Cursor;

use super::error::ExtractError;
use super::limits::ExtractLimits;

/// A file format, as sniffed from the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum FileKind {
    /// PDF.
    Pdf,
    /// Word document (OOXML).
    Docx,
    /// Excel workbook (OOXML).
    Xlsx,
    /// PowerPoint presentation (OOXML).
    Pptx,
    /// OpenDocument text.
    Odt,
    /// OpenDocument spreadsheet.
    Ods,
    /// OpenDocument presentation.
    Odp,
    /// HTML.
    Html,
    /// XML other than the formats above.
    Xml,
    /// JSON.
    Json,
    /// Comma-separated values.
    Csv,
    /// Markdown.
    Markdown,
    /// A log file.
    Log,
    /// Program source code.
    SourceCode,
    /// Any other text.
    PlainText,
    /// PNG image (no text, only dimensions).
    Png,
    /// JPEG image (no text, only dimensions).
    Jpeg,
    /// GIF image (no text, only dimensions).
    Gif,
    /// WebP image (no text).
    Webp,
}

impl FileKind {
    /// A short lower-case name, for messages and metadata.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Docx => "docx",
            FileKind::Xlsx => "xlsx",
            FileKind::Pptx => "pptx",
            FileKind::Odt => "odt",
            FileKind::Ods => "ods",
            FileKind::Odp => "odp",
            FileKind::Html => "html",
            FileKind::Xml => "xml",
            FileKind::Json => "json",
            FileKind::Csv => "csv",
            FileKind::Markdown => "markdown",
            FileKind::Log => "log",
            FileKind::SourceCode => "source code",
            FileKind::PlainText => "text",
            FileKind::Png => "png",
            FileKind::Jpeg => "jpeg",
            FileKind::Gif => "gif",
            FileKind::Webp => "webp",
        }
    }

    /// Whether the format carries no text (images).
    pub fn is_image(self) -> bool {
        matches!(
            self,
            FileKind::Png | FileKind::Jpeg | FileKind::Gif | FileKind::Webp
        )
    }
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Binary formats we recognise but do not extract, by magic number.
const KNOWN_BINARIES: &[(&[u8], &str)] = &[
    (b"\x1f\x8b", "gzip"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "rar"),
    (b"\x7fELF", "executable (ELF)"),
    (b"MZ", "executable (PE)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Office (OLE2)"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"BM", "bmp"),
    (b"\x00\x00\x01\x00", "ico"),
    (b"OggS", "ogg"),
    (b"fLaC", "flac"),
    (b"ID3", "mp3"),
    (b"\x1a\x45\xdf\xa3", "matroska video"),
    (b"SQLite format 3\x00", "sqlite"),
    (b"wOFF", "font (woff)"),
    (b"wOF2", "font (woff2)"),
];

/// Sniffs the format of `bytes`; `file_name` breaks ties between text kinds only.
pub(crate) fn sniff(
    bytes: &[u8],
    file_name: &str,
    limits: &ExtractLimits,
) -> Result<FileKind, ExtractError> {
    let head = &bytes[..bytes.len().min(1024)];
    // The PDF header may follow up to 1 KiB of junk; text that merely mentions it
    // stays text.
    if head.starts_with(b"%PDF-") || (find(head, b"%PDF-").is_some() && !looks_textual(bytes)) {
        return Ok(FileKind::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return sniff_zip(bytes, limits);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(FileKind::Png);
    }
    if bytes.starts_with(b"\xff\xd8\xff") {
        return Ok(FileKind::Jpeg);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Ok(FileKind::Gif);
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Ok(FileKind::Webp);
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return Err(unsupported("media (ISO base, e.g. mp4/heic)"));
    }
    for (magic, name) in KNOWN_BINARIES {
        if bytes.starts_with(magic) && !looks_textual(bytes) {
            return Err(unsupported(name));
        }
    }
    if !looks_textual(bytes) {
        return Err(unsupported("binary"));
    }
    Ok(sniff_text(head, bytes, file_name))
}

fn unsupported(kind: &str) -> ExtractError {
    ExtractError::Unsupported {
        kind: kind.to_string(),
    }
}

/// DOCX, XLSX and PPTX are zips with `[Content_Types].xml` and a main part.
fn sniff_zip(bytes: &[u8], limits: &ExtractLimits) -> Result<FileKind, ExtractError> {
    let archive = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => {
            return Err(ExtractError::Corrupt {
                format: guess_zip_format(bytes).into(),
                detail: format!("unreadable zip archive: {e}"),
            });
        }
    };
    if archive.len() > limits.max_archive_entries {
        return Err(ExtractError::TooLarge {
            what: "the number of archive entries".into(),
            size: archive.len() as u64,
            limit: limits.max_archive_entries as u64,
        });
    }
    let has = |name: &str| archive.index_for_name(name).is_some();
    if has("mimetype") && has("content.xml") {
        return opendocument(archive);
    }
    if !has("[Content_Types].xml") {
        return Err(unsupported("zip archive"));
    }
    if has("word/document.xml") {
        Ok(FileKind::Docx)
    } else if has("xl/workbook.xml") {
        Ok(FileKind::Xlsx)
    } else if has("ppt/presentation.xml") {
        Ok(FileKind::Pptx)
    } else {
        Err(unsupported("Office Open XML package (not docx/xlsx/pptx)"))
    }
}

/// An OpenDocument package by its `mimetype` entry (OpenDocument 1.3 Part 2 §3.3).
fn opendocument(mut archive: zip::ZipArchive<Cursor<&[u8]>>) -> Result<FileKind, ExtractError> {
    let mut mime = String::new();
    if let Ok(entry) = archive.by_name("mimetype") {
        let _ = std::io::Read::read_to_string(&mut std::io::Read::take(entry, 128), &mut mime);
    }
    let mime = mime.trim();
    let kind = mime.strip_prefix("application/vnd.oasis.opendocument.");
    match kind.map(|k| k.strip_suffix("-template").unwrap_or(k)) {
        Some("text") => Ok(FileKind::Odt),
        Some("spreadsheet") => Ok(FileKind::Ods),
        Some("presentation") => Ok(FileKind::Odp),
        _ => Err(unsupported(&format!("OpenDocument package ({mime})"))),
    }
}

/// For a damaged zip: the Office format named by its local headers, read in order
/// without the central directory (the first entries of an Office file are
/// `[Content_Types].xml` and the relationships, which name the main part).
fn guess_zip_format(bytes: &[u8]) -> &'static str {
    const PEEK: u64 = 64 * 1024;
    let mut reader = Cursor::new(bytes);
    for _ in 0..8 {
        let Ok(Some(entry)) = zip::read::read_zipfile_from_stream(&mut reader) else {
            break;
        };
        let name = entry.name().to_string();
        let mut data = Vec::new();
        let _ = std::io::Read::read_to_end(&mut std::io::Read::take(entry, PEEK), &mut data);
        for (needle, format) in [
            (&b"opendocument.text"[..], "odt"),
            (b"opendocument.spreadsheet", "ods"),
            (b"opendocument.presentation", "odp"),
            (b"wordprocessingml", "docx"),
            (b"spreadsheetml", "xlsx"),
            (b"presentationml", "pptx"),
            (b"word/", "docx"),
            (b"xl/", "xlsx"),
            (b"ppt/", "pptx"),
        ] {
            if name.as_bytes().starts_with(needle) || find(&data, needle).is_some() {
                return format;
            }
        }
    }
    "zip"
}

/// UTF-8 (or UTF-16 with a byte-order mark), or single-byte text without NULs and
/// with few control characters.
fn looks_textual(bytes: &[u8]) -> bool {
    if bytes.starts_with(b"\xff\xfe") || bytes.starts_with(b"\xfe\xff") {
        return bytes.len().is_multiple_of(2);
    }
    if std::str::from_utf8(bytes).is_ok() {
        return !bytes.contains(&0);
    }
    let sample = &bytes[..bytes.len().min(8192)];
    if sample.contains(&0) {
        return false;
    }
    let control = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c))
        .count();
    control * 100 <= sample.len()
}

fn sniff_text(head: &[u8], bytes: &[u8], file_name: &str) -> FileKind {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let start = lower
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&lower[..0], |i| &lower[i..]);
    if start.starts_with(b"<!doctype html")
        || find(&lower, b"<html").is_some()
        || start.starts_with(b"<head")
        || start.starts_with(b"<body")
    {
        return FileKind::Html;
    }
    let ext = extension(file_name);
    if start.starts_with(b"<?xml") || start.starts_with(b"<svg") {
        return FileKind::Xml;
    }
    if (start.starts_with(b"{") || start.starts_with(b"["))
        && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
    {
        return FileKind::Json;
    }
    match ext.as_str() {
        "csv" | "tsv" => FileKind::Csv,
        "json" | "jsonl" | "ndjson" | "geojson" => FileKind::Json,
        "md" | "markdown" | "mdown" | "mkd" => FileKind::Markdown,
        "log" | "out" | "err" => FileKind::Log,
        "xml" | "xsd" | "xsl" | "xslt" | "svg" | "plist" | "pom" | "csproj" => FileKind::Xml,
        "htm" | "html" | "xhtml" => FileKind::Html,
        "rs" | "py" | "js" | "mjs" | "ts" | "tsx" | "jsx" | "java" | "kt" | "kts" | "scala"
        | "go" | "c" | "h" | "cc" | "cpp" | "hpp" | "cxx" | "cs" | "rb" | "php" | "swift" | "m"
        | "sh" | "bash" | "zsh" | "ps1" | "sql" | "yaml" | "yml" | "toml" | "ini" | "cfg"
        | "conf" | "gradle" | "groovy" | "lua" | "pl" | "r" | "dart" | "ex" | "exs" | "erl"
        | "hs" | "clj" | "vue" | "svelte" | "css" | "scss" | "less" | "proto" | "tf"
        | "dockerfile" | "makefile" | "diff" | "patch" => FileKind::SourceCode,
        _ => FileKind::PlainText,
    }
}

fn extension(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    match base.rsplit_once('.') {
        Some((_, ext)) => ext.to_ascii_lowercase(),
        None => base.to_ascii_lowercase(),
    }
}

pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Pixel size of an image, read from its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageInfo {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Image dimensions from the header, where that is cheap (PNG, GIF, JPEG).
pub(crate) fn image_info(bytes: &[u8], kind: FileKind) -> Option<ImageInfo> {
    let be32 = |i: usize| -> Option<u32> {
        let b = bytes.get(i..i + 4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let be16 = |i: usize| -> Option<u32> {
        let b = bytes.get(i..i + 2)?;
        Some(u32::from(u16::from_be_bytes([b[0], b[1]])))
    };
    let le16 = |i: usize| -> Option<u32> {
        let b = bytes.get(i..i + 2)?;
        Some(u32::from(u16::from_le_bytes([b[0], b[1]])))
    };
    match kind {
        FileKind::Png if bytes.get(12..16) == Some(b"IHDR") => Some(ImageInfo {
            width: be32(16)?,
            height: be32(20)?,
        }),
        FileKind::Gif => Some(ImageInfo {
            width: le16(6)?,
            height: le16(8)?,
        }),
        FileKind::Jpeg => {
            // Walk the marker segments up to the first start-of-frame.
            let mut i = 2usize;
            while i + 4 <= bytes.len() {
                if bytes[i] != 0xff {
                    return None;
                }
                let marker = bytes[i + 1];
                if marker == 0xff {
                    i += 1;
                    continue;
                }
                let len = be16(i + 2)? as usize;
                let is_sof =
                    (0xc0..=0xcf).contains(&marker) && !matches!(marker, 0xc4 | 0xc8 | 0xcc);
                if is_sof {
                    return Some(ImageInfo {
                        width: be16(i + 7)?,
                        height: be16(i + 5)?,
                    });
                }
                if len < 2 {
                    return None;
                }
                i = i.checked_add(2 + len)?;
            }
            None
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(bytes: &[u8], name: &str) -> Result<FileKind, ExtractError> {
        sniff(bytes, name, &ExtractLimits::default())
    }

    #[test]
    fn bytes_beat_names() {
        assert_eq!(kind(b"%PDF-1.7\n...", "notes.txt"), Ok(FileKind::Pdf));
        assert_eq!(
            kind(b"<!DOCTYPE html><p>x</p>", "a.csv"),
            Ok(FileKind::Html)
        );
        assert_eq!(kind(b"{\"a\": 1}", "data.txt"), Ok(FileKind::Json));
        assert_eq!(
            kind(b"<?xml version=\"1.0\"?><a/>", "x.txt"),
            Ok(FileKind::Xml)
        );
        assert_eq!(kind(b"\x89PNG\r\n\x1a\nxxxx", "a.pdf"), Ok(FileKind::Png));
        assert!(matches!(
            kind(b"\x7fELF\x02\x01\x00\x00", "a.txt"),
            Err(ExtractError::Unsupported { .. })
        ));
        assert!(matches!(
            kind(&[0, 1, 2, 3, 0, 0], "a.txt"),
            Err(ExtractError::Unsupported { .. })
        ));
    }

    #[test]
    fn names_break_ties_between_text_kinds() {
        assert_eq!(kind(b"a,b\n1,2\n", "t.csv"), Ok(FileKind::Csv));
        assert_eq!(kind(b"# Title\n", "README.md"), Ok(FileKind::Markdown));
        assert_eq!(kind(b"ERROR boom\n", "app.LOG"), Ok(FileKind::Log));
        assert_eq!(
            kind(b"fn main() {}\n", "src/main.rs"),
            Ok(FileKind::SourceCode)
        );
        assert_eq!(kind(b"just words\n", "notes"), Ok(FileKind::PlainText));
        assert_eq!(
            kind("caf\u{e9}".as_bytes(), "x.txt"),
            Ok(FileKind::PlainText)
        );
        assert_eq!(kind(b"caf\xe9 latin-1", "x.txt"), Ok(FileKind::PlainText));
    }

    #[test]
    fn jpeg_dimensions_from_start_of_frame() {
        let mut j = vec![0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00];
        j.extend_from_slice(&[0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x20, 0x00, 0x40]);
        assert_eq!(
            image_info(&j, FileKind::Jpeg),
            Some(ImageInfo {
                width: 64,
                height: 32
            })
        );
        assert_eq!(image_info(&[0xff, 0xd8, 0xff], FileKind::Jpeg), None);
        assert_eq!(
            image_info(b"GIF89a\x02\x00\x03\x00", FileKind::Gif),
            Some(ImageInfo {
                width: 2,
                height: 3
            })
        );
    }
}
