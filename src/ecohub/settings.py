"""One settings object for the whole platform.

Values come, in rising priority, from defaults, an optional TOML file (``ECOHUB_CONFIG`` or
``./ecohub.toml``) and ``ECOHUB_*`` environment variables. Nothing else in ecohub reads the
environment.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from ecohub.settings_channels import AlertChannel as AlertChannel
from ecohub.settings_channels import Port
from ecohub.settings_sources import BadEnvJson, EnvSource, describe, toml_values
from ecohub.settings_sources import SettingsError as SettingsError

# A DuckDB memory size: a number and a unit DuckDB knows (1000- or 1024-based).
MEMORY_PATTERN = r"^([0-9]+(?:\.[0-9]+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$"
MEMORY_UNITS = {"KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
                "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}  # fmt: skip
# The smallest memory budget accepted: 128MB. DuckDB cannot even set a budget below its blocks
# in use (1KB, 0GB: "could not free up enough memory"; a fresh store failed at 1MB), and each
# query thread pins 256 KiB blocks; the Beijing sample's `air assess` ran in 32MB. 128MB leaves
# room for a real store's indexes and threads, and a value below it is a typo (KB for MB, 0GB).
MEMORY_MIN_BYTES = 128 * 10**6


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ECOHUB_", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment through EnvSource: JSON that is not JSON is a one-line error.
        return init_settings, EnvSource(settings_cls), dotenv_settings, file_secret_settings

    # Settings whose value came from the TOML file -> the file, for messages (load_settings).
    _from_file: dict[str, str] = PrivateAttr(default_factory=dict)

    data_dir: Path = Path("ecohub-data")
    db_path: Path | None = None  # default: <data_dir>/ecohub.duckdb
    engine: Literal["duckdb", "spark"] = "duckdb"
    spark_master: str = "local[2]"
    # Where Spark runs exchange Parquet with the store (default <data_dir>/spark-work); on a
    # cluster, a folder every executor can read (docs/operations.md, "Running on Spark").
    spark_work_dir: Path | None = None
    # Extra Spark settings for the session ecohub starts (e.g. {"spark.executor.memory": "8g"});
    # ECOHUB_SPARK_CONF takes them as a JSON object.
    spark_conf: dict[str, str] = Field(default_factory=dict)

    # HJ 212 listener
    hj212_host: str = "0.0.0.0"
    hj212_port: Port = 9212
    # Several processes on one host listen on the same port (Linux SO_REUSEPORT; the kernel
    # spreads new connections between them): ingest nodes behind one address with no load
    # balancer, each with its own GIL (docs/operations.md "Several ingest nodes").
    hj212_reuse_port: bool = False
    hj212_idle_timeout_s: float = 600.0
    # A frame is at most '##' + 4-digit length + 9999 + CRC + CRLF; we allow no more (our choice:
    # the length field cannot express a longer segment).
    hj212_max_frame: int = 10011
    hj212_max_bad_frames: int = 50  # bad frames among hj212_bad_frame_window: peer cut off
    hj212_reject_unknown_mn: bool = False
    hj212_lenient_mns: list[str] = Field(default_factory=list)
    hj212_lenient_all: bool = False
    hj212_commit_max_packets: int = 2000
    # How long a group commit waits for company when traffic is light. Each commit has a fixed
    # cost (register the batch, one DuckDB transaction): at 2,000 packets/s, 5 ms made ~200
    # commits/s and cost the server 1.0 CPU s per s; 50 ms costs 0.6 (docs/benchmarks.md), and
    # an answer waits at most 50 ms more, far inside the devices' answer timeout.
    hj212_commit_interval_ms: float = Field(default=50.0, ge=0, le=1000)
    # ... but a batch of this many packets waits for nobody: under heavy load the backlog left
    # by the last commit is company enough, and waiting longer only delays its answers.
    hj212_commit_enough_packets: int = Field(default=256, ge=1)
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
    # The catalogue's publisher (DCAT dct:publisher): the bureau or operator running this
    # platform, in Chinese and English. The attribution above is the data's citation, not it.
    publisher_name: str = "ecohub 生态环境数据平台"
    publisher_name_en: str = "ecohub environmental data platform"
    job_workers: int = Field(default=1, ge=1, le=8)  # jobs run one after another by default
    job_nice: int = Field(default=10, ge=0, le=19)  # job threads yield the CPU to HJ 212 ingest
    # DuckDB threads while a job runs (0: leave DuckDB's own). DuckDB's `threads` is one
    # setting per database, so the cap holds for every query while a job runs: a job's scan
    # then runs on its own niced thread instead of on DuckDB's un-niced workers on every core.
    job_threads: int = Field(default=1, ge=0, le=64)
    # The only folders a server-side job may read input files from (empty: <data_dir>/import,
    # made 0700 at start). A job runs as the server's account: a path anywhere else would give
    # whoever may queue a load that account's files (docs/design.md "Files of jobs").
    import_dirs: list[Path] = Field(default_factory=list)
    # Seconds a verified API key / token is remembered (0: verify every request). Revoking a
    # key or disabling a user through the API forgets them at once.
    auth_cache_s: float = Field(default=2.0, ge=0, le=60)
    # TLS for the HTTP endpoint: both files given = HTTPS (passed to uvicorn as ssl_certfile /
    # ssl_keyfile); the CLI then trusts that certificate for its own server.
    http_ssl_certfile: Path | None = None
    http_ssl_keyfile: Path | None = None
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
    http_port: Port = 8212
    # The platform's public address (scheme, host, port, any path prefix), used for the IRIs it
    # publishes (DCAT dataset and distribution IRIs); never taken from a request's Host header.
    # Unset: the configured http_host and http_port (https when TLS files are set) for the IRIs;
    # alert notices then carry no console link (a bind address means nothing in a mailbox).
    public_url: str | None = Field(default=None, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")

    load_sample: bool = True

    # Identity (docs/operations.md "Users, keys and audit")
    # Lock-outs (ecohub.access.login): wrong passwords in a row from one client address before
    # the account is locked at that address; from all addresses together within one lock-out
    # period before it is locked at every address (a backstop: one address adds at most 5 per
    # lock, so 100 takes 10 or more addresses, and any account faces at most 100 guesses per
    # period); how long a lock lasts.
    auth_max_failures: int = Field(default=5, ge=1)
    auth_account_max_failures: int = Field(default=100, ge=1)
    auth_lockout_minutes: float = Field(default=15.0, gt=0)
    # Failed log-ins per client address across all accounts (ecohub.access.login_throttle):
    # this many at once, then one per window / this many (20 per 15 min: one every 45 s); 429.
    auth_client_max_failures: int = Field(default=20, ge=1)
    auth_client_window_minutes: float = Field(default=15.0, gt=0)
    auth_access_token_minutes: float = Field(default=15.0, gt=0)
    auth_refresh_token_hours: float = Field(default=12.0, gt=0)
    config: Path | None = None  # the TOML file (read by load_settings; listed so it is documented)

    # Alerts (docs/operations.md "Alert channels"): where alerts go, and how the dispatcher of
    # `ecohub up` retries a channel that does not answer: after base, 2 x base, 4 x base, ...
    # seconds, at most alert_retry_max_s apart, never giving up.
    alert_channels: list[AlertChannel] = Field(default_factory=list)
    alert_dispatch_interval_s: float = Field(default=2.0, gt=0)
    alert_retry_base_s: float = Field(default=30.0, gt=0)
    alert_retry_max_s: float = Field(default=3600.0, gt=0)
    # --- The data lake (docs/design.md "The data lake", docs/operations.md "Lake") ---
    # Where settled emissions and observations go as hive-partitioned Parquet: a folder
    # (default `lake` beside the store file, i.e. <data_dir>/lake) or, for a cluster, a mounted
    # HDFS/object-store path; several ingest nodes may share one lake, each naming its files
    # with its own `node_id`.
    lake: str | None = None
    node_id: str | None = None  # default: this host's name (must differ between ingest nodes)
    # Rows whose time is older than this move from the hot store to the lake at compaction.
    lake_settle_hours: float = Field(default=48.0, gt=0)
    # How often `ecohub up` compacts (0: never; `ecohub lake compact` still does).
    lake_compact_every_s: float = Field(default=3600.0, ge=0)
    # A lake partition with more data files than this is merged into one at compaction
    # (each compaction adds a file per partition and node: ~31 a month per node).
    lake_merge_files: int = Field(default=24, ge=1)
    # --- Serving the API under load (docs/benchmarks.md "API under load") ---
    # DuckDB threads for the server's store (0: DuckDB's own, one per core). The API runs many
    # small queries at once; on 2 cores one thread each costs ~40% less CPU than two, and the
    # requests themselves are the parallelism. A job still caps it with `job_threads`.
    db_threads: int = Field(default=1, ge=0, le=64)
    # DuckDB's memory budget for the store, e.g. "6GB" (None: DuckDB's own, 80 % of the
    # machine's RAM). Beyond it DuckDB spills to disk (`<store>.tmp`): a national year of
    # `air compute` peaked at 23 GB of RSS with DuckDB's own budget on a 24 GB machine
    # (docs/benchmarks.md, "the command itself"). Applies to every process that opens the store.
    db_memory_limit: str | None = None
    # Worker threads for the API's blocking route bodies (AnyIO's default limiter is 40). More
    # threads than cores only queue on DuckDB and the GIL, taking it from the event loop that
    # also answers HJ 212 devices.
    http_threads: int = Field(default=8, ge=1, le=256)
    # Python's GIL switch interval in the running server, in ms (CPython's default is 5).
    # DuckDB's Python client takes the GIL back after every step of a running statement (to
    # check for Ctrl-C), so a query waits up to this long at each step while another thread
    # holds the GIL: an observation page took 146 ms instead of 5 beside one busy thread at
    # 5 ms, 36 ms at 1 ms (docs/benchmarks.md "OGC API": +6-15 % pages/s at 0.5 ms).
    gil_switch_ms: float = Field(default=0.5, gt=0, le=100)

    @field_validator("db_memory_limit")
    @classmethod
    def _memory_is_a_size(cls, value: str | None) -> str | None:
        if value is None:
            return None
        size = re.fullmatch(MEMORY_PATTERN, value.strip())
        if size is None:
            raise ValueError(
                "must be a size such as 6GB or 512MiB (a number and one of KB, MB, GB, TB, "
                "KiB, MiB, GiB, TiB)"
            )
        if float(size[1]) * MEMORY_UNITS[size[2]] < MEMORY_MIN_BYTES:
            raise ValueError("must be at least 128MB (DuckDB cannot work in less)")
        return value.strip()

    @field_validator("data_dir")
    @classmethod
    def _data_dir_is_a_directory(cls, value: Path) -> Path:
        if value.exists() and not value.is_dir():
            raise ValueError(f"{value} exists and is not a directory")
        return value

    @field_validator("db_path")
    @classmethod
    def _db_path_is_not_a_directory(cls, value: Path | None) -> Path | None:
        if value is not None and value.is_dir():
            raise ValueError(f"{value} is a directory, not a store file")
        return value

    def origin(self, name: str) -> str:
        """Where the value of setting ``name`` came from, for messages: ``ECOHUB_NAME``, or the
        key in the TOML file."""
        source = self._from_file.get(name)
        return f"key {name} in {source}" if source else f"ECOHUB_{name.upper()}"

    @property
    def database(self) -> Path:
        return self.db_path if self.db_path is not None else self.data_dir / "ecohub.duckdb"

    @property
    def lake_root(self) -> str:
        """The lake's location: ``lake`` as given, else ``lake`` beside the store file
        (``<data_dir>/lake`` unless ``db_path`` puts the store elsewhere)."""
        return self.lake if self.lake else str(self.database.parent / "lake")

    @property
    def node(self) -> str:
        """This process's node id for lake file names: ``node_id``, else the host name, with
        anything but letters, digits, ``.`` and ``_`` made ``_`` (``-`` separates name parts)."""
        import re
        import socket

        raw = self.node_id or socket.gethostname() or "node"
        return re.sub(r"[^A-Za-z0-9._]", "_", raw)[:64]


def load_settings(**overrides: Any) -> Settings:
    """Settings from TOML, then the environment, then explicit ``overrides`` (highest).

    Raises :class:`SettingsError` (one line, naming the setting and the variable or the TOML
    key it came from) for a missing or malformed settings file, a key in it that is not a
    setting, or a value that does not validate.
    """
    base, toml_file = toml_values(Settings.model_fields)
    from_file: dict[str, str] = {}
    try:
        env = Settings()
        given = {**env.model_dump(exclude_unset=True), **overrides}
        from_file = {key: toml_file for key in base if key not in given}
        settings = Settings.model_validate({**base, **given}) if base or given else env
    except BadEnvJson as exc:
        raise SettingsError(str(exc)) from None
    except ValidationError as exc:
        raise SettingsError(describe(exc, from_file)) from None
    settings._from_file = from_file
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
