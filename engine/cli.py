"""Command line: ``python -m engine run CONFIG [--out DIR] [--set KEY=VALUE ...]``.

``main(argv) -> int`` is separate from the parser so tests call it directly.
Exit codes: 0 success, 2 bad input (one line per problem on stderr, no
traceback). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import InputError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a config (projection or pricing) and write Parquet outputs")
    run.add_argument("config", type=Path, help="YAML config file")
    run.add_argument("--out", type=Path, default=None, help="output folder (overrides output.dir)")
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY.PATH=VALUE",
        help="override a config key, e.g. --set assumptions.prepay.speed=200 (repeatable)",
    )
    run.add_argument("--quiet", action="store_true", help="print nothing on success")

    sample = sub.add_parser("sample-tape", help="write a reproducible synthetic loan tape")
    sample.add_argument("kind", choices=["agency", "npl"], help="agency 30-year pool or re-/non-performing loans")
    sample.add_argument("out", type=Path, help="output .parquet or .csv path")
    sample.add_argument("--loans", type=int, default=None, help="number of loans")
    sample.add_argument("--seed", type=int, default=None, help="random seed")
    return parser


def _run(args) -> int:
    from .api import run

    if args.quiet:
        result = run(args.config, args.overrides)
    else:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("paths"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True
        ) as bar:
            task = bar.add_task("paths", total=None)
            result = run(args.config, args.overrides, progress=lambda done, total: bar.update(task, completed=done, total=total))
    paths = result.write(args.out)
    if not args.quiet:
        _report(result, paths)
    return 0


def _report(result, paths) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    row = result.summary.to_pylist()[0]
    table = Table(title=f"{result.config.name}: {result.loans.n:,} loans", show_header=False)
    fmt = {
        "balance": "{:,.2f}",
        "wac": "{:.4%}",
        "net_wac": "{:.4%}",
        "wam": "{:.1f} months",
        "wala": "{:.1f} months",
        "wal": "{:.3f} years",
        "cumulative_defaults_pct": "{:.3f}%",
        "cumulative_losses_pct": "{:.3f}%",
        "loss_severity": "{:.2%}",
        "p_prepaid": "{:.2%}",
        "p_liquidated": "{:.2%}",
        "p_modified": "{:.2%}",
        "price": "{:.4f}",
        "yield_bey": "{:.4%}",
        "mortgage_yield": "{:.4%}",
        "modified_duration": "{:.3f}",
        "convexity": "{:.3f}",
    }
    for key, f in fmt.items():
        if key in row:
            table.add_row(key, f.format(row[key]))
    for key, text in _pricing_rows(row):
        table.add_row(key, text)
    console.print(table)
    console.print(f"wrote {len(paths)} files to {paths[-1].parent} in {result.timings['total']:.2f}s")


def _pricing_rows(row: dict) -> list[tuple[str, str]]:
    """A pricing run's summary lines: price, bids, IRR distribution."""
    if "bid_at_yield" not in row:
        return []
    rows = [("purchase_price", f"{row['purchase_price']:,.2f} ({row['purchase_price_pct_upb']:.2f}% of UPB)"
             f" + costs {row['purchase_costs']:,.2f}")]
    for name in ("bid_at_yield", "bid_by_outcome", "bid_at_confidence"):
        rows.append((name, f"{row[name]:,.2f} = {row[name + '_pct_upb']:.2f}% UPB, "
                           f"{row[name + '_pct_value']:.2f}% value, {row[name + '_pct_debt']:.2f}% debt"))
    rows.append(("irr_mean", f"{row['irr_mean']:.2%} (std {row['irr_std']:.2%})"))
    for p in (1, 5, 10, 25, 50, 75, 90, 95, 99):
        rows.append((f"irr_p{p:02d}", f"{row[f'irr_p{p:02d}']:.2%}"))
    rows.append(("p_irr_below_zero", f"{row['p_irr_below_zero']:.2%}"))
    rows.append(("p_irr_below_hurdle", f"{row['p_irr_below_hurdle']:.2%} (hurdle {row['hurdle']:.2%})"))
    rows.append(("expected_profit", f"{row['expected_profit']:,.2f}"))
    rows.append(("money_multiple", f"{row['money_multiple']:.3f}x"))
    return rows


def _sample(args) -> int:
    from .inputs.sample import write_sample_tape

    path = write_sample_tape(args.kind, args.out, n_loans=args.loans, seed=args.seed)
    print(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "sample-tape":
            return _sample(args)
    except InputError as e:
        for line in str(e).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
