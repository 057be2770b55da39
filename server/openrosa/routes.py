"""OpenRosa 1.0 for ODK Collect / KoboCollect (https://docs.getodk.org/openrosa/): form list, form download, submission.

The phone is given the server URL `http(s)://host/openrosa/key/<token>` and appends `formList`,
`submission` and the download URLs from the list. Every answer carries `X-OpenRosa-Version: 1.0`;
messages are OpenRosa XML (`<OpenRosaResponse><message>…`), which Collect shows to the person.
A submission goes through `server.submissions.submit`, like one from the web page: same checks, same
table, stored once per `meta/instanceID`.
"""

from __future__ import annotations

from typing import Annotated, Any
from xml.sax.saxutils import escape

import anyio
from litestar import Request, Response, Router, get, head, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException
from litestar.params import FromPath, QueryParameter

from forms import registry as form_registry
from server.core import i18n
from server.collection import photos, submissions
from server.core.errors import EXCEPTION_CLASSES, READ_ONLY, STORAGE_FULL, InputError, as_http
from server.core.i18n import N_, gettext
from server.openrosa import tokens, xforms
from server.openrosa.instance import InstanceError, answers_of, read_instance
from server.rules import assign
from server.core.settings import get_settings
from server.core.strict import MAX_FORM_VERSION, parse_int
from server.core.templating import localized
from server.core.tables import Unit

MAX_BODY = 10 * 1024 * 1024
"""Largest submission POST (instance and attachments); announced as X-OpenRosa-Accept-Content-Length."""
MAX_XML = 1024 * 1024
"""Largest instance XML: checked before parsing."""
OPENROSA_HEADERS = {"X-OpenRosa-Version": "1.0"}
_XML = "text/xml"  # Litestar adds "; charset=utf-8" once: "text/xml; charset=utf-8" exactly, as Collect expects


def message(status: int, text: str, nature: str | None = None) -> Response:
    """An OpenRosa response message (already translated text)."""
    attribute = f' nature="{nature}"' if nature else ""
    body = (f'<OpenRosaResponse xmlns="http://openrosa.org/http/response"><message{attribute}>{escape(text)}'
            "</message></OpenRosaResponse>")
    return Response(body, status_code=status, media_type=_XML, headers=OPENROSA_HEADERS)


def _refused(status: int, msgid: str, **params: Any) -> Response:
    return message(status, gettext(msgid, **params))


def _base(request: Request, token: str) -> str:
    return f"{get_settings().public_url(str(request.base_url))}/openrosa/key/{token}"


async def _device(token: str) -> tokens.Device | Response:
    try:
        return await tokens.authenticate(token)
    except tokens.TokenRefused as refused:
        return _refused(refused.status, refused.message)


@get("/key/{token:str}/formList", include_in_schema=False)
async def form_list(request: Request, token: FromPath[str],
                    form_id: Annotated[str | None, QueryParameter(name="formID", required=False)] = None) -> Response:
    """The OpenRosa form list (xforms XML): the newest published version of each form."""
    device = await _device(token)
    if isinstance(device, Response):
        return device
    entries = []
    keys = await assign.indicators_for(device.user.unit) if isinstance(device.user.unit, Unit) else None
    for form in xforms.listed():
        if (form_id and form.form_id != form_id) or not assign.serves(form, keys):
            continue
        built = await anyio.to_thread.run_sync(xforms.xform, form.form_id, form.version)
        entries.append(
            "<xform>"
            f"<formID>{escape(form.form_id)}</formID>"
            f"<name>{escape(localized(form.title))}</name>"
            f"<version>{form.version}</version>"
            f"<hash>md5:{built.md5}</hash>"
            f"<descriptionText>{escape(localized(form.description))}</descriptionText>"
            f"<downloadUrl>{escape(_base(request, token))}/forms/{escape(form.form_id)}/{form.version}.xml</downloadUrl>"
            "</xform>")
    body = f'<?xml version="1.0" encoding="UTF-8"?><xforms xmlns="http://openrosa.org/xforms/xformsList">{"".join(entries)}</xforms>'
    return Response(body, media_type=_XML, headers=OPENROSA_HEADERS)


@get("/key/{token:str}/forms/{form_id:str}/{file_name:str}", include_in_schema=False)
async def form_download(token: FromPath[str], form_id: FromPath[str], file_name: FromPath[str]) -> Response:
    """One XForm (`<version>.xml`), made by pyxform from our XLSForm export and cached."""
    device = await _device(token)
    if isinstance(device, Response):
        return device
    version = parse_int(file_name.removesuffix(".xml"), minimum=1, maximum=MAX_FORM_VERSION)
    if not file_name.endswith(".xml") or version is None:
        return _refused(404, N_("There is no form %(form_id)s version %(version)s."), form_id=form_id,
                        version=file_name.removesuffix(".xml")[:20])
    try:
        built = await anyio.to_thread.run_sync(xforms.xform, form_id, version)
    except form_registry.FormNotAccepted as refused:
        return _refused(404 if refused.code == "unknown" else 410, refused.message, **refused.params)
    return Response(built.xml, media_type=_XML, headers=OPENROSA_HEADERS)


