"""Configuration: a TOML file read by pydantic-settings; POSOM_<SECTION>__<KEY> overrides any key.

`load_settings` is the only entry point; it turns every problem into one `ConfigError` line that
names the file and the key, so the CLI can print it and exit with code 2 without a traceback.
"""

from __future__ import annotations

import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict, TomlConfigSettingsSource

from bot.durations import format_duration, parse_duration
from storage.models import Address

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "Area",
    "BackupSettings",
    "CalloutSettings",
    "ConfigError",
    "DebriefOption",
    "DebriefQuestion",
    "DebriefSettings",
    "HealthSettings",
    "HeartbeatSettings",
    "IncidentKind",
    "IntakeSettings",
    "ReplicationSettings",
    "RetentionSettings",
    "ServiceSettings",
    "Settings",
    "ShiftSettings",
    "SignalSettings",
    "Skill",
    "StorageSettings",
    "TrainingSettings",
    "Wave",
    "load_settings",
]

DEFAULT_CONFIG_PATH = Path("config.toml")
LOCALES = ("sv", "en")
# Telegram calls webhooks only on these ports (https://core.telegram.org/bots/api#setwebhook).
WEBHOOK_PORTS = (443, 80, 88, 8443)
# An area or kind key travels in choice ids ("x1:area:KEY", at most 64 bytes in all).
KEY_PATTERN = r"^[a-z0-9_]{1,32}$"
# A name people read on a button or in a headline: not empty, not a paragraph.
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class ConfigError(Exception):
    """A configuration problem, phrased as one line that names the file and the key."""


def _to_timedelta(value: Any) -> Any:
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    return value


Duration = Annotated[
    timedelta,
    BeforeValidator(_to_timedelta),
    PlainSerializer(format_duration, return_type=str),
]


class _Section(BaseModel):
    # A typo inside a table must fail loudly instead of silently using the default.
    model_config = ConfigDict(extra="forbid", frozen=True)


class TelegramSettings(_Section):
    token: SecretStr | None = None
    api_url: str = "https://api.telegram.org"
    bot_username: str | None = None
    # Telegram allows about 30 messages a second in all; we keep a margin for network jitter.
    # 0 turns our pacing off (tests, benchmark).
    max_messages_per_second: float = Field(default=28, ge=0)
    # Seconds a long poll waits for updates; 0 would make polling a tight loop.
    poll_timeout: int = Field(default=30, ge=1, le=50)
    # Seconds to wait for Telegram to answer one call before retrying it (a timed-out send may
    # still have arrived, so not too short).
    request_timeout: float = Field(default=10, gt=0, le=120)
    # Webhook mode (instead of long polling) when webhook_url is set: Telegram POSTs updates to
    # that public https URL, a reverse proxy forwards them to webhook_listen:webhook_port.
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    # Telegram sends it with every update; requests without it are refused.
    webhook_secret_token: SecretStr | None = None

    @field_validator("api_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("webhook_url")
    @classmethod
    def _https_webhook(cls, value: str | None) -> str | None:
        if value and not value.startswith("https://"):
            raise ValueError("must start with https:// (Telegram only calls https webhooks)")
        if value:
            try:
                port = urlsplit(value).port or 443
            except ValueError as error:
                raise ValueError(f"not a URL: {error}") from None
            if port not in WEBHOOK_PORTS:
                raise ValueError("Telegram only calls webhooks on ports 443, 80, 88 or 8443 "
                                 f"(not {port}); let a reverse proxy forward to webhook_port")
        return value or None

    @field_validator("webhook_secret_token")
    @classmethod
    def _secret_token_chars(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and -.
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}",
                                                  value.get_secret_value()):
            raise ValueError("1-256 characters of A-Z, a-z, 0-9, _ and - only")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> TelegramSettings:
        if self.webhook_url and self.webhook_secret_token is None:
            raise ValueError("telegram.webhook_secret_token: needed when webhook_url is set")
        return self

    @field_validator("bot_username")
    @classmethod
    def _no_at_sign(cls, value: str | None) -> str | None:
        return value.lstrip("@") if value else value


