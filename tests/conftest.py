"""Shared test settings and fixtures.

Hypothesis runs with ``deadline=None``: the first example of a test may pay for
Numba compilation (or for loading the on-disk cache), which would otherwise
trip the per-example deadline. Two profiles:

- ``dev`` (default): enough examples to shake out edge cases locally;
- ``ci``: fewer examples, selected automatically when the ``CI`` environment
  variable is set (or explicitly with ``--hypothesis-profile=ci``).

Warnings are errors (``filterwarnings = ["error"]`` in pyproject.toml).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"

settings.register_profile(
    "dev",
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    deadline=None,
    max_examples=20,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
    database=None,
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


# a small config that exercises every assumption block; loans inline so the
# config needs no file
_TINY_CONFIG = {
    "name": "tiny",
    "loans": [
        {"loan_id": "L1", "balance": 250_000.0, "note_rate": 0.065, "remaining_term": 360, "age": 0,
         "servicing_fee": 0.0025},
        {"loan_id": "L2", "balance": 180_000.0, "note_rate": 0.055, "remaining_term": 300, "age": 60,
         "servicing_fee": 0.0025},
        {"loan_id": "L3", "balance": 90_000.0, "note_rate": 0.0425, "remaining_term": 120, "age": 240},
    ],
    "assumptions": {
        "prepay": {"model": "psa", "speed": 150},
        "default": {"model": "sda", "speed": 100},
        "loss": {"severity": 0.2, "liquidation_lag": 12, "advancing": True},
    },
    "valuation": {"price": 100.0, "delay_days": 24},
}


@pytest.fixture
def tiny_config() -> dict:
    """A fresh (deep-copied) minimal valid config dict with three inline loans."""
    return copy.deepcopy(_TINY_CONFIG)


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """An output folder that does not exist yet (the engine must create it)."""
    return tmp_path / "out"


@pytest.fixture
def tiny_yaml(tmp_path: Path, tiny_config: dict) -> Path:
    """The tiny config written to a YAML file in the test's tmp folder."""
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny_config, sort_keys=False))
    return path


@pytest.fixture
def pool_yaml() -> Path:
    """The shipped example config (its tape lives in configs/data)."""
    return CONFIGS / "pool.yaml"
