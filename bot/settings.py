"""Configuration from the environment (and `.env`), with the contract's names and defaults."""

from __future__ import annotations

import secrets
from datetime import time, timedelta
from pathlib import Path

import yaml
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from conversations.i18n import available_languages
from conversations.safeguarding import Screen
from conversations.types import Community, EngineConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A setting is missing or unsafe; the message says which and how to fix it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./elc.db"
    # Connections each process keeps open. Above this many requests at once, extra ones are
    # opened and closed per request (a new PostgreSQL backend each time), so size it to the
    # web process's concurrent webhooks; 10 more may open briefly beyond it.
    database_pool_size: int = Field(default=20, ge=1)
    secret_key: str | None = None
    environment: str = "development"
    timezone: str = "Europe/London"
    public_base_url: str | None = None
    telegram_bot_token: str | None = None
    telegram_webhook_secret: str | None = None
    # Accepted as well while set, so a secret or token can be rotated with no refused request.
    telegram_webhook_secret_previous: str | None = None
    telegram_api_base_url: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_auth_token_previous: str | None = None
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base_url: str | None = None
    quiet_hours: str = "20:00-08:00"
    default_community: str = "bettws"
    communities_file: Path = PROJECT_ROOT / "config" / "communities.yaml"
    safeguarding_file: Path = PROJECT_ROOT / "config" / "safeguarding.yaml"
    privacy_notice_version: str = "2026-11"
    privacy_notice_url: str | None = None
    privacy_contact: str = ""  # MYDATA tells parents this for a full copy of their data
    secret_key_file: Path = Field(default=Path(".elc-secret"))
    telegram_rate: float = 30.0  # messages a second, all workers together
    twilio_mps: float = 10.0  # Twilio's messages a second for the sender (10 on a UK long code)
    outbox_lease_seconds: float = 60.0
    outbox_max_attempts: int = Field(default=6, ge=1)  # then a failing message is failed
    outbox_retry_seconds: float = Field(default=5.0, gt=0)  # the first retry's wait; doubles
    # Batches of webhooks each web process receives at once (bot/group_commit.py): one is best
    # beside the database; a few more where each round trip to it takes a millisecond or more.
    inbound_batches: int = Field(default=1, ge=1)
    inbound_sweep_seconds: float = Field(default=15.0, gt=0)  # finish messages a crash left
    clock_interval_seconds: int = Field(default=60, ge=1)  # 60: at the start of every minute
    clock_standby_retry_seconds: float = Field(default=5.0, gt=0)  # a standby clock's retry
    # A launched consultation is fanned out this many contacts per transaction, chunk after
    # chunk, for at most this long per clock pass (the next pass carries on).
    consultation_fanout_chunk: int = Field(default=2000, ge=1)
    consultation_fanout_seconds: float = Field(default=45.0, gt=0)
    small_cell_threshold: int = Field(default=5, ge=1)  # results hide counts below it
    sms_price_pence: float = Field(default=4.0, ge=0)  # one SMS segment; the dashboard's cost
    # Retention, in days; 0 keeps forever (docs/privacy.md).
    retention_message_bodies_days: int = Field(default=365, ge=0)
    retention_free_text_days: int = Field(default=180, ge=0)
    retention_inactive_contact_days: int = Field(default=730, ge=0)
    retention_hour: int = Field(default=2, ge=0, le=23)  # the nightly run, local time

    @property
    def outbox_lease(self) -> timedelta:
        return timedelta(seconds=self.outbox_lease_seconds)

    @property
    def telegram_mode(self) -> str:
        """'off', 'webhook' (with PUBLIC_BASE_URL) or 'polling' (development)."""
        if not self.telegram_bot_token:
            return "off"
        return "webhook" if self.public_base_url else "polling"

    @field_validator("quiet_hours")
    @classmethod
    def _valid_quiet_hours(cls, value: str) -> str:
        parse_quiet_hours(value)
        return value

    @model_validator(mode="after")
    def _production_is_safe(self) -> Settings:
        if self.environment == "production":
            if not self.secret_key:
                raise ValueError("SECRET_KEY is required when ENVIRONMENT=production")
            if self.public_base_url and not self.public_base_url.startswith("https://"):
                raise ValueError("PUBLIC_BASE_URL must be https when ENVIRONMENT=production")
            if (
                self.telegram_bot_token
                and self.public_base_url
                and not self.telegram_webhook_secret
            ):
                raise ValueError("TELEGRAM_WEBHOOK_SECRET is required for webhook mode")
        return self

    @property
    def quiet_window(self) -> tuple[time, time]:
        return parse_quiet_hours(self.quiet_hours)

    @property
    def notice_url(self) -> str:
        if self.privacy_notice_url:
            return self.privacy_notice_url
        base = (self.public_base_url or "http://127.0.0.1:8000").rstrip("/")
        return f"{base}/privacy"

    def resolved_secret_key(self) -> str:
        """SECRET_KEY, or in development one generated once and kept in a local file."""
        if self.secret_key:
            return self.secret_key
        path = self.secret_key_file
        if path.exists():
            return path.read_text().strip()
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key

    def communities(self) -> dict[str, Community]:
        return load_communities(self.communities_file)

    def engine_config(self) -> EngineConfig:
        communities = self.communities()
        if self.default_community not in communities:
            raise ConfigError(
                f"DEFAULT_COMMUNITY {self.default_community!r} is not in {self.communities_file}"
            )
        return EngineConfig(
            communities=communities,
            default_community=self.default_community,
            privacy_notice_version=self.privacy_notice_version,
            privacy_notice_url=self.notice_url,
            languages=available_languages(),
            safeguarding=load_safeguarding(self.safeguarding_file),
            privacy_contact=self.privacy_contact.strip(),
            signposting=load_signposting(self.safeguarding_file),
        )


