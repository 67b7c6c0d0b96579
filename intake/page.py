"""The requester page: for a rescue commander or an SOS operator without an integration.

Server-rendered, small, usable on a phone in a car, in the organisation's language (Swedish or
English, switchable). The caller logs in with their key (a login link carries it after `#`, so
it never reaches a server log); a session cookie (HttpOnly, SameSite=Strict) follows, and the
form carries a per-session token against cross-site posts. The status view updates itself by
asking for the status every `intake.page_refresh`.
"""

from __future__ import annotations

import hmac
import logging
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from bot.callout.draft import MAX_BRIEFING, MAX_NEEDED, MAX_PLACE, MAX_SUMMARY, DraftRefused
from bot.i18n import LOCALES, Translator, translator
from bot.intake.keys import key_hash, token
from bot.intake.service import IdempotencyConflict, IntakeDraft
from bot.intake.status import RequestStatus, status_line
from intake.api import REQUEST_ID, IntakeContext
from storage.intake import Caller

__all__ = ["page_router"]

logger = logging.getLogger(__name__)

SESSION_COOKIE = "posom_session"
LANG_COOKIE = "posom_lang"
STATIC = Path(__file__).resolve().parent / "static"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
FORM_FIELDS = ("kind", "area", "needed", "summary", "briefing", "place", "latitude",
               "longitude", "requester_name", "requester_organisation", "requester_phone")

_templates = Environment(loader=PackageLoader("intake", "templates"),
                         autoescape=select_autoescape(default=True, default_for_string=True))


