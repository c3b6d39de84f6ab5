"""``ecohub up`` serving HTTPS (docs/operations.md: ``ECOHUB_HTTP_SSL_CERTFILE`` and
``ECOHUB_HTTP_SSL_KEYFILE``), with a certificate made by openssl for 127.0.0.1: the API answers
over TLS only, with HSTS, and the CLI reaches the running server over TLS, trusting that
certificate."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.platform_up import ecohub_up

pytestmark = pytest.mark.e2e


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for IP 127.0.0.1 and its key (openssl, as an operator would make one)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_up_serves_https_and_the_cli_follows(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    data = tmp_path / "data"
    env = {**os.environ, "ECOHUB_DATA_DIR": str(data), "ECOHUB_HJ212_HOST": "127.0.0.1",
           "ECOHUB_HTTP_SSL_CERTFILE": str(cert), "ECOHUB_HTTP_SSL_KEYFILE": str(key),
           "COLUMNS": "200"}  # fmt: skip
    with ecohub_up(data, "--no-sample", env=env) as up:
        url = up.url
        assert url.startswith("https://127.0.0.1:")
        trust = ssl.create_default_context(cafile=str(cert))
        health = httpx.get(url + "/healthz", verify=trust, timeout=30)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert health.headers["strict-transport-security"] == "max-age=31536000"
        # Without trusting the certificate a client refuses it; in clear text nothing answers.
        with pytest.raises(httpx.ConnectError):
            httpx.get(url + "/healthz", timeout=30)
        with pytest.raises(httpx.HTTPError):
            httpx.get(url.replace("https:", "http:") + "/healthz", timeout=30)
        # The CLI finds the store in use and goes through the server, over TLS.
        added = subprocess.run(
            [sys.executable, "-m", "ecohub.cli.main", "user", "add", "ana", "--role", "analyst",
             "--region", "110105", "--password-stdin"],
            env=env, input="a long enough password\n", capture_output=True, text=True,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        listed = subprocess.run(
            [sys.executable, "-m", "ecohub.cli.main", "user", "list", "--json"],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        assert listed.returncode == 0, listed.stderr
        users = [json.loads(line) for line in listed.stdout.splitlines()]
        assert [(u["name"], u["region"]) for u in users] == [("ana", "110105")]
        # ... and logs in over HTTPS.
        form = {"username": "ana", "password": "a long enough password"}
        token = httpx.post(url + "/api/v1/auth/token", data=form, verify=trust, timeout=30)
        assert token.status_code == 200, token.text
    assert up.returncode == 0, up.err
    assert "stopped." in up.out
