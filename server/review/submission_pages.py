"""A reviewer's read-only view of one submission: its answers, its point on a small map, its photos
(shown from the photos API, `server.collection.photos`, for the area's reviewers, admins and the commune).

The map is served to the reviewers of the commune's area and to admins only (never public, never
cached by a shared cache): it shows where children play.
"""

from __future__ import annotations

import hashlib
import uuid as uuid_module

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from server.accounts.auth import current_user
from server.core.i18n import N_, current_language, format_number, gettext
from server.core.tables import Boundary, Submission, Unit
from server.core.templating import localized
from server.maps import cache, render
from server.review import locator, submission_view
from server.review.pages import reviewers
from server.review.states import STATE_LABELS

PRIVATE = "private, max-age=600"


@get("/review/submissions/{submission_uuid:uuid}", name="review_submission", guards=[reviewers],
     include_in_schema=False)
async def submission_page(request: Request, submission_uuid: FromPath[uuid_module.UUID]) -> Template:
    shown = await submission_view.load(submission_uuid, current_user(request))
    return Template("review_submission.html", context={
        "shown": shown, "period": shown.period, "user": current_user(request), "state_labels": STATE_LABELS,
        "title": localized(shown.form.title) if shown.form else shown.row["form_id"]})


@get("/review/submissions/{submission_uuid:uuid}/map.png", guards=[reviewers], include_in_schema=False)
async def submission_map(request: Request, submission_uuid: FromPath[uuid_module.UUID]) -> Response:
    shown = await submission_view.load(submission_uuid, current_user(request))
    point = shown.point
    if point is None:
        raise NotFoundException(N_("This form has no location."))
    others = await _other_points(shown)
    province = await Unit.objects().where(
        (Unit.unit_set == shown.commune.unit_set) & (Unit.path == "/" + shown.commune.path.strip("/").split("/")[0])
    ).first().run()
    area_points = [(row["lat"], row["lon"]) for row in await Unit.select(Unit.lat, Unit.lon).where(
        (Unit.unit_set == shown.commune.unit_set) & (Unit.kind == "commune") & (Unit.lat.is_not_null())
        & Unit.path.like(f"{province.path}/%")).run()] if province else []
    boundary = await Boundary.select(Boundary.geometry).where(Boundary.unit == shown.commune.id).first().output(
        load_json=True).run()
    centre = (shown.commune.lat, shown.commune.lon) if shown.commune.lat is not None and shown.commune.lon is not None \
        else None
    spec = locator.LocatorSpec(
        lat=float(point["lat"]), lon=float(point["lon"]), accuracy=point.get("accuracy"),
        label=shown.identity or gettext(N_("This place")), others=others,
        others_label=gettext(N_("Other places of the commune")), centre=centre,
        centre_label=gettext(N_("Commune centre (registry)")), boundary=boundary["geometry"] if boundary else None,
        area_points=area_points, area_label=province.name if province else "",
        scale_text=lambda metres: (f"{format_number(metres // 1000)} km" if metres >= 1000
                                   else f"{format_number(metres)} m"))
    fingerprint = hashlib.sha256(repr((locator.VERSION, spec.lat, spec.lon, spec.label, sorted(others), centre, boundary,
                                       len(area_points), spec.area_label)).encode())
    key = cache.CacheKey("locator", str(submission_uuid), str(shown.period.id), current_language(), "png")
    content, _ = await cache.get_or_make(key, fingerprint.hexdigest()[:32],
                                         lambda: render.render(lambda: locator.draw(spec), "png"))
    return Response(content, media_type="image/png", headers={"cache-control": PRIVATE})


async def _other_points(shown: submission_view.Shown) -> list[tuple[float, float]]:
    """The locations answered in the commune's other submissions of the same form and period."""
    rows = await Submission.select(Submission.uuid, Submission.answers).where(
        (Submission.period == shown.period.id) & (Submission.commune == shown.commune.id)
        & (Submission.form_id == shown.row["form_id"])).output(load_json=True).run()
    points = []
    for row in rows:
        if row["uuid"] == shown.row["uuid"]:
            continue
        for value in (row["answers"] or {}).values():
            if isinstance(value, dict) and submission_view.is_point(value):
                points.append((float(value["lat"]), float(value["lon"])))
    return points


ROUTES = [submission_page, submission_map]
