"""Reports and plots of a run: ``report.html`` and ``plots/*.png``.

A report is drawn from a run's tables and its ``run.json`` record
(:class:`~engine.report.data.RunData`), never from arrays held only in
memory, so that the report of a folder written earlier equals the report
written with the run. The figures of each run kind are listed in one
registry (:mod:`engine.report.registry`); each kind of figure has its module
(``cashflow_plots``, ``state_plots``, ``rate_plots``, ``pricing_plots``),
sharing :mod:`engine.report.style`; :mod:`engine.report.html` builds the page.

matplotlib is imported only when a figure is drawn: importing this package
(``import engine`` does) costs a run nothing.

Entry points::

    engine.report(result, "out/x/report.html")   # a RunResult -> one HTML file
    engine.report("out/x")                        # a run folder: adds report.html + plots/, atomically
    result.write("out/x", report=True)            # the run and its report, one atomic step
    result.plot_cash_flows()                      # one figure (matplotlib Figure)
    engine.report.figures(result)                 # every figure of the run's kind, by name

The module itself is callable: ``engine.report(...)`` is :func:`report`.
"""

from __future__ import annotations

import os
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..output.writer import PLOTS_DIR, REPORT_HTML, RUN_JSON, add_files, replace_file
from .data import RunData


@dataclass
class Rendered:
    """A drawn report: the page and each figure's PNG by name (in order)."""

    html: str
    pngs: dict[str, bytes]

    def files(self) -> dict[str, bytes]:
        """``report.html`` and ``plots/<name>.png``: the files of a run folder."""
        out = {REPORT_HTML: self.html.encode("utf-8")}
        out.update({f"{PLOTS_DIR}/{name}.png": png for name, png in self.pngs.items()})
        return out


def _run_data(source: Any) -> RunData:
    if isinstance(source, RunData):
        return source
    if hasattr(source, "tables") and hasattr(source, "run_info"):
        return RunData.from_result(source)
    if isinstance(source, (str, os.PathLike)):
        return RunData.from_folder(source)[0]
    raise TypeError(f"expected a RunResult, a RunData or a run folder, got {type(source).__name__}")


def figure(source: Any, name: str):
    """Figure ``name`` (a key of :data:`engine.report.registry.FIGURES`) of a
    run: a RunResult, a RunData or a run folder. Returns a
    :class:`matplotlib.figure.Figure`; raises ``ValueError`` when the name is
    unknown or the run lacks the tables it is drawn from."""
    from . import registry, style

    run = _run_data(source)
    spec = registry.FIGURES.get(name)
    if spec is None:
        raise ValueError(f"unknown figure {name!r} (expected one of {', '.join(registry.FIGURES)})")
    if not spec.available(run):
        hint = f" ({spec.hint})" if spec.hint else ""
        raise ValueError(f"figure {name!r} needs {', '.join(spec.needs)} of a run that has them{hint}; "
                         f"this {run.analysis} run of the {run.model} model does not")
    with style.drawing():
        return spec.draw(run)


def figures(source: Any) -> dict[str, Any]:
    """Every figure the run's kind shows (those it has data for), by name."""
    from . import registry, style

    run = _run_data(source)
    shown, _ = registry.figures_for(run)
    with style.drawing():
        return {spec.name: spec.draw(run) for spec in shown}


def render(run: RunData) -> Rendered:
    """Draw every figure of the run's kind and build the page."""
    from . import html, registry, style

    shown, missing = registry.figures_for(run)
    pngs: dict[str, bytes] = {}
    with style.drawing():
        for spec in shown:
            fig = spec.draw(run)
            pngs[spec.name] = style.png_bytes(fig)
            fig.clear()
    page = html.page(run, [(spec, pngs[spec.name]) for spec in shown], missing)
    return Rendered(page, pngs)


def report_files(source: Any) -> dict[str, bytes]:
    """The report's files of a run: ``report.html`` and ``plots/<name>.png``."""
    return render(_run_data(source)).files()


def report_folder(out_dir: str | os.PathLike) -> list[Path]:
    """Add ``report.html`` and ``plots/`` to the run folder ``out_dir``,
    drawn from its own files, as one atomic step
    (:func:`engine.output.writer.add_files`). Returns the folder's files,
    ``run.json`` last. Raises :class:`~engine.errors.OutputError` when
    ``out_dir`` is missing or not a run folder."""
    run, raw = RunData.from_folder(out_dir)
    return add_files(out_dir, render(run).files(), expected_run_json=raw)


def report(source: Any, path: str | os.PathLike | None = None) -> Path:
    """Write a run's report and return the path of ``report.html``.

    - ``report(result, path)``: a :class:`~engine.api.RunResult` -> the HTML
      file ``path`` (``path/report.html`` if ``path`` is a folder), replaced
      in one step. The page is self-contained; PNG copies are written only
      into run folders.
    - ``report(out_dir)``: a run folder written earlier gets ``report.html``
      and ``plots/`` (:func:`report_folder`).
    """
    if isinstance(source, (str, os.PathLike)):
        if path is not None:
            raise ValueError("report(out_dir) writes into the run folder; give no path")
        paths = report_folder(source)
        return next(p for p in paths if p.name == REPORT_HTML)
    if path is None:
        raise ValueError("report(result, path): give the HTML file (or folder) to write")
    target = Path(path)
    if target.is_dir():
        target = target / REPORT_HTML
    if (target.parent / RUN_JSON).exists():
        raise ValueError(
            f"{target.parent} holds a run: write its report with result.write(out_dir, report=True) or "
            "engine.report(out_dir), which list it in run.json"
        )
    return replace_file(target, render(_run_data(source)).html.encode("utf-8"))


class _CallableModule(types.ModuleType):
    """``engine.report`` is this package and, called, :func:`report`."""

    def __call__(self, source: Any, path: str | os.PathLike | None = None) -> Path:
        return report(source, path)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["RunData", "Rendered", "figure", "figures", "render", "report", "report_files", "report_folder"]
