"""Settings read from the environment (prefix BIZEXT_); read only at the edges (CLI, app factory)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BIZEXT_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./bizext.db",
        description="SQLAlchemy URL: sqlite:///path.db (embedded) or postgresql+psycopg://user@host/db",
    )
    admin_token: str | None = Field(
        default=None,
        description="When set, a bearer token accepted as an admin (bootstrap and automation).",
    )
    db_pool_size: int = Field(default=10, ge=1)
    idempotency_ttl: int = Field(default=86_400, gt=0, description="seconds an Idempotency-Key is kept")
    session_ttl: int = Field(default=8 * 3600, gt=0,
                             description="seconds a session (a token from POST /v1/sessions) lasts: a working day")
    webhook_allow_private: bool = Field(
        default=False, description="allow webhook URLs on loopback, link-local or private addresses (tests, labs)")
    delivery_interval: float = Field(default=1.0, gt=0, description="seconds between webhook delivery rounds")
    sweep_interval: float = Field(default=60.0, gt=0, description="seconds between escalation sweeps")
    page_limit_max: int = Field(default=200, ge=1)
