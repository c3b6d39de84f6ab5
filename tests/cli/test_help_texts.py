"""What ``--help`` shows for options walk J found odd (findings 3 and 10)."""

from __future__ import annotations

from tests.cli._run import run_cli


def test_up_no_sample_is_a_plain_flag() -> None:
    out = run_cli("up", "--help", columns=200)
    assert out.exit_code == 0
    assert "--no-sample" in out.stdout and "--no-no-sample" not in out.stdout


def test_simulate_port_default_is_the_servers_or_the_setting() -> None:
    out = run_cli("hj212", "simulate", "--help", columns=200)
    assert out.exit_code == 0
    text = " ".join(out.stdout.split())
    assert "ECOHUB_HJ212_PORT" in text and "[default: 9212]" not in text
