"""Prometheus metrics of the HJ 212 exchange; one registry per server so tests can run several."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass
class IngestMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.frames = Counter(
            "ecohub_hj212_frames", "HJ 212 frames received, by result", ["result"], registry=r
        )
        self.rejected = Counter(
            "ecohub_hj212_rejected", "Rejected HJ 212 packets, by error", ["error"], registry=r
        )
        self.lenient = Counter(
            "ecohub_hj212_lenient",
            "Packets accepted under a known deviation",
            ["deviation"],
            registry=r,
        )
        self.rows = Counter("ecohub_hj212_rows_stored", "Emission rows written", registry=r)
        self.conflicts = Counter(
            "ecohub_hj212_conflicting_resends",
            "Packets that resent stored values with other values (kept in packet_log)",
            registry=r,
        )
        self.messages = Counter(
            "ecohub_hj212_messages_stored", "Non-data messages stored verbatim", registry=r
        )
        self.acks = Counter("ecohub_hj212_answers_sent", "Answers sent to devices", registry=r)
        self.connections = Gauge("ecohub_hj212_connections", "Open device connections", registry=r)
        self.disconnects = Counter(
            "ecohub_hj212_disconnects",
            "Connections closed by the server, by reason",
            ["reason"],
            registry=r,
        )
        self.commit_seconds = Histogram(
            "ecohub_hj212_commit_seconds",
            "Time of one group commit",
            registry=r,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self.batch_packets = Histogram(
            "ecohub_hj212_batch_packets",
            "Packets per group commit",
            registry=r,
            buckets=(1, 5, 10, 50, 100, 250, 500, 1000, 2000, 5000),
        )
        self.queue_depth = Gauge(
            "ecohub_hj212_queue_depth", "Packets waiting for the writer", registry=r
        )
        # Issue 9: what the exchange limits refused or cut short.
        self.refused = Counter(
            "ecohub_hj212_connections_refused",
            "Connections refused at hj212_max_connections",
            registry=r,
        )
        self.raw_bytes = Counter(
            "ecohub_hj212_raw_log_bytes",
            "Raw bytes of bad frames: stored in packet_log, or dropped beyond the raw-log budget",
            ["result"],
            registry=r,
        )
        self.subpackets = Counter(
            "ecohub_hj212_split_uploads",
            "Split uploads (PNUM/PNO) stored, by result (complete, incomplete)",
            ["result"],
            registry=r,
        )
        self.subpackets_open = Gauge(
            "ecohub_hj212_split_uploads_open", "Split uploads waiting for parts", registry=r
        )
        self.write_errors = Counter(
            "ecohub_hj212_write_errors", "Failed group commits (nothing acknowledged)", registry=r
        )
