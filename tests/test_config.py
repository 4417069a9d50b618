"""Config validation: one test per rule.

Every error must name the key path and the offending value (docs/architecture.md,
"Files"): ``assumptions.prepay.rate: expected a decimal in [0, 1), got 6``.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from engine.config import Config, apply_overrides, load_config
from engine.errors import ConfigError, InputError


def config_error(data) -> str:
    """The message of the ConfigError that loading ``data`` must raise."""
    with pytest.raises(ConfigError) as info:
        load_config(data)
    return str(info.value)


def assert_names(msg: str, path: str, value: str | None = None) -> None:
    """The message starts with the key path and shows the value."""
    assert msg.startswith(f"{path}:"), msg
    if value is not None:
        assert value in msg, msg
    assert "\n" not in msg, f"expected one line, got {msg!r}"


# --------------------------------------------------------------------------
# the fixture itself is valid (otherwise every test below proves nothing)


def test_tiny_config_is_valid(tiny_config):
    cfg = load_config(tiny_config)
    assert cfg.name == "tiny"
    assert cfg.assumptions.prepay.speed == 150
    assert cfg.valuation.price == 100.0
    assert len(cfg.loans) == 3


def test_config_error_is_an_input_error():
    assert issubclass(ConfigError, InputError)


# --------------------------------------------------------------------------
# unknown keys


def test_unknown_top_level_key(tiny_config):
    tiny_config["colour"] = "blue"
    msg = config_error(tiny_config)
    assert_names(msg, "colour", "'blue'")
    assert "unknown key" in msg


def test_unknown_nested_key(tiny_config):
    tiny_config["assumptions"]["loss"]["sevrity"] = 0.3
    msg = config_error(tiny_config)
    assert_names(msg, "assumptions.loss.sevrity", "0.3")
    assert "unknown key" in msg


def test_key_of_another_model_is_unknown(tiny_config):
    # `rate` belongs to the cpr model, not to psa
    tiny_config["assumptions"]["prepay"]["rate"] = 0.06
    assert_names(config_error(tiny_config), "assumptions.prepay.rate", "0.06")


# --------------------------------------------------------------------------
# types and ranges


def test_wrong_type(tiny_config):
    tiny_config["assumptions"]["loss"]["liquidation_lag"] = "soon"
    msg = config_error(tiny_config)
    assert_names(msg, "assumptions.loss.liquidation_lag", "'soon'")
    assert "integer" in msg


def test_out_of_range(tiny_config):
    tiny_config["assumptions"]["loss"]["liquidation_lag"] = 500
    msg = config_error(tiny_config)
    assert_names(msg, "assumptions.loss.liquidation_lag", "500")
    assert "120" in msg  # the bound that was broken


def test_negative_speed_out_of_range(tiny_config):
    tiny_config["assumptions"]["prepay"]["speed"] = -5
    assert_names(config_error(tiny_config), "assumptions.prepay.speed", "-5")


def test_negative_rate_out_of_range(tiny_config):
    tiny_config["assumptions"]["prepay"] = {"model": "cpr", "rate": -0.1}
    msg = config_error(tiny_config)
    assert_names(msg, "assumptions.prepay.rate", "-0.1")
    assert "percent" not in msg  # a negative number is not a percent


# --------------------------------------------------------------------------
# a percent where a decimal is expected


@pytest.mark.parametrize(
    "block, spec, path, hint",
    [
        ("prepay", {"model": "cpr", "rate": 6}, "assumptions.prepay.rate", "0.06"),
        ("prepay", {"model": "smm", "rate": 6}, "assumptions.prepay.rate", "0.06"),
        ("default", {"model": "cdr", "rate": 6}, "assumptions.default.rate", "0.06"),
        ("default", {"model": "mdr", "rate": 2}, "assumptions.default.rate", "0.02"),
    ],
    ids=["prepay-cpr", "prepay-smm", "default-cdr", "default-mdr"],
)
def test_percent_where_decimal_rate(tiny_config, block, spec, path, hint):
    tiny_config["assumptions"][block] = spec
    msg = config_error(tiny_config)
    assert_names(msg, path, f"got {spec['rate']}")
    assert "percent" in msg and f"write {hint}" in msg


def test_percent_where_decimal_severity(tiny_config):
    tiny_config["assumptions"]["loss"]["severity"] = 20
    msg = config_error(tiny_config)
    assert_names(msg, "assumptions.loss.severity", "got 20")
    assert "percent" in msg and "write 0.2" in msg


@pytest.mark.parametrize(
    "block, key, values, bad_index",
    [("prepay", "cpr", [0.01, 6, 0.02], 1), ("default", "cdr", [0.01, 0.02, 3], 2)],
)
def test_percent_where_decimal_vector_element(tiny_config, block, key, values, bad_index):
    tiny_config["assumptions"][block] = {"model": "vector", key: values}
    msg = config_error(tiny_config)
    assert_names(msg, f"assumptions.{block}.{key}[{bad_index}]", f"got {values[bad_index]}")
    assert "percent" in msg


def test_percent_where_decimal_yield(tiny_config):
    tiny_config["valuation"] = {"yield": 6}
    msg = config_error(tiny_config)
    assert_names(msg, "valuation.yield", "got 6")  # the YAML key, not `yield_`
    assert "percent" in msg and "write 0.06" in msg


def test_price_given_as_decimal(tiny_config):
    tiny_config["valuation"] = {"price": 0.99}
    msg = config_error(tiny_config)
    assert_names(msg, "valuation.price", "0.99")
    assert "percent of face" in msg and "write 99" in msg


# --------------------------------------------------------------------------
# one of two keys


@pytest.mark.parametrize("valuation", [{"price": 99.5, "yield": 0.06}, {"delay_days": 24}], ids=["both", "neither"])
def test_price_and_yield_exactly_one(tiny_config, valuation):
    tiny_config["valuation"] = valuation
    msg = config_error(tiny_config)
    assert_names(msg, "valuation")
    assert "`price`" in msg and "`yield`" in msg


def test_yield_alone_is_fine(tiny_config):
    tiny_config["valuation"] = {"yield": 0.06, "delay_days": 0}
    cfg = load_config(tiny_config)
    assert cfg.valuation.yield_ == 0.06 and cfg.valuation.price is None
    assert cfg.to_dict()["valuation"]["yield"] == 0.06  # dumped under its YAML name


def test_tape_and_loans_both(tiny_config):
    tiny_config["tape"] = "data/sample_pool.parquet"
    msg = config_error(tiny_config)
    assert "`tape`" in msg and "`loans`" in msg and "exactly one" in msg


def test_tape_and_loans_neither(tiny_config):
    del tiny_config["loans"]
    msg = config_error(tiny_config)
    assert "`tape`" in msg and "`loans`" in msg and "exactly one" in msg


def test_empty_loans(tiny_config):
    tiny_config["loans"] = []
    assert_names(config_error(tiny_config), "loans")


def test_inline_loan_without_id(tiny_config):
    del tiny_config["loans"][1]["loan_id"]
    msg = config_error(tiny_config)
    assert_names(msg, "loans[1].loan_id")
    assert "missing" in msg


# --------------------------------------------------------------------------
# loss block


def test_loss_missing_when_default_is_not_none(tiny_config):
    del tiny_config["assumptions"]["loss"]
    msg = config_error(tiny_config)
    assert_names(msg, "assumptions.loss")
    assert "required" in msg and "default" in msg


def test_loss_omitted_is_fine_when_default_is_none(tiny_config):
    del tiny_config["assumptions"]["loss"]
    tiny_config["assumptions"]["default"] = {"model": "none"}
    cfg = load_config(tiny_config)
    assert cfg.assumptions.loss is None
    loss = cfg.assumptions.loss_or_default
    assert loss.severity == 0.0 and loss.liquidation_lag == 0


def test_default_omitted_means_none(tiny_config):
    tiny_config["assumptions"] = {"prepay": {"model": "cpr", "rate": 0.06}}
    assert load_config(tiny_config).assumptions.default.model == "none"


# --------------------------------------------------------------------------
# model registry


@pytest.mark.parametrize(
    "block, bad, known",
    [
        ("prepay", "fast", ["psa", "cpr", "smm", "vector", "none"]),
        ("default", "oops", ["sda", "cdr", "mdr", "vector", "none"]),
    ],
)
def test_unknown_model(tiny_config, block, bad, known):
    tiny_config["assumptions"][block] = {"model": bad, "speed": 100}
    msg = config_error(tiny_config)
    assert_names(msg, f"assumptions.{block}.model", f"'{bad}'")
    for name in known:  # the message lists what is allowed
        assert f"'{name}'" in msg


@pytest.mark.parametrize("block", ["prepay", "default"])
def test_missing_model(tiny_config, block):
    tiny_config["assumptions"][block] = {"speed": 100}
    msg = config_error(tiny_config)
    assert_names(msg, f"assumptions.{block}")
    assert "`model`" in msg


def test_model_parameter_missing(tiny_config):
    tiny_config["assumptions"]["prepay"] = {"model": "psa"}
    msg = config_error(tiny_config)
    assert_names(msg, "assumptions.prepay.speed")
    assert "missing" in msg


def test_several_problems_give_one_line_each(tiny_config):
    tiny_config["colour"] = "blue"
    tiny_config["assumptions"]["loss"]["severity"] = 20
    lines = config_error(tiny_config).splitlines()
    assert len(lines) == 2
    assert any(line.startswith("colour:") for line in lines)
    assert any(line.startswith("assumptions.loss.severity:") for line in lines)


# --------------------------------------------------------------------------
# files


def test_bad_yaml_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nassumptions: {prepay: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    msg = str(info.value)
    assert msg.startswith(str(path)) and "not valid YAML" in msg and "line" in msg


def test_yaml_that_is_not_a_mapping(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(path)


def test_missing_config_file(tmp_path):
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value) and "not found" in str(info.value)


def test_errors_from_a_file_name_the_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: x\ntape: t.csv\nassumptions: {loss: {severity: 20, liquidation_lag: 1}}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: assumptions.loss.severity:")


def test_tape_path_is_resolved_against_the_config_folder(pool_yaml):
    cfg = load_config(pool_yaml)
    assert cfg.tape == pool_yaml.parent / "data" / "sample_pool.parquet"
    assert cfg.tape.exists()


# --------------------------------------------------------------------------
# --set overrides


def test_apply_overrides_parses_values_as_yaml():
    data = {"a": {"b": 1}}
    out = apply_overrides(
        data, ["a.b=300", "a.f=0.06", "a.t=true", "a.s=psa", "a.v=[0.01, 0.02]", "a.m={model: none}"]
    )
    assert out["a"] == {"b": 300, "f": 0.06, "t": True, "s": "psa", "v": [0.01, 0.02], "m": {"model": "none"}}
    assert isinstance(out["a"]["b"], int) and isinstance(out["a"]["f"], float)
    assert data == {"a": {"b": 1}}  # the input is not modified


def test_apply_overrides_creates_nested_keys():
    assert apply_overrides({}, ["x.y.z=1"]) == {"x": {"y": {"z": 1}}}
    # a scalar in the way is replaced by a mapping
    assert apply_overrides({"x": 5}, ["x.y=2"]) == {"x": {"y": 2}}


def test_apply_overrides_value_may_contain_equals():
    assert apply_overrides({}, ["name=a=b"]) == {"name": "a=b"}


@pytest.mark.parametrize("bad", ["no-equals-sign", "=5", "...=5"])
def test_apply_overrides_rejects_malformed(bad):
    with pytest.raises(ConfigError, match="--set"):
        apply_overrides({}, [bad])


def test_overrides_in_load_config(tiny_config):
    cfg = load_config(tiny_config, ["assumptions.prepay.speed=300", "valuation.delay_days=0"])
    assert cfg.assumptions.prepay.speed == 300
    assert cfg.valuation.delay_days == 0


def test_overrides_are_validated(tiny_config):
    with pytest.raises(ConfigError) as info:
        load_config(tiny_config, ["assumptions.loss.severity=35"])
    assert_names(str(info.value), "assumptions.loss.severity", "35")


def test_override_can_switch_model(tiny_config):
    cfg = load_config(tiny_config, ["assumptions.prepay={model: cpr, rate: 0.08}"])
    assert cfg.assumptions.prepay.model == "cpr" and cfg.assumptions.prepay.rate == 0.08


def test_override_of_a_loaded_config(tiny_config):
    cfg = load_config(tiny_config)
    cfg2 = load_config(cfg, ["assumptions.prepay.speed=200"])
    assert cfg2.assumptions.prepay.speed == 200
    assert cfg.assumptions.prepay.speed == 150
    assert load_config(cfg) is cfg


# --------------------------------------------------------------------------
# frozen and hashed


def test_config_is_frozen(tiny_config):
    cfg = load_config(tiny_config)
    assert isinstance(cfg, Config)
    with pytest.raises(ValidationError):
        cfg.name = "other"
    with pytest.raises(ValidationError):
        cfg.assumptions.prepay.speed = 1.0
    with pytest.raises(ValidationError):
        cfg.valuation.price = 1.0
    with pytest.raises(ValidationError):
        cfg.loans[0].balance = 1.0
    with pytest.raises(TypeError):  # sequences are tuples
        cfg.loans[0] = None  # type: ignore[index]
    assert cfg.name == "tiny" and cfg.assumptions.prepay.speed == 150


def test_hash_is_stable_and_sensitive(tiny_config):
    h = load_config(tiny_config).hash()
    assert h == load_config(tiny_config).hash()
    assert len(h) == 64 and int(h, 16) >= 0
    assert load_config(tiny_config, ["assumptions.prepay.speed=151"]).hash() != h


def test_config_round_trips_through_to_dict(tiny_config):
    cfg = load_config(tiny_config)
    again = load_config(cfg.to_dict())
    assert again == cfg and again.hash() == cfg.hash()



def test_state_model_keys_need_model_state(tiny_config):
    tiny_config["simulation"] = {"paths": 10}
    msg = config_error(tiny_config)
    assert_names(msg, "simulation")
    assert "model: state" in msg


def test_state_model_rejects_standard_default_assumptions(tiny_config):
    tiny_config["model"] = "state"
    lines = config_error(tiny_config).splitlines()  # tiny_config carries assumptions.default and loss
    assert [line.split(":")[0] for line in lines] == ["assumptions.default", "assumptions.loss"]
    assert all("state_model" in line for line in lines)


@pytest.mark.parametrize("model", ["standard", "state"])
def test_resolved_config_round_trips(model, tiny_config):
    if model == "state":
        tiny_config["model"] = "state"
        tiny_config["assumptions"] = {"prepay": tiny_config["assumptions"]["prepay"]}
    cfg = load_config(tiny_config)
    again = load_config(cfg.to_dict())
    assert again == cfg and again.hash() == cfg.hash()


@pytest.mark.parametrize(
    "assumptions, path",
    [
        ({"prepay": {"model": "cpr", "rate": 6}}, "assumptions.prepay.rate"),
        ({"default": {"model": "cdr", "rate": 0.01}}, "assumptions.loss"),
    ],
)
def test_low_level_api_errors_name_the_full_key(assumptions, path):
    """engine.project_cashflows validates a bare assumptions dict with the same
    key paths as a config (no union tag such as `cpr` in the path)."""
    from engine.models.standard import project_cashflows

    rows = [{"loan_id": "A", "balance": 1.0, "note_rate": 0.05, "remaining_term": 10}]
    with pytest.raises(ConfigError) as e:
        project_cashflows(rows, assumptions)
    assert str(e.value).startswith(f"{path}: "), str(e.value)


# --------------------------------------------------------------------------
# output and execution keys


def test_quantiles_written_as_percents_are_refused_up_front(tiny_config):
    """Checked when the config loads, not after the whole simulation has run."""
    tiny_config["output"] = {"quantiles": [5, 50, 95]}
    lines = config_error(tiny_config).splitlines()
    assert [line.split(":")[0] for line in lines] == [f"output.quantiles[{i}]" for i in range(3)]
    assert "got 5 (a percent? write 0.05)" in lines[0]
    assert "write 0.95" in lines[2]


@pytest.mark.parametrize("bad", [[], [0.5, float("nan")], [-0.1]])
def test_quantiles_need_decimals_in_the_unit_interval(tiny_config, bad):
    tiny_config["output"] = {"quantiles": bad}
    assert config_error(tiny_config).startswith("output.quantiles")


def test_execution_only_keys_stay_out_of_the_hash(tiny_config):
    """simulation.chunk_paths never changes a number, so it never changes the
    hash; it is still recorded in the resolved config."""
    tiny_config["model"] = "state"
    tiny_config["assumptions"] = {"prepay": {"model": "cpr", "rate": 0.06}}
    base = load_config(tiny_config)
    other = load_config(tiny_config, ["simulation.chunk_paths=7"])
    assert other.hash() == base.hash()
    assert other.to_dict()["simulation"]["chunk_paths"] == 7
    assert load_config(tiny_config, ["simulation.seed=7"]).hash() != base.hash()


def test_binary_yaml_in_an_inline_loan_is_refused_up_front(tmp_path):
    """A !!binary value used to run to the end and fail in Config.hash() when
    the outputs were written, losing the results."""
    path = tmp_path / "c.yaml"
    path.write_text(
        "name: x\n"
        "loans:\n"
        "  - {loan_id: A, balance: 100.0, note_rate: 0.06, remaining_term: 12}\n"
        "  - {loan_id: B, balance: 100.0, note_rate: 0.06, remaining_term: 12, photo: !!binary /9j/4AAQ}\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: loans[1].photo: expected one value (a number, text, a date or empty), got binary data"


def test_inline_loan_extra_values_that_hash_are_accepted(tiny_config):
    tiny_config["loans"][0].update({"servicer": "X", "boarded": "2024-01-31", "flag": True, "code": 10**30, "note": None})
    cfg = load_config(tiny_config)
    assert len(cfg.hash()) == 64


@pytest.mark.parametrize(
    "overrides, expected, hidden",
    [
        (
            ["assumptions.prepay.model=turnover"],
            "assumptions.prepay.model: 'turnover' needs the state model (model: state), "
            "the standard model takes psa, cpr, smm, vector or none",
            "assumptions.prepay.speed",
        ),
        (["simulation.paths=-1"], "simulation: only used by the state model (add `model: state`)", "simulation.paths"),
        (["model=state", "assumptions.default.speed=-5"], "assumptions.default: not used by the state model",
         "assumptions.default.speed"),
    ],
)
def test_a_key_of_the_other_model_says_so_even_when_its_values_are_wrong(pool_yaml, overrides, expected, hidden):
    """`--set assumptions.prepay.model=turnover` on the standard pool used to
    report `assumptions.prepay.speed: unknown key` instead of the real problem."""
    with pytest.raises(ConfigError) as info:
        load_config(pool_yaml, overrides)
    lines = [line.removeprefix(f"{pool_yaml}: ") for line in str(info.value).splitlines()]
    assert any(line.startswith(expected) for line in lines), lines
    assert not any(line.startswith(hidden) for line in lines), lines


def test_a_key_with_a_line_break_is_quoted_on_its_one_line(tiny_config):
    tiny_config["bad\rkey"] = 1
    assert config_error(tiny_config) == "'bad\\rkey': unknown key, got 1"