class SignalSettings(_Section):
    """The signal-cli daemon the bot talks to (`signal-cli -a NUMBER daemon --http=…`)."""

    enabled: bool = False
    # The daemon's HTTP root; signal-cli has no authentication, so keep it on 127.0.0.1.
    url: str = "http://127.0.0.1:8080"
    # The bot's own Signal number (registered or linked in signal-cli), e.g. "+46701234567".
    account: str | None = None
    # Signal publishes no numbers; we pace well below what it tolerates. 0 turns pacing off.
    max_messages_per_second: float = Field(default=5, ge=0)
    request_timeout: float = Field(default=10, gt=0, le=120)
    # A request with no delivery receipt after this long is also sent to the member's other
    # transport (if linked there). "0s": never.
    fallback_after: Duration = timedelta(minutes=2)
    # Edits later than this become a short new message (the apps apply edits for about 48 h
    # and offer them for 24 h); a delete later than 48 h is skipped.
    edit_window: Duration = timedelta(hours=24)
    # A changed safety number: "trust" it (as the Signal apps do) and tell the leaders, or
    # "block" sending to that person on Signal until someone verifies it.
    identity_change: Literal["trust", "block"] = "trust"
    # The conversation's disappearing-messages timer, set for each member on Signal: a backstop
    # on phones for briefings. "0s": leave the timer as the person set it.
    expire_messages_after: Duration = timedelta(0)
    # Leaders are told when the daemon has not answered for this long.
    down_alert_after: Duration = timedelta(seconds=30)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("account")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\+[1-9][0-9]{6,14}", value):
            raise ValueError("the bot's number in international form, e.g. +46701234567")
        return value

    @field_validator("edit_window")
    @classmethod
    def _within_48_hours(cls, value: timedelta) -> timedelta:
        if value > timedelta(hours=48):
            raise ValueError("at most 48h (the Signal apps ignore later edits)")
        return value

    @field_validator("down_alert_after")
    @classmethod
    def _within_a_minute(cls, value: timedelta) -> timedelta:
        if value > timedelta(minutes=1):
            raise ValueError("at most 1m (leaders must know within a minute)")
        return value

    @model_validator(mode="after")
    def _account_when_enabled(self) -> SignalSettings:
        if self.enabled and self.account is None:
            raise ValueError("signal.account: needed when signal.enabled is true")
        return self


class OrganisationSettings(_Section):
    name: str = "POSOM"
    timezone: str = "Europe/Stockholm"
    default_locale: Literal["sv", "en"] = "sv"
    duty_phone: str | None = None
    # Who an employer can ask about a certificate (/intyg), e.g. the coordinator's name, e-mail
    # and phone; the duty phone when unset.
    contact: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Stockholm)") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Area(_Section):
    key: str = Field(pattern=KEY_PATTERN)
    name: Label
    neighbours: list[str] = []


class IncidentKind(_Section):
    key: str = Field(pattern=KEY_PATTERN)
    sv: Label
    en: Label

    def label(self, locale: str) -> str:
        return self.en if locale == "en" else self.sv


DEFAULT_KINDS = [
    IncidentKind(key="suicide", sv="Suicid", en="Suicide"),
    IncidentKind(key="fire", sv="Brand", en="Fire"),
    IncidentKind(key="traffic", sv="Trafikolycka", en="Traffic accident"),
    IncidentKind(key="sudden_death", sv="Plötsligt dödsfall", en="Sudden death"),
    IncidentKind(key="violence", sv="Våld", en="Violence"),
    IncidentKind(key="major_incident", sv="Större olycka", en="Major incident"),
    IncidentKind(key="other", sv="Annat", en="Other"),
]


class Wave(_Section):
    """One step of the escalation ladder: after this long, ask a wider circle."""

    after: Duration
    scope: Literal["area", "neighbours", "all"]


