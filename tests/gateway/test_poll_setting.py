"""``[gateway] poll_interval_s`` / ``vidbridge serve --poll-interval``: the pace at which the
gateway polls every job, checked before anything starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vidbridge.cli import app as cli_app
from vidbridge.cli import output
from vidbridge.config import POLL_INTERVAL_MAX_S, parse_config
from vidbridge.errors import ConfigError
from vidbridge.gateway import create_app

from ..compat.simenv import config, raw_config


def gateway_policy(app: Any) -> Any:
    return app.state.service.core.engine.poll_policy


def test_the_config_key_fixes_the_gateway_pace(sim: str, tmp_path: Path) -> None:
    cfg = config(sim, tmp_path, gateway={"poll_interval_s": 0.25})
    app = create_app(cfg, insecure_no_auth=True, environ={}, database=tmp_path / "g.db")
    policy = gateway_policy(app)
    assert (policy.first, policy.factor, policy.cap) == (0.25, 1.0, 0.25)
    assert policy.provider_guidance is False  # the operator chose it, over adapters' floors


def test_unset_keeps_the_provider_pace_and_the_argument_overrides(sim: str,
                                                                  tmp_path: Path) -> None:
    cfg = config(sim, tmp_path, gateway={"poll_interval_s": 3})
    default = create_app(config(sim, tmp_path), insecure_no_auth=True, environ={},
                         database=tmp_path / "g.db")
    assert gateway_policy(default).factor == 1.5 and gateway_policy(default).provider_guidance
    app = create_app(cfg, insecure_no_auth=True, environ={}, database=tmp_path / "g.db",
                     poll_interval_s=0.5)
    assert gateway_policy(app).first == 0.5


@pytest.mark.parametrize("bad", [0, -1, 601, float("nan"), float("inf")])
def test_out_of_range_is_refused_naming_the_key_and_range(sim: str, tmp_path: Path,
                                                          bad: float) -> None:
    with pytest.raises(ConfigError, match=r"gateway\.poll_interval_s: .*more than 0 and at "
                                          r"most 600 seconds"):
        parse_config(raw_config(sim, tmp_path, gateway={"poll_interval_s": bad}))
    with pytest.raises(ConfigError, match=r"poll_interval_s: .*more than 0 and at most 600"):
        create_app(config(sim, tmp_path), insecure_no_auth=True, environ={},
                   database=tmp_path / "g.db", poll_interval_s=bad)


def test_not_a_number_is_refused(sim: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"gateway\.poll_interval_s"):
        parse_config(raw_config(sim, tmp_path, gateway={"poll_interval_s": "fast"}))


@pytest.mark.parametrize("bad", ["0", "-2", "601", "nan"])
def test_serve_option_is_checked_before_starting(bad: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli_app, ["serve", "-c", str(tmp_path / "absent.toml"),
                                          "--poll-interval", bad])
    assert result.exit_code == 2
    assert "--poll-interval" in result.output and "at most 600 seconds" in result.output
    assert output.POLL_INTERVAL_MAX_S == POLL_INTERVAL_MAX_S  # one range, two spellings


@pytest.mark.parametrize("command", [["generate", "a kite"], ["resume", "vb_0"]])
def test_generate_and_resume_check_the_same_range(command: list[str]) -> None:
    result = CliRunner().invoke(cli_app, [*command, "--poll-interval", "-1"])
    assert result.exit_code == 2 and "at most 600 seconds" in result.output
