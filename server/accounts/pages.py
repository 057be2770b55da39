"""Start page, log in and out, change my password (a temporary one first of all), choice of language."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template
from pydantic import BaseModel, Field, ValidationError

from server.accounts import auth, passwords, sessions, throttle
from server.accounts.auth import TEMPORARY_PASSWORD_OK, current_user, requires_login
from server.accounts.users import MAX_PASSWORD, MIN_PASSWORD, change_password
from server.core import i18n
from server.core.db import write_transaction
from server.core.middleware import LANGUAGE_COOKIE
from server.core.settings import get_settings
from server.core.tables import User

HOME = {"collaborator": "/my", "reviewer": "/review", "admin": "/review"}


class LoginForm(BaseModel):
    username: str = Field(default="", max_length=64)
    password: str = Field(default="", max_length=MAX_PASSWORD)
    next: str = Field(default="", max_length=500)


def _safe_next(target: str) -> str:
    """Only local paths: a `next` pointing elsewhere would be an open redirect."""
    return target if target.startswith("/") and not target.startswith("//") else ""


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@get("/", name="home", include_in_schema=False)
async def home(request: Request) -> Template | Redirect:
    user = current_user(request)
    if user is not None:
        return Redirect(HOME[user.role])
    return Template("login.html", context={"form": LoginForm(), "error": None})


@get("/login", name="login", include_in_schema=False)
async def login_page(request: Request, next_: Annotated[str, QueryParameter(name="next", required=False)] = "") -> Template:
    return Template("login.html", context={"form": LoginForm(next=_safe_next(next_)), "error": None})


@post("/login", include_in_schema=False, status_code=303)
async def login(
    request: Request,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template | Redirect:
    # Validated here, not by Litestar, so that a bad field comes back on the page (not a bare 400).
    try:
        form = LoginForm.model_validate({k: v for k, v in data.items() if k in LoginForm.model_fields})
    except ValidationError:  # a name or password longer than any account has: no account matches
        return Template("login.html", context={"form": LoginForm(), "error": i18n.gettext(auth.WRONG_LOGIN)},
                        status_code=401)
    known = request.cookies.get(throttle.KNOWN_COOKIE)
    try:
        user = await auth.authenticate(form.username, form.password, client_ip(request),
                                       known_browser=throttle.is_known_browser(known, form.username))
    except auth.LoginError as refused:
        headers = {"retry-after": str(refused.retry_after)} if refused.retry_after else None
        return Template("login.html", context={"form": form, "error": i18n.gettext(refused.message,
                                                                                   **(refused.params or {}))},
                        status_code=refused.status, headers=headers)
    token = await sessions.start(user, ip=client_ip(request), user_agent=request.headers.get("user-agent"))
    target = "/account/password" if user.must_change_password else _safe_next(form.next) or HOME[user.role]
    response = Redirect(target, status_code=303)
    sessions.set_cookie(response, token)
    throttle.remember_browser(response, known, user.username)
    return response


@post("/logout", include_in_schema=False, status_code=303)
async def logout(request: Request) -> Redirect:
    user = current_user(request)
    if user is not None and request.auth is not None:
        await sessions.end(request.auth, by=user.username, reason="logout")
    response = Redirect("/", status_code=303)
    sessions.delete_cookie(response)
    return response


# ---------------------------------------------------------------- my password

def _password_page(request: Request, *, errors: list[dict] | None = None, status: int = 200,
                   done: bool = False) -> Template:
    user = current_user(request)
    return Template("password.html", status_code=status, context={
        "errors": errors or [], "done": done, "min_length": MIN_PASSWORD, "user": user,
        "temporary": user.must_change_password, "home": HOME[user.role]})


@get("/account/password", name="password", guards=[requires_login], opt={TEMPORARY_PASSWORD_OK: True},
     include_in_schema=False)
async def password_page(request: Request,
                        done: Annotated[str, QueryParameter(required=False, max_length=4)] = "") -> Template:
    return _password_page(request, done=done == "1")


@post("/account/password", guards=[requires_login], opt={TEMPORARY_PASSWORD_OK: True}, include_in_schema=False,
      status_code=303)
async def password_change(
    request: Request,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template | Redirect:
    """Check the current password (a temporary one too), set the person's own, end every session (all
    devices), start a new one here."""
    user = current_user(request)
    current, new, again = (data.get(key, "")[:MAX_PASSWORD + 1] for key in ("current", "new", "again"))
    errors = []
    try:
        if not await passwords.verify(user.password_hash, current):
            errors.append({"field": "current", "message": i18n.gettext(i18n.N_("The current password is wrong."))})
    except passwords.Busy:
        errors.append({"field": "current",
                       "message": i18n.gettext(i18n.N_("The server is busy. Please try again in a few seconds."))})
    if not MIN_PASSWORD <= len(new) <= MAX_PASSWORD:
        errors.append({"field": "new", "message": i18n.gettext(
            i18n.N_("The new password must have %(min)s to %(max)s characters."), min=MIN_PASSWORD, max=MAX_PASSWORD)})
    elif new == current:
        errors.append({"field": "new", "message": i18n.gettext(i18n.N_("Choose a password other than the current one."))})
    elif new != again:
        errors.append({"field": "again", "message": i18n.gettext(i18n.N_("The two new passwords differ."))})
    if errors:
        return _password_page(request, errors=errors, status=422)
    await change_password(user, new, by=user.username)
    token = await sessions.start(user, ip=client_ip(request), user_agent=request.headers.get("user-agent"))
    response = Redirect("/account/password?done=1", status_code=303)
    sessions.set_cookie(response, token)
    return response


# ---------------------------------------------------------------- language

@post("/language", include_in_schema=False, status_code=303)
async def choose_language(
    request: Request,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response:
    """Remember the choice in a cookie, and on the account of a logged-in user."""
    language = data.get("language", "")
    if language not in i18n.LANGUAGES:
        language = i18n.DEFAULT_LANGUAGE
    user = current_user(request)
    if user is not None:
        async with write_transaction():
            await User.update({User.language: language}).where(User.id == user.id)
    back = _safe_next(data.get("next", "")) or "/"
    response = Redirect(back, status_code=303)
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=60 * 60 * 24 * 365, samesite="lax", httponly=True,
                        secure=get_settings().secure_cookies)
    return response


ROUTES = [home, login_page, login, logout, password_page, password_change, choose_language]
