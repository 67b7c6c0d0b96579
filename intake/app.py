"""The intake's ASGI application: the API, the requester page, the limits and the audit of every
call, and an OpenAPI document generated from the pydantic models (with the configured kinds and
areas filled in as the allowed values).

FastAPI was chosen over aiohttp (already a dependency) because it generates the OpenAPI document
and the 422 answers from the same pydantic models the routes use; with aiohttp we would write
and keep in step an OpenAPI generator of our own.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.services import Services
from intake.api import IntakeContext, api_router
from intake.limits import BodyLimit, RateLimiter
from intake.page import page_router

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

TITLE = "POSOM alarm intake"
DESCRIPTION = """Request POSOM (psychological and social care) for an incident and follow the
request: received, taken by a duty leader or declined, support persons asked, k of needed
confirmed, staffed, on site, closed. Authenticate with `Authorization: Bearer KEY`; send an
`Idempotency-Key` with every request so that a resent alarm is one request."""


def create_app(services: Services, limiter: RateLimiter | None = None) -> FastAPI:
    """The whole intake application around a running core."""
    settings = services.settings.intake
    app = FastAPI(title=TITLE, version="1", description=DESCRIPTION, docs_url=None,
                  redoc_url=None, openapi_url="/openapi.json")
    context = IntakeContext(services, limiter or RateLimiter(settings.rate_per_minute))
    app.include_router(api_router(context))
    app.include_router(page_router(context))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        """Malformed JSON is a 400; a field of the wrong type or shape a 422 naming it."""
        errors = exc.errors()
        if any(error.get("type") == "json_invalid" for error in errors):
            return JSONResponse(status_code=400, content={"detail": "malformed JSON"})
        return JSONResponse(status_code=422, content={"detail": [
            {"loc": list(error.get("loc", ())), "msg": str(error.get("msg", "")),
             "type": str(error.get("type", ""))} for error in errors]})

    @app.exception_handler(StarletteHTTPException)
    async def http_problem(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Every other refusal as {"detail": "..."} (also for routes that do not exist)."""
        return JSONResponse(status_code=exc.status_code, content={"detail": str(exc.detail)},
                            headers=getattr(exc, "headers", None))

    @app.middleware("http")
    async def audit(request: Request, call_next: Any) -> Any:
        """Every call by a known caller is audited under the caller's name."""
        response = await call_next(request)
        caller = getattr(request.state, "caller", None)
        if caller is not None:
            route = request.scope.get("route")
            await services.intake.record_call(
                caller, request.method, getattr(route, "path", request.url.path),
                response.status_code, getattr(request.state, "request_id", None))
        return response

    def openapi() -> dict[str, Any]:
        """The document FastAPI generates, with the configured kinds and areas."""
        if app.openapi_schema is None:
            schema = get_openapi(title=TITLE, version="1", description=DESCRIPTION,
                                 routes=app.routes)
            _allowed_values(schema, [kind.key for kind in services.settings.callout.kinds],
                            services.settings.area_keys)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    return app


def _allowed_values(schema: dict[str, Any], kinds: list[str], areas: list[str]) -> None:
    """Writes the configured kinds and areas into the document as the allowed values."""
    properties = schema["components"]["schemas"]["NewRequest"]["properties"]
    properties["kind"]["enum"] = kinds
    properties["area"]["enum"] = areas