def parse_quiet_hours(value: str) -> tuple[time, time]:
    """'20:00-08:00' -> (20:00, 08:00); the window may wrap past midnight."""
    try:
        start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError as error:
        raise ValueError(f"QUIET_HOURS must look like 20:00-08:00, not {value!r}") from error
    return start, end


def load_communities(path: Path) -> dict[str, Community]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"cannot read communities from {path}: {error}") from error
    languages = set(available_languages())
    result: dict[str, Community] = {}
    for entry in (raw or {}).get("communities", []):
        community = Community(
            id=str(entry["id"]),
            name=str(entry["name"]),
            nation=str(entry["nation"]),
            languages=tuple(entry["languages"]),
            timezone=str(entry.get("timezone", "Europe/London")),
        )
        missing = [lang for lang in community.languages if lang not in languages]
        if missing:
            raise ConfigError(
                f"community {community.id!r} uses {missing} with no catalog in locales/"
            )
        result[community.id] = community
    return result


def load_safeguarding(path: Path) -> Screen:
    """The safeguarding word lists: `terms: {language: [word or phrase, ...]}`."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"cannot read safeguarding lists from {path}: {error}") from error
    terms = raw.get("terms") if isinstance(raw, dict) else None
    if not isinstance(terms, dict) or not all(
        isinstance(words, list) and all(isinstance(w, str) for w in words)
        for words in terms.values()
    ):
        raise ConfigError(f"{path}: expected 'terms:' with a list of words for each language")
    return Screen.of({str(lang): words for lang, words in terms.items()})


def load_signposting(path: Path) -> dict[str, str]:
    """The signposting message per language: `signposting: {language: text}` (optional)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"cannot read safeguarding lists from {path}: {error}") from error
    texts = raw.get("signposting") if isinstance(raw, dict) else None
    if texts is None:
        return {}
    if not isinstance(texts, dict) or not all(
        isinstance(text, str) and text.strip() for text in texts.values()
    ):
        raise ConfigError(f"{path}: expected 'signposting:' with a text for each language")
    return {str(lang): text.strip() for lang, text in texts.items()}