class CalloutSettings(_Section):
    needed: int = Field(default=2, ge=1, le=20)
    kinds: list[IncidentKind] = DEFAULT_KINDS
    # Escalation while a call-out is not staffed (all measured from when it was sent).
    reminder_after: Duration = timedelta(minutes=5)  # "0s": no reminder
    waves: list[Wave] = [Wave(after=timedelta(minutes=10), scope="neighbours"),
                         Wave(after=timedelta(minutes=20), scope="all")]
    unstaffed_alert_after: Duration = timedelta(minutes=15)
    # Preferably a woman and a man: hold a last place that would make a one-gender team.
    prefer_mixed_gender: bool = True
    mixed_gender_wait: Duration = timedelta(minutes=3)
    # A call-out that asks for a skill (e.g. Arabic): how long the last place is held for someone
    # who has it before the held volunteer is confirmed anyway.
    skill_wait: Duration = timedelta(minutes=5)
    watchdog_every: Duration = timedelta(minutes=1)

    @field_validator("kinds")
    @classmethod
    def _unique_kinds(cls, kinds: list[IncidentKind]) -> list[IncidentKind]:
        keys = [kind.key for kind in kinds]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise ValueError(f"kind listed twice: {', '.join(duplicates)}")
        if not kinds:
            raise ValueError("at least one kind of incident is needed")
        return kinds

    @field_validator("waves")
    @classmethod
    def _waves_in_order(cls, waves: list[Wave]) -> list[Wave]:
        afters = [wave.after for wave in waves]
        if afters != sorted(afters):
            raise ValueError("waves must be listed in the order they happen (growing 'after')")
        return waves

    def kind(self, key: str) -> IncidentKind | None:
        return next((kind for kind in self.kinds if kind.key == key), None)


QuestionType = Literal["choice", "multi", "number", "scale", "yesno", "text"]
_QUESTION_KEY = r"^[a-z0-9_]{1,24}$"  # short: it travels in callback data and answer rows


class DebriefOption(_Section):
    """One answer a `choice` or `multi` question offers, as a button."""

    key: str = Field(pattern=_QUESTION_KEY)
    sv: str = Field(min_length=1, max_length=60)
    en: str = Field(min_length=1, max_length=60)

    def label(self, locale: str) -> str:
        return self.en if locale == "en" else self.sv


class DebriefQuestion(_Section):
    """One question of the debrief or the later check-in, asked in the volunteer's language."""

    key: str = Field(pattern=_QUESTION_KEY)
    type: QuestionType
    required: bool = True
    sv: str = Field(min_length=1, max_length=500)
    en: str = Field(min_length=1, max_length=500)
    options: list[DebriefOption] = []
    # number: the largest answer accepted, and whether 2.5 is a valid answer.
    max: float = Field(default=1000, gt=0)
    decimals: bool = False
    # Which answer alerts the leaders: "yes" (a yesno question: asks for a support talk) or
    # "low" (a scale or number at or below debrief.welfare_threshold).
    welfare: Literal["yes", "low"] | None = None

    def text(self, locale: str) -> str:
        return self.en if locale == "en" else self.sv

    def option(self, key: str) -> DebriefOption | None:
        return next((option for option in self.options if option.key == key), None)

    @model_validator(mode="after")
    def _consistent(self) -> DebriefQuestion:
        keys = [option.key for option in self.options]
        if self.type in ("choice", "multi"):
            if not self.options:
                raise ValueError(f"question {self.key!r}: a {self.type} question needs options")
            if len(set(keys)) != len(keys):
                raise ValueError(f"question {self.key!r}: an option key is listed twice")
        elif self.options:
            raise ValueError(f"question {self.key!r}: only choice and multi questions have "
                             "options")
        if self.welfare == "yes" and self.type != "yesno":
            raise ValueError(f"question {self.key!r}: welfare = \"yes\" needs type = \"yesno\"")
        if self.welfare == "low" and self.type not in ("scale", "number"):
            raise ValueError(f"question {self.key!r}: welfare = \"low\" needs type = \"scale\" "
                             "or \"number\"")
        return self


