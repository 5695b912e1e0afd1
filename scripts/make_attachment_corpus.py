#!/usr/bin/env python3
"""Generate the attachment test corpus under tests/data/attachments/.

Every file is written by a real producer (python-docx, openpyxl, python-pptx,
ReportLab, odfpy, groff+Ghostscript, LibreOffice) and carries unique made-up
token words in specific places.  manifest.json lists (file, kind, place,
token, producer, part) for every token, plus "order" entries for
reading-order checks.

Tokens are derived deterministically from a fixed seed and the entry key, so
re-running reproduces the same tokens (file bytes may differ: timestamps).

Usage:
    python3 -m venv /tmp/corpus-venv
    /tmp/corpus-venv/bin/pip install python-docx python-pptx openpyxl reportlab odfpy lxml pypdf
    apt-get install -y poppler-utils groff ghostscript \
        libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui
    /tmp/corpus-venv/bin/python scripts/make_attachment_corpus.py

LibreOffice is optional: without `soffice` the LibreOffice-produced files are
skipped (and reported), everything else is still produced.
"""
from __future__ import annotations

import copy
import importlib.metadata as md
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "attachments"
SEED = "jira-index-attachment-corpus-v1"

# --------------------------------------------------------------------------
# tokens
# --------------------------------------------------------------------------
_ONSETS = ["b", "d", "g", "k", "m", "n", "p", "qu", "r", "s", "t", "v", "z",
           "br", "dr", "gr", "kr", "pr", "tr", "vr", "zh", "th", "sk", "x", "j"]
_VOWELS = ["a", "e", "i", "o", "u", "ae", "ou", "y"]
_CODAS = ["", "", "", "n", "r", "x", "l", "s", "m", "k"]
_LIGATURES = ("ff", "fi", "fl")  # avoid typographic ligature ambiguity in PDFs


def _load_dict() -> set[str]:
    for p in ("/usr/share/dict/words", "/usr/share/dict/american-english"):
        if os.path.exists(p):
            with open(p, encoding="utf-8", errors="ignore") as fh:
                return {w.strip().lower() for w in fh}
    return set()


_DICT = _load_dict()
_USED: dict[str, str] = {}  # token -> key


def token(key: str) -> str:
    """Deterministic, unique, made-up lowercase word of 8-12 letters for `key`."""
    rng = random.Random(f"{SEED}:{key}")
    while True:
        w = ""
        target = rng.randint(8, 12)
        while len(w) < target:
            w += rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
        w = w[:target]
        if not (8 <= len(w) <= 12) or not w.isalpha() or not w.isascii():
            continue
        if any(l in w for l in _LIGATURES):
            continue
        if w in _DICT:
            continue
        # no token may be a substring of another (keeps grep checks exact)
        if any(w in u or u in w for u in _USED):
            continue
        _USED[w] = key
        return w


# --------------------------------------------------------------------------
# manifest bookkeeping
# --------------------------------------------------------------------------
MANIFEST: list[dict] = []
PROBLEMS: list[str] = []
SKIPPED: list[str] = []


class FileSpec:
    """Collects the tokens of one output file."""

    def __init__(self, fname: str, kind: str, producer: str):
        self.fname, self.kind, self.producer = fname, kind, producer
        self.entries: list[dict] = []
        self.orders: list[dict] = []

    def tok(self, place: str, expect_part: str | None = None, note: str | None = None,
            idx: int = 0) -> str:
        t = token(f"{self.fname}:{place}:{idx}")
        e = {"file": self.fname, "kind": self.kind, "place": place, "token": t,
             "producer": self.producer}
        if note:
            e["note"] = note
        e["_expect"] = expect_part
        self.entries.append(e)
        return t

    def order(self, place: str, toks: list[str], note: str | None = None, **extra):
        e = {"file": self.fname, "kind": self.kind, "place": place, "order": toks,
             "producer": self.producer}
        if note:
            e["note"] = note
        e.update(extra)
        self.orders.append(e)

    def commit(self):
        MANIFEST.extend(self.entries)
        MANIFEST.extend(self.orders)


def ver(pkg: str) -> str:
    return md.version(pkg)


def tool_version(cmd: list[str], rx: str) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        m = re.search(rx, out.stdout + out.stderr)
        return m.group(1) if m else "?"
    except Exception:
        return "?"


V = {
    "python-docx": ver("python-docx"),
    "python-pptx": ver("python-pptx"),
    "openpyxl": ver("openpyxl"),
    "reportlab": ver("reportlab"),
    "odfpy": ver("odfpy"),
    "lxml": ver("lxml"),
}
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
if SOFFICE:
    V["LibreOffice"] = tool_version([SOFFICE, "--version"], r"LibreOffice ([\d.]+)")
if shutil.which("groff"):
    V["groff"] = tool_version(["groff", "--version"], r"groff version ([\d.]+)")
if shutil.which("gs"):
    V["ghostscript"] = tool_version(["gs", "--version"], r"([\d.]+)")


# --------------------------------------------------------------------------
# zip helpers
# --------------------------------------------------------------------------
def rewrite_zip(path: Path, edits: dict, renames: dict | None = None, extra: dict | None = None):
    """Rewrite zip members: edits maps name -> fn(bytes)->bytes; extra adds members."""
    renames = renames or {}
    src = zipfile.ZipFile(path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename in edits:
                data = edits[info.filename](data)
            name = renames.get(info.filename, info.filename)
            ni = zipfile.ZipInfo(name, date_time=info.date_time)
            ni.compress_type = info.compress_type
            ni.external_attr = info.external_attr
            dst.writestr(ni, data)
        for name, data in (extra or {}).items():
            dst.writestr(name, data)
    src.close()
    path.write_bytes(buf.getvalue())


def zip_parts_with(path: Path, tok: str) -> dict[str, int]:
    res = {}
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            c = z.read(n).count(tok.encode())
            if c:
                res[n] = c
    return res


# --------------------------------------------------------------------------
# LibreOffice
# --------------------------------------------------------------------------
LO_PROFILE = Path(tempfile.gettempdir()) / "corpus-lo-profile"
XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def lo_convert(src: Path, fmt: str, dest: Path):
    """soffice --convert-to fmt; recalculation on load forced to 'always'."""
    (LO_PROFILE / "user").mkdir(parents=True, exist_ok=True)
    (LO_PROFILE / "user" / "registrymodifications.xcu").write_text(XCU)
    with tempfile.TemporaryDirectory() as td:
        cmd = [SOFFICE, f"-env:UserInstallation=file://{LO_PROFILE}", "--headless",
               "--norestore", "--convert-to", fmt, "--outdir", td, str(src)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=300)
        outs = list(Path(td).iterdir())
        if len(outs) != 1:
            raise RuntimeError(f"LibreOffice produced {outs} for {src}")
        shutil.move(str(outs[0]), dest)


# regexes of expected parts (f-strings cannot hold backslashes before 3.12)
RX0 = r'^word/header\d+\.xml$'
RX1 = r'^word/footer\d+\.xml$'
RX2 = r'^word/document\.xml$'
RX3 = r'^word/comments\.xml$'
RX4 = r'^word/footnotes\.xml$'
RX5 = r'^word/endnotes\.xml$'
RX6 = r"^word/document\.xml$"
RX7 = r'^xl/comments.*\.xml$'
RX8 = r'^content\.xml$'
RX9 = r'^(styles\.xml|word/header\d+\.xml)$'
RX10 = r'^(styles\.xml|word/footer\d+\.xml)$'
RX11 = r'^(content\.xml|word/footnotes\.xml)$'
RX12 = r'^(content\.xml|word/endnotes\.xml)$'
RX13 = r'^(content\.xml|word/comments\.xml)$'


# ==========================================================================
# DOCX (python-docx + lxml)
# ==========================================================================
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NSDECL = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:v="urn:schemas-microsoft-com:vml" '
    'xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:w10="urn:schemas-microsoft-com:office:word"'
)


