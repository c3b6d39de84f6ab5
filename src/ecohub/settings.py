"""One settings object for the whole platform.

Values come, in rising priority, from defaults, an optional TOML file (``ECOHUB_CONFIG`` or
``./ecohub.toml``) and ``ECOHUB_*`` environment variables. Nothing else in ecohub reads the
environment.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ECOHUB_", extra="ignore")

    data_dir: Path = Path("ecohub-data")
    db_path: Path | None = None  # default: <data_dir>/ecohub.duckdb
    engine: Literal["duckdb", "spark"] = "duckdb"
    spark_master: str = "local[2]"

    # HJ 212 listener
    hj212_host: str = "0.0.0.0"
    hj212_port: int = 9212
    hj212_idle_timeout_s: float = 600.0
    # A frame is at most '##' + 4-digit length + 9999 + CRC + CRLF; we allow no more (our choice:
    # the length field cannot express a longer segment).
    hj212_max_frame: int = 10011
    hj212_max_bad_frames: int = 50  # bad frames in a row before a peer is cut off as a flooder
    hj212_reject_unknown_mn: bool = False
    hj212_lenient_mns: list[str] = Field(default_factory=list)
    hj212_lenient_all: bool = False
    hj212_commit_max_packets: int = 2000
    hj212_commit_interval_ms: float = 5.0
    hj212_offline_after_s: float = 900.0

    # Open data /open/v1 and server-side jobs (docs/api.md)
    open_rate_per_s: float = Field(default=5.0, gt=0)  # per client address, token bucket
    open_burst: int = Field(default=20, ge=1)
    open_licence: str = "CC BY 4.0"
    open_licence_url: str = "https://creativecommons.org/licenses/by/4.0/"
    open_attribution: str = (
        "Beijing Multi-Site Air Quality, UCI Machine Learning Repository id 501 "
        "(doi:10.24432/C5RK5G), Beijing Municipal Environmental Monitoring Center; "
        "AQI and assessments computed by ecohub"
    )
    job_workers: int = Field(default=1, ge=1, le=8)  # jobs run one after another by default
    job_nice: int = Field(default=10, ge=0, le=19)  # job threads yield the CPU to HJ 212 ingest
    # TLS for the HTTP endpoint: both files given = HTTPS (passed to uvicorn as ssl_certfile /
    # ssl_keyfile); the CLI then trusts that certificate for its own server.
    http_ssl_certfile: Path | None = None
    http_ssl_keyfile: Path | None = None

    # HTTP endpoint (health, metrics, API)
    http_host: str = "127.0.0.1"
    http_port: int = 8212

    load_sample: bool = True

    # Identity (docs/operations.md "Users, keys and audit")
    auth_max_failures: int = Field(default=5, ge=1)  # consecutive wrong passwords before a lock
    auth_lockout_minutes: float = Field(default=15.0, gt=0)
    auth_access_token_minutes: float = Field(default=15.0, gt=0)
    auth_refresh_token_hours: float = Field(default=12.0, gt=0)
    config: Path | None = None  # the TOML file (read by load_settings; listed so it is documented)

    @property
    def database(self) -> Path:
        return self.db_path if self.db_path is not None else self.data_dir / "ecohub.duckdb"


def _toml_values() -> dict[str, Any]:
    path = os.environ.get("ECOHUB_CONFIG")
    candidate = Path(path) if path else Path("ecohub.toml")
    if not candidate.is_file():
        if path:
            raise FileNotFoundError(f"ECOHUB_CONFIG: no such file: {candidate}")
        return {}
    with candidate.open("rb") as fh:
        data = tomllib.load(fh)
    return dict(data.get("ecohub", data))


def load_settings(**overrides: Any) -> Settings:
    """Settings from TOML, then the environment, then explicit ``overrides`` (highest)."""
    base = _toml_values()
    env = Settings()
    merged = {**base, **env.model_dump(exclude_unset=True), **overrides}
    return Settings.model_validate(merged) if merged else env


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