def _options(*triples: tuple[str, str, str]) -> list[DebriefOption]:
    return [DebriefOption(key=key, sv=sv, en=en) for key, sv, en in triples]


# The shipped questionnaire, from what the groups follow up after every intervention (seeds):
# time spent, people supported, the three kinds of support, referrals, what went well or could be
# better, and how the support person is doing.
DEFAULT_QUESTIONS = [
    DebriefQuestion(key="hours", type="number", decimals=True, max=200,
                    sv="Hur många timmar lade du på insatsen, resor inräknade?",
                    en="How many hours did you spend on the intervention, travel included?"),
    DebriefQuestion(key="affected", type="number",
                    sv="Hur många drabbade gav du stöd?",
                    en="How many affected people did you support?"),
    DebriefQuestion(key="witnesses", type="number",
                    sv="Hur många vittnen gav du stöd?",
                    en="How many witnesses did you support?"),
    DebriefQuestion(key="support", type="multi",
                    sv="Vilket stöd gav du?", en="What kind of support did you give?",
                    options=_options(("practical", "Praktiskt stöd", "Practical support"),
                                     ("social", "Socialt stöd", "Social support"),
                                     ("psychological", "Psykologiskt stöd",
                                      "Psychological support"))),
    DebriefQuestion(key="referrals", type="multi", required=False,
                    sv="Förmedlade du kontakt vidare till någon av dessa?",
                    en="Did you refer anyone on to one of these?",
                    options=_options(("social_services", "Socialtjänsten", "Social services"),
                                     ("church", "Kyrkan", "The church"),
                                     ("health_care", "Vården", "Health care"),
                                     ("police", "Polisen", "The police"),
                                     ("other", "Annat", "Other"))),
    DebriefQuestion(key="went_well", type="text", required=False,
                    sv="Vad gick bra?", en="What went well?"),
    DebriefQuestion(key="could_be_better", type="text", required=False,
                    sv="Vad kunde ha gått bättre?", en="What could have gone better?"),
    DebriefQuestion(key="wellbeing", type="scale", welfare="low",
                    sv="Hur mår du själv efter insatsen? 1 = dåligt, 5 = bra.",
                    en="How are you feeling yourself after the intervention? 1 = bad, 5 = good."),
    DebriefQuestion(key="support_talk", type="yesno", welfare="yes",
                    sv="Vill du ha ett stödsamtal med någon i ledningsgruppen?",
                    en="Would you like a support talk with someone from the leadership?"),
]
# The gentle check-in some weeks later: "Hur mår du nu?"
DEFAULT_FOLLOWUP_QUESTIONS = [
    DebriefQuestion(key="wellbeing_now", type="scale", welfare="low",
                    sv="Hur mår du nu? 1 = dåligt, 5 = bra.",
                    en="How are you now? 1 = bad, 5 = good."),
    DebriefQuestion(key="support_talk", type="yesno", welfare="yes",
                    sv="Vill du prata med någon om insatsen?",
                    en="Would you like to talk to someone about the intervention?"),
]


class DebriefSettings(_Section):
    """After an intervention: the questionnaire, its reminder, and the check-in weeks later."""

    enabled: bool = True
    delay: Duration = timedelta(hours=2)  # from the close to the questionnaire
    reminder_after: Duration = timedelta(hours=24)  # "0s": no reminder
    followup_after: Duration = timedelta(weeks=4)  # "0s": no check-in
    welfare_threshold: int = Field(default=2, ge=1, le=5)
    exercises: bool = False  # also a questionnaire after an exercise
    questions: list[DebriefQuestion] = DEFAULT_QUESTIONS
    followup_questions: list[DebriefQuestion] = DEFAULT_FOLLOWUP_QUESTIONS

    @field_validator("questions", "followup_questions")
    @classmethod
    def _unique_questions(cls, questions: list[DebriefQuestion]) -> list[DebriefQuestion]:
        keys = [question.key for question in questions]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise ValueError(f"question listed twice: {', '.join(duplicates)}")
        return questions

    def question_list(self, kind: str) -> list[DebriefQuestion]:
        """The questions of a questionnaire kind: "debrief" or "followup"."""
        return self.followup_questions if kind == "followup" else self.questions


