"""The API's request and response models; the OpenAPI document is generated from them. The
response is the core's own status model (bot.intake.status), so the API, the callbacks and the
document cannot drift apart."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bot.callout.draft import MAX_BRIEFING, MAX_NEEDED, MAX_PLACE, MAX_SUMMARY
from bot.intake.service import MAX_NAME, MAX_PHONE, MAX_URL, PHONE_PATTERN
from bot.intake.status import RequestStatus

__all__ = ["NewRequest", "Position", "Problem", "RequestStatus", "Requester"]

_STRICT = ConfigDict(extra="forbid")
# What bot.callout.draft.check_text accepts, documented: no control characters but line breaks
# and tabs; a required text also has something besides spaces.
_CONTROL = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f"
TEXT = f"^[^{_CONTROL}]*$"
REQUIRED_TEXT = f"^[^{_CONTROL}]*[^\\s{_CONTROL}][^{_CONTROL}]*$"
CALLBACK_URL = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[!-~]*)?$"


def _text(limit: int, *, required: bool = False) -> dict:
    """The documented limits of a typed text (checked by the /activate validator)."""
    return {"maxLength": limit, "pattern": REQUIRED_TEXT if required else TEXT}


class Requester(BaseModel):
    """Who asks, and where the duty leader reaches them."""

    model_config = _STRICT
    name: str = Field(description="The person asking, e.g. the rescue commander on site.",
                      examples=["Anna Berg"], json_schema_extra=_text(MAX_NAME, required=True))
    organisation: str = Field(description="Their organisation.",
                              examples=["Räddningstjänsten Karlstadsregionen"],
                              json_schema_extra=_text(MAX_NAME, required=True))
    phone: str = Field(description="A call-back number.", examples=["+46 54 540 10 00"],
                       json_schema_extra={"maxLength": MAX_PHONE, "pattern": PHONE_PATTERN})


class Position(BaseModel):
    """Where it is, in WGS 84 degrees (sensitive: only the support persons who go see it)."""

    model_config = _STRICT
    latitude: float = Field(examples=[59.3793], json_schema_extra={"minimum": -90,
                                                                  "maximum": 90})
    longitude: float = Field(examples=[13.5036], json_schema_extra={"minimum": -180,
                                                                   "maximum": 180})


class NewRequest(BaseModel):
    """A request for POSOM: give `area` or `municipality`. The limits are those of a call-out
    issued in chat (/activate), checked by the same validator."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "anyOf": [{"required": ["area"]}, {"required": ["municipality"]}]})
    kind: str = Field(description="The kind of incident (one of the configured kinds).",
                      examples=["fire"])
    # Not nullable: leave a field out rather than sending null.
    area: str = Field(None, description="The POSOM area (key); or give `municipality`.",
                      examples=["karlstad"])
    municipality: str = Field(None, description="The municipality by name, when the area key "
                              "is not known.", examples=["Karlstad"])
    place: str = Field(None, description="Address or meeting place (sensitive: only the "
                       "support persons who go see it).", examples=["Storgatan 12 B"],
                       json_schema_extra=_text(MAX_PLACE))
    position: Position | None = None
    summary: str = Field(description="What happened, without names or addresses: sent to "
                         "every support person asked.",
                         examples=["Brand i villa, familj behöver stöd"],
                         json_schema_extra=_text(MAX_SUMMARY, required=True))
    briefing: str = Field(None, description="Details for those who go only (contact on site, "
                          "what happened).", json_schema_extra=_text(MAX_BRIEFING))
    needed: int = Field(None, description="Support persons needed (default from the config).",
                        json_schema_extra={"minimum": 1, "maximum": MAX_NEEDED})
    exercise: bool = Field(False, description="An exercise: every message says so, it is never "
                           "counted as an intervention.")
    requester: Requester
    callback_url: str = Field(None, description="Where each change of the request is POSTed "
                              "(signed; see the README).",
                              json_schema_extra={"maxLength": MAX_URL, "pattern": CALLBACK_URL})


class Problem(BaseModel):
    """What was wrong with a call that was not taken."""

    detail: str
