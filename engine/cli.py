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

    run = sub.add_parser("run", help="project cash flows for a config and write Parquet outputs")
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
    run.add_argument(
        "--scenario",
        dest="scenarios",
        action="append",
        default=[],
        metavar="NAME",
        help="also value scenario NAME (scenarios/NAME.yaml or a .yaml file; repeatable): scenarios.parquet",
    )
    run.add_argument("--quiet", action="store_true", help="print nothing on success")

    sample = sub.add_parser("sample-tape", help="write a reproducible synthetic loan tape")
    sample.add_argument("kind", choices=["agency", "npl"], help="agency 30-year pool or re-/non-performing loans")
    sample.add_argument("out", type=Path, help="output .parquet or .csv path")
    sample.add_argument("--loans", type=int, default=None, help="number of loans")
    sample.add_argument("--seed", type=int, default=None, help="random seed")
    return parser


def _run(args) -> int:
    import json

    from .api import run

    if args.scenarios:  # the config's `scenarios` key, written as an override
        args.overrides = [*args.overrides, f"scenarios={json.dumps(args.scenarios)}"]

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
        "model_price": "{:.4f}",
        "price_std_error": "{:.4f}",
        "oas": "{:.1f} bp",
        "oas_std_error": "{:.2f} bp",
        "zspread": "{:.1f} bp",
        "option_cost": "{:.1f} bp",
        "effective_duration": "{:.3f}",
        "effective_convexity": "{:.3f}",
        "spread_duration": "{:.3f}",
    }
    in_bp = {"oas", "oas_std_error", "zspread", "option_cost"}  # annual decimals shown in basis points
    for key, f in fmt.items():
        if key in row:
            table.add_row(key, f.format(row[key] * 1e4 if key in in_bp else row[key]))
    console.print(table)
    if "scenarios" in result.tables:
        grid = Table(title="scenarios (OAS held)")
        grid.add_column("scenario", no_wrap=True)
        for name in ("price", "WAL", "yield (BEY)", "eff. dur.", "loss"):
            grid.add_column(name, justify="right")
        for r in result.tables["scenarios"].to_pylist():
            grid.add_row(
                r["scenario"], f"{r['price']:.4f}", f"{r['wal']:.3f}", f"{r['yield_bey']:.4%}",
                f"{r['effective_duration']:.3f}", f"{r['cumulative_losses_pct']:.3f}%",
            )
        console.print(grid)
    console.print(f"wrote {len(paths)} files to {paths[-1].parent} in {result.timings['total']:.2f}s")


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