class Skill(_Section):
    """A skill members can carry (a language, präst/diakon, first aid) and /activate can ask for."""

    key: str = Field(pattern=r"^[a-z0-9_]{1,24}$")
    sv: str = Field(min_length=1, max_length=40)
    en: str = Field(min_length=1, max_length=40)

    def label(self, locale: str) -> str:
        return self.en if locale == "en" else self.sv


# From the groups' own words: volunteers "med olika erfarenhet och kompetens" – languages the
# people affected speak, the church, children and young people, first aid.
DEFAULT_SKILLS = [
    Skill(key="arabic", sv="Arabiska", en="Arabic"),
    Skill(key="somali", sv="Somaliska", en="Somali"),
    Skill(key="finnish", sv="Finska", en="Finnish"),
    Skill(key="tigrinya", sv="Tigrinja", en="Tigrinya"),
    Skill(key="priest", sv="Präst eller diakon", en="Priest or deacon"),
    Skill(key="children", sv="Barn och unga", en="Children and young people"),
    Skill(key="first_aid", sv="Första hjälpen", en="First aid"),
]


class ShiftSettings(_Section):
    """A major incident staffed as shifts: a support centre or a crisis line."""

    # Kinds of incident /activate offers to staff in shifts.
    kinds: list[str] = ["major_incident"]
    # Each shift's team gets its briefing this long before the shift starts (at once when the
    # shift is nearer than that), and a reminder remind_before the start ("0s": none).
    brief_before: Duration = timedelta(hours=2)
    remind_before: Duration = timedelta(hours=1)
    max_shifts: int = Field(default=24, ge=1, le=60)


class TrainingSettings(_Section):
    """Training days and meetings, and who counts as trained."""

    # The reminder to those who said Kommer (or have not answered), this long before the start
    # ("0s": none).
    reminder_before: Duration = timedelta(hours=24)
    # This long after the start, the leader who announced it is asked to mark attendance
    # ("0s": they use /training ID themselves).
    mark_after: Duration = timedelta(hours=3)
    # Only trained members are asked in real call-outs (exercises still ask everyone).
    only_trained: bool = False
    # Trained = the introduction done; with a period here, also a training (or the
    # introduction) within that period, e.g. "52w" ("0s": the introduction is enough).
    refresh_within: Duration = timedelta()


class EnrolmentSettings(_Section):
    invite_expires: Duration = timedelta(days=7)

    @field_validator("invite_expires")
    @classmethod
    def _sane_lifetime(cls, value: timedelta) -> timedelta:
        # The same limit as `posom invite --expires` and /invite (bot.people.enrolment).
        if not timedelta() < value <= timedelta(days=30):
            raise ValueError("more than 0 and at most 30 days")
        return value


class StorageSettings(_Section):
    path: Path = Path("data/posom.db")
    # How long a write waits for another program holding the file (a backup, a copy) before it
    # counts as a fault ("locked").
    busy_timeout: Duration = timedelta(seconds=5)
    # The leaders are warned when the disk holding the database has less free space (0: never).
    low_space_warning_mb: int = Field(default=200, ge=0)
    # A press that could not be saved (file full, locked or failing) is tried again this long.
    retry_presses_for: Duration = timedelta(minutes=1)