def page_router(context: IntakeContext) -> APIRouter:
    """The page's routes (not part of the API document)."""
    services = context.services
    settings = services.settings
    router = APIRouter(prefix="/page", include_in_schema=False)

    def language(request: Request) -> Translator:
        """The page's language: asked for (?lang=), remembered, or the organisation's."""
        chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
        locale = chosen if chosen in LOCALES else settings.organisation.default_locale
        return translator(locale, settings.organisation.timezone)

    def render(request: Request, template: str, status_code: int = 200,
               **values: Any) -> HTMLResponse:
        """A template in the reader's language, with the page's security headers."""
        t = language(request)
        html = _templates.get_template(template).render(
            text=page_texts(t, settings.organisation.name), lang=t.locale,
            other_lang="en" if t.locale == "sv" else "sv", **values)
        response = HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
        if request.query_params.get("lang") in LOCALES:
            response.set_cookie(LANG_COOKIE, t.locale, httponly=True, samesite="strict",
                                path="/page", secure=_secure(settings.intake.base_url))
        return response

    async def session(request: Request) -> tuple[Caller, str] | None:
        """The logged-in caller and the session's form token; counts against the key's rate."""
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None
        found = await services.intake.store.session(key_hash(cookie), services.clock())
        if found is None:
            return None
        wait = context.limiter.allow(found[0].id)
        if wait:
            raise HTTPException(429, "too many calls; try again shortly",
                                headers={"Retry-After": str(int(wait) + 1)})
        request.state.caller = found[0]  # audited (intake.app)
        return found

    def to_login(request: Request) -> Response:
        """Back to the login form (no session, or it ended)."""
        return RedirectResponse("/page/login", status_code=303)

    @router.get("/static/{name}")
    async def static(name: str) -> Response:
        """The page's own style sheet and script (nothing is loaded from elsewhere)."""
        if name not in ("page.css", "page.js"):
            raise HTTPException(404, "not found")
        return FileResponse(STATIC / name, headers={"Cache-Control": "max-age=3600"})

    @router.get("/login")
    async def login_form(request: Request) -> Response:
        """The login form (a login link fills it in by itself)."""
        return render(request, "login.html")

    @router.post("/login")
    async def login(request: Request) -> Response:
        """Checks the key and opens a session."""
        form = await _form(request)
        t = language(request)
        try:
            caller = await context.caller(request, form.get("key", "").strip())
        except HTTPException as refused:
            text = (t.gettext("This key has been revoked.") if refused.status_code == 403
                    else t.gettext("Too many attempts; wait a minute.")
                    if refused.status_code == 429 else t.gettext("That key is not valid."))
            return render(request, "login.html", refused.status_code, error=text)
        cookie, now = token(), services.clock()
        await services.intake.store.add_session(key_hash(cookie), caller.id, token(), now,
                                                now + settings.intake.session_lifetime)
        response = RedirectResponse("/page/", status_code=303)
        response.set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="strict",
                            path="/page", secure=_secure(settings.intake.base_url),
                            max_age=int(settings.intake.session_lifetime.total_seconds()))
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        """Ends the session."""
        found = await session(request)
        form = await _form(request)
        if found is not None and _same(form.get("csrf"), found[1]):
            await services.intake.store.end_session(key_hash(request.cookies[SESSION_COOKIE]))
        response = RedirectResponse("/page/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/page")
        return response

    @router.get("/")
    async def new_request(request: Request) -> Response:
        """The request form, who asks filled in from the caller's last request."""
        found = await session(request)
        if found is None:
            return to_login(request)
        caller, csrf = found
        recent = await services.intake.store.recent(caller.id)
        values = {"needed": str(settings.callout.needed)}
        if recent:  # the same person usually asks again: keep who they are
            values.update(requester_name=recent[0].requester_name,
                          requester_organisation=recent[0].requester_organisation,
                          requester_phone=recent[0].requester_phone)
        return await form_page(request, caller, csrf, values, {})

    async def form_page(request: Request, caller: Caller, csrf: str, values: dict[str, str],
                        errors: dict[str, str], status_code: int = 200) -> Response:
        """The form with the values given and what is wrong with them."""
        t = language(request)
        recent = await services.intake.store.recent(caller.id)
        return render(
            request, "form.html", status_code, caller=caller.name, csrf=csrf,
            idempotency=values.get("idempotency") or token(), values=values, errors=errors,
            kinds=[(kind.key, kind.label(t.locale)) for kind in settings.callout.kinds],
            areas=[(area.key, area.name) for area in settings.areas],
            limits={"needed": MAX_NEEDED, "summary": MAX_SUMMARY, "briefing": MAX_BRIEFING,
                    "place": MAX_PLACE},
            recent=[(record.public_id, record.call_out.summary, t.short_datetime(
                record.created_at, services.clock())) for record in recent])

    @router.post("/requests")
    async def create(request: Request) -> Response:
        """Takes a sent form: the same check and the same service as the API."""
        found = await session(request)
        if found is None:
            return to_login(request)
        caller, csrf = found
        form = await _form(request)
        t = language(request)
        if not _same(form.get("csrf"), csrf):
            logger.warning("intake page: form without its session token refused (caller %d)",
                           caller.id)
            return render(request, "message.html", 403,
                          message=t.gettext("The form had expired. Please fill it in again."))
        values = {name: form.get(name, "") for name in (*FORM_FIELDS, "idempotency")}
        values["exercise"] = "on" if form.get("exercise") else ""
        try:
            draft = _draft(form)
            received = await services.intake.receive(caller, form.get("idempotency") or token(),
                                                     draft)
        except DraftRefused as refused:
            field = refused.field.replace(".", "_")
            return await form_page(request, caller, csrf, values,
                                   {field: field_error(refused.field, t)}, 422)
        except IdempotencyConflict:
            values["idempotency"] = token()
            return await form_page(request, caller, csrf, values, {
                "form": t.gettext("This form was already sent with other details. Check "
                                  "and send again.")}, 409)
        request.state.request_id = received.record.public_id
        return RedirectResponse(f"/page/requests/{received.record.public_id}", status_code=303)

    async def own_status(request: Request,
                         request_id: str) -> tuple[RequestStatus, str] | None:
        """The status of the logged-in caller's own request, and the session's form token."""
        found = await session(request)
        if found is None:
            return None
        if not re.match(REQUEST_ID, request_id):
            raise HTTPException(404, "not found")
        record = await services.intake.of_caller(found[0], request_id)
        if record is None:
            raise HTTPException(404, "not found")
        request.state.request_id = record.public_id
        return await services.intake.status(record), found[1]

    @router.get("/requests/{request_id}")
    async def show(request: Request, request_id: str) -> Response:
        """The status view of one of the caller's requests."""
        found = await own_status(request, request_id)
        if found is None:
            return to_login(request)
        status, csrf = found
        t = language(request)
        return render(request, "status.html", status=status, line=status_line(status, t),
                      facts=facts(status, t), csrf=csrf,
                      refresh_ms=int(settings.intake.page_refresh.total_seconds() * 1000),
                      poll=f"/page/requests/{status.id}/status")

    @router.get("/requests/{request_id}/status")
    async def live(request: Request, request_id: str) -> Response:
        """The status view's content, for it to update itself."""
        found = await own_status(request, request_id)
        if found is None:
            return JSONResponse({"detail": "log in again"}, status_code=401)
        status, t = found[0], language(request)
        return JSONResponse({"state": status.state, "line": status_line(status, t),
                             "facts": facts(status, t), "final": status.final},
                            headers={"Cache-Control": "no-store"})

    return router


def _secure(base_url: str) -> bool:
    """Cookies only over https when the intake is reached over https."""
    return base_url.startswith("https://")


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


async def _form(request: Request) -> dict[str, str]:
    """An urlencoded form's fields (the first value of each); the body limit applies."""
    try:
        body = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        return {}
    return {name: values[0] for name, values in parse_qs(body, keep_blank_values=True).items()}


