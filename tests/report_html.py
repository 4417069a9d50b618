"""Reading a report.html back, for the tests: its figures, its summary cells,
and every reference it makes (stdlib ``html.parser``)."""

from __future__ import annotations

import base64
import io
import math
import re
from html.parser import HTMLParser

import numpy as np
import pyarrow as pa


class ReportPage(HTMLParser):
    """The parts of a report page a test checks.

    figures : figure name -> the bytes of its inline image (in page order).
    summary : summary column -> its ``data-value`` text (in table order).
    tags : every start tag's name.
    references : (tag, attribute, value) of every ``src``, ``href``,
        ``action``, ``poster`` and ``data`` attribute.
    """

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.figures: dict[str, bytes] = {}
        self.summary: dict[str, str] = {}
        self.tags: list[str] = []
        self.references: list[tuple[str, str, str]] = []
        self.text = text
        self._figure: str | None = None
        self._row: str | None = None
        self._in_summary = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        for key in ("src", "href", "action", "poster", "data"):
            if key in a:
                self.references.append((tag, key, a[key] or ""))
        if tag == "figure":
            self._figure = a.get("data-figure")
        elif tag == "img" and self._figure is not None:
            src = a.get("src", "")
            prefix = "data:image/png;base64,"
            assert src.startswith(prefix), src[:40]
            self.figures[self._figure] = base64.b64decode(src[len(prefix):], validate=True)
        elif tag == "table" and a.get("id") == "summary":
            self._in_summary = True
        elif tag == "tr" and self._in_summary:
            self._row = a.get("data-column")
        elif tag == "td" and self._row is not None and "data-value" in a:
            self.summary[self._row] = a["data-value"]
            self._row = None

    def handle_endtag(self, tag):
        if tag == "figure":
            self._figure = None
        elif tag == "table":
            self._in_summary = False


def summary_mismatches(page: ReportPage, summary: pa.Table) -> list[str]:
    """Every way the page's summary differs from ``summary.parquet``: a
    column missing, extra or out of order, or a value that is not the
    Parquet value exactly (floats bit for bit through their text; NaN only
    for NaN)."""
    problems = []
    if list(page.summary) != summary.column_names:
        problems.append(f"columns differ: {list(page.summary)} != {summary.column_names}")
    row = summary.to_pylist()[0]
    for name, text in page.summary.items():
        if name not in row:
            continue
        want = row[name]
        if isinstance(want, bool):
            ok = text == ("true" if want else "false")
        elif isinstance(want, float):
            got = float(text)
            ok = (math.isnan(got) and math.isnan(want)) or (got == want and np.float64(got).tobytes() == np.float64(want).tobytes())
        elif isinstance(want, int):
            ok = re.fullmatch(r"-?\d+", text) is not None and int(text) == want
        elif want is None:
            ok = text == ""
        else:
            ok = text == str(want)
        if not ok:
            problems.append(f"{name}: page {text!r}, summary.parquet {want!r}")
    return problems


def png_problems(data: bytes) -> list[str]:
    """Why ``data`` is not a drawn PNG figure: not a PNG, too small, or
    nearly blank (a figure has axes, text and coloured areas: many colours)."""
    from PIL import Image

    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return ["not a PNG"]
    img = Image.open(io.BytesIO(data))
    img.load()
    width, height = img.size
    problems = []
    if width < 300 or height < 200:
        problems.append(f"{width}x{height} pixels")
    pixels = np.asarray(img.convert("RGB")).reshape(-1, 3)
    colours = np.unique(pixels, axis=0).shape[0]
    if colours < 20:
        problems.append(f"only {colours} colours (blank?)")
    non_white = float(np.mean(np.any(pixels < 245, axis=1)))
    if non_white < 0.03:
        problems.append(f"{non_white:.1%} of the pixels drawn (blank?)")
    return problems
