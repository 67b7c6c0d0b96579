"""POST /api/v1/requests and GET /api/v1/requests/{id}: HTTP in, one call on bot.intake, JSON
out. Every refusal has its status code and changes nothing: 400 malformed JSON, 401 no or an
unknown key, 403 a revoked key, 404 not this caller's request, 409 an Idempotency-Key reused for
something else, 413 a body over the limit, 422 a field outside the call-out's limits (named),
429 over the key's rate limit."""

# No `from __future__ import annotations`: FastAPI reads these annotations at run time,
# and the dependencies they name are local to the router functions.

import logging
import math
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.callout.draft import DraftRefused
from bot.intake.keys import key_hash
from bot.intake.service import IdempotencyConflict, IntakeDraft
from bot.services import Services
from intake.limits import RateLimiter
from intake.models import NewRequest, Problem, RequestStatus
from storage.intake import Caller, IntakeRecord

__all__ = ["IntakeContext", "api_router", "refusal", "status_out"]

logger = logging.getLogger(__name__)

REQUEST_ID = r"^r[A-Za-z0-9]{12}$"
UNKNOWN_KEYS = 0  # the rate-limit bucket shared by calls with keys we do not know
_problem = {"model": Problem}
_VALIDATION = {"description": "A field is wrong (`loc` names it); nothing was stored."}


class IntakeContext:
    """What every route needs: the core, the rate limiter and the key check."""

    def __init__(self, services: Services, limiter: RateLimiter) -> None:
        self.services = services
        self.limiter = limiter
        self._warned: dict[int, float] = {}

    async def caller(self, request: Request, key: str | None) -> Caller:
        """The caller behind a key, or the HTTPException that refuses the call."""
        if not key:
            raise HTTPException(401, "an intake key is needed (Authorization: Bearer KEY)",
                                headers={"WWW-Authenticate": "Bearer"})
        caller = await self.services.intake.store.caller_by_hash(key_hash(key))
        bucket = caller.id if caller is not None else UNKNOWN_KEYS
        wait = self.limiter.allow(bucket)
        if wait:
            self._warn_limited(bucket, caller)
            raise HTTPException(429, "too many calls; try again shortly",
                                headers={"Retry-After": str(math.ceil(wait))})
        if caller is None:
            logger.warning("intake: call with an unknown key refused")
            raise HTTPException(401, "unknown intake key", headers={"WWW-Authenticate": "Bearer"})
        request.state.caller = caller  # audited from here on (intake.app)
        if caller.revoked_at is not None:
            raise HTTPException(403, "this intake key has been revoked")
        return caller

    def _warn_limited(self, bucket: int, caller: Caller | None) -> None:
        """One log line a minute per key over its limit, however long the flood."""
        now = time.monotonic()
        if now - self._warned.get(bucket, -60.0) >= 60:
            self._warned[bucket] = now
            logger.warning("intake: rate limit reached for %s",
                           repr(caller.name) if caller else "unknown keys")


def refusal(refused: DraftRefused) -> JSONResponse:
    """A 422 naming the field, in the shape of every other validation error."""
    return JSONResponse(status_code=422, content={"detail": [{
        "loc": ["body", *refused.field.split(".")], "msg": refused.problem,
        "type": "value_error"}]})


async def status_out(services: Services, record: IntakeRecord) -> RequestStatus:
    """The request's status as the API returns it."""
    return await services.intake.status(record)


def draft_of(body: NewRequest) -> IntakeDraft:
    """The API body as the core's draft."""
    return IntakeDraft(
        kind=body.kind, area=body.area, municipality=body.municipality, place=body.place,
        latitude=body.position.latitude if body.position else None,
        longitude=body.position.longitude if body.position else None, summary=body.summary,
        briefing=body.briefing, needed=body.needed, exercise=body.exercise,
        requester_name=body.requester.name, requester_organisation=body.requester.organisation,
        requester_phone=body.requester.phone, callback_url=body.callback_url)


def api_router(context: IntakeContext) -> APIRouter:
    """The two API routes."""
    router = APIRouter(prefix="/api/v1", tags=["requests"])
    bearer = HTTPBearer(auto_error=False, scheme_name="IntakeKey",
                        description="The caller's key from `posom intake key add NAME`.")

    async def api_caller(request: Request,
                         credentials: Annotated[HTTPAuthorizationCredentials | None,
                                                Depends(bearer)]) -> Caller:
        """The caller behind the Bearer key (or the refusal)."""
        return await context.caller(request, credentials.credentials if credentials else None)

    common = {401: _problem, 403: _problem, 429: _problem, 413: _problem, 400: _problem}

    @router.post(
        "/requests", status_code=201, response_model=RequestStatus,
        summary="Request POSOM",
        responses={**common, 200: {"model": RequestStatus, "description": (
            "The same request was sent before with this Idempotency-Key: nothing new.")},
                   409: _problem, 422: _VALIDATION})
    async def create_request(
            body: NewRequest, request: Request, response: Response,
            caller: Annotated[Caller, Depends(api_caller)],
            idempotency_key: Annotated[str, Header(
                alias="Idempotency-Key", min_length=1, max_length=200,
                pattern=r"^[\x21-\x7e]+$",
                description="Any unique string per alarm; a resent alarm with the same key "
                            "is one request.")]) -> RequestStatus | JSONResponse:
        """Asks the duty leaders for POSOM (a trusted caller's request is activated at once)."""
        try:
            received = await context.services.intake.receive(caller, idempotency_key,
                                                              draft_of(body))
        except DraftRefused as refused:
            return refusal(refused)
        except IdempotencyConflict:
            raise HTTPException(409, "this Idempotency-Key was used for a different "
                                     "request") from None
        request.state.request_id = received.record.public_id
        if not received.created:
            response.status_code = 200
        response.headers["Location"] = f"/api/v1/requests/{received.record.public_id}"
        return await status_out(context.services, received.record)

    @router.get("/requests/{request_id}", response_model=RequestStatus,
                summary="Follow a request", responses={**common, 404: _problem,
                                                       422: _VALIDATION})
    async def get_request(
            request: Request, caller: Annotated[Caller, Depends(api_caller)],
            request_id: Annotated[str, Path(pattern=REQUEST_ID)]) -> RequestStatus:
        """Where the request stands: received, taken, declined, asking, staffed, on site,
        closed."""
        record = await context.services.intake.of_caller(caller, request_id)
        if record is None:
            raise HTTPException(404, "no such request of yours")
        request.state.request_id = record.public_id
        return await status_out(context.services, record)

    return router
