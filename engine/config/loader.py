"""Loading a config: YAML file or dict -> overrides -> a validated :class:`Config`.

Nothing runs until the whole config has been checked. A mistake stops the run
with one line per problem that names the key path, the value and what was
expected::

    assumptions.prepay.rate: expected a decimal in [0, 1), got 6 (a percent? write 0.06)
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import ConfigError
from .schema import Config, map_files, raw_model_conflicts

_RELATIVE_KEY = re.compile(r"^(\[\d+\]|[A-Za-z_][\w.]*(\[\d+\])?)$")


def format_errors(
    err: ValidationError, data: Any, source: str, prefix: str = "", replace: dict[str, str] | None = None
) -> str:
    """One line per error: ``<source><key path>: <what was expected>[, got <value>]``.
    ``prefix`` is the key path of ``data`` when it is part of a larger config.
    ``replace`` maps a key path to the one message that stands for every error
    at or below it (a block that belongs to the other model)."""
    lines = [f"{source}{key}: {message}" for key, message in (replace or {}).items()]
    # a replaced key path covers its parent block's errors too (prepay.model covers prepay.*)
    covered = tuple(k.rsplit(".", 1)[0] if k.endswith(".model") else k for k in (replace or {}))
    for e in err.errors():
        path = ".".join(p for p in (prefix, readable_path(e["loc"], data)) if p)
        if any(path == c or path.startswith(c + ".") or path.startswith(c + "[") for c in covered):
            continue
        if e["type"] == "value_error":
            msg = str(e.get("ctx", {}).get("error", e["msg"]))
            # a validator that points below its own level starts with that key: "loss: ..."
            key, sep, rest = msg.partition(": ")
            if sep and _RELATIVE_KEY.match(key):
                full = f"{path}{key}" if key.startswith("[") else ".".join(p for p in (path, key) if p)
                lines.append(f"{source}{full}: {rest}")
                continue
        elif e["type"] == "extra_forbidden":
            msg = "unknown key"
        elif e["type"] == "missing":
            msg = "required key is missing"
        elif e["type"] == "union_tag_invalid":
            expected = e.get("ctx", {}).get("expected_tags", "")
            msg = f"unknown model {e.get('ctx', {}).get('tag')!r}, expected one of {expected}"
            path = f"{path}.model" if path else "model"
            lines.append(f"{source}{path}: {msg}")
            continue
        elif e["type"] == "union_tag_not_found":
            msg = "expected a `model` key"
        else:
            msg = e["msg"][0].lower() + e["msg"][1:]
        got = ""
        if e["type"] not in ("missing", "value_error") and "input" in e:
            shown = e["input"]
            if not isinstance(shown, (dict, list)):
                got = f", got {shown!r}"
        lines.append(f"{source}{path or '<config>'}: {msg}{got}")
    return "\n".join(dict.fromkeys(lines))  # a conflict may also come from the validator


def readable_path(loc: tuple, data: Any) -> str:
    """Join a pydantic location, dropping union-tag components and `yield_` aliases."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, str) and isinstance(node, dict) and item not in node:
            if node.get("model") == item:  # discriminated-union tag, not a key
                continue
        if item == "yield_":
            item = "yield"
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:  # a key with line breaks or other unprintable characters is quoted
            parts.append(str(item) if str(item).isprintable() and str(item) else repr(item))
        if isinstance(node, dict):
            node = node.get(item)
        elif isinstance(node, list) and isinstance(item, int) and item < len(node):
            node = node[item]
        else:
            node = None
    return ".".join(parts).replace(".[", "[")


def apply_overrides(data: dict, overrides: list[str] | tuple[str, ...]) -> dict:
    """Apply ``a.b.c=VALUE`` overrides (VALUE parsed as YAML) to a copy of ``data``."""
    data = copy.deepcopy(data)
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set {item}: expected KEY.PATH=VALUE")
        key, raw = item.split("=", 1)
        keys = [k for k in key.strip().split(".") if k]
        if not keys:
            raise ConfigError(f"--set {item}: empty key path")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        node = data
        for k in keys[:-1]:
            if not isinstance(node.get(k), dict):
                node[k] = {}
            node = node[k]
        node[keys[-1]] = value
    return data


_TAPE_SUFFIXES = (".parquet", ".pq", ".csv", ".csv.gz", ".csv.bz2")


def _looks_like_a_tape(path: Path) -> bool:
    """A Parquet or CSV file given where a config belongs (by suffix, or by
    Parquet's magic bytes)."""
    if path.name.lower().endswith(_TAPE_SUFFIXES):
        return True
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"PAR1"
    except OSError:
        return False


def load_config(
    source: str | Path | dict | Config,
    overrides: list[str] | tuple[str, ...] = (),
    base_dir: str | Path | None = None,
) -> Config:
    """Read and validate a config.

    Parameters
    ----------
    source : a YAML file path, a dict of the same shape, or a ``Config``.
    overrides : ``a.b.c=VALUE`` strings applied before validation.
    base_dir : folder that relative ``tape`` paths are resolved against; the
        YAML file's folder by default, else the current directory.

    Raises
    ------
    ConfigError : with one line per problem, each naming the key path.
    """
    if isinstance(source, Config):
        if not overrides:
            return source
        source = source.to_dict()
    label = ""
    if isinstance(source, (str, Path)):
        path = Path(source)
        label = f"{path}: "
        if _looks_like_a_tape(path):
            raise ConfigError(
                f"{path}: this is a loan tape, not a config; name it under `tape:` in a YAML config "
                "(see configs/pool.yaml)"
            )
        try:
            text = path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{path}: config file not found") from None
        except IsADirectoryError:
            raise ConfigError(f"{path}: is a folder, expected a YAML config file") from None
        except OSError as e:
            raise ConfigError(f"{path}: cannot read config ({e.strerror})") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{path}: not a text file, expected a YAML config") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark else ""
            problem = getattr(e, "problem", None) or str(e).splitlines()[0]
            raise ConfigError(f"{path}:{where}: not valid YAML ({problem})") from None
        if base_dir is None:
            base_dir = path.parent
    else:
        data = copy.deepcopy(source)
    if not isinstance(data, dict):
        raise ConfigError(f"{label}expected a mapping of keys at the top level")
    data = apply_overrides(data, overrides)
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    try:
        cfg = Config.model_validate(data)
    except ValidationError as err:
        message = format_errors(err, data, label, replace=raw_model_conflicts(data))
        raise ConfigError(message, loans=_named_loans(data, err, base)) from None
    return map_files(cfg, lambda p: p if p.is_absolute() else base / p)


def _named_loans(data: dict, err: ValidationError, base: Path) -> Path | list | None:
    """The tape path (resolved) or inline rows an invalid config names, unless
    the config's own errors are about them."""
    broken = {e["loc"][0] for e in err.errors() if e["loc"]}
    tape, rows = data.get("tape"), data.get("loans")
    if "tape" in broken or "loans" in broken or (tape is None) == (rows is None):
        return None
    if isinstance(tape, str) and tape.strip():
        path = Path(tape)
        return path if path.is_absolute() else base / path
    if isinstance(rows, list) and rows and all(isinstance(r, dict) for r in rows):
        return rows
    return None
