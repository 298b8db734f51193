"""The one settings object. Only this module reads the environment (prefix ``CITYBRAIN_``)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Runtime configuration; every field can be set as ``CITYBRAIN_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="CITYBRAIN_", extra="ignore")

    db: Path = Field(default=PROJECT_ROOT / "var" / "citybrain.duckdb",
                     description="Path of the DuckDB store file readers open.")
    datasets_dir: Path = Field(default=PROJECT_ROOT / "datasets",
                               description="Folder with one sub-folder per curated dataset.")
    host: str = Field(default="127.0.0.1", description="Address the server listens on.")
    port: int = Field(default=8050, ge=1, le=65535, description="Port the server listens on.")
    workers: int = Field(default=2, ge=1, le=64, description="gunicorn worker processes.")
    region: str = Field(default="330225", description="Default region (6-digit adcode).")
    lang: str = Field(default="zh", description="Default interface language: zh or en.")
    cache: str = Field(default="filesystem",
                       description="'filesystem' (shared by workers on one host), 'simple', "
                                   "'null', or a redis:// URL for several hosts.")
    cache_dir: Path = Field(default=PROJECT_ROOT / "var" / "cache",
                            description="Folder of the filesystem cache.")
    seed: int = Field(default=20260101, description="Seed of the simulated datasets.")
    sim_anchor: datetime | None = Field(
        default=None,
        description="The store's 'now' for simulated feeds (China Standard Time, naive). "
                    "Default: build time floored to 5 minutes.")
    clock: datetime | None = Field(
        default=None,
        description="A fixed wall clock (China Standard Time, naive) freshness is judged at, for replays and "
                    "tests. Default: the real time.")
    log_level: str = Field(default="INFO", description="Python logging level.")
    ops_db: str | None = Field(
        default=None,
        description="The operational database (alarm states, work orders): a SQLAlchemy URL such as "
                    "postgresql+psycopg://user@host/db (postgresql:// is read the same). Default: SQLite "
                    "<db folder>/ops.sqlite (WAL).")
    ops_photo_dir: Path | None = Field(
        default=None,
        description="Folder of work-order photos (files named by their SHA-256). Default: <db folder>/ops-photos.")
    ops_photo_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024,
                                     description="Largest work-order photo accepted (bytes; 413 above).")
    auth: Literal["off", "local", "header"] = Field(
        default="off", description="off (first run), local (own users and login page) or header (trust a "
                                   "gateway's SSO header from trusted proxies only).")
    auth_off_role: str = Field(default="analyst", description="Role of every caller when auth is off.")
    auth_user_header: str = Field(default="X-Remote-User", description="SSO header naming the user (header mode).")
    auth_role_header: str = Field(default="X-Remote-Role", description="SSO header naming the role (header mode).")
    auth_groups_header: str = Field(default="X-Remote-Groups",
                                    description="SSO header listing the user's gateway groups, comma separated.")
    trusted_proxies: list[str] = Field(default=[],
                                       description="Addresses/networks whose SSO headers are trusted (JSON list). "
                                                   "Empty by default; header mode refuses to start without one.")
    sso_role_map: dict[str, str] = Field(
        default={}, description="Role of SSO callers (header mode), JSON object: 'user:NAME' or 'group:NAME' -> "
                                "role. A user entry wins; among groups the strongest role wins.")
    sso_default_role: str | None = Field(default=None, description="Role of SSO callers the map does not name "
                                                                   "(default: none, they are refused).")
    sso_trust_role_header: bool = Field(default=False, description="Opt-in: take the role from auth_role_header "
                                                                   "(only if the gateway sets it itself).")
    session_idle_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60,
                                      description="A session unused this long ends (minutes).")
    session_max_hours: int = Field(default=12, ge=1, le=24 * 31,
                                   description="A session ends this long after sign-in, used or not (hours).")
    login_user_attempts: int = Field(default=5, ge=1, le=1000,
                                     description="Sign-in attempts per user name before 429 (a token bucket).")
    login_user_refill_seconds: float = Field(default=60.0, gt=0, le=86400,
                                             description="Seconds for one more attempt per user name.")
    login_addr_attempts: int = Field(default=20, ge=1, le=10000,
                                     description="Sign-in attempts per client address before 429.")
    login_addr_refill_seconds: float = Field(default=6.0, gt=0, le=86400,
                                             description="Seconds for one more attempt per client address.")
    role_read_rows: dict[str, int] = Field(
        default={"wall": 0, "leader": 500},
        description="Bulk-read rule: rows of one listing a role may read through JSON pages (JSON object; roles "
                    "not named read api_max_rows per page, any number of pages). File exports: export_roles.")
    access_log: str = Field(default="-", description="gunicorn access log ('-' = stdout); wall tokens redacted.")
    auth_department_header: str = Field(default="X-Remote-Department",
                                        description="SSO header naming a handler's department (header mode).")
    wall_tokens: list[str] = Field(default=[], description="Read-only wall display tokens (JSON list).")
    users_file: Path | None = Field(default=None, description="Local users (default: <db folder>/users.json).")
    secret_key: str | None = Field(default=None, description="Session signing key (default: generated once "
                                                             "into <db folder>/secret_key).")
    cookie_secure: bool = Field(default=True, description="Send the session cookie over HTTPS only "
                                                          "(browsers also accept it from localhost).")
    role_clearance: dict[str, Literal["public", "internal", "restricted"]] = Field(
        default={"wall": "internal", "leader": "internal", "analyst": "internal", "duty": "internal",
                 "handler": "internal", "admin": "restricted"},
        description="Highest classification each role may see (JSON object); defines the roles.")
    export_roles: list[str] = Field(default=["analyst", "admin"], description="Roles allowed to export.")
    api_max_rows: int = Field(default=10000, ge=1, le=1_000_000,
                              description="Largest JSON page of the API (CSV/Parquet streams are not capped).")
    escalation_minutes: dict[str, list[int]] = Field(
        default={"alarm": [15, 60], "warning": [60, 240], "water:alarm": [10, 30], "emergency:alarm": [10, 30],
                 "typhoon:alarm": [10, 30]},
        description="Escalation of unacknowledged alarms (JSON object): 'SEVERITY' or 'DOMAIN:SEVERITY' -> the "
                    "minutes without acknowledgement at which level 1, 2, ... is reached (increasing). The most "
                    "specific key wins; a severity no key names never escalates.")
    public_url: str | None = Field(default=None, description="The address users open the app at, for links in "
                                                             "notifications (default: http://<host>:<port>).")
    notify_webhook_url: str | None = Field(default=None, description="Webhook notified of escalations and urgent "
                                                                     "work orders (JSON POST); none by default.")
    notify_webhook_format: Literal["json", "dingtalk"] = Field(
        default="json", description="Body of the webhook: 'json' (kind, title, text, link, region, items) or "
                                    "'dingtalk' (a DingTalk/浙政钉 robot's markdown message).")
    notify_webhook_secret: str | None = Field(default=None, description="A DingTalk robot's signing secret "
                                                                        "(adds timestamp and sign to the URL).")
    smtp_host: str | None = Field(default=None, description="SMTP server for notification e-mail; none by default.")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP port.")
    smtp_from: str | None = Field(default=None, description="Sender address of notification e-mail.")
    smtp_to: list[str] = Field(default=[], description="Recipients of notification e-mail (JSON list).")
    smtp_user: str | None = Field(default=None, description="SMTP user name (login only when set).")
    smtp_password: str | None = Field(default=None, description="SMTP password.")
    smtp_starttls: bool = Field(default=False, description="Upgrade the SMTP connection with STARTTLS.")
    notify_timeout_seconds: float = Field(default=10.0, gt=0, le=120,
                                          description="Time limit of one delivery (webhook or e-mail), seconds.")
    history_days: int = Field(default=7, ge=1, le=400,
                              description="Days of simulated history of the high-rate series (vessel positions, "
                                          "traffic counts) a build makes (`citybrain build --days N`).")
    feed_max_bytes: int = Field(default=64 * 1024 * 1024, ge=1024, le=1 << 40,
                                description="Largest body of one HTTP feed push (bytes); larger ones get 413.")
    mqtt_broker: str | None = Field(default=None, description="MQTT broker of live feeds, mqtt://HOST:PORT "
                                                               "(`citybrain subscribe`, `simulate --via mqtt`).")
    mqtt_user: str | None = Field(default=None, description="MQTT user name.")
    mqtt_password: str | None = Field(default=None, description="MQTT password.")
    warm: bool = Field(default=True,
                       description="Under gunicorn, run a warmer beside the workers: each new data version is "
                                   "served once the pages and wall panels watched lately are rebuilt for it "
                                   "(citybrain.warm), so no request waits for a rebuild.")
    warm_lag_s: float = Field(default=8.0, ge=0.5, le=60,
                              description="Longest a new data version waits for the warmer before the workers "
                                          "serve it anyway (seconds).")
    served: Path | None = Field(default=None,
                                description="Set by the server for its workers: the pointer file its warmer "
                                            "publishes versions in (citybrain.warm.served).")
    warm_dir: Path | None = Field(default=None,
                                  description="Set by the server for its workers: the folder where they note what "
                                              "people watch, for the warmer (citybrain.warm.notes).")
    cache_check: bool = Field(default=False,
                              description="Tests only: rebuild every cache hit and fail when it differs (a cached "
                                          "query that reads a facet it does not declare).")
    test_ingest_pause: float = Field(default=0.0, ge=0, le=600,
                                     description="Tests only: seconds an ingest pauses after writing its batch "
                                                 "and before switching readers (to kill it mid-way).")

    @field_validator("region")
    @classmethod
    def _adcode(cls, v: str) -> str:
        if not (len(v) == 6 and v.isdigit()):
            raise ValueError("region must be a 6-digit adcode, e.g. 330225")
        return v

    @field_validator("escalation_minutes")
    @classmethod
    def _escalation(cls, v: dict[str, list[int]]) -> dict[str, list[int]]:
        for key, steps in v.items():
            sev = key.rsplit(":", 1)[-1]
            if sev not in ("alarm", "warning"):
                raise ValueError(f"escalation_minutes key {key!r}: SEVERITY or DOMAIN:SEVERITY, severity alarm "
                                 "or warning")
            if any(m <= 0 for m in steps) or list(steps) != sorted(set(steps)):
                raise ValueError(f"escalation_minutes[{key!r}]: positive minutes, increasing, e.g. [15, 60]")
        return v

    @field_validator("lang")
    @classmethod
    def _lang(cls, v: str) -> str:
        if v not in ("zh", "en"):
            raise ValueError("lang must be 'zh' or 'en'")
        return v


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once from the environment)."""
    return Settings()
