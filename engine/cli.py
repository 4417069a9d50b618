"""Command line: ``python -m engine run CONFIG [--out DIR] [--set KEY=VALUE ...] [--scenario NAME ...]
[--cluster ADDRESS|local:N] [--report] [--quiet]``, ``python -m engine report OUT_DIR``,
``python -m engine sample-tape KIND OUT [--loans N] [--seed S]``, ``python -m engine warm-up``.

``main(argv) -> int`` is separate from the parser so tests call it directly.
Exit codes: 0 success, 2 bad input (one line per problem on stderr, no
traceback), 130 interrupted (Ctrl-C; one line, the output folder keeps a
complete run). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import InputError, OutputError


class _Parser(argparse.ArgumentParser):
    """argparse with mistakes as one ``error:`` line (exit 2), like every other input error."""

    def error(self, message: str):
        print(f"error: {self.prog}: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m engine", description=__doc__.splitlines()[0])
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
    run.add_argument(
        "--scenario",
        dest="scenarios",
        action="append",
        default=[],
        metavar="NAME",
        help="also value scenario NAME (scenarios/NAME.yaml or a .yaml file; repeatable): scenarios.parquet",
    )
    run.add_argument(
        "--cluster",
        type=_cluster,
        default=None,
        metavar="ADDRESS|local:N",
        help="run the tasks on a Dask cluster: a scheduler's address (tcp://host:8786) or local:N, "
        "a local cluster of N worker processes (needs the cluster extra)",
    )
    run.add_argument(
        "--report", action="store_true", help="also write report.html and plots/*.png (figures of the run)"
    )
    run.add_argument("--quiet", action="store_true", help="print nothing on success (errors still go to stderr)")

    rep = sub.add_parser("report", help="add report.html and plots/*.png to a run folder written earlier")
    rep.add_argument("out_dir", type=Path, help="the run's output folder (holds run.json)")
    rep.add_argument("--quiet", action="store_true", help="print nothing on success (errors still go to stderr)")

    sample = sub.add_parser("sample-tape", help="write a reproducible synthetic loan tape")
    sample.add_argument("kind", choices=["agency", "npl"], help="agency 30-year pool or re-/non-performing loans")
    sample.add_argument("out", type=Path, help="output .parquet or .csv path")
    sample.add_argument("--loans", type=_positive, default=None, help="number of loans (agency 5000, npl 500)")
    sample.add_argument("--seed", type=_seed, default=None, help="random seed (the shipped tapes' by default)")

    sub.add_parser(
        "warm-up", help="compile and cache the kernels of both models now, so the first run starts at once"
    )
    return parser


def _cluster(text: str) -> list[str]:
    """``--cluster`` as config overrides of the ``execution`` section."""
    if text.startswith("local:"):
        n = text[len("local:"):]
        if not n.isdigit() or not 1 <= int(n) <= 1024:
            raise argparse.ArgumentTypeError(f"expected local:N with N a whole number in [1, 1024], got {text!r}")
        return ["execution.backend=dask", f"execution.workers={int(n)}"]
    if not text or text.isspace() or "=" in text:
        raise argparse.ArgumentTypeError(f"expected a scheduler address (tcp://host:8786) or local:N, got {text!r}")
    import json

    return ["execution.backend=dask", f"execution.address={json.dumps(text)}"]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"expected a whole number in [0, 2**63), got {text!r}")
    return value


class RunDisplay:
    """What the terminal shows while a run computes (transient, gone when done).

    A spinner says what is happening: ``compiling kernels (first run only)``
    when the model's kernel is not compiled yet (``cached=False``), else
    ``projecting cash flows`` (standard model) or ``simulating paths``
    (state model). A bar of paths appears with the first finished chunk of
    paths, and only then: the standard model has none. ``shown`` records
    each message and bar state, in order.
    """

    def __init__(self, model: str, cached: bool | None, unit: str = "paths"):
        self.unit = unit
        if unit == "tasks":
            self.message = "starting the cluster's tasks"
        elif cached is False:
            self.message = "compiling kernels (first run only)"
        elif model == "state":
            self.message = "simulating paths" if cached else "simulating paths (the first run compiles the kernels)"
        else:
            self.message = "projecting cash flows" if cached else "projecting cash flows (the first run compiles the kernels)"
        self.shown: list[str] = []
        self._status = None
        self._bar = None
        self._task = None

    def __enter__(self) -> "RunDisplay":
        from rich.console import Console

        self._console = Console()
        self._status = self._console.status(self.message)
        self._status.start()
        self.shown.append(self.message)
        return self

    def progress(self, done: int, total: int) -> None:
        if self._bar is None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._status.stop()
            self._bar = Progress(
                TextColumn(self.unit), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                transient=True, console=self._console,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.unit, total=total, completed=done)
        self._bar.update(self._task, completed=done, total=total)
        self.shown.append(f"{self.unit} {done}/{total}")

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()
        self._status.stop()


def _run(args) -> int:
    import json
    import time

    from . import api
    from .warmup import kernels_cached

    if args.scenarios:  # the config's `scenarios` key, written as an override
        args.overrides = [*args.overrides, f"scenarios={json.dumps(args.scenarios)}"]
    if args.cluster:
        args.overrides = [*args.overrides, *args.cluster]
    t0 = time.perf_counter()
    cfg, loans = api.load(args.config, args.overrides)
    loaded = time.perf_counter() - t0
    if args.quiet:
        result = api.run(cfg, loans=loans)
    else:
        unit = "tasks" if cfg.execution.backend == "dask" else "paths"
        with RunDisplay(cfg.model, kernels_cached(cfg.model), unit) as display:
            result = api.run(cfg, progress=display.progress, loans=loans)
    for key in ("load", "total"):  # the tape was read before api.run
        result.timings[key] = result.timings.get(key, 0.0) + loaded
    args.writing = True
    paths = result.write(args.out, report=args.report)
    if not args.quiet:
        _report(result, paths)
        if args.report:
            figures = sum(1 for p in paths if p.suffix == ".png")
            print(f"report: {paths[-1].parent / 'report.html'} ({figures} figures, "
                  f"drawn in {result.timings['report']:.2f}s)")
    return 0


def _report_folder(args) -> int:
    import time

    from .report import report_folder

    t0 = time.perf_counter()
    paths = report_folder(args.out_dir)
    if not args.quiet:
        n = sum(1 for p in paths if p.suffix == ".png")
        print(f"report: {args.out_dir / 'report.html'} ({n} figures, {time.perf_counter() - t0:.2f}s)")
    return 0


def _warm_up(args) -> int:
    from .jit import CACHE
    from .warmup import MODEL_KERNELS, kernels_cached, warm_up

    was_cached = all(kernels_cached(model) for model in MODEL_KERNELS)
    seconds = warm_up()
    if not CACHE:
        print(f"kernels compiled in {seconds:.1f} s, but not kept: caching is off (ENGINE_NUMBA_CACHE=0)")
    elif was_cached:
        print(f"kernels already compiled and cached (checked in {seconds:.1f} s)")
    else:
        print(f"kernels compiled and cached in {seconds:.1f} s; runs now start at once")
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
    for key, text in _pricing_rows(row):
        table.add_row(key, text)
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


def _pricing_rows(row: dict) -> list[tuple[str, str]]:
    """A pricing run's summary lines: price, bids, IRR distribution."""
    from .analytics.irr import PERCENTILES
    from .output.columns import BID_NAMES

    if "bid_at_yield" not in row:
        return []
    rows = [("purchase_price", f"{row['purchase_price']:,.2f} ({row['purchase_price_pct_upb']:.2f}% of UPB)"
             f" + costs {row['purchase_costs']:,.2f}")]
    for name in BID_NAMES:
        rows.append((name, f"{row[name]:,.2f} = {row[name + '_pct_upb']:.2f}% UPB, "
                           f"{row[name + '_pct_value']:.2f}% value, {row[name + '_pct_debt']:.2f}% debt"))
    rows.append(("irr_mean", f"{row['irr_mean']:.2%} (std {row['irr_std']:.2%})"))
    for p in PERCENTILES:
        rows.append((f"irr_p{p:02d}", f"{row[f'irr_p{p:02d}']:.2%}"))
    rows.append(("p_irr_below_zero", f"{row['p_irr_below_zero']:.2%}"))
    rows.append(("p_irr_below_hurdle", f"{row['p_irr_below_hurdle']:.2%} (hurdle {row['hurdle']:.2%})"))
    rows.append(("expected_profit", f"{row['expected_profit']:,.2f}"))
    rows.append(("money_multiple", f"{row['money_multiple']:.3f}x"))
    return rows


def _sample(args) -> int:
    from .inputs.sample import write_sample_tape

    try:
        path = write_sample_tape(args.kind, args.out, n_loans=args.loans, seed=args.seed)
    except OSError as e:
        raise OutputError(f"{args.out}: cannot write the tape here ({e.strerror or e})") from None
    print(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage mistake (2, already printed)
        return e.code if isinstance(e.code, int) else 2
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "report":
            args.writing = True
            return _report_folder(args)
        if args.command == "sample-tape":
            return _sample(args)
        if args.command == "warm-up":
            return _warm_up(args)
    except InputError as e:
        for line in str(e).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if getattr(args, "writing", False):
            what = "while writing; the output folder holds the previous run or this one, complete"
        else:
            what = "before writing; the output folder was not changed"
        print(f"error: interrupted (Ctrl-C) {what}", file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