def _frag(xml: str):
    return etree.fromstring(xml)


def _notes_xml(kind: str, text: str) -> bytes:
    # kind: footnote | endnote
    root = "footnotes" if kind == "footnote" else "endnotes"
    ref = "footnoteRef" if kind == "footnote" else "endnoteRef"
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:{root} {NSDECL}>'
        f'<w:{kind} w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p></w:{kind}>'
        f'<w:{kind} w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/></w:r></w:p></w:{kind}>'
        f'<w:{kind} w:id="1"><w:p><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>'
        f'<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:{ref}/></w:r>'
        f'<w:r><w:t xml:space="preserve"> {text}</w:t></w:r></w:p></w:{kind}>'
        f'</w:{root}>'
    ).encode()


def _textbox_run_xml(text: str, shape_id: int) -> str:
    body = f'<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'
    return f'''<w:r {NSDECL}><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>
<wp:anchor distT="45720" distB="45720" distL="114300" distR="114300" simplePos="0" relativeHeight="251659264" behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1">
<wp:simplePos x="0" y="0"/><wp:positionH relativeFrom="column"><wp:posOffset>0</wp:posOffset></wp:positionH>
<wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV>
<wp:extent cx="2743200" cy="457200"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapTopAndBottom/>
<wp:docPr id="{shape_id}" name="Text Box {shape_id}"/><wp:cNvGraphicFramePr/>
<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">
<wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="2743200" cy="457200"/></a:xfrm>
<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill>
<a:ln w="9525"><a:solidFill><a:srgbClr val="000000"/></a:solidFill></a:ln></wps:spPr>
<wps:txbx><w:txbxContent>{body}</w:txbxContent></wps:txbx>
<wps:bodyPr rot="0" vert="horz" wrap="square" lIns="91440" tIns="45720" rIns="91440" bIns="45720" anchor="t" anchorCtr="0"><a:noAutofit/></wps:bodyPr>
</wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>
<mc:Fallback><w:pict>
<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>
<v:shape id="Text Box {shape_id}" o:spid="_x0000_s{1025 + shape_id}" type="#_x0000_t202" style="position:absolute;margin-left:0;margin-top:0;width:216pt;height:36pt;z-index:251659264;mso-wrap-distance-top:3.6pt;mso-wrap-distance-bottom:3.6pt;mso-position-horizontal-relative:text;mso-position-vertical-relative:text">
<v:textbox><w:txbxContent>{body}</w:txbxContent></v:textbox><w10:wrap type="topAndBottom"/></v:shape>
</w:pict></mc:Fallback></mc:AlternateContent></w:r>'''


def build_docx(spec: FileSpec, path: Path):
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.enum.text import WD_BREAK

    d = docx.Document()
    sec = d.sections[0]
    sec.different_first_page_header_footer = True
    d.settings.odd_and_even_pages_header_footer = True
    sec.header.paragraphs[0].text = f"Default odd page header {spec.tok('docx.header', RX0)} text"
    sec.footer.paragraphs[0].text = f"Default odd page footer {spec.tok('docx.footer', RX1)} text"
    sec.first_page_header.paragraphs[0].text = f"First page header {spec.tok('docx.header_first', RX0)} text"
    sec.first_page_footer.paragraphs[0].text = f"First page footer {spec.tok('docx.footer_first', RX1)} text"
    sec.even_page_header.paragraphs[0].text = f"Even page header {spec.tok('docx.header_even', RX0)} text"

    d.add_heading(f"Heading {spec.tok('docx.heading', RX2)} title", level=1)
    d.add_paragraph(f"The body paragraph carries {spec.tok('docx.body', RX2)} among ordinary words.")

    # comment (python-docx >= 1.2 API)
    p = d.add_paragraph("This sentence has a ")
    r = p.add_run("commented phrase")
    p.add_run(" in it.")
    d.add_comment(r, text=f"Reviewer comment {spec.tok('docx.comment', RX3)} here.",
                  author="Corpus Reviewer", initials="CR")

    # footnote + endnote: parts added by hand (python-docx has no API)
    p = d.add_paragraph("A sentence with a footnote")
    p._p.append(_frag(f'<w:r {NSDECL}><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteReference w:id="1"/></w:r>'))
    p.add_run(" and an endnote")
    p._p.append(_frag(f'<w:r {NSDECL}><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:endnoteReference w:id="1"/></w:r>'))
    p.add_run(".")
    fn = Part(PackURI("/word/footnotes.xml"),
              "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
              _notes_xml("footnote", f"Footnote text {spec.tok('docx.footnote', RX4)} here."),
              d.part.package)
    en = Part(PackURI("/word/endnotes.xml"),
              "application/vnd.openxmlformats-officedocument.wordprocessingml.endnotes+xml",
              _notes_xml("endnote", f"Endnote text {spec.tok('docx.endnote', RX5)} here."),
              d.part.package)
    d.part.relate_to(fn, RT.FOOTNOTES)
    d.part.relate_to(en, RT.ENDNOTES)

    # hyperlink
    p = d.add_paragraph("See the link ")
    rid = d.part.relate_to("https://example.invalid/corpus", RT.HYPERLINK, is_external=True)
    p._p.append(_frag(
        f'<w:hyperlink {NSDECL} r:id="{rid}" w:history="1"><w:r><w:rPr><w:color w:val="0563C1"/><w:u w:val="single"/></w:rPr>'
        f'<w:t xml:space="preserve">{spec.tok("docx.hyperlink", RX6)} link</w:t></w:r></w:hyperlink>'))
    p.add_run(" for details.")

    # text box (mc:AlternateContent, wps:txbx + v:textbox fallback, as Word writes)
    p = d.add_paragraph("Paragraph anchoring a text box. ")
    p._p.append(_frag(_textbox_run_xml(
        f"Text box content {spec.tok('docx.textbox', RX2, note='text appears twice in document.xml: mc:Choice (wps:txbx) and mc:Fallback (v:textbox); an extractor should emit it once')} inside.", 1)))

    # table with nested table
    t = d.add_table(rows=2, cols=2)
    t.style = "Table Grid"
    t.cell(0, 0).text = f"Outer cell {spec.tok('docx.table', RX2)}"
    t.cell(0, 1).text = "Outer cell two"
    t.cell(1, 0).text = "Outer cell three"
    inner_cell = t.cell(1, 1)
    inner_cell.text = "Cell holding a nested table:"
    it = inner_cell.add_table(rows=1, cols=2)
    it.cell(0, 0).text = f"Nested cell {spec.tok('docx.nested_table', RX2)}"
    it.cell(0, 1).text = "Nested cell two"
    inner_cell.add_paragraph("")  # a cell must end with a paragraph

    # two more pages so first/even/odd headers all show
    for i in range(2):
        p = d.add_paragraph()
        p.add_run().add_break(WD_BREAK.PAGE)
        p.add_run(f"Page {i + 2} filler text.")
    d.core_properties.author = "attachment corpus"
    d.save(path)


