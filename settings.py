"""Configuration, read once from the environment (see the table in README.md)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


def _load_secret(data_dir: Path) -> str:
    """The secret from the data dir, created (mode 0600) on first run."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _origins(value: str) -> tuple[str, ...]:
    """`CORS_ALLOW_ORIGINS`: comma-separated origins (`https://app.example.com`), or `*`."""
    return tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())


def sqlite_url(path: Path, synchronous: str = "FULL") -> str:
    return f"sqlite://{path}?journal_mode=WAL&synchronous={synchronous}"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    jwt_ttl_seconds: int = 30 * 24 * 3600
    max_body_bytes: int = 30 * 1024 * 1024
    graphql_max_depth: int = 12
    graphql_max_aliases: int = 30
    graphql_max_tokens: int = 5000
    # GraphQL cost limits (docs/graphql.md "Limits")
    graphql_max_body_bytes: int = 1024 * 1024
    graphql_max_document_chars: int = 100_000
    graphql_max_cost: int = 25_000
    graphql_cost_per_minute: int = 1_000_000
    graphql_timeout_seconds: float = 10.0
    # scheme://host[:port] of absolute URLs; unset: each request's own (rest/origin.py)
    public_base_url: str = ""
    # nephthys dialect (docs/nephthys.md)
    nephthys_public: bool = False
    nephthys_link_template: str = "{base_url}/api/ticket?id={id}"
    stats_cache_seconds: float = 0.0
    # rate limits (docs/platform_v1.md): memory:// or redis://host:port
    rate_limit_storage: str = "memory://"
    rate_limit_prefix: str = "ticketgate"  # Redis keys: one per deployment sharing a Redis
    # proxies whose X-Forwarded-For/-Proto are believed (uvicorn's list syntax); none by default
    forwarded_allow_ips: str = ""
    # how long a process trusts a cached credential (docs/architecture.md); 0: no cache
    credential_cache_seconds: float = 5.0
    # the request budget per user, shared by every door ("N/second|minute|hour|day");
    # raised only by benchmarks (docs/security.md)
    rate_limit_standard: str = "100/minute"
    rate_limit_premium: str = "300/minute"
    # webhooks (docs/platform_v1.md)
    webhooks_allow_private: bool = False
    webhooks_enabled: bool = True
    # helpdesk custom fields, a JSON list (docs/helpdesk.md)
    helpdesk_custom_fields: str = "[]"
    # browsers (docs/graphql.md "Browsers"): origins allowed to call every door; none = no CORS
    cors_allow_origins: tuple[str, ...] = ()
    graphiql_enabled: bool = True
    introspection_enabled: bool = True
    # automatic persisted queries kept per process; a trusted-documents manifest (JSON file)
    graphql_persisted_queries: int = 1000
    graphql_trusted_documents: str = ""
    # subscriptions: how often the event table is read while someone listens (seconds)
    subscription_poll_seconds: float = 0.5
    # operations (docs/operations.md): metrics, shutdown
    metrics_enabled: bool = True  # collect; `/metrics` is served only with a metrics_token
    metrics_token: str = ""
    shutdown_timeout: float = 30.0

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("TICKETGATE_DATA_DIR") or "./data").resolve()
        database_url = env.get("DATABASE_URL") or sqlite_url(
            data_dir / "ticketgate.sqlite3", env.get("SQLITE_SYNCHRONOUS", "FULL")
        )
        if database_url.startswith("sqlite"):
            data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            secret_key=env.get("TICKETGATE_SECRET_KEY") or _load_secret(data_dir),
            jwt_ttl_seconds=int(env.get("JWT_TTL_SECONDS", cls.jwt_ttl_seconds)),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", cls.max_body_bytes)),
            graphql_max_cost=int(env.get("GRAPHQL_MAX_COST", cls.graphql_max_cost)),
            graphql_cost_per_minute=int(
                env.get("GRAPHQL_COST_PER_MINUTE", cls.graphql_cost_per_minute)
            ),
            graphql_timeout_seconds=float(
                env.get("GRAPHQL_TIMEOUT_SECONDS", cls.graphql_timeout_seconds)
            ),
            public_base_url=env.get("PUBLIC_BASE_URL", cls.public_base_url).rstrip("/"),
            nephthys_public=_flag(env.get("NEPHTHYS_PUBLIC"), cls.nephthys_public),
            nephthys_link_template=env.get("NEPHTHYS_LINK_TEMPLATE", cls.nephthys_link_template),
            stats_cache_seconds=float(env.get("STATS_CACHE_SECONDS", cls.stats_cache_seconds)),
            rate_limit_storage=env.get("REDIS_URL") or cls.rate_limit_storage,
            rate_limit_prefix=env.get("RATE_LIMIT_PREFIX") or cls.rate_limit_prefix,
            forwarded_allow_ips=env.get("FORWARDED_ALLOW_IPS", cls.forwarded_allow_ips),
            credential_cache_seconds=float(
                env.get("CREDENTIAL_CACHE_SECONDS", cls.credential_cache_seconds)
            ),
            rate_limit_standard=env.get("RATE_LIMIT_STANDARD") or cls.rate_limit_standard,
            rate_limit_premium=env.get("RATE_LIMIT_PREMIUM") or cls.rate_limit_premium,
            webhooks_allow_private=_flag(
                env.get("WEBHOOKS_ALLOW_PRIVATE"), cls.webhooks_allow_private
            ),
            webhooks_enabled=_flag(env.get("WEBHOOKS_ENABLED"), cls.webhooks_enabled),
            helpdesk_custom_fields=env.get("HELPDESK_CUSTOM_FIELDS", cls.helpdesk_custom_fields),
            cors_allow_origins=_origins(env.get("CORS_ALLOW_ORIGINS", "")),
            graphiql_enabled=_flag(env.get("GRAPHIQL_ENABLED"), cls.graphiql_enabled),
            introspection_enabled=_flag(
                env.get("INTROSPECTION_ENABLED"), cls.introspection_enabled
            ),
            graphql_persisted_queries=int(
                env.get("GRAPHQL_PERSISTED_QUERIES", cls.graphql_persisted_queries)
            ),
            graphql_trusted_documents=env.get("GRAPHQL_TRUSTED_DOCUMENTS", ""),
            subscription_poll_seconds=float(
                env.get("SUBSCRIPTION_POLL_SECONDS", cls.subscription_poll_seconds)
            ),
            metrics_enabled=_flag(env.get("METRICS_ENABLED"), cls.metrics_enabled),
            metrics_token=env.get("METRICS_TOKEN", cls.metrics_token),
            shutdown_timeout=float(env.get("SHUTDOWN_TIMEOUT", cls.shutdown_timeout)),
        )
