#!/usr/bin/env python3
"""Measure what reference extractors find in the attachment corpus.

For every file in tests/data/attachments/manifest.json, extract text with a
reference tool using only its documented API, then check each token (as a
whole word) and each reading-order entry.

  pdf        pdftotext (poppler), default mode; order also checked with -raw
  docx       python-docx: body paragraphs, tables recursively (cells, nested
             tables), every section's header/footer (default, first, even),
             comments (python-docx >= 1.2)
  pptx       python-pptx: slide shapes recursively (group shapes, tables,
             text frames) and notes slides, in presentation order
  xlsx       openpyxl load_workbook(data_only=True): every cell value (cached
             formula results) and cell comments, sheets in workbook order
  odt/ods/odp odfpy: teletype.extractText of every text:p / text:h element the
             loaded document holds (content.xml and styles.xml)

Writes tests/data/attachments/reference.json and REFERENCE.md.

Usage: /tmp/corpus-venv/bin/python scripts/measure_attachment_corpus.py
"""
from __future__ import annotations

import importlib.metadata as md
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIR = ROOT / "tests" / "data" / "attachments"


def pdftotext(path: Path, *args) -> str:
    return subprocess.run(["pdftotext", *args, "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


def pdftotext_version() -> str:
    r = subprocess.run(["pdftotext", "-v"], capture_output=True, text=True)
    m = re.search(r"version ([\d.]+)", r.stdout + r.stderr)
    return m.group(1) if m else "?"


# --------------------------------------------------------------------------
def docx_text(path: Path) -> str:
    import docx
    d = docx.Document(str(path))
    out: list[str] = []

    def blocks(container):
        for p in container.paragraphs:
            out.append(p.text)
        for t in container.tables:
            for row in t.rows:
                for cell in row.cells:
                    blocks(cell)

    blocks(d)
    for s in d.sections:
        for hf in (s.header, s.footer, s.first_page_header, s.first_page_footer,
                   s.even_page_header, s.even_page_footer):
            if not hf.is_linked_to_previous:
                blocks(hf)
    try:
        for c in d.comments:
            blocks(c)
    except AttributeError:  # python-docx < 1.2
        pass
    return "\n".join(out)


def pptx_text(path: Path) -> str:
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE
    prs = Presentation(str(path))
    out: list[str] = []

    def shapes(coll):
        for sh in coll:
            if sh.shape_type == MSO_SHAPE_TYPE.GROUP:
                shapes(sh.shapes)
                continue
            if sh.has_text_frame:
                out.append(sh.text_frame.text)
            if getattr(sh, "has_table", False) and sh.has_table:
                for row in sh.table.rows:
                    for cell in row.cells:
                        out.append(cell.text)

    for slide in prs.slides:
        shapes(slide.shapes)
        if slide.has_notes_slide:
            out.append(slide.notes_slide.notes_text_frame.text)
    return "\n".join(out)


def xlsx_text(path: Path) -> str:
    import openpyxl
    wb = openpyxl.load_workbook(str(path), data_only=True)
    out: list[str] = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    out.append(str(c.value))
                if c.comment is not None:
                    out.append(c.comment.text)
    return "\n".join(out)


def odf_text(path: Path) -> str:
    from odf.opendocument import load
    from odf import teletype, text
    doc = load(str(path))
    els = doc.getElementsByType(text.H) + doc.getElementsByType(text.P)
    # keep document order for the reading-order checks: sort text:h into the
    # text:p stream by their position in a pre-order walk
    order = {}

    def walk(n, i=[0]):
        order[id(n)] = i[0]
        i[0] += 1
        for ch in n.childNodes:
            walk(ch)

    walk(doc.topnode)
    els.sort(key=lambda e: order.get(id(e), 1 << 30))
    return "\n".join(teletype.extractText(e) for e in els)


TOOLS = {
    "pdf": ("pdftotext (poppler {pdftotext})", lambda p: pdftotext(p)),
    "docx": ("python-docx {python-docx}", docx_text),
    "pptx": ("python-pptx {python-pptx}", pptx_text),
    "xlsx": ("openpyxl {openpyxl} data_only=True", xlsx_text),
    "odt": ("odfpy {odfpy} teletype", odf_text),
    "ods": ("odfpy {odfpy} teletype", odf_text),
    "odp": ("odfpy {odfpy} teletype", odf_text),
}


def word_pos(text: str, tok: str) -> int:
    m = re.search(rf"(?<![A-Za-z]){tok}(?![A-Za-z])", text)
    return m.start() if m else -1


def main():
    versions = {k: md.version(k) for k in ("python-docx", "python-pptx", "openpyxl", "odfpy")}
    versions["pdftotext"] = pdftotext_version()
    manifest = json.loads((DIR / "manifest.json").read_text())
    texts: dict[str, str] = {}
    raw_texts: dict[str, str] = {}
    results = []
    for e in manifest:
        f = e["file"]
        if f not in texts:
            try:
                texts[f] = TOOLS[e["kind"]][1](DIR / f)
            except Exception as ex:  # a tool that fails finds nothing
                texts[f] = ""
                print(f"{f}: reference tool failed: {ex!r}", file=sys.stderr)
            if e["kind"] == "pdf":
                raw_texts[f] = pdftotext(DIR / f, "-raw")
        tool = TOOLS[e["kind"]][0].format(**versions)
        if "token" in e:
            results.append({"file": f, "kind": e["kind"], "place": e["place"], "token": e["token"],
                            "tool": tool, "found": word_pos(texts[f], e["token"]) >= 0})
        else:
            r = {"file": f, "kind": e["kind"], "place": e["place"], "order": e["order"], "tool": tool}
            pos = [word_pos(texts[f], t) for t in e["order"]]
            r["positions"] = pos
            r["in_order"] = -1 not in pos and pos == sorted(pos)
            if e["kind"] == "pdf":
                rp = [word_pos(raw_texts[f], t) for t in e["order"]]
                r["raw_positions"] = rp
                r["in_order_raw"] = -1 not in rp and rp == sorted(rp)
            results.append(r)

    (DIR / "reference.json").write_text(json.dumps({"versions": versions, "results": results}, indent=1) + "\n")

    # ---- REFERENCE.md
    per_kind = defaultdict(lambda: [0, 0])
    per_file = defaultdict(lambda: [0, 0])
    tool_of = {}
    for r in results:
        if "token" not in r:
            continue
        per_kind[r["kind"]][1] += 1
        per_kind[r["kind"]][0] += r["found"]
        per_file[r["file"]][1] += 1
        per_file[r["file"]][0] += r["found"]
        tool_of[r["kind"]] = r["tool"]
    L = ["# Reference extraction results", "",
         "Generated by `scripts/measure_attachment_corpus.py` (do not edit by hand).",
         "A token counts as found when it occurs as a whole word in the tool's text.", "",
         "## Share of tokens found, per kind", "",
         "| kind | reference tool | found / total | share |", "| --- | --- | --- | --- |"]
    tf = tt = 0
    for k in ("docx", "xlsx", "pptx", "pdf", "odt", "ods", "odp"):
        if k in per_kind:
            fnd, tot = per_kind[k]
            tf += fnd
            tt += tot
            L.append(f"| {k} | {tool_of[k]} | {fnd} / {tot} | {fnd / tot:.0%} |")
    L.append(f"| **all** | | {tf} / {tt} | {tf / tt:.0%} |")
    L += ["", "## Per file", "", "| file | found / total |", "| --- | --- |"]
    for f, (fnd, tot) in per_file.items():
        L.append(f"| {f} | {fnd} / {tot} |")
    L += ["", "## Tokens the reference tool missed", "", "| file | place | token | tool |",
          "| --- | --- | --- | --- |"]
    missed = [r for r in results if "token" in r and not r["found"]]
    for r in missed:
        L.append(f"| {r['file']} | {r['place']} | {r['token']} | {r['tool']} |")
    if not missed:
        L.append("| (none) | | | |")
    L += ["", "## Reading-order checks", "",
          "| file | place | tool | in order | positions (-1 = missing) |", "| --- | --- | --- | --- | --- |"]
    for r in results:
        if "order" in r:
            L.append(f"| {r['file']} | {r['place']} | {r['tool']} | {'yes' if r['in_order'] else 'NO'} | {r['positions']} |")
            if "raw_positions" in r:
                L.append(f"| {r['file']} | {r['place']} | pdftotext -raw | {'yes' if r['in_order_raw'] else 'NO'} | {r['raw_positions']} |")
    L.append("")
    (DIR / "REFERENCE.md").write_text("\n".join(L))
    print("\n".join(L))


if __name__ == "__main__":
    main()