class RetentionSettings(_Section):
    """How long sensitive details are kept after a call-out ends (each municipality's
    gallringsbeslut); the statistics are kept."""

    sensitive_after: Duration = timedelta(days=30)
    # Area key -> period, for municipalities whose decision differs from sensitive_after.
    per_area: dict[str, Duration] = {}
    # An unfinished dialogue (an abandoned /activate with its typed briefing, a stranger's
    # /start) is deleted this long after its last step. At most 47 hours, so that the messages
    # the leader typed can still be deleted from their chat (Telegram: within 48 hours).
    drafts_after: Duration = timedelta(days=1)

    @field_validator("drafts_after")
    @classmethod
    def _drafts_deletable(cls, value: timedelta) -> timedelta:
        if not timedelta() < value <= timedelta(hours=47):
            raise ValueError("more than 0 and at most 47h (typed messages can only be "
                             "deleted for 48 hours)")
        return value

    def sensitive_after_for(self, area: str) -> timedelta:
        """The retention period of sensitive details for call-outs in this area."""
        return self.per_area.get(area, self.sensitive_after)


def _at_least(value: timedelta, minimum: str) -> timedelta:
    """A duration no shorter than `minimum` (written as in the config), else a ValueError."""
    if value < parse_duration(minimum):
        raise ValueError(f"at least {minimum}")
    return value


class ServiceSettings(_Section):
    """How the process stops: on SIGTERM it takes no more updates, finishes what it holds and
    lets the messages being sent right now end, for at most stop_timeout."""

    stop_timeout: Duration = timedelta(seconds=15)


class HealthSettings(_Section):
    """The small HTTP server for /healthz and /metrics (its own port, off by default)."""

    enabled: bool = False
    # Loopback unless the operator opens it (e.g. "0.0.0.0" in a container for Prometheus).
    listen: str = "127.0.0.1"
    port: int = Field(default=9464, ge=0, le=65535)  # 0: any free port (tests)
    # /healthz fails when a transport has had no successful call for this long.
    transport_silent_after: Duration = timedelta(minutes=5)


class HeartbeatSettings(_Section):
    """A dead man's switch: a request to an outside monitor every `every` while healthy."""

    # Secret: whoever has the URL can report the bot alive. Healthchecks.io
    # (https://hc-ping.com/<uuid>) or an Uptime Kuma push URL (/api/push/<token>).
    url: SecretStr | None = None
    every: Duration = timedelta(minutes=1)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if not value.get_secret_value().startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    _not_too_often = field_validator("every")(lambda value: _at_least(value, "1s"))


class ReplicationSettings(_Section):
    """Litestream streams the database to a replica; a standby restores it and takes over."""

    # Where the copy goes: a folder (a second disk or a mounted share), sftp://user@host/path
    # or s3://bucket/path. Unset: no replication.
    replica: str | None = None
    # Litestream ships the WAL this often: at most this much of the last answers is lost.
    sync_interval: Duration = timedelta(seconds=1)
    # A standby refuses to restore while the replica shows the primary alive this recently.
    takeover_after: Duration = timedelta(seconds=60)
    # How long Litestream keeps snapshots and changes (default and upper bound: the shortest
    # retention period, since the copies hold briefings too).
    keep: Duration | None = None
    # For S3-compatible storage other than AWS (MinIO, a municipal object store).
    s3_endpoint: str | None = None
    # The private key for sftp:// replicas.
    sftp_key_path: Path | None = None
    # The litestream program; default: the one installed beside posom, else on PATH.
    litestream: Path | None = None

    @field_validator("replica")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        value = value.strip()
        if "://" in value and not value.startswith(("file://", "sftp://", "s3://")):
            raise ValueError("a folder, file://, sftp:// or s3:// URL")
        return value

    @field_validator("sync_interval", "takeover_after")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta():
            raise ValueError("must be longer than 0s")
        return value


class BackupSettings(_Section):
    """Backups taken by the running bot into a folder, the oldest deleted after `keep`."""

    # Unset: no scheduled backups (`posom backup` by hand still works).
    folder: Path | None = None
    every: Duration = timedelta(hours=24)
    # Default and upper bound: the shortest retention period (backups hold briefings too).
    keep: Duration | None = None

    _not_too_often = field_validator("every")(lambda value: _at_least(value, "1m"))
