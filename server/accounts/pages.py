"""Start page, log in and out, choice of language."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template
from pydantic import BaseModel, Field, ValidationError

from server.accounts import auth
from server.core import i18n
from server.accounts.auth import current_user
from server.core.db import write_transaction
from server.core.middleware import LANGUAGE_COOKIE
from server.core.tables import User

WRONG_LOGIN = i18n.N_("Wrong user name or password.")
HOME = {"collaborator": "/my", "reviewer": "/review", "admin": "/review"}


class LoginForm(BaseModel):
    username: str = Field(default="", max_length=64)
    password: str = Field(default="", max_length=200)
    next: str = Field(default="", max_length=500)


def _safe_next(target: str) -> str:
    """Only local paths: a `next` pointing elsewhere would be an open redirect."""
    return target if target.startswith("/") and not target.startswith("//") else ""


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
        return Template("login.html", context={"form": LoginForm(), "error": i18n.gettext(WRONG_LOGIN)},
                        status_code=401)
    client = request.client.host if request.client else "unknown"
    try:
        user = await auth.authenticate(form.username.strip(), form.password, client)
    except auth.LoginError as refused:
        return Template("login.html", context={"form": form, "error": i18n.gettext(refused.message)},
                        status_code=429 if refused.throttled else 401)
    request.set_session({"uid": user.id})
    return Redirect(_safe_next(form.next) or HOME[user.role], status_code=303)


@post("/logout", include_in_schema=False, status_code=303)
async def logout(request: Request) -> Redirect:
    request.clear_session()
    return Redirect("/", status_code=303)


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
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=60 * 60 * 24 * 365, samesite="lax", httponly=True)
    return response


ROUTES = [home, login_page, login, logout, choose_language]