# ==========================================================================
# XLSX (openpyxl, post-edited)
# ==========================================================================
SML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def build_xlsx_source(spec: FileSpec, path: Path, for_lo: bool):
    """Write an openpyxl workbook.  Returns info used for post-editing."""
    import openpyxl
    from openpyxl.comments import Comment

    wb = openpyxl.Workbook()
    ws1 = wb.active
    ws1.title = "Alpha"
    ws2 = wb.create_sheet("Beta")
    ws3 = wb.create_sheet("Gamma")
    sheet_re = r"^xl/worksheets/sheet\d+\.xml$"
    ss_re = r"^xl/sharedStrings\.xml$"
    if for_lo:
        ss_re = r"^xl/sharedStrings\.xml$"
    firsts = {}
    for ws in (ws1, ws2, ws3):
        t = spec.tok(f"xlsx.cell_{ws.title.lower()}", ss_re,
                     note=f"shared string on sheet {ws.title!r}")
        ws["A1"] = f"Sheet {ws.title} label {t}"
        firsts[ws.title] = t
        ws["B1"] = 42
    ws1["A2"] = f"Second shared string {spec.tok('xlsx.shared_string', ss_re)}"
    c = ws2["C3"]
    c.value = f"Annotated cell"
    c.comment = Comment(f"Cell comment {spec.tok('xlsx.comment', RX7)} text", "Corpus Reviewer")
    c = ws3["D5"]
    c.value = "Another annotated"
    c.comment = Comment(f"Second comment {spec.tok('xlsx.comment_gamma', RX7)} text", "Corpus Reviewer")

    ftoks = {}
    for ws, ref in ((ws1, "C2"), (ws3, "B4")):
        t = spec.tok(f"xlsx.formula_cached_{ws.title.lower()}", sheet_re,
                     note="only in the cached <v> of a string formula; the formula concatenates two halves")
        cut = len(t) // 2
        ws[ref] = f'="{t[:cut]}"&"{t[cut:]}"'
        ftoks[(ws.title, ref)] = t
    inline = {}
    if not for_lo:
        t = spec.tok("xlsx.inline_string", sheet_re, note='cell t="inlineStr" <is><t>')
        ws2["B3"] = 987654321  # placeholder replaced by an inline string
        inline[("Beta", "B3")] = t
    wb.properties.creator = "attachment corpus"
    wb.save(path)
    return firsts, ftoks, inline


def _sheet_parts(path: Path) -> dict[str, str]:
    """sheet name -> part name, following workbook.xml.rels."""
    with zipfile.ZipFile(path) as z:
        wbx = etree.fromstring(z.read("xl/workbook.xml"))
        rels = etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    rmap = {r.get("Id"): r.get("Target") for r in rels}
    out = {}
    for s in wbx.iter(f"{{{SML}}}sheet"):
        tgt = rmap[s.get(f"{{{R_NS}}}id")]
        tgt = tgt.lstrip("/")
        if not tgt.startswith("xl/"):
            tgt = "xl/" + tgt
        out[s.get("name")] = tgt
    return out