def _number(text: str | None, field: str, kind: type = float) -> Any:
    text = (text or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        raise DraftRefused(field, "not a number") from None


def _draft(form: dict[str, str]) -> IntakeDraft:
    """The page form as the core's draft (the same fields as the API)."""
    return IntakeDraft(
        kind=form.get("kind", ""), area=form.get("area") or None, place=form.get("place"),
        latitude=_number(form.get("latitude"), "position"),
        longitude=_number(form.get("longitude"), "position"),
        summary=form.get("summary", ""), briefing=form.get("briefing") or None,
        needed=_number(form.get("needed"), "needed", int),
        exercise=bool(form.get("exercise")), requester_name=form.get("requester_name", ""),
        requester_organisation=form.get("requester_organisation", ""),
        requester_phone=form.get("requester_phone", ""))


def field_error(field: str, t: Translator) -> str:
    """What the requester is told about a field outside the limits, in their language."""
    texts = {
        "kind": t.gettext("Choose what has happened."),
        "area": t.gettext("Choose the area."),
        "municipality": t.gettext("Choose the area."),
        "needed": t.gettext("Give a number from 1 to {count}.").format(count=MAX_NEEDED),
        "summary": t.gettext("Write a short summary (at most {count} characters).").format(
            count=MAX_SUMMARY),
        "briefing": t.gettext("The briefing can have at most {count} characters.").format(
            count=MAX_BRIEFING),
        "place": t.gettext("The place can have at most {count} characters.").format(
            count=MAX_PLACE),
        "position": t.gettext("The position is not valid; leave it empty or use your "
                              "position."),
        "requester.name": t.gettext("Write your name."),
        "requester.organisation": t.gettext("Write your organisation."),
        "requester.phone": t.gettext("Write a phone number we can call you back on."),
    }
    return texts.get(field, t.gettext("Check this field."))


def facts(status: RequestStatus, t: Translator) -> list[tuple[str, str]]:
    """The status view's label/value lines."""
    def at(moment: datetime | None) -> str | None:
        return t.time(moment) if moment else None

    lines = [(t.gettext("Received"), at(status.received_at)),
             (t.gettext("Call-out"), status.code)]
    if status.leader_name:
        lines.append((t.gettext("Duty leader"), ", ".join(
            part for part in (status.leader_name, status.leader_phone) if part)))
    if status.code:
        lines += [(t.gettext("Asked"), str(status.asked)),
                  (t.gettext("Confirmed"), t.gettext("{confirmed} of {needed}").format(
                      confirmed=status.confirmed, needed=status.needed)),
                  (t.gettext("Staffed"), at(status.staffed_at)),
                  (t.gettext("On site"), at(status.arrived_at)),
                  (t.gettext("Finished"), at(status.closed_at)),
                  (t.gettext("Called off"), at(status.cancelled_at))]
    for person in status.team or ():
        lines.append((t.gettext("Support person"), ", ".join(
            part for part in (person.name, person.phone) if part)))
    if status.state in ("received", "declined") and status.duty_phone:
        lines.append((t.gettext("Duty phone"), status.duty_phone))
    return [(label, value) for label, value in lines if value]


def page_texts(t: Translator, organisation: str) -> dict[str, str]:
    """Every text of the page templates, in the reader's language."""
    return {
        "title": t.gettext("Request POSOM – {organisation}").format(organisation=organisation),
        "login": t.gettext("Log in with your intake key"),
        "key": t.gettext("Key"),
        "log_in": t.gettext("Log in"),
        "log_out": t.gettext("Log out"),
        "new": t.gettext("New request"),
        "kind": t.gettext("What has happened?"),
        "area": t.gettext("Area"),
        "needed": t.gettext("Support persons needed"),
        "summary": t.gettext("Summary (sent to every support person asked; no names or "
                             "addresses)"),
        "briefing": t.gettext("Briefing (only for those who go: contact on site, what "
                              "happened)"),
        "place": t.gettext("Address or meeting place (only for those who go)"),
        "position": t.gettext("Use my position"),
        "latitude": t.gettext("Latitude"),
        "longitude": t.gettext("Longitude"),
        "exercise": t.gettext("Exercise"),
        "you": t.gettext("You"),
        "requester_name": t.gettext("Your name"),
        "requester_organisation": t.gettext("Organisation"),
        "requester_phone": t.gettext("Phone for call-back"),
        "send": t.gettext("Send request"),
        "recent": t.gettext("Your latest requests"),
        "status": t.gettext("Request"),
        "live": t.gettext("This page updates by itself."),
        "back": t.gettext("New request"),
        # Each language named in itself, as language switches do.
        "other_lang": "På svenska" if t.locale == "en" else "In English",
        "fix": t.gettext("Please check the marked fields."),
        "offline": t.gettext("No connection – trying again."),
    }