class IntakeSettings(_Section):
    """The alarm intake: an HTTP API and a page through which the rescue service or SOS Alarm
    request POSOM and follow the request (bot.intake, intake/)."""

    enabled: bool = False
    # Where the intake's own HTTP server listens; localhost unless a reverse proxy needs more.
    listen: str = "127.0.0.1"
    port: int = Field(default=8470, ge=0, le=65535)  # 0: any free port (tests)
    # The address callers reach it at (for the page's login link), e.g. https://posom.example.se
    public_url: str | None = None
    # Callers (key names) whose requests become call-outs at once; the leaders are told.
    trusted: list[str] = []
    # Nobody of the leaders answered a request: ask them all again, then alert with the duty
    # phone (both counted from when the request came).
    ask_leaders_again_after: Duration = timedelta(minutes=3)
    alert_after: Duration = timedelta(minutes=6)
    rate_per_minute: int = Field(default=30, ge=1, le=10_000)  # calls per key
    max_body_bytes: int = Field(default=16_384, ge=1_024, le=1_048_576)
    # Whether requesters see the names and phones of the support persons who go.
    share_team: bool = False
    # Callbacks go to https URLs only, unless this allows plain http (a closed network).
    callback_allow_http: bool = False
    page_refresh: Duration = timedelta(seconds=5)  # how often the status page updates itself
    session_lifetime: Duration = timedelta(hours=12)

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else None

    @model_validator(mode="after")
    def _alert_after_asking_again(self) -> IntakeSettings:
        if self.alert_after <= self.ask_leaders_again_after:
            raise ValueError("intake.alert_after: must be later than ask_leaders_again_after")
        return self

    @property
    def base_url(self) -> str:
        """Where people reach the intake (public_url, else the listening address)."""
        return self.public_url or f"http://{self.listen}:{self.port}"


