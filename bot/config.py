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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
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
    "CalloutSettings",
    "ConfigError",
    "DebriefOption",
    "DebriefQuestion",
    "DebriefSettings",
    "IncidentKind",
    "IntakeSettings",
    "RetentionSettings",
    "Settings",
    "Wave",
    "load_settings",
]

DEFAULT_CONFIG_PATH = Path("config.toml")
LOCALES = ("sv", "en")


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
    poll_timeout: int = Field(default=30, ge=0, le=50)
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


class OrganisationSettings(_Section):
    name: str = "POSOM"
    timezone: str = "Europe/Stockholm"
    default_locale: Literal["sv", "en"] = "sv"
    duty_phone: str | None = None

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
    key: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    neighbours: list[str] = []


class IncidentKind(_Section):
    key: str = Field(pattern=r"^[a-z0-9_]+$")
    sv: str
    en: str

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


class EnrolmentSettings(_Section):
    invite_expires: Duration = timedelta(days=7)


class StorageSettings(_Section):
    path: Path = Path("data/posom.db")


class RetentionSettings(_Section):
    """How long sensitive details are kept after a call-out ends (each municipality's
    gallringsbeslut); the statistics are kept."""

    sensitive_after: Duration = timedelta(days=30)
    # Area key -> period, for municipalities whose decision differs from sensitive_after.
    per_area: dict[str, Duration] = {}

    def sensitive_after_for(self, area: str) -> timedelta:
        """The retention period of sensitive details for call-outs in this area."""
        return self.per_area.get(area, self.sensitive_after)


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
    organisation: OrganisationSettings = OrganisationSettings()
    areas: list[Area] = [Area(key="default", name="POSOM")]
    callout: CalloutSettings = CalloutSettings()
    debrief: DebriefSettings = DebriefSettings()
    enrolment: EnrolmentSettings = EnrolmentSettings()
    storage: StorageSettings = StorageSettings()
    retention: RetentionSettings = RetentionSettings()
    intake: IntakeSettings = IntakeSettings()

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
