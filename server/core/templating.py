"""The one Jinja environment: autoescaped, with gettext and Babel formatting for the request's language."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request, Response
from litestar.enums import MediaType
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig
from markupsafe import Markup

from server.core import i18n

TEMPLATES_DIR = Path(__file__).parent.parent / "templates"


def localized(texts: dict[str, str] | None) -> str:
    """Pick the current language's text from a {vi, en} dict of a form or rule file."""
    if not texts:
        return ""
    return texts.get(i18n.current_language()) or texts.get(i18n.DEFAULT_LANGUAGE) or next(iter(texts.values()))


def form_title(form_id: str) -> str:
    """A form's title in the page's language (its newest version's), for pages that list form ids."""
    from forms import registry

    versions = registry.default_registry().versions(form_id)
    return localized(versions[-1].title) if versions else form_id


def unit_set_label(unit_set: str) -> str:
    """A registry set as people name it ("Hai cấp (từ 01/07/2025)")."""
    from server.registry.units import UNIT_SET_LABELS

    return i18n.gettext(UNIT_SET_LABELS[unit_set]) if unit_set in UNIT_SET_LABELS else unit_set


def json_script(value: object) -> Markup:
    """JSON safe inside <script type="application/json">: no `</script>` can close the block."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        number=i18n.format_number,
        percent=i18n.format_percent,
        permille=i18n.format_permille,
        with_unit=i18n.format_unit,
        numbers_in=i18n.format_numbers_in,
        date=i18n.format_date,
        datetime=i18n.format_datetime,
        localized=localized,
        form_title=form_title,
        unit_set_label=unit_set_label,
        json_script=json_script,
    )
    env.globals.update(current_language=i18n.current_language, languages=i18n.LANGUAGES,
                       language_name=i18n.language_name)
    return env


def template_config() -> TemplateConfig:
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(make_environment()))


# One thread per server process renders the heavy pages, so that they queue there instead of
# piling up beside the event loop.
_PAGE_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="phuhop-pages")


async def render_off_loop(request: Request, page: Template) -> Response:
    """`page` rendered in a worker thread, not on the event loop.

    A commune's review page is ~15-25 ms of Jinja and Babel on one core; rendered on the event loop
    it holds every phone's submission of that worker for as long. In a thread the loop takes the GIL
    back within the switch interval (5 ms) and goes on answering phones while the page renders.
    The request's language and everything else kept in context variables go along.
    """
    context = page.create_template_context(request)
    template = request.app.template_engine.get_template(page.template_name)
    render = functools.partial(contextvars.copy_context().run, template.render, **context)
    body = await asyncio.get_running_loop().run_in_executor(_PAGE_THREAD, render)
    return Response(body, status_code=page.status_code, media_type=MediaType.HTML, headers=page.headers,
                    cookies=page.cookies, background=page.background)