@head("/key/{token:str}/submission", include_in_schema=False)
async def submission_head(token: FromPath[str]) -> Response[None]:
    """Collect asks first: 204 with the largest body it may send."""
    device = await _device(token)
    if isinstance(device, Response):
        return Response(b"", status_code=device.status_code, headers=OPENROSA_HEADERS, media_type=_XML)
    return Response(None, status_code=204,
                    headers={**OPENROSA_HEADERS, "X-OpenRosa-Accept-Content-Length": str(MAX_BODY)})


@post("/key/{token:str}/submission", include_in_schema=False, request_max_body_size=MAX_BODY)
async def submission(request: Request, token: FromPath[str]) -> Response:
    """One filled form: multipart with `xml_submission_file` and its attachments → 201, or a message why not."""
    device = await _device(token)
    if isinstance(device, Response):
        return device
    if (request.content_length or 0) > MAX_BODY:
        return _refused(413, N_("The submission is too large: at most %(megabytes)s MB."), megabytes=MAX_BODY // 2**20)
    form_data = await request.form()
    part = form_data.get("xml_submission_file")
    if not isinstance(part, UploadFile):
        return _refused(400, N_("The submission has no xml_submission_file part."))
    content = await part.read(MAX_XML + 1)
    if len(content) > MAX_XML:
        return _refused(413, N_("The form's XML is too large: at most %(megabytes)s MB."), megabytes=MAX_XML // 2**20)
    try:
        instance = read_instance(content)
    except InstanceError as bad:
        return _refused(400, bad.message, **bad.params)
    try:
        form = form_registry.get_form(instance.form_id, instance.version)
    except form_registry.FormNotAccepted as unknown:
        return _refused(404, unknown.message, **unknown.params)
    ip = request.client.host if request.client else None
    answers = answers_of(instance, form)
    parts = [value for key, value in form_data.multi_items()
             if key != "xml_submission_file" and isinstance(value, UploadFile)]
    try:
        # Photos are checked before anything is stored: a bad file refuses the whole submission.
        checked = await photos.check_parts(form, answers, parts)
        stored = await submissions.submit(device.user, uuid=instance.instance_id, form_id=form.form_id,
                                          form_version=form.version, answers=answers, source="openrosa", ip=ip,
                                          replaces=instance.deprecated_id)
        # Stored once per name; a resend may bring the photos an earlier (split) send did not carry.
        await photos.keep(stored.submission, checked, user=device.user, source="openrosa", ip=ip)
    except submissions.Forbidden as refused:
        return _refused(403, refused.message)
    except InputError as invalid:
        return _invalid(invalid)
    if stored.duplicate:
        return message(202, gettext(N_("This form was already received; it is stored once.")), "submit_success")
    return message(201, gettext(N_("Thank you: the form was received.")), "submit_success")


def _invalid(invalid: InputError) -> Response:
    """submit's refusal as OpenRosa: a conflict (409: the instanceID used by another submission or with
    other answers, an edit of an out-of-date copy) or an unknown original (404) as it is; version
    problems by kind; answers listed by field."""
    codes = {error.code for error in invalid.errors}
    lines = [f"{error.field.removeprefix('answers.')}: {gettext(error.message, **error.params)}" for error in invalid.errors]
    if isinstance(invalid, photos.PhotoRefused):
        return message(400, "\n".join(lines))
    if invalid.status_code in (404, 409):
        return message(invalid.status_code, "\n".join(lines))
    if codes & {"retired", "draft", "period_closed"}:
        return message(400, "\n".join(lines))
    if "unknown" in codes and any(error.field in ("form_id", "form_version") for error in invalid.errors):
        return message(404, "\n".join(lines))
    return message(400, gettext(N_("The form has errors; correct them and send it again:")) + "\n" + "\n".join(lines))


async def _no_token(request: Request) -> Response:
    return _refused(401, N_("Use the server URL with your device token (it ends with /openrosa/key/…)."))


missing_token_list = get("/formList", include_in_schema=False, name="openrosa_no_token_list")(_no_token)
missing_token_submission = post("/submission", include_in_schema=False, name="openrosa_no_token_submission",
                                status_code=401)(_no_token)


def openrosa_error(request: Request, exc: Exception) -> Response:
    """Every error inside /openrosa is an OpenRosa message too (413 from the body limit, a full disk, 500),
    with the header: the phone shows the message; an HTML page would reach it as garbage."""
    exc = as_http(request, exc)
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 500:
        request.logger.exception("openrosa error", exc_info=exc)
    texts = {413: N_("The submission is too large: at most %(megabytes)s MB."),
             404: N_("This page does not exist."), 405: N_("This action is not allowed here."),
             503: READ_ONLY, 507: STORAGE_FULL}
    msgid = texts.get(status, N_("The request could not be understood.") if status < 500 else
                      N_("Something went wrong on the server. Your data was not changed; please try again."))
    return message(status, i18n.gettext(msgid, megabytes=MAX_BODY // 2**20))


router = Router(
    path="/openrosa",
    route_handlers=[form_list, form_download, submission_head, submission, missing_token_list, missing_token_submission],
    exception_handlers=dict.fromkeys(EXCEPTION_CLASSES, openrosa_error),
    request_max_body_size=MAX_BODY,
)
