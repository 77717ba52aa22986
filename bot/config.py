"""Settings from the environment and an optional `.env` (pydantic-settings).

Names follow the contract in DESIGN.md; everything has an embedded default except the LINE
credentials, which only `serve` needs.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite:///./data/hitoban.db"


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line meant for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    line_channel_secret: SecretStr | None = None
    line_channel_access_token: SecretStr | None = None
    line_api_base_url: str = "https://api.line.me"
    line_api_data_base_url: str = "https://api-data.line.me"  # LINE's content host (images)
    database_url: str = DEFAULT_DATABASE_URL
    bot_timezone: str = "Asia/Tokyo"
    bot_workers: int = 1  # serve's processes (--workers); one per core spreads a spike
    content_dir: Path = Field(default=REPO_ROOT / "content")
    bot_data_key: SecretStr | None = None  # Fernet key(s): encrypt drafts and state at rest
    log_level: str = "INFO"
    bot_admin_token: SecretStr | None = None  # bearer token for GET /insights in serve
    model_cache_dir: Path | None = Path("data/models")  # trained models, as arrays (no pickle)

    # Webhook handling
    max_body_bytes: int = 1024 * 1024
    seen_event_retention_days: int = 3
    loading_indicator_after_seconds: float = 1.0
    order_window_seconds: float = 0.01
    inbox_sweep_seconds: float = 5  # how often, and after how long, orphaned events are taken

    # Reminders (see the wait-a-night feature)
    morning_hour: int = 8
    morning_min_gap_hours: float = 4
    quiet_start_hour: int = 22
    quiet_end_hour: int = 8
    dispatch_interval_seconds: float = 15
    draft_retention_days: int = 30
    # The morning burst (every draft held overnight comes back at MORNING_HOUR). Pushes in
    # flight at once: enough to reach the rate over LINE's latency (1,800/s × 50 ms = 90).
    dispatch_concurrency: int = Field(default=100, ge=1, le=1000)
    # Pushes per second, shared by the process's dispatchers: LINE allows 2,000 requests/s
    # per endpoint and channel, and asks for a margin under it. With N dispatching processes
    # (`worker`s), give each 1/N; `serve --workers N` divides it by itself.
    dispatch_pushes_per_second: float = Field(default=1800, gt=0)

    @field_validator("bot_data_key")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        from bot.store.crypto import make_cipher

        make_cipher(value.get_secret_value() if value else None)  # raises a clear ValueError
        return value

    @field_validator("bot_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def data_key(self) -> str | None:
        return self.bot_data_key.get_secret_value() if self.bot_data_key else None

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.bot_timezone)

    @property
    def has_line_credentials(self) -> bool:
        return bool(self.line_channel_secret and self.line_channel_access_token)

    def require_line_credentials(self) -> tuple[str, str]:
        """Return (secret, token) or raise ConfigError naming what is missing."""
        missing = [
            name
            for name, value in (
                ("LINE_CHANNEL_SECRET", self.line_channel_secret),
                ("LINE_CHANNEL_ACCESS_TOKEN", self.line_channel_access_token),
            )
            if not (value and value.get_secret_value().strip())
        ]
        if missing:
            raise ConfigError(
                f"{' and '.join(missing)} must be set to serve the LINE webhook "
                "(see .env.example); `python -m bot chat` needs neither"
            )
        assert self.line_channel_secret and self.line_channel_access_token
        return (
            self.line_channel_secret.get_secret_value().strip(),
            self.line_channel_access_token.get_secret_value().strip(),
        )


def require_token(settings: Settings) -> str:
    token = settings.line_channel_access_token
    if not (token and token.get_secret_value().strip()):
        raise ConfigError(
            "LINE_CHANNEL_ACCESS_TOKEN must be set to push reminders (see .env.example)"
        )
    return token.get_secret_value().strip()


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one-line ConfigErrors."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]).upper() or "settings"
        raise ConfigError(f"{field}: {first['msg']}") from None
