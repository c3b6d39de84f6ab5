"""`ecohub up --simulate 3` with an SMTP channel (aiosmtpd on loopback) and a signed webhook:
the stream detector raises alerts from the misbehaving simulated outlets and the mails and
posts arrive; the CLI works the alerts through the running server."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ecohub.ingest.simulator import demo_outlets
from tests.supervision.alerts.conftest import Hook, Smtp
from tests.supervision.alerts.conftest import hook as hook  # the fixtures
from tests.supervision.alerts.conftest import smtp as smtp

pytestmark = pytest.mark.e2e
SECRET = "e2e-signing-secret"


def test_up_sends_alerts_of_the_misbehaving_outlets(tmp_path: Path, smtp: Smtp, hook: Hook) -> None:
    channels = [
        {"name": "duty", "kind": "smtp", "host": "127.0.0.1", "port": smtp.port,
         "sender": "ecohub@bureau.example", "to": ["duty@bureau.example"]},
        {"name": "hook", "kind": "webhook", "url": hook.url, "secret": SECRET,
         "min_severity": "high"},
    ]  # fmt: skip
    env = {**os.environ, "ECOHUB_DATA_DIR": str(tmp_path), "ECOHUB_HTTP_HOST": "127.0.0.1",
           "ECOHUB_HJ212_HOST": "127.0.0.1", "COLUMNS": "200",
           "ECOHUB_ALERT_CHANNELS": json.dumps(channels),
           "ECOHUB_ALERT_DISPATCH_INTERVAL_S": "0.5",
           "ECOHUB_PUBLIC_URL": "https://ecohub.bureau.example/hub"}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecohub.cli.main", "up", "--simulate", "4", "--no-sample",
         "--history-hours", "5", "--hj212-port", "0", "--http-port", "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    out: list[str] = []
    threading.Thread(target=lambda: out.extend(proc.stdout), daemon=True).start()  # type: ignore[arg-type]
    stuck, _flat, exceed, normal = (d.mn for d in demo_outlets(4))
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            subjects = [str(m["Subject"]) for _, _, m in smtp.box.received]
            texts = [m.get_content() for _, _, m in smtp.box.received]
            got_stuck = any(
                stuck in t and "constant" in s for s, t in zip(subjects, texts, strict=True)
            )
            got_exceed = any(
                exceed in t and "exceedance" in s for s, t in zip(subjects, texts, strict=True)
            )
            posted = {json.loads(b)["alert"]["kind"] for _, b in hook.requests}
            if got_stuck and got_exceed and "exceedance" in posted:
                break
            assert proc.poll() is None, "".join(out)
            time.sleep(0.5)
        else:
            raise AssertionError(f"mails: {subjects}\nserver:\n{''.join(out)}")
        # The webhook takes only high alerts (every exceedance is one), signed.
        kinds = set()
        for headers, body in hook.requests:
            data = json.loads(body)
            assert data["alert"]["severity"] == "high", data
            kinds.add((data["alert"]["kind"], data["alert"]["mn"]))
            mac = hmac.new(SECRET.encode(), headers["x-ecohub-timestamp"].encode() + b"." + body,
                           hashlib.sha256).hexdigest()  # fmt: skip
            assert headers["x-ecohub-signature"] == "sha256=" + mac
        assert ("exceedance", exceed) in kinds
        # One mail per alert: de-duplicated while the stuck analyser keeps being stuck.
        ids = [m["X-Ecohub-Alert"] for _, _, m in smtp.box.received]
        assert len(ids) == len(set(ids))
        # Each notice links to its alert in the console under the public address.
        for _, _, m in smtp.box.received:
            link = f"https://ecohub.bureau.example/hub/#/alerts/{m['X-Ecohub-Alert']}"
            assert f"在控制台查看：{link}" in m.get_content()
        for _, body in hook.requests:
            data = json.loads(body)
            link = f"https://ecohub.bureau.example/hub/#/alerts/{data['alert']['id']}"
            assert data["url"] == link

        # The CLI works the alerts through the running server.
        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "ecohub.cli.main", *args], env=env,
                                  capture_output=True, text=True, timeout=60)  # fmt: skip

        listed = cli("alerts", "list", "--format", "json", "--mn", exceed, "--kind", "exceedance")
        assert listed.returncode == 0, listed.stderr + listed.stdout
        (alert,) = json.loads(listed.stdout)
        acked = cli("alerts", "ack", str(alert["id"]), "--comment", "e2e")
        assert acked.returncode == 0 and "acknowledged by local" in acked.stdout, acked.stdout
        # nothing is raised about the healthy outlet, and no outlet was silent
        everything = cli("alerts", "list", "--format", "json")
        assert everything.returncode == 0, everything.stderr + everything.stdout
        raised = [(a["mn"], a["rule"]) for a in json.loads(everything.stdout)]
        assert not any(mn == normal or rule == "silent" for mn, rule in raised), raised
        assert not any(normal in t for t in texts), texts
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    assert proc.returncode == 0, "".join(out)


def test_up_refuses_a_channel_region_the_store_does_not_know(tmp_path: Path, hook: Hook) -> None:
    """A channel's region may be a key region or a loaded region's name; one the store does not
    know stops `ecohub up` at start with one line naming the channel, not later in silence."""
    channels = [
        {"name": "jjj", "kind": "webhook", "url": hook.url, "region": "jjj-2+26"},
        {"name": "typo", "kind": "webhook", "url": hook.url, "region": "Beijing"},
    ]
    env = {**os.environ, "ECOHUB_DATA_DIR": str(tmp_path), "ECOHUB_HTTP_HOST": "127.0.0.1",
           "ECOHUB_HJ212_HOST": "127.0.0.1",
           "ECOHUB_ALERT_CHANNELS": json.dumps(channels)}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "ecohub.cli.main", "up", "--no-sample", "--hj212-port", "0",
         "--http-port", "0"],
        env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith(
        "error: settings: alert_channels.1.region (ECOHUB_ALERT_CHANNELS): channel typo: "
        "no region 'Beijing'"
    ), done.stderr
    assert "Traceback" not in done.stderr and hook.requests == []