class Settings(BaseSettings):
    """Everything the bot is configured with; see config.example.toml for each key."""

    model_config = SettingsConfigDict(
        env_prefix="POSOM_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    # Leaders from the first start: a Telegram user id (123456789), or an address written
    # "transport:id" (e.g. "telegram:123456789").
    admins: list[int | str] = []
    telegram: TelegramSettings = TelegramSettings()
    signal: SignalSettings = SignalSettings()
    organisation: OrganisationSettings = OrganisationSettings()
    areas: list[Area] = [Area(key="default", name="POSOM")]
    callout: CalloutSettings = CalloutSettings()
    debrief: DebriefSettings = DebriefSettings()
    enrolment: EnrolmentSettings = EnrolmentSettings()
    storage: StorageSettings = StorageSettings()
    retention: RetentionSettings = RetentionSettings()
    skills: list[Skill] = DEFAULT_SKILLS
    training: TrainingSettings = TrainingSettings()
    shifts: ShiftSettings = ShiftSettings()
    service: ServiceSettings = ServiceSettings()
    health: HealthSettings = HealthSettings()
    heartbeat: HeartbeatSettings = HeartbeatSettings()
    replication: ReplicationSettings = ReplicationSettings()
    backup: BackupSettings = BackupSettings()
    intake: IntakeSettings = IntakeSettings()

    @field_validator("skills")
    @classmethod
    def _unique_skills(cls, skills: list[Skill]) -> list[Skill]:
        keys = [skill.key for skill in skills]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise ValueError(f"skill listed twice: {', '.join(duplicates)}")
        return skills

    def skill(self, key: str) -> Skill | None:
        return next((skill for skill in self.skills if skill.key == key), None)

    @model_validator(mode="after")
    def _copies_kept_no_longer_than_retention(self) -> Settings:
        # Backups and replicas hold briefings too: never keep them past the retention period.
        shortest = self.shortest_retention
        for key, keep in (("backup.keep", self.backup.keep),
                          ("replication.keep", self.replication.keep)):
            if keep is not None and keep > shortest:
                raise ValueError(f"{key}: {format_duration(keep)} is longer than the shortest "
                                 f"retention period ({format_duration(shortest)}); copies hold "
                                 "briefings too")
            if keep is not None and keep <= timedelta():
                raise ValueError(f"{key}: must be longer than 0s")
        return self

    @property
    def shortest_retention(self) -> timedelta:
        """The shortest retention period of any area: the most any copy of the data may keep."""
        return min([self.retention.sensitive_after, *self.retention.per_area.values()])

    @property
    def backup_keep(self) -> timedelta:
        """How long scheduled backups are kept (the retention period unless shorter is set)."""
        return self.backup.keep or self.shortest_retention

    @property
    def replica_keep(self) -> timedelta:
        """How long the replica keeps snapshots (the retention period unless shorter is set)."""
        return self.replication.keep or self.shortest_retention

    @model_validator(mode="after")
    def _areas_are_consistent(self) -> Settings:
        if not self.areas:
            raise ValueError("areas: at least one area is needed")
        keys = [area.key for area in self.areas]
        for key in keys:
            if keys.count(key) > 1:
                raise ValueError(f"areas: the key {key!r} is listed twice")
        for area in self.areas:
            for neighbour in area.neighbours:
                if neighbour not in keys:
                    raise ValueError(
                        f"areas.{area.key}.neighbours: unknown area {neighbour!r}"
                        f" (known: {', '.join(keys)})"
                    )
        kinds = [kind.key for kind in self.callout.kinds]
        for key in self.shifts.kinds:
            if key not in kinds:
                raise ValueError(f"shifts.kinds: unknown kind {key!r} (known: {', '.join(kinds)})")
        for key in self.retention.per_area:
            if key not in keys:
                raise ValueError(f"retention.per_area: unknown area {key!r}"
                                 f" (known: {', '.join(keys)})")
        return self

    @field_validator("admins")
    @classmethod
    def _admin_addresses(cls, admins: list[int | str]) -> list[int | str]:
        for admin in admins:
            if isinstance(admin, str):
                transport, separator, ident = admin.partition(":")
                if not separator or not transport or not ident:
                    raise ValueError(f"{admin!r}: a Telegram user id, or \"transport:id\"")
        return admins

    @property
    def admin_addresses(self) -> list[Address]:
        """The configured admins as addresses (a bare number is a Telegram user id)."""
        return [Address.parse(admin) if isinstance(admin, str) else Address("telegram", str(admin))
                for admin in self.admins]

    def area(self, key: str) -> Area | None:
        return next((area for area in self.areas if area.key == key), None)

    @property
    def area_keys(self) -> list[str]:
        return [area.key for area in self.areas]


def _settings_from(path: Path) -> type[Settings]:
    class FileSettings(Settings):
        @classmethod
        def settings_customise_sources(cls, settings_cls, init_settings, env_settings,
                                       dotenv_settings, file_secret_settings):
            # Environment first, so POSOM_SECTION__KEY overrides the file.
            return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, path))

    return FileSettings


def _describe(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    location = ".".join(str(part) for part in first["loc"])
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "missing":
        message = "missing"
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    if ": " in message and message.split(": ", 1)[0].startswith(location):
        return message  # a model-level check already names its full key
    return f"{location or '(top level)'}: {message}"


def load_settings(path: Path | str | None = None, *, require_file: bool = True) -> Settings:
    """Reads and validates the config file plus POSOM_* environment overrides."""
    path = Path(path) if path is not None else DEFAULT_CONFIG_PATH
    if path.exists():
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot be read: {exc}") from None
    elif require_file:
        # pydantic-settings reads a missing file as empty; a typo in --config must not pass.
        raise ConfigError(f"{path}: config file not found (copy config.example.toml to start)")
    try:
        return _settings_from(path)()
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc)}") from None