def _sheet_order(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        wbx = etree.fromstring(z.read("xl/workbook.xml"))
    return [s.get("name") for s in wbx.iter(f"{{{SML}}}sheet")]


def build_xlsx(spec: FileSpec, path: Path):
    firsts, ftoks, inline = build_xlsx_source(spec, path, for_lo=False)
    parts = _sheet_parts(path)

    def edit_sheet(sheet):
        def fn(data):
            root = etree.fromstring(data)
            for c in root.iter(f"{{{SML}}}c"):
                key = (sheet, c.get("r"))
                if key in ftoks:
                    c.set("t", "str")
                    for v in c.findall(f"{{{SML}}}v"):
                        c.remove(v)
                    v = etree.SubElement(c, f"{{{SML}}}v")
                    v.text = ftoks[key]
                if key in inline:
                    for ch in list(c):
                        c.remove(ch)
                    c.set("t", "inlineStr")
                    is_ = etree.SubElement(c, f"{{{SML}}}is")
                    etree.SubElement(is_, f"{{{SML}}}t").text = inline[key]
            return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        return fn

    def reorder_wb(data):
        # workbook order becomes Gamma, Alpha, Beta while parts stay sheet1..3
        root = etree.fromstring(data)
        sheets = root.find(f"{{{SML}}}sheets")
        by = {s.get("name"): s for s in sheets}
        for s in list(sheets):
            sheets.remove(s)
        for n in ("Gamma", "Alpha", "Beta"):
            sheets.append(by[n])
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    # openpyxl 3.1 writes every string as an inline string; move the A1/A2
    # labels into a real xl/sharedStrings.xml so both storage kinds occur.
    shared: list[str] = []
    to_share = {(n, "A1") for n in ("Alpha", "Beta", "Gamma")} | {("Alpha", "A2")}

    def share_cells(sheet, inner):
        def fn(data):
            root = etree.fromstring(inner(data))
            for c in root.iter(f"{{{SML}}}c"):
                if (sheet, c.get("r")) in to_share:
                    txt = "".join(c.find(f"{{{SML}}}is").itertext())
                    for ch in list(c):
                        c.remove(ch)
                    c.set("t", "s")
                    shared.append(txt)
                    etree.SubElement(c, f"{{{SML}}}v").text = str(len(shared) - 1)
            return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        return fn

    edits = {parts[s]: share_cells(s, edit_sheet(s)) for s in ("Alpha", "Beta", "Gamma")}
    edits["xl/workbook.xml"] = reorder_wb
    rewrite_zip(path, edits)
    sst = etree.Element(f"{{{SML}}}sst", nsmap={None: SML}, count=str(len(shared)),
                        uniqueCount=str(len(shared)))
    for txt in shared:
        etree.SubElement(etree.SubElement(sst, f"{{{SML}}}si"), f"{{{SML}}}t").text = txt

    def add_rel(data):
        root = etree.fromstring(data)
        ns = root.nsmap[None]
        etree.SubElement(root, f"{{{ns}}}Relationship", Id="rIdSst1",
                         Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings",
                         Target="sharedStrings.xml")
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    def add_ct(data):
        root = etree.fromstring(data)
        ns = root.nsmap[None]
        etree.SubElement(root, f"{{{ns}}}Override", PartName="/xl/sharedStrings.xml",
                         ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml")
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    rewrite_zip(path, {"xl/_rels/workbook.xml.rels": add_rel, "[Content_Types].xml": add_ct},
                extra={"xl/sharedStrings.xml": etree.tostring(sst, xml_declaration=True, encoding="UTF-8", standalone=True)})
    order = _sheet_order(path)
    parts = _sheet_parts(path)
    spec.order("xlsx.sheet_order", [firsts[n] for n in order],
               note="A1 token of each sheet in workbook (tab) order; part names are not in tab order",
               sheets=[{"name": n, "part": parts[n]} for n in order])


def build_xlsx_lo(spec: FileSpec, path: Path):
    with tempfile.TemporaryDirectory() as td:
        src = Path(td) / "source.xlsx"
        firsts, _, _ = build_xlsx_source(spec, src, for_lo=True)
        lo_convert(src, "xlsx:Calc MS Excel 2007 XML", path)
    order = _sheet_order(path)
    parts = _sheet_parts(path)
    spec.order("xlsx.sheet_order", [firsts[n] for n in order],
               note="A1 token of each sheet in workbook order",
               sheets=[{"name": n, "part": parts[n]} for n in order])


def build_ods_lo(spec: FileSpec, path: Path):
    # ODS via LibreOffice from an openpyxl source (formula results computed by LO)
    import openpyxl
    from openpyxl.comments import Comment
    wb = openpyxl.Workbook()
    names = ["North", "South", "East"]
    firsts = []
    for i, n in enumerate(names):
        ws = wb.active if i == 0 else wb.create_sheet(n)
        ws.title = n
        t = spec.tok(f"ods.cell_{n.lower()}", r"^content\.xml$", note=f"cell on sheet {n!r}")
        ws["A1"] = f"Sheet {n} label {t}"
        firsts.append(t)
    wb["South"]["B2"] = "Annotated"
    wb["South"]["B2"].comment = Comment(f"Annotation {spec.tok('ods.annotation', RX8)} text", "Corpus Reviewer")
    t = spec.tok("ods.formula_cached", r"^content\.xml$",
                 note="string formula result (office:string-value / text:p), formula concatenates two halves")
    cut = len(t) // 2
    wb["East"]["C3"] = f'="{t[:cut]}"&"{t[cut:]}"'
    with tempfile.TemporaryDirectory() as td:
        src = Path(td) / "source.xlsx"
        wb.save(src)
        lo_convert(src, "ods", path)
    spec.order("ods.sheet_order", firsts, note="A1 token of each sheet in table order")


# ==========================================================================
# PPTX (python-pptx, slides reordered)
# ==========================================================================
P_NS = "http://schemas.openxmlformats.org/presentationml/2006/main"


def build_pptx_source(spec: FileSpec, path: Path, reorder: bool):
    from pptx import Presentation
    from pptx.util import Inches, Pt

    prs = Presentation()
    slide_re = r"^ppt/slides/slide\d+\.xml$"
    notes_re = r"^ppt/notesSlides/notesSlide\d+\.xml$"
    titles = []
    # slide part 1: title + subtitle
    s = prs.slides.add_slide(prs.slide_layouts[0])
    t = spec.tok("pptx.title_1", slide_re); titles.append(t)
    s.shapes.title.text = f"Title {t} one"
    s.placeholders[1].text = f"Subtitle {spec.tok('pptx.subtitle', slide_re)} words"
    s.notes_slide.notes_text_frame.text = f"Speaker notes {spec.tok('pptx.notes_1', notes_re)} for slide one"
    # slide part 2: title + bullet body
    s = prs.slides.add_slide(prs.slide_layouts[1])
    t = spec.tok("pptx.title_2", slide_re); titles.append(t)
    s.shapes.title.text = f"Title {t} two"
    tf = s.placeholders[1].text_frame
    tf.text = f"First bullet {spec.tok('pptx.body', slide_re)} point"
    tf.add_paragraph().text = f"Second bullet {spec.tok('pptx.body_bullet2', slide_re)} point"
    s.notes_slide.notes_text_frame.text = f"Speaker notes {spec.tok('pptx.notes_2', notes_re)} for slide two"
    # slide part 3: group shape
    s = prs.slides.add_slide(prs.slide_layouts[5])
    t = spec.tok("pptx.title_3", slide_re); titles.append(t)
    s.shapes.title.text = f"Title {t} three"
    g = s.shapes.add_group_shape()
    tb = g.shapes.add_textbox(Inches(1), Inches(2), Inches(4), Inches(1))
    tb.text_frame.text = f"Grouped text {spec.tok('pptx.group', slide_re)} box"
    g2 = g.shapes.add_group_shape()
    tb = g2.shapes.add_textbox(Inches(1), Inches(3.5), Inches(4), Inches(1))
    tb.text_frame.text = f"Nested group {spec.tok('pptx.group_nested', slide_re)} box"
    # slide part 4: table
    s = prs.slides.add_slide(prs.slide_layouts[5])
    t = spec.tok("pptx.title_4", slide_re); titles.append(t)
    s.shapes.title.text = f"Title {t} four"
    tbl = s.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(6), Inches(1.5)).table
    tbl.cell(0, 0).text = f"Table head {spec.tok('pptx.table', slide_re)}"
    tbl.cell(0, 1).text = "Head two"
    tbl.cell(1, 0).text = "Row cell"
    tbl.cell(1, 1).text = f"Table cell {spec.tok('pptx.table_cell', slide_re)}"
    tb = s.shapes.add_textbox(Inches(1), Inches(4.5), Inches(6), Inches(1))
    tb.text_frame.text = f"Free text box {spec.tok('pptx.textbox', slide_re)} words"
    s.notes_slide.notes_text_frame.text = f"Speaker notes {spec.tok('pptx.notes_4', notes_re)} for slide four"
    prs.core_properties.author = "attachment corpus"
    prs.save(path)
    return titles


PPTX_ORDER = [3, 1, 4, 2]  # presentation order, by slide part number


def build_pptx(spec: FileSpec, path: Path):
    titles = build_pptx_source(spec, path, reorder=True)
    with zipfile.ZipFile(path) as z:
        rels = etree.fromstring(z.read("ppt/_rels/presentation.xml.rels"))
    rid_by_part = {}
    for r in rels:
        m = re.search(r"slides/slide(\d+)\.xml$", r.get("Target"))
        if m:
            rid_by_part[int(m.group(1))] = r.get("Id")

    def reorder(data):
        root = etree.fromstring(data)
        lst = root.find(f"{{{P_NS}}}sldIdLst")
        by = {e.get(f"{{{R_NS}}}id"): e for e in lst}
        for e in list(lst):
            lst.remove(e)
        for n in PPTX_ORDER:
            lst.append(by[rid_by_part[n]])
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    rewrite_zip(path, {"ppt/presentation.xml": reorder})
    spec.order("pptx.slide_order", [titles[n - 1] for n in PPTX_ORDER],
               note="title token of each slide in presentation order",
               slide_parts=[f"ppt/slides/slide{n}.xml" for n in PPTX_ORDER])


def build_odp_lo(spec: FileSpec, path: Path):
    with tempfile.TemporaryDirectory() as td:
        src = Path(td) / "source.pptx"
        titles = build_pptx_source(_Renamer(spec, "pptx.", "odp."), src, reorder=False)
        lo_convert(src, "odp", path)
    spec.order("odp.slide_order", titles, note="title token of each slide in presentation order")


# ==========================================================================
# ODF via odfpy
# ==========================================================================
def build_odt_odfpy(spec: FileSpec, path: Path, kind_prefix: str = "odt"):
    from odf.opendocument import OpenDocumentText
    from odf import style, text, table, office, dc, draw

    k = kind_prefix
    doc = OpenDocumentText()
    pl = style.PageLayout(name="pm1")
    pl.addElement(style.PageLayoutProperties(pagewidth="21cm", pageheight="29.7cm",
                                             margintop="2cm", marginbottom="2cm",
                                             marginleft="2cm", marginright="2cm"))
    doc.automaticstyles.addElement(pl)
    mp = style.MasterPage(name="Standard", pagelayoutname=pl)
    h = style.Header()
    h.addElement(text.P(text=f"Page header {spec.tok(k + '.header', RX9)} text"))
    mp.addElement(h)
    f = style.Footer()
    f.addElement(text.P(text=f"Page footer {spec.tok(k + '.footer', RX10)} text"))
    mp.addElement(f)
    doc.masterstyles.addElement(mp)

    body_re = r"^(content\.xml|word/document\.xml)$"
    doc.text.addElement(text.H(outlinelevel=1, text=f"Heading {spec.tok(k + '.heading', body_re)} title"))
    doc.text.addElement(text.P(text=f"The body paragraph carries {spec.tok(k + '.body', body_re)} among ordinary words."))

    p = text.P(text="A sentence with a footnote")
    n = text.Note(id="ftn1", noteclass="footnote")
    n.addElement(text.NoteCitation(text="1"))
    nb = text.NoteBody()
    nb.addElement(text.P(text=f"Footnote text {spec.tok(k + '.footnote', RX11)} here."))
    n.addElement(nb)
    p.addElement(n)
    p.addText(" and an endnote")
    n = text.Note(id="edn1", noteclass="endnote")
    n.addElement(text.NoteCitation(text="i"))
    nb = text.NoteBody()
    nb.addElement(text.P(text=f"Endnote text {spec.tok(k + '.endnote', RX12)} here."))
    n.addElement(nb)
    p.addElement(n)
    p.addText(".")
    doc.text.addElement(p)

    p = text.P(text="This sentence has an annotation")
    a = office.Annotation()
    a.addElement(dc.Creator(text="Corpus Reviewer"))
    a.addElement(dc.Date(text="2026-01-01T00:00:00"))
    ann = ".comment" if k == "docx" else ".annotation"
    a.addElement(text.P(text=f"Reviewer comment {spec.tok(k + ann, RX13)} here."))
    p.addElement(a)
    p.addText(" attached to it.")
    doc.text.addElement(p)

    # text frame (draw:frame/draw:text-box)
    fs = style.Style(name="fr1", family="graphic")
    fs.addElement(style.GraphicProperties(border="0.5pt solid #000000", wrap="none",
                                          verticalpos="top", horizontalpos="left"))
    doc.automaticstyles.addElement(fs)
    p = text.P(text="Paragraph anchoring a text frame. ")
    fr = draw.Frame(stylename=fs, anchortype="paragraph", width="8cm", height="1.5cm", name="Frame1")
    tb = draw.TextBox()
    tb.addElement(text.P(text=f"Text frame content {spec.tok(k + '.textbox', body_re)} inside."))
    fr.addElement(tb)
    p.addElement(fr)
    doc.text.addElement(p)

    t = table.Table(name="Table1")
    t.addElement(table.TableColumn(numbercolumnsrepeated=2))
    for r_i in range(2):
        tr = table.TableRow()
        for c_i in range(2):
            tc = table.TableCell(valuetype="string")
            if (r_i, c_i) == (0, 0):
                tc.addElement(text.P(text=f"Table cell {spec.tok(k + '.table', body_re)}"))
            elif (r_i, c_i) == (1, 1):
                tc.addElement(text.P(text="Cell with nested table:"))
                it = table.Table(name="Inner1")
                it.addElement(table.TableColumn(numbercolumnsrepeated=1))
                itr = table.TableRow()
                itc = table.TableCell(valuetype="string")
                itc.addElement(text.P(text=f"Nested cell {spec.tok(k + '.nested_table', body_re)}"))
                itr.addElement(itc)
                it.addElement(itr)
                tc.addElement(it)
            else:
                tc.addElement(text.P(text=f"cell {r_i}{c_i}"))
            tr.addElement(tc)
        t.addElement(tr)
    doc.text.addElement(t)
    doc.text.addElement(text.P(text="End of document."))
    doc.save(str(path))


def build_ods_odfpy(spec: FileSpec, path: Path):
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf import table, text, office, dc

    doc = OpenDocumentSpreadsheet()
    firsts = []
    for name in ("Red", "Green", "Blue"):
        t = table.Table(name=name)
        t.addElement(table.TableColumn(numbercolumnsrepeated=3))
        tok = spec.tok(f"ods.cell_{name.lower()}", r"^content\.xml$", note=f"cell on sheet {name!r}")
        firsts.append(tok)
        tr = table.TableRow()
        tc = table.TableCell(valuetype="string")
        tc.addElement(text.P(text=f"Sheet {name} label {tok}"))
        tr.addElement(tc)
        tc = table.TableCell(valuetype="float", value="42")
        tc.addElement(text.P(text="42"))
        tr.addElement(tc)
        t.addElement(tr)
        if name == "Green":
            tr = table.TableRow()
            tc = table.TableCell(valuetype="string")
            a = office.Annotation()
            a.addElement(dc.Creator(text="Corpus Reviewer"))
            a.addElement(dc.Date(text="2026-01-01T00:00:00"))
            a.addElement(text.P(text=f"Cell annotation {spec.tok('ods.annotation', RX8)} text"))
            tc.addElement(a)
            tc.addElement(text.P(text="Annotated"))
            tr.addElement(tc)
            t.addElement(tr)
        if name == "Blue":
            tok = spec.tok("ods.formula_cached", r"^content\.xml$",
                           note="string formula with cached office:string-value and text:p; formula concatenates halves")
            cut = len(tok) // 2
            tr = table.TableRow()
            tc = table.TableCell(formula=f'of:="{tok[:cut]}"&"{tok[cut:]}"', valuetype="string",
                                 stringvalue=tok)
            tc.addElement(text.P(text=tok))
            tr.addElement(tc)
            t.addElement(tr)
        doc.spreadsheet.addElement(t)
    doc.save(str(path))
    spec.order("ods.sheet_order", firsts, note="A1 token of each sheet in table order")


def _pframe(cls, **kw):
    from odf import draw
    from odf.namespaces import PRESENTATIONNS
    fr = draw.Frame(**kw)
    fr.setAttrNS(PRESENTATIONNS, "class", cls)
    return fr


def build_odp_odfpy(spec: FileSpec, path: Path):
    from odf.opendocument import OpenDocumentPresentation
    from odf import style, text, draw, presentation

    doc = OpenDocumentPresentation()
    pl = style.PageLayout(name="PM1")
    pl.addElement(style.PageLayoutProperties(margin="0cm", pagewidth="28cm", pageheight="21cm",
                                             printorientation="landscape"))
    doc.automaticstyles.addElement(pl)
    mp = style.MasterPage(name="Default", pagelayoutname=pl)
    doc.masterstyles.addElement(mp)
    titles = []
    for i in range(1, 4):
        page = draw.Page(name=f"page{i}", masterpagename=mp)
        t = spec.tok(f"odp.title_{i}", r"^content\.xml$")
        titles.append(t)
        fr = _pframe("title", width="24cm", height="3cm", x="2cm", y="1cm")
        tb = draw.TextBox()
        tb.addElement(text.P(text=f"Title {t} slide {i}"))
        fr.addElement(tb)
        page.addElement(fr)
        fr = _pframe("outline", width="24cm", height="12cm", x="2cm", y="5cm")
        tb = draw.TextBox()
        tb.addElement(text.P(text=f"Body text {spec.tok(f'odp.body_{i}', RX8)} slide {i}"))
        fr.addElement(tb)
        page.addElement(fr)
        notes = presentation.Notes()
        nf = _pframe("notes", width="16cm", height="10cm", x="2cm", y="14cm")
        tb = draw.TextBox()
        tb.addElement(text.P(text=f"Speaker notes {spec.tok(f'odp.notes_{i}', RX8)} slide {i}"))
        nf.addElement(tb)
        notes.addElement(nf)
        page.addElement(notes)
        doc.presentation.addElement(page)
    doc.save(str(path))
    spec.order("odp.slide_order", titles, note="title token of each slide in presentation order")


# ==========================================================================
# PDF
# ==========================================================================
def _rl_canvas(path):
    from reportlab.pdfgen import canvas
    return canvas.Canvas(str(path), pagesize=(612, 792), invariant=1)


def build_pdf_base14(spec, path):
    c = _rl_canvas(path)
    c.setFont("Helvetica", 14)
    c.drawString(72, 700, f"Helvetica line {spec.tok('pdf.base14_helvetica', 'page1')} here")
    c.setFont("Times-Roman", 14)
    c.drawString(72, 670, f"Times line {spec.tok('pdf.base14_times', 'page1')} here")
    c.setFont("Courier", 12)
    c.drawString(72, 640, f"Courier line {spec.tok('pdf.base14_courier', 'page1')} here")
    c.showPage()
    c.setFont("Helvetica-Bold", 14)
    c.drawString(72, 700, f"Second page {spec.tok('pdf.page2', 'page2')} here")
    c.showPage()
    c.save()


def build_pdf_macroman(spec, path):
    from reportlab.pdfbase import pdfmetrics
    pdfmetrics.registerFont(pdfmetrics.Font("Helvetica-MacRoman", "Helvetica", "MacRomanEncoding"))
    pdfmetrics.registerFont(pdfmetrics.Font("Times-MacRoman", "Times-Roman", "MacRomanEncoding"))
    c = _rl_canvas(path)
    c.setFont("Helvetica-MacRoman", 14)
    c.drawString(72, 700, f"MacRoman Helvetica {spec.tok('pdf.macroman_helvetica', 'page1')} here")
    c.setFont("Times-MacRoman", 14)
    c.drawString(72, 670, f"MacRoman Times {spec.tok('pdf.macroman_times', 'page1')} here")
    c.showPage()
    c.save()


def build_pdf_type1(spec, path):
    import reportlab
    from reportlab.pdfbase import pdfmetrics
    fdir = Path(reportlab.__file__).parent / "fonts"
    face = pdfmetrics.EmbeddedType1Face(str(fdir / "DarkGardenMK.afm"), str(fdir / "DarkGardenMK.pfb"))
    pdfmetrics.registerTypeFace(face)
    pdfmetrics.registerFont(pdfmetrics.Font("DarkGardenMK", face.name, "WinAnsiEncoding"))
    c = _rl_canvas(path)
    c.setFont("DarkGardenMK", 18)
    c.drawString(72, 700, f"Embedded Type one {spec.tok('pdf.type1_embedded', 'page1', note='DarkGardenMK embedded Type 1 (FontFile), WinAnsiEncoding, no ToUnicode')} here")
    c.setFont("Helvetica", 12)
    c.drawString(72, 660, f"Helvetica control line {spec.tok('pdf.type1_control', 'page1')} here")
    c.showPage()
    c.save()


def build_pdf_forms(spec, path):
    c = _rl_canvas(path)
    c.setFont("Helvetica", 12)
    c.drawString(72, 720, f"Page level text {spec.tok('pdf.page_text', 'page1')} here")
    c.beginForm("inner")
    c.setFont("Helvetica", 12)
    c.drawString(72, 600, f"Inner nested form {spec.tok('pdf.form_nested', 'XObject:inner', note='Form XObject drawn only from inside another Form XObject')} text")
    c.endForm()
    c.beginForm("outer")
    c.setFont("Times-Roman", 12)
    c.drawString(72, 650, f"Outer form {spec.tok('pdf.form_xobject', 'XObject:outer')} text")
    c.doForm("inner")
    c.endForm()
    c.doForm("outer")
    c.showPage()
    c.save()


def build_pdf_two_column(spec, path):
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, FrameBreak
    from reportlab.lib.styles import getSampleStyleSheet
    st = getSampleStyleSheet()["BodyText"]
    st.fontSize = 11
    st.leading = 14
    W_, H_ = 612, 792
    m, gap = 54, 36
    cw = (W_ - 2 * m - gap) / 2
    frames = [Frame(m, m, cw, H_ - 2 * m, id="left"),
              Frame(m + cw + gap, m, cw, H_ - 2 * m, id="right")]
    doc = BaseDocTemplate(str(path), pagesize=(W_, H_), invariant=1,
                          pageTemplates=[PageTemplate(id="two", frames=frames)])
    toks = []
    story = []
    filler = ("Lorem ipsum style filler words keep the column busy and wrap over several "
              "lines so that left and right lines share the same baselines. ")
    for col in ("left", "right"):
        for i in (1, 2):
            t = spec.tok(f"pdf.two_column_{col}_{i}", "page1")
            toks.append(t)
            story.append(Paragraph(f"Column {col} paragraph {i} starts {t} then {filler * 2}", st))
        story.append(FrameBreak())
    # page 2: one long paragraph per column, of different lengths (no block grid)
    toks2 = []
    for col, reps in (("left", 6), ("right", 4)):
        a = spec.tok(f"pdf.two_column_p2_{col}_1", "page2")
        b = spec.tok(f"pdf.two_column_p2_{col}_2", "page2")
        toks2 += [a, b]
        story.append(Paragraph(f"Page two {col} column opens with {a} and then {filler * reps} "
                               f"near its end comes {b} before the column ends.", st))
        if col == "left":
            story.append(FrameBreak())
    doc.build(story)
    spec.order("pdf.two_column_order", toks,
               note="page 1: two paragraphs per column, aligned in a grid (same baselines, same paragraph "
                    "heights); left column tokens top to bottom, then right column tokens")
    spec.order("pdf.two_column_order_page2", toks2,
               note="page 2: one long paragraph per column, left longer than right; left tokens then right tokens")


GROFF_SRC = r""".nh
.ll 6i
.TL
Groff title {t_title} here
.AU
Corpus Author
.PP
This paragraph was typeset by groff and converted by ghostscript,
it carries {t_body} in running text.
The first office was fluffy \(em ligatures and \(bu special \(dg glyphs
force a custom /Differences encoding.
.PP
.B "Bold line {t_bold} here"
.PP
.I "Italic line {t_italic} here"
"""


def build_pdf_groff(spec, path, compat="1.1"):
    if compat == "1.1":
        note = ("groff -ms -Tps | ps2pdf -dCompatibilityLevel=1.1: embedded Type 1 (FontFile) URW subsets, "
                "Times-Roman has a WinAnsi+/Differences encoding (fi, fl, emdash, bullet, dagger), no ToUnicode")
    else:
        note = ("groff -ms -Tps | ps2pdf (PDF 1.7 default): embedded Type 1C/CFF (FontFile3) URW subsets, "
                "custom /Differences on Times-Roman, no ToUnicode")
    src = GROFF_SRC.format(
        t_title=spec.tok("pdf.groff_title", "page1", note=note),
        t_body=spec.tok("pdf.groff_body", "page1", note=note),
        t_bold=spec.tok("pdf.groff_bold", "page1", note=note),
        t_italic=spec.tok("pdf.groff_italic", "page1", note=note),
    )
    with tempfile.TemporaryDirectory() as td:
        ms = Path(td) / "doc.ms"
        ms.write_text(src)
        ps = Path(td) / "doc.ps"
        with open(ps, "wb") as fh:
            subprocess.run(["groff", "-ms", "-Tps", str(ms)], stdout=fh, check=True)
        subprocess.run(["ps2pdf", f"-dCompatibilityLevel={compat}", str(ps), str(path)], check=True,
                       env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"})


def build_pdf_lo(spec, path):
    with tempfile.TemporaryDirectory() as td:
        src = Path(td) / "source.odt"
        build_odt_odfpy(spec, src, kind_prefix="pdf.libreoffice")
        lo_convert(src, "pdf:writer_pdf_Export", path)
    # all tokens of the LO PDF are expected somewhere in the page text, except
    # the ODF annotation: LibreOffice's PDF export does not print comments
    # (ExportNotes turns them into /Annot popups, which are not page text).
    kept = []
    for e in spec.entries:
        if e["place"] == "pdf.libreoffice.annotation":
            SKIPPED.append(f"{spec.fname}: pdf.libreoffice.annotation ({e['token']}) not exported as page text by LibreOffice; omitted")
            continue
        e["_expect"] = "anypage"
        kept.append(e)
    spec.entries = kept


# ==========================================================================
# verification
# ==========================================================================
def verify_zip(spec: FileSpec, path: Path):
    for e in spec.entries:
        hits = zip_parts_with(path, e["token"])
        exp = e.pop("_expect")
        if not hits:
            PROBLEMS.append(f"{spec.fname}: {e['place']} token {e['token']} not found in any part")
            e["_drop"] = True
            continue
        bad = [p for p in hits if exp and not re.match(exp, p)]
        if bad:
            PROBLEMS.append(f"{spec.fname}: {e['place']} token {e['token']} found in unexpected parts {bad}")
        e["part"] = sorted(hits)[0] if len(hits) == 1 else sorted(hits)


def _pdf_xobject_texts(path: Path) -> dict[str, str]:
    """name -> decoded content of Form XObjects (recursively), plus page streams."""
    from pypdf import PdfReader
    rd = PdfReader(str(path))
    out = {}

    def walk(res, prefix):
        if not res or "/XObject" not in res:
            return
        xo = res["/XObject"].get_object()
        for name, ref in xo.items():
            o = ref.get_object()
            if o.get("/Subtype") == "/Form":
                key = f"XObject:{name.lstrip('/').replace('FormXob.', '')}"
                out[key] = o.get_data().decode("latin-1")
                walk(o.get("/Resources"), key)

    for i, pg in enumerate(rd.pages, 1):
        out[f"page{i}"] = pg.get_contents().get_data().decode("latin-1") if pg.get_contents() else ""
        walk(pg.get("/Resources"), f"page{i}")
    return out


def pdftotext(path: Path, *args) -> list[str]:
    """Text per page."""
    r = subprocess.run(["pdftotext", *args, "-enc", "UTF-8", str(path), "-"],
                       capture_output=True, text=True, check=True)
    return r.stdout.split("\f")


def verify_pdf(spec: FileSpec, path: Path):
    pages = pdftotext(path)
    streams = _pdf_xobject_texts(path)
    for e in spec.entries:
        exp = e.pop("_expect")
        t = e["token"]
        txt_pages = [i + 1 for i, p in enumerate(pages) if re.search(rf"\b{t}\b", p)]
        if exp == "anypage":
            if not txt_pages:
                PROBLEMS.append(f"{spec.fname}: {e['place']} token {t} not extracted by pdftotext")
                e["_drop"] = True
            else:
                e["part"] = f"page{txt_pages[0]}"
            continue
        if exp.startswith("XObject:"):
            raw = [k for k, s in streams.items() if t in s]
            if raw != [exp]:
                PROBLEMS.append(f"{spec.fname}: {e['place']} token {t} in streams {raw}, expected {exp}")
            e["part"] = f"page1 {exp} (Form XObject)"
            if exp == "XObject:inner":
                e["part"] = "page1 XObject:outer -> XObject:inner (nested Form XObject)"
        else:
            want = int(exp[4:])
            if txt_pages and txt_pages != [want]:
                PROBLEMS.append(f"{spec.fname}: {e['place']} token {t} on pages {txt_pages}, expected {want}")
            if not txt_pages:
                # not extractable by pdftotext: still must be in the page's content stream
                if t not in streams.get(exp, ""):
                    PROBLEMS.append(f"{spec.fname}: {e['place']} token {t} neither extracted nor literal in {exp}")
                e.setdefault("note", "")
                e["note"] = (e["note"] + "; not extracted by pdftotext").lstrip("; ")
            e["part"] = exp
    for o in spec.orders:
        if o["place"].startswith("pdf.two_column_order"):
            # layout check with word boxes: first half of the tokens in the left
            # column, second half in the right column, each top to bottom
            r = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True,
                               text=True, check=True).stdout
            boxes = {m.group(3): (float(m.group(1)), float(m.group(2))) for m in re.finditer(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>(\w+)</word>', r)}
            toks = o["order"]
            half = len(toks) // 2
            try:
                xs = [boxes[t][0] for t in toks]
                ys = [boxes[t][1] for t in toks]
            except KeyError as ex:
                PROBLEMS.append(f"{spec.fname}: two-column token {ex} has no word box")
                continue
            ok = (max(xs[:half]) < 306 < min(xs[half:]) and ys[:half] == sorted(ys[:half])
                  and ys[half:] == sorted(ys[half:]))
            if not ok:
                PROBLEMS.append(f"{spec.fname}: two-column layout check failed x={xs} y={ys}")
            o["boxes"] = [{"token": t, "xMin": x, "yMin": y} for t, x, y in zip(toks, xs, ys)]


def pdf_font_facts(path: Path) -> list[dict]:
    from pypdf import PdfReader
    rd = PdfReader(str(path))
    facts = {}

    def fonts(res):
        if not res:
            return
        res = res.get_object()
        for n, f in (res.get("/Font") or {}).items():
            f = f.get_object()
            fd = f.get("/FontDescriptor")
            fd = fd.get_object() if fd else {}
            emb = next((k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in fd), None)
            enc = f.get("/Encoding")
            if enc is not None and not isinstance(enc, str):
                enc = enc.get_object()
                enc = "custom /Differences" if "/Differences" in enc else str(enc.get("/BaseEncoding"))
            facts[str(f.get("/BaseFont"))] = {
                "subtype": str(f.get("/Subtype")), "encoding": str(enc),
                "embedded": emb or "no", "tounicode": "/ToUnicode" in f}
        for n, x in (res.get("/XObject") or {}).items():
            x = x.get_object()
            if x.get("/Subtype") == "/Form":
                fonts(x.get("/Resources"))

    for pg in rd.pages:
        fonts(pg.get("/Resources"))
    return [{"font": k, **v} for k, v in sorted(facts.items())]


# ==========================================================================
# main
# ==========================================================================
def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for p in OUT.iterdir():
        if p.is_file() and p.suffix in {".docx", ".xlsx", ".pptx", ".pdf", ".odt", ".ods", ".odp"}:
            p.unlink()

    lo = f"LibreOffice {V.get('LibreOffice', '?')}"
    jobs = [
        ("docx_python_docx.docx", "docx", f"python-docx {V['python-docx']} + lxml {V['lxml']} raw XML parts", build_docx, verify_zip, False),
        ("docx_libreoffice.docx", "docx", f"{lo} (ODT from odfpy {V['odfpy']} converted to DOCX)",
         lambda s, p: _lo_from_odt(s, p, "docx:MS Word 2007 XML", "docx"), verify_zip, True),
        ("xlsx_openpyxl.xlsx", "xlsx", f"openpyxl {V['openpyxl']} + lxml post-edit (cached formula values, inline string, sheet reorder)", build_xlsx, verify_zip, False),
        ("xlsx_libreoffice.xlsx", "xlsx", f"{lo} (openpyxl {V['openpyxl']} source recalculated and saved as XLSX)", build_xlsx_lo, verify_zip, True),
        ("pptx_python_pptx.pptx", "pptx", f"python-pptx {V['python-pptx']} + lxml post-edit (slide reorder)", build_pptx, verify_zip, False),
        ("pdf_base14.pdf", "pdf", f"reportlab {V['reportlab']} (base-14 fonts, WinAnsiEncoding)", build_pdf_base14, verify_pdf, False),
        ("pdf_macroman.pdf", "pdf", f"reportlab {V['reportlab']} (base-14 fonts, MacRomanEncoding)", build_pdf_macroman, verify_pdf, False),
        ("pdf_type1_embedded.pdf", "pdf", f"reportlab {V['reportlab']} (embedded Type 1 DarkGardenMK)", build_pdf_type1, verify_pdf, False),
        ("pdf_form_xobject.pdf", "pdf", f"reportlab {V['reportlab']} (Form XObjects, nested)", build_pdf_forms, verify_pdf, False),
        ("pdf_two_column.pdf", "pdf", f"reportlab {V['reportlab']} platypus (two Frames)", build_pdf_two_column, verify_pdf, False),
        ("pdf_groff.pdf", "pdf", f"groff {V.get('groff', '?')} -ms -Tps + ps2pdf -dCompatibilityLevel=1.1 (Ghostscript {V.get('ghostscript', '?')})", build_pdf_groff, verify_pdf, False),
        ("pdf_groff_cff.pdf", "pdf", f"groff {V.get('groff', '?')} -ms -Tps + ps2pdf -dCompatibilityLevel=1.7 (Ghostscript {V.get('ghostscript', '?')})",
         lambda s, p: build_pdf_groff(s, p, compat="1.7"), verify_pdf, False),
        ("pdf_libreoffice.pdf", "pdf", f"{lo} writer_pdf_Export (ODT from odfpy {V['odfpy']})", build_pdf_lo, verify_pdf, True),
        ("odt_odfpy.odt", "odt", f"odfpy {V['odfpy']}", build_odt_odfpy, verify_zip, False),
        ("odt_libreoffice.odt", "odt", f"{lo} (DOCX from python-docx {V['python-docx']} converted to ODT)",
         lambda s, p: _lo_from_docx(s, p), verify_zip, True),
        ("ods_odfpy.ods", "ods", f"odfpy {V['odfpy']}", build_ods_odfpy, verify_zip, False),
        ("ods_libreoffice.ods", "ods", f"{lo} (XLSX from openpyxl {V['openpyxl']} converted to ODS)", build_ods_lo, verify_zip, True),
        ("odp_odfpy.odp", "odp", f"odfpy {V['odfpy']}", build_odp_odfpy, verify_zip, False),
        ("odp_libreoffice.odp", "odp", f"{lo} (PPTX from python-pptx {V['python-pptx']} converted to ODP)", build_odp_lo, verify_zip, True),
    ]
    pdf_fonts = {}
    for fname, kind, producer, build, verify, needs_lo in jobs:
        if needs_lo and not SOFFICE:
            SKIPPED.append(f"{fname}: LibreOffice (soffice) not installed")
            continue
        if fname.startswith("pdf_groff") and not (shutil.which("groff") and shutil.which("ps2pdf")):
            SKIPPED.append(f"{fname}: groff/ps2pdf not installed")
            continue
        spec = FileSpec(fname, kind, producer)
        path = OUT / fname
        print(f"building {fname}", file=sys.stderr)
        build(spec, path)
        if needs_lo:
            _fix_lo_expectations(spec)
        verify(spec, path)
        spec.entries = [e for e in spec.entries if not e.pop("_drop", False)]
        for e in spec.entries:
            e.pop("_expect", None)
        if kind == "pdf":
            pdf_fonts[fname] = pdf_font_facts(path)
        spec.commit()
        size = path.stat().st_size
        if size > 200 * 1024:
            PROBLEMS.append(f"{fname}: {size} bytes > 200 KB")

    (OUT / "manifest.json").write_text(json.dumps(MANIFEST, indent=1) + "\n")
    (OUT / "pdf_fonts.json").write_text(json.dumps(pdf_fonts, indent=1) + "\n")
    (OUT / "tool_versions.json").write_text(json.dumps(V, indent=1) + "\n")
    total = sum(p.stat().st_size for p in OUT.iterdir() if p.is_file())
    print(f"{len([e for e in MANIFEST if 'token' in e])} tokens, {len(MANIFEST)} manifest entries, corpus {total} bytes",
          file=sys.stderr)
    for s in SKIPPED:
        print("SKIPPED:", s, file=sys.stderr)
    for p in PROBLEMS:
        print("PROBLEM:", p, file=sys.stderr)
    return 1 if PROBLEMS else 0


# LibreOffice output part expectations (part names differ from the source format)
LO_PART_RULES = {
    ("docx", "header"): r"^word/header\d+\.xml$",
    ("docx", "footer"): r"^word/footer\d+\.xml$",
    ("docx", "footnote"): r"^word/footnotes\.xml$",
    ("docx", "endnote"): r"^word/endnotes\.xml$",
    ("docx", "annotation"): r"^word/comments\.xml$",
    ("docx", "comment"): r"^word/comments\.xml$",
    ("odt", "header"): r"^styles\.xml$",
    ("odt", "header_first"): r"^styles\.xml$",
    ("odt", "header_even"): r"^styles\.xml$",
    ("odt", "footer"): r"^styles\.xml$",
    ("odt", "footer_first"): r"^styles\.xml$",
}


def _fix_lo_expectations(spec: FileSpec):
    for e in spec.entries:
        sub = e["place"].split(".", 1)[1]
        if spec.kind == "pdf":
            continue
        if spec.kind in ("odt", "ods", "odp"):
            e["_expect"] = LO_PART_RULES.get((spec.kind, sub), r"^content\.xml$")
        elif spec.kind == "docx":
            e["_expect"] = LO_PART_RULES.get(("docx", sub), r"^word/document\.xml$")
        elif spec.kind == "xlsx":
            pass  # keep openpyxl-source expectations


def _lo_from_odt(spec: FileSpec, path: Path, fmt: str, kind: str):
    with tempfile.TemporaryDirectory() as td:
        src = Path(td) / "source.odt"
        build_odt_odfpy(spec, src, kind_prefix=kind)
        lo_convert(src, fmt, path)


def _lo_from_docx(spec: FileSpec, path: Path):
    # reuse the python-docx builder with odt.* place names
    with tempfile.TemporaryDirectory() as td:
        src = Path(td) / "source.docx"
        build_docx(_Renamer(spec, "docx.", "odt."), src)
        lo_convert(src, "odt", path)


class _Renamer:
    """Wraps a FileSpec so a builder's place names get another kind prefix."""

    def __init__(self, spec, old, new):
        self.spec, self.old, self.new = spec, old, new

    def tok(self, place, expect_part=None, note=None, idx=0):
        if note and "mc:Choice" in note:
            note = None
        return self.spec.tok(place.replace(self.old, self.new, 1), expect_part, note, idx)


if __name__ == "__main__":
    sys.exit(main())
