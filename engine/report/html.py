"""The report page: one self-contained HTML file.

Figures are inline ``data:image/png;base64`` images; the style sheet is
inline; there is no script and no link to anything outside the file, so it
opens the same in any browser, offline. Every number of a table cell carries
its full-precision value in ``data-value`` (Python's shortest round-trip
text of the float: ``float(data-value)`` gives back the Parquet value
exactly) beside a rounded display text.
"""

from __future__ import annotations

import base64
import html
import math
from typing import Any, Iterable, Mapping

import pyarrow as pa

from ..output import columns as cols
from .data import RunData

MAX_LOAN_ROWS = 500  # per-loan table rows shown; the Parquet file holds every loan

# per-loan columns shown (bids.parquet of a pricing run, loans.parquet of a projection)
BID_COLUMNS = (
    "loan_id", "upb", "total_debt", "property_value", "asking_price", "asking_price_pct_upb",
    "bid_at_yield_pct_upb", "bid_by_outcome_pct_upb", "bid_at_confidence_pct_upb", "ask_above_bid",
    "irr_mean_at_ask", "irr_median_at_ask", "p_irr_below_hurdle_at_ask", "p_performing", "p_modified",
    "p_deed_in_lieu", "p_foreclosure", "p_unresolved", "months_to_resolution_mean",
)

# what each summary column means (engine.output.columns), by analysis kind
_MEANINGS: dict[str, dict[str, str]] = {
    "projection": cols.PROJECTION_SUMMARY,
    "pricing": {**cols.PROJECTION_SUMMARY, **cols.PRICING_SUMMARY},
    "valuation": {**cols.PROJECTION_SUMMARY, **cols.VALUATION_SUMMARY},
}

_BP = {"oas", "zspread", "option_cost", "oas_std_error"}
_DECIMAL_RATES = {
    "wac", "net_wac", "yield_bey", "mortgage_yield", "loss_severity", "required_yield", "hurdle", "confidence",
    "mean_mortgage_rate",
}
_MONEY = {
    "balance", "cumulative_defaults", "cumulative_losses", "total_principal", "total_interest", "total_cash_flow",
    "pv_std", "expected_profit", "purchase_price", "purchase_costs", "total_debt", "property_value", "upb",
    "asking_price", "bid_at_yield", "bid_by_outcome", "bid_at_confidence", "bid_at_yield_se", "bid_by_outcome_se",
    "bid_at_confidence_ci_low", "bid_at_confidence_ci_high", "proceeds_mean",
}
_MONTHS = {"wam", "wala", "horizon", "months_mean", "months_to_resolution_mean"}
_YEARS = {
    "wal", "average_life", "macaulay_duration", "modified_duration", "effective_duration", "spread_duration",
    "duration", "tenor",
}


def data_value(value: Any) -> str:
    """The exact text of a cell: ints and strings as they are, floats by
    ``repr`` (round-trips bit for bit), NaN as ``NaN``, null as ``""``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else repr(value)
    return str(value)


def display(name: str, value: Any, digits: int = 4) -> str:
    """A rounded text for a cell of column ``name``, with its unit
    (``digits`` decimals of percents)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return f"{value:,}"
    v = float(value)
    if not math.isfinite(v):
        return "n/a" if math.isnan(v) else ("+inf" if v > 0 else "-inf")
    if name in _BP:
        return f"{v * 1e4:,.2f} bp"
    if "_pct" in name or name.endswith("pct") or name in ("price", "model_price", "price_std_error"):
        return f"{v:,.{digits}f}%"
    if name.startswith(("irr", "p_")) or name in _DECIMAL_RATES or name == "probability" or name.endswith("_at_ask"):
        return f"{v:.{digits}%}"
    if name in _MONEY or name.startswith("bid_"):
        return f"{v:,.2f}"
    if name in _MONTHS or name.startswith("month"):
        return f"{v:,.1f} months"
    if name in _YEARS:
        return f"{v:,.3f} years"
    if name in ("convexity",):
        return f"{v:,.3f} years²"
    if name == "effective_convexity":
        return f"{v:,.2f} years²"
    if name == "money_multiple":
        return f"{v:.3f}x"
    return f"{v:,.6g}"


def _cell(name: str, value: Any, digits: int = 4) -> str:
    num = isinstance(value, (int, float)) and not isinstance(value, bool)
    cls = ' class="num"' if num else ""
    text = html.escape(display(name, value, digits))
    return f'<td{cls} data-value="{html.escape(data_value(value))}">{text}</td>'


def summary_table(summary: pa.Table, analysis: str = "projection") -> str:
    """Every column of ``summary.parquet``: name, value, meaning."""
    meanings = _MEANINGS.get(analysis, cols.PROJECTION_SUMMARY)
    row = summary.to_pylist()[0]
    lines = ['<table id="summary" class="kv"><thead><tr><th>column</th><th>value</th><th>meaning</th></tr></thead><tbody>']
    for name in summary.column_names:
        meaning = html.escape(meanings.get(name, ""))
        lines.append(f'<tr data-column="{html.escape(name)}"><th>{html.escape(name)}</th>'
                     f"{_cell(name, row[name])}<td class=\"meaning\">{meaning}</td></tr>")
    lines.append("</tbody></table>")
    return "\n".join(lines)


