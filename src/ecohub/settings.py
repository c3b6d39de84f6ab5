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
    hj212_max_bad_frames: int = 50  # bad frames among hj212_bad_frame_window: peer cut off
    hj212_reject_unknown_mn: bool = False
    hj212_lenient_mns: list[str] = Field(default_factory=list)
    hj212_lenient_all: bool = False
    hj212_commit_max_packets: int = 2000
    hj212_commit_interval_ms: float = 5.0
    hj212_offline_after_s: float = 900.0

    # --- HJ 212 exchange limits and subpackets (issue 9); each bounds what one peer can cost ---
    # `hj212_max_bad_frames` (above) now counts bad frames among a connection's last
    # `hj212_bad_frame_window` frames: a window, not a run, so a good frame now and then (a
    # heartbeat) no longer resets the count. 100: a device with one frame in two bad is broken.
    hj212_bad_frame_window: int = Field(default=100, ge=1)
    # Raw bytes of bad frames kept verbatim in `packet_log`, per peer host and for all peers,
    # per `hj212_raw_log_window_s`; beyond a budget only the first `hj212_raw_log_truncated_bytes`
    # bytes and the full length are kept. 1 MiB is about 100 full-size frames, enough to see
    # what a device sends wrong; 64 MiB an hour bounds the log's growth at ~1.5 GB a day.
    hj212_raw_log_peer_bytes: int = Field(default=1_048_576, ge=0)
    hj212_raw_log_total_bytes: int = Field(default=67_108_864, ge=0)
    hj212_raw_log_window_s: float = Field(default=3600.0, gt=0)
    hj212_raw_log_truncated_bytes: int = Field(default=256, ge=0)
    # Bytes a connection may send without a frame coming out of them (no `##`, or a frame that
    # never ends) before it is cut: a frame is at most hj212_max_frame (10,011) bytes, so 64 KiB
    # is several frames of line noise.
    hj212_max_bytes_without_frame: int = Field(default=65_536, ge=1)
    # A frame that has begun must be complete within this many seconds (a 10 kB frame over a
    # 9600-baud GPRS link takes ~10 s); otherwise a 1-byte/s sender holds its connection forever.
    hj212_frame_deadline_s: float = Field(default=60.0, ge=0)  # 0: no deadline
    # Open device connections; more are refused (closed at once) and counted. One per device is
    # normal; 4096 stays well inside a default 65,536 open-file limit.
    hj212_max_connections: int = Field(default=4096, ge=1)
    # Subpackets (PNUM/PNO): an incomplete split upload is stored, marked incomplete, this long
    # after its first part (10 min: loggers resend within minutes); open reassemblies per peer
    # host and in total, and parts held in all of them (memory: at most a frame per part).
    hj212_subpacket_timeout_s: float = Field(default=600.0, gt=0)
    hj212_subpacket_max_open_per_peer: int = Field(default=16, ge=0)
    hj212_subpacket_max_open: int = Field(default=1024, ge=0)
    hj212_subpacket_max_parts: int = Field(default=8192, ge=0)

    # HTTP endpoint (health, metrics, API)
    http_host: str = "127.0.0.1"
    http_port: int = 8212

    load_sample: bool = True
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
