"""Runtime configuration: one `Settings` class, read from `PEERHAVEN_*` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["PLACEHOLDER_SECRETS", "Settings", "get_settings"]

# Values people paste from examples; production refuses them.
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "placeholder", "xxx", "todo"}
)
MIN_SECRET_CHARS = 43  # 32 bytes in base64url
MIN_METRICS_TOKEN_CHARS = 32


class Settings(BaseSettings):
    """Every knob of a Peerhaven deployment, with safe embedded defaults.

    Limits (sizes, rates, counts, lifetimes) live here so that operators can see and tune them.
    """

    model_config = SettingsConfigDict(env_prefix="PEERHAVEN_", extra="ignore", frozen=True)

    env: Literal["development", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: str = "sqlite+aiosqlite:///./var/peerhaven.db"
    redis_url: str | None = None
    sqlite_synchronous: Literal["FULL", "NORMAL"] = Field(
        default="FULL",
        description="FULL: each commit is fsynced before it is acknowledged. NORMAL: survives a "
        "process crash, not a power loss; much faster.",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_origin: str | None = Field(
        default=None,
        description="Origin that clients sign into login challenges; defaults to http://host:port.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    access_log: bool = Field(
        default=True,
        description="Log each HTTP request as route template, status and duration (never a "
        "path, id or client address); uvicorn's own access log is always off.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token for GET /metrics (32+ characters); unset: /metrics is off.",
    )

    # Server secrets; generated under data_dir on first start unless given (refused in production
    # when missing or a placeholder).
    franking_secret: SecretStr | None = None
    checkins_secret: SecretStr | None = Field(
        default=None,
        description="Root of the per-institution staff-identifier link keys and of the key "
        "that seals integration credentials at rest (docs/checkins.md).",
    )
    node_key: SecretStr | None = Field(
        default=None,
        description="The node's Ed25519 federation key: a 32-byte seed in base64url. Generated "
        "under data_dir on first start when not given.",
    )
    vapid_private_key: SecretStr | None = Field(
        default=None,
        description="Web Push signing key (RFC 8292): a raw P-256 scalar, 32 bytes base64url.",
    )

    # Lifetimes.
    token_ttl_seconds: int = Field(default=12 * 3600, ge=60, le=30 * 24 * 3600)
    challenge_ttl_seconds: int = Field(default=120, ge=10, le=3600)
    invite_ttl_hours: int = Field(default=14 * 24, ge=1, le=90 * 24)

    # Limits.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    auth_attempts_per_minute: int = Field(default=20, ge=1)
    registrations_per_hour: int = Field(default=20, ge=1)
    request_changes_per_hour: int = Field(
        default=30, ge=1, description="Support requests opened + cancelled per account per hour."
    )
    max_open_invites_per_institution: int = Field(default=500, ge=1)

    # Support requests, offers and rooms.
    offer_ttl_seconds: int = Field(default=600, ge=1, le=7 * 24 * 3600)
    offer_sweep_seconds: float = Field(
        default=5.0, ge=0, le=3600, description="How often expired offers move on; 0 disables."
    )
    match_candidates: int = Field(default=5, ge=1, le=100)
    match_pool_warm: bool = Field(
        default=True,
        description="Build every network's supporter pool at startup (else on first use).",
    )
    match_pool_refresh_seconds: float = Field(
        default=3600.0,
        ge=0,
        le=7 * 24 * 3600,
        description="Rebuild the in-memory supporter pools this often, a safety net for "
        "changes made outside the server (e.g. by hand in the database); 0: never.",
    )
    batch_window_seconds: float = Field(
        default=0.0,
        ge=0,
        le=3600,
        description="Pool routine requests and assign them jointly this often; 0: off.",
    )
    waiting_retry_seconds: float = Field(
        default=60.0,
        ge=0,
        le=3600,
        description="How often waiting ('keep looking for me') requests are tried again; 0: only "
        "when a supporter becomes available or a room ends",
    )
    waiting_max_seconds: int = Field(
        default=24 * 3600, ge=60, le=14 * 24 * 3600, description="A waiting request ends after this"
    )
    max_one_time_prekeys: int = Field(default=100, ge=1, le=1000)
    prekeys_low_threshold: int = Field(
        default=5,
        ge=0,
        le=1000,
        description="Notify a member (`prekeys_low`) when a claim leaves fewer unclaimed "
        "one-time prekeys than this; 0: never.",
    )
    crisis_resources: tuple[str, ...] = (
        "If you are in immediate danger, call your local emergency number.",
        "US: call or text 988 (Suicide & Crisis Lifeline), any time.",
        "US: Physician Support Line 1-888-409-0141 (free, confidential, for physicians).",
    )

    quick_exit_url: str = Field(
        default="about:blank",
        pattern=r"^(https://\S+|about:blank)$",
        description="Where the web client's quick exit goes: a neutral https page",
    )

    # The relay (WebSocket /ws, docs/protocol.md section 13).
    max_envelope_bytes: int = Field(default=98_304, ge=1024, le=1 << 20)
    ws_max_frame_bytes: int = Field(default=131_072, ge=1024, le=4 << 20)
    ws_messages_per_second: float = Field(default=20.0, gt=0)
    ws_burst: int = Field(default=60, ge=1)
    ws_connections_per_account: int = Field(default=5, ge=1)
    ws_unauthenticated_per_address: int = Field(
        default=32,
        ge=1,
        description="Sockets one client address may hold open before they authenticate (per "
        "worker); more are closed with 4008.",
    )
    ws_auth_timeout_seconds: float = Field(default=10.0, gt=0)
    ws_session_check_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How often a worker re-checks the tokens of all its open sockets in one "
        "query (revoked, account disabled), in case the pub/sub message that ends one was lost.",
    )
    ws_protocol_log_interval_seconds: float = Field(
        default=60.0,
        ge=0,
        description="At most one INFO line per interval for sockets that break the WebSocket "
        "protocol (invalid UTF-8); the line counts the ones it stands for.",
    )
    ws_sync_batch: int = Field(default=200, ge=1, le=5000)
    pubsub_inbox_size: int = Field(default=256, ge=1)
    mailbox_retention_seconds: int = Field(default=30 * 24 * 3600, ge=60)
    report_window_seconds: int = Field(default=90 * 24 * 3600, ge=60)
    relay_sweep_seconds: float = Field(default=60.0, ge=0, description="0: no sweeper")
    relay_group_commit: bool = Field(
        default=True, description="Commit concurrent sends and acks together (one commit a batch)"
    )
    relay_max_batch: int = Field(default=256, ge=1, le=10_000)

    # Moderation (docs/moderation.md): acknowledgement deadlines per category, for each tier.
    moderation_ack_crisis_seconds: float = Field(default=60.0, gt=0, le=24 * 3600)
    moderation_ack_harassment_seconds: float = Field(default=15 * 60.0, gt=0, le=7 * 24 * 3600)
    moderation_ack_patient_safety_seconds: float = Field(default=30 * 60.0, gt=0, le=7 * 24 * 3600)
    moderation_ack_other_seconds: float = Field(default=4 * 3600.0, gt=0, le=7 * 24 * 3600)
    moderation_poll_seconds: float = Field(
        default=0.25, ge=0, le=60, description="How often due deadlines are looked for; 0: off."
    )
    max_sealed_report_bytes: int = Field(default=48 * 1024, ge=1024, le=1 << 20)
    max_open_flags_per_member: int = Field(
        default=5, ge=1, le=100, description="Unresolved flags one member may have on one room."
    )
    crisis_tiers: tuple[str, str, str] = (
        "Talk to a peer: ask for support in Peerhaven, or stay with your peer in this room.",
        "Your employee assistance program: confidential counselling, through your institution.",
        "In crisis now: call or text 988 (US), or your local emergency number.",
    )
    crisis_tiers_by_network: dict[str, tuple[str, str, str]] = Field(
        default_factory=dict,
        description="Per network slug: its own peer / employee assistance / crisis line texts.",
    )

    # Check-ins after adverse events (docs/checkins.md).
    checkin_delay_seconds: int = Field(
        default=2 * 3600,
        ge=0,
        le=72 * 3600,
        description="From a reported event to the private check-in offer (24-72 h programmes).",
    )
    checkin_reminder_seconds: int = Field(
        default=24 * 3600,
        ge=0,
        le=14 * 24 * 3600,
        description="After 'Not now', the one reminder comes this much later.",
    )
    checkin_sweep_seconds: float = Field(
        default=30.0, ge=0, le=3600, description="How often due check-ins are offered; 0: off."
    )
    intake_replay_window_seconds: int = Field(
        default=300,
        ge=10,
        le=3600,
        description="A signed intake request older or newer than this is refused.",
    )
    intake_max_participants: int = Field(default=100, ge=1, le=10_000)
    max_integration_credentials: int = Field(default=20, ge=1, le=1000)
    aggregate_min_count: int = Field(
        default=5,
        ge=1,
        le=100,
        description="k: every aggregate count below it is shown as 'fewer than k'.",
    )
    team_baseline_weeks: int = Field(default=12, ge=2, le=104)
    team_min_baseline: int = Field(
        default=4, ge=2, le=1000, description="Baseline observations a signal needs to be scored."
    )
    team_weight_after_hours: float = Field(default=0.5, ge=0, le=10)
    team_weight_adverse_events: float = Field(default=0.3, ge=0, le=10)
    team_weight_census: float = Field(default=0.2, ge=0, le=10)
    team_threshold: float = Field(
        default=2.0, ge=0, le=100, description="A team whose score reaches this is flagged."
    )

    # Federation (docs/federation.md). The node's name is `origin`.
    federation_signature_window_seconds: int = Field(
        default=300, ge=10, le=3600,
        description="A signed server-to-server request older (or further ahead) than this is "
        "refused; nonces are remembered twice as long.",
    )  # fmt: skip
    federation_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    federation_max_body_bytes: int = Field(default=1 << 20, ge=1024, le=16 << 20)
    federation_availability_seconds: float = Field(
        default=60.0, ge=0, le=24 * 3600,
        description="How often to send availability counts to peers; 0: off",
    )  # fmt: skip
    federation_forward_below_score: float = Field(
        default=0.25, ge=0, le=1,
        description="Forward a request to a peer node when no local supporter is feasible or "
        "the best local score is below this.",
    )  # fmt: skip
    federation_forward_timeout_seconds: float = Field(
        default=900.0, gt=0, le=7 * 24 * 3600,
        description="How long a request forwarded to a peer node waits for the peer's answer "
        "(room or given up); then it falls back to the next peer, else as a local request.",
    )  # fmt: skip
    federation_forward_sweep_seconds: float = Field(
        default=5.0, ge=0, le=3600,
        description="How often forwarded requests past their deadline are looked for; 0: off",
    )  # fmt: skip
    federation_outbox_seconds: float = Field(
        default=1.0, ge=0, le=3600,
        description="How often the outbox is polled besides being woken by new work; 0: off",
    )  # fmt: skip
    federation_outbox_batch: int = Field(default=100, ge=1, le=1000)
    federation_outbox_workers: int = Field(
        default=1, ge=1, le=32, description="Outbox workers per process (they share by lease)"
    )
    federation_outbox_lease_seconds: float = Field(default=30.0, gt=0, le=3600)
    federation_retry_base_seconds: float = Field(default=0.5, gt=0, le=600)
    federation_retry_max_seconds: float = Field(default=60.0, gt=0, le=24 * 3600)

    # Web Push (server.push): what reaches a lock screen carries no content and no pseudonym.
    push_enabled: bool = Field(default=True, description="Send Web Push notifications")
    vapid_subject: str | None = Field(
        default=None,
        description="VAPID contact (mailto: or https: URL); defaults to the public origin when it "
        "is https, else a mailto: of the .invalid domain.",
    )
    push_ttl_seconds: int = Field(default=600, ge=0, le=7 * 24 * 3600)
    push_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    push_message_delay_seconds: float = Field(
        default=5.0,
        ge=0,
        le=600,
        description="'New message' is pushed only for a delivery still unread after this long",
    )
    push_message_cooldown_seconds: float = Field(
        default=60.0,
        ge=0,
        le=3600,
        description="At most one 'New message' push per account this often",
    )
    push_max_subscriptions_per_account: int = Field(default=5, ge=1, le=50)
    push_https_only: bool = Field(
        default=True, description="Refuse push endpoints that are not https:// URLs"
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.env == "production":
            for name, given in (
                ("FRANKING_SECRET", self.franking_secret),
                ("CHECKINS_SECRET", self.checkins_secret),
            ):
                secret = given.get_secret_value() if given else ""
                if secret.lower() in PLACEHOLDER_SECRETS or len(secret) < MIN_SECRET_CHARS:
                    raise ValueError(
                        f"production mode needs PEERHAVEN_{name}: at least 32 random bytes "
                        "(43+ base64url characters), not a placeholder"
                    )
        return self

    @model_validator(mode="after")
    def _refuse_weak_metrics_token(self) -> Settings:
        if self.metrics_token is not None:
            token = self.metrics_token.get_secret_value()
            if token.lower() in PLACEHOLDER_SECRETS or len(token) < MIN_METRICS_TOKEN_CHARS:
                raise ValueError(
                    f"PEERHAVEN_METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_CHARS} random "
                    "characters, not a placeholder"
                )
        return self

    @property
    def origin(self) -> str:
        """The origin bound into login and registration signatures."""
        return self.public_origin or f"http://{self.host}:{self.port}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, read once (tests build their own `Settings`)."""
    return Settings()
