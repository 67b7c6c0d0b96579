"""The API's request and response models; the OpenAPI document is generated from them. The
response is the core's own status model (bot.intake.status), so the API, the callbacks and the
document cannot drift apart."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bot.callout.draft import MAX_BRIEFING, MAX_NEEDED, MAX_PLACE, MAX_SUMMARY
from bot.intake.service import MAX_NAME, MAX_PHONE, MAX_URL, PHONE_PATTERN
from bot.intake.status import RequestStatus

__all__ = ["NewRequest", "Problem", "RequestStatus", "Requester"]

_STRICT = ConfigDict(extra="forbid")


class Requester(BaseModel):
    """Who asks, and where the duty leader reaches them."""

    model_config = _STRICT
    name: str = Field(description="The person asking, e.g. the rescue commander on site.",
                      examples=["Anna Berg"],
                      json_schema_extra={"minLength": 1, "maxLength": MAX_NAME})
    organisation: str = Field(description="Their organisation.",
                              examples=["Räddningstjänsten Karlstadsregionen"],
                              json_schema_extra={"minLength": 1, "maxLength": MAX_NAME})
    phone: str = Field(description="A call-back number.", examples=["+46 54 540 10 00"],
                       json_schema_extra={"maxLength": MAX_PHONE, "pattern": PHONE_PATTERN})


class NewRequest(BaseModel):
    """A request for POSOM. Limits are those of a call-out issued in chat (/activate)."""

    model_config = _STRICT
    kind: str = Field(description="The kind of incident (one of the configured kinds).",
                      examples=["fire"])
    area: str | None = Field(None, description="The POSOM area (key); or give `municipality`.",
                             examples=["karlstad"])
    municipality: str | None = Field(None, description="The municipality by name, when the "
                                     "area key is not known.", examples=["Karlstad"])
    place: str | None = Field(None, description="Address or meeting place (sensitive: only "
                              "the support persons who go see it).",
                              examples=["Storgatan 12 B"],
                              json_schema_extra={"maxLength": MAX_PLACE})
    # The limits below are documented here and checked by bot.callout.draft, like /activate's.
    latitude: float | None = Field(None, examples=[59.3793],
                                   json_schema_extra={"minimum": -90, "maximum": 90})
    longitude: float | None = Field(None, examples=[13.5036],
                                    json_schema_extra={"minimum": -180, "maximum": 180})
    summary: str = Field(description="What happened, without names or addresses: sent to "
                         "every support person asked.",
                         examples=["Brand i villa, familj behöver stöd"],
                         json_schema_extra={"minLength": 1, "maxLength": MAX_SUMMARY})
    briefing: str | None = Field(None, description="Details for those who go only (contact "
                                 "on site, what happened).",
                                 json_schema_extra={"maxLength": MAX_BRIEFING})
    needed: int | None = Field(None, description="Support persons needed (default from the "
                               "config).", json_schema_extra={"minimum": 1,
                                                              "maximum": MAX_NEEDED})
    exercise: bool = Field(False, description="An exercise: every message says so, it is never "
                           "counted as an intervention.")
    requester: Requester
    callback_url: str | None = Field(None, description="Where each change of the request is "
                                     "POSTed (signed; see the README).",
                                     json_schema_extra={"maxLength": MAX_URL,
                                                        "pattern": "^https?://"})


class Problem(BaseModel):
    """What was wrong with a call that was not taken."""

    detail: str
