"""Alert channels as settings (docs/operations.md "Alert channels"): one place alerts go.

Part of the settings object (:mod:`ecohub.settings`, which re-exports :class:`AlertChannel`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

#: A TCP port: 0 (the OS picks a free one) to 65535; anything else is refused, never wrapped.
Port = Annotated[int, Field(ge=0, le=65535)]


class AlertChannel(BaseModel):
    """One place alerts go (docs/operations.md "Alert channels"): a webhook or an SMTP server.

    Secrets (the webhook's signing secret, the SMTP password) live here, in the settings file or
    ``ECOHUB_ALERT_CHANNELS``, never in the store: the platform must be able to use them.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    kind: Literal["webhook", "smtp"]
    min_severity: Literal["low", "medium", "high"] = "low"
    # None: all. A GB/T 2260 code, a key-region id (jjj-2+26) or a loaded basin's / custom
    # region's code or name; checked against the store when the platform starts.
    region: str | None = Field(default=None, pattern=r"^\S(?:[^\x00-\x1f]{0,98}\S)?$")
    # webhook
    url: str | None = Field(default=None, pattern=r"^https?://")
    secret: SecretStr | None = None  # HMAC-SHA256 signing key (X-Ecohub-Signature)
    # smtp
    host: str | None = None
    port: Port = 25
    security: Literal["none", "starttls", "ssl"] = "none"
    username: str | None = None
    password: SecretStr | None = None
    sender: str | None = None
    to: list[str] = Field(default_factory=list)
    timeout_s: float = Field(default=10.0, gt=0, le=120)

    @model_validator(mode="after")
    def _complete(self) -> AlertChannel:
        if self.kind == "webhook" and not self.url:
            raise ValueError(f"channel {self.name}: a webhook needs url")
        if self.kind == "smtp":
            missing = [f for f in ("host", "sender") if not getattr(self, f)]
            if missing or not self.to:
                raise ValueError(f"channel {self.name}: smtp needs {', '.join(missing or ['to'])}")
            if any("@" not in a for a in [self.sender or "", *self.to]):
                raise ValueError(f"channel {self.name}: sender and to must be e-mail addresses")
        return self