def wide_table(table: pa.Table, table_id: str, columns: Iterable[str] | None = None,
               max_rows: int | None = None) -> str:
    """A table with a header row (``columns``, default all), at most
    ``max_rows`` rows."""
    names = [c for c in (columns or table.column_names) if c in table.column_names]
    rows = table.select(names).slice(0, max_rows if max_rows is not None else table.num_rows).to_pylist()
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    body = "\n".join("<tr>" + "".join(_cell(n, r[n], digits=2) for n in names) + "</tr>" for r in rows)
    return f'<table id="{table_id}" class="wide"><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>'


_CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;margin:0;background:#fafafa}
main{max-width:1000px;margin:0 auto;padding:24px 28px 60px;background:#fff}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.2em;margin:32px 0 10px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#555;margin:0 0 16px}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.kv th{font-weight:600;white-space:nowrap}table.kv td.meaning{color:#666;font-size:12px}
table.wide th{position:sticky;top:0;background:#f3f3f3;font-size:12px}
.scroll{max-height:520px;overflow:auto;border:1px solid #eee}
figure{margin:18px 0 26px}figure img{max-width:100%;height:auto;display:block}
figcaption{color:#555;font-size:13px;margin-top:4px}
.meta td,.meta th{border:none;padding:2px 12px 2px 0}
.note{color:#666;font-size:13px}
code{font-size:12px;background:#f3f3f3;padding:1px 4px;border-radius:3px}
"""


def _meta(run: RunData) -> str:
    info = run.info
    rows = [
        ("run", run.name),
        ("analysis", f"{run.analysis} ({run.model} model)"),
        ("loans", f"{int(info['n_loans']):,}" if info.get("n_loans") is not None else ""),
        ("config hash", info.get("config_hash", "")),
        ("seed", "" if info.get("seed") is None else str(info["seed"])),
        ("engine version", info.get("engine_version", "")),
        ("tape sha256", info.get("tape_sha256") or "inline loans"),
        ("threads", str(info.get("threads", ""))),
    ]
    body = "".join(f'<tr><th>{html.escape(k)}</th><td id="meta-{k.replace(" ", "-")}">{html.escape(str(v))}</td></tr>'
                   for k, v in rows)
    return f'<table class="meta">{body}</table>'


def _timings(timings: Mapping[str, float]) -> str:
    """Seconds per stage, by name with ``total`` last (run.json sorts its
    keys; the page must not depend on the order it was given them in)."""
    ordered = sorted(timings.items(), key=lambda kv: (kv[0] == "total", kv[0]))
    cells = "".join(
        f'<tr data-stage="{html.escape(k)}"><th>{html.escape(k)}</th>'
        f'<td class="num" data-value="{data_value(float(v))}">{float(v):,.2f} s</td></tr>'
        for k, v in ordered
    )
    return f'<table id="timings" class="kv">{cells}</table>'


def page(run: RunData, figures: list[tuple[Any, bytes]], missing: list[Any]) -> str:
    """The whole page: header, timings, figures (``(FigureSpec, png)``),
    the summary table, the small tables, the per-loan table."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(run.name)}: {html.escape(run.analysis)} report</title>",
        f"<style>{_CSS}</style></head><body><main>",
        f"<h1>{html.escape(run.name)}</h1>",
        f'<p class="sub">{html.escape(run.analysis)} run of the {html.escape(run.model)} model; '
        "the numbers are those of the run's Parquet files.</p>",
        _meta(run),
        "<h2>Timings</h2>",
        _timings(run.info.get("timings_seconds") or {}),
        "<h2>Figures</h2>",
    ]
    if not figures:
        parts.append('<p class="note">No figures for this kind of run.</p>')
    for spec, png in figures:
        data = base64.b64encode(png).decode("ascii")
        parts.append(
            f'<figure id="fig-{spec.name}" data-figure="{spec.name}">'
            f'<img alt="{html.escape(spec.title)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(spec.title)} <code>plots/{spec.name}.png</code></figcaption></figure>"
        )
    if missing:
        items = "".join(
            f"<li>{html.escape(s.title)}" + (f": {html.escape(s.hint)}" if s.hint else "") + "</li>" for s in missing
        )
        parts.append(f'<p class="note">Not in this run:</p><ul class="note" id="missing-figures">{items}</ul>')
    parts += ["<h2>Summary</h2>", '<p class="note">Every column of <code>summary.parquet</code>.</p>',
              summary_table(run.tables["summary"], run.analysis)]
    for name, title in (("outcomes", "Outcomes"), ("scenarios", "Scenarios"), ("key_rate_durations", "Key-rate durations")):
        if run.has(name):
            parts += [f"<h2>{title}</h2>", f'<p class="note"><code>{name}.parquet</code></p>',
                      wide_table(run.tables[name], name)]
    per_loan = "bids" if run.has("bids") else ("loans" if run.has("loans") else None)
    if per_loan is not None:
        table = run.tables[per_loan]
        n = table.num_rows
        shown = min(n, MAX_LOAN_ROWS)
        columns = BID_COLUMNS if per_loan == "bids" else None
        note = (f"All {n:,} loans" if shown == n else f"The first {shown:,} of {n:,} loans (tape order)")
        note += f"; every loan and column: <code>{per_loan}.parquet</code>."
        parts += ["<h2>Per loan</h2>", f'<p class="note" id="loans-note">{note}</p>',
                  f'<div class="scroll">{wide_table(table, "per-loan", columns, MAX_LOAN_ROWS)}</div>']
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"
