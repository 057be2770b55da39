"""Demo data: one real province, an open period, demo accounts, a few hundred real submissions, and
communes at every step of the procedure (sent, under review, returned, approved, on a final list).

Everything goes through the same services as real use (registry import, accounts, `submit` with
validation and the audit log), so the demo shows what a province would see after a few weeks of
collection. Loading twice changes nothing.
"""

from __future__ import annotations

import io
import random
import uuid
from datetime import date, timedelta
from collections.abc import Callable
from dataclasses import dataclass

from matplotlib.backends.backend_pdf import FigureCanvasPdf
from matplotlib.figure import Figure

from forms import registry as form_registry
from server.accounts.users import create_user
from server.registry.units import children_of, find_province, get_unit, import_units
from server.collection.samples import sample_answers
from server.collection.submissions import submit
from server.maps import fonts
from server.maps.render import RENDER_LOCK
from server.review import assessments, deadlines, list_comments, lists
from server.core.tables import Period, Unit, User

DEMO_PASSWORD = "phuhop-demo"
DEMO_PROVINCE = "bac ninh"
# How many of each form one commune sends (annual once; the others vary around these).
# A well-run commune reports every "share of children who…" close to its total and few bad events.
FULL_SHARES = {"c2_births_registered": "c2_births_total", "c6_special_supported": "c6_special_total",
               "c6_severe_cases_with_plan": "c6_severe_cases", "c7_under1_immunised": "c7_under1_total",
               "c9_checkup_done": "c9_checkup_due", "c10_age5_in_preschool": "c10_age5_total",
               "c10_age6_14_in_school": "c10_age6_14_total", "c11_decisions_consulted": "c11_decisions_total",
               "c12_pupils_swim_taught": "c12_pupils_total", "c13_satisfied": "c13_respondents"}
SMALL_SHARES = {"c8_under5_underweight": ("c8_under5_total", 0.03), "c8_under5_stunted": ("c8_under5_total", 0.05),
                "c5_injured_children": ("children_total", 0.002)}
PER_COMMUNE = {"commune-annual": (1, 1), "play-area": (1, 3), "child-participation": (1, 3), "satisfaction": (4, 12)}


@dataclass(frozen=True)
class DemoSummary:
    province: str
    communes: int
    communes_with_data: int
    submissions: int
    recognised: int
    accounts: dict[str, str]  # username -> what it is
    already_loaded: bool


async def load_demo(province: str = DEMO_PROVINCE, communes_with_data: int = 30, seed: int = 2026,
                    progress: Callable[[str], None] = lambda _: None) -> DemoSummary:
    """Import `province` of the 2025 registry, open a vn-2019 period and fill it with submissions."""
    source = find_province("2025", province)
    await import_units("2025", province=province)
    province_unit = await get_unit("2025", source.code)
    communes = sorted(await children_of("2025", province_unit), key=lambda unit: unit.code)
    accounts = {"admin": "admin", "tham.dinh": f"reviewer · {province_unit.name}",
                "cong.tac.vien": f"collaborator · {communes[0].name}"}
    if await User.exists().where(User.username == "cong.tac.vien"):
        progress("demo data already loaded")
        return DemoSummary(province_unit.name, len(communes), 0, 0, 0, accounts, True)

    period = await _open_period()
    await create_user("admin", DEMO_PASSWORD, "admin", display_name="Quản trị hệ thống")
    await create_user("tham.dinh", DEMO_PASSWORD, "reviewer", unit_code=province_unit.code,
                      display_name=f"Cán bộ thẩm định {province_unit.name}")
    await create_user("cong.tac.vien", DEMO_PASSWORD, "collaborator", unit_code=communes[0].code,
                      display_name=f"Cộng tác viên {communes[0].name}")

    rng = random.Random(seed)
    stored = 0
    chosen = communes[1:communes_with_data + 1]
    authors: list[User] = []
    for number, commune in enumerate(chosen, start=1):
        created = await create_user(f"ctv.{commune.code}", DEMO_PASSWORD, "collaborator", unit_code=commune.code,
                                    display_name=f"Cộng tác viên {commune.name}")
        author = await User.objects(User.unit).where(User.id == created.id).first()  # as a logged-in user
        authors.append(author)
        stored += await _fill_commune(author, commune, rng)
        progress(f"{number}/{len(chosen)} {commune.name}: {stored} submissions so far")
    recognised = await _review(period, province_unit, chosen, authors, progress)
    return DemoSummary(province_unit.name, len(communes), len(chosen), stored, recognised, accounts, False)


def sample_scan(number: str, signed_on: date, signer: str) -> bytes:
    """A stand-in for the scan of a signed decision (demo and tests): one A4 page drawn by matplotlib as a PDF."""
    with RENDER_LOCK:
        figure = Figure(figsize=(8.27, 11.69))
        FigureCanvasPdf(figure)
        lines = [("BẢN QUÉT MINH HỌA (dữ liệu mẫu)", 16, True), (f"Quyết định số {number}", 14, True),
                 (f"ngày {signed_on.strftime('%d/%m/%Y')}", 13, False), (signer, 13, False)]
        for index, (text, size, bold) in enumerate(lines):
            figure.text(0.5, 0.8 - index * 0.06, text, ha="center", fontproperties=fonts.font(size, bold=bold))
        buffer = io.BytesIO()
        figure.savefig(buffer, format="pdf", metadata={"CreationDate": None})
        return buffer.getvalue()


async def _open_period() -> Period:
    """This year's period, open for another three months (the demo works whatever day it is loaded)."""
    accepted = {form.form_id: [form.version] for form in form_registry.list_forms() if form.status == "published"}
    today = deadlines.today()
    period = Period(name=f"Đánh giá năm {today.year}", year=today.year, rule_set="vn-2019", unit_set="2025",
                    form_versions=accepted, opens_on=f"{today.year}-01-01",
                    closes_on=(today + timedelta(days=90)).isoformat())
    await period.save()
    return await Period.objects().where(Period.id == period.id).first().output(load_json=True)


def _as_well_run(form_id: str, answers: dict, rng: random.Random) -> None:
    """Turn random answers into those of a commune that does well (still valid answers)."""
    if form_id == "satisfaction":
        answers["overall"] = rng.choice(["satisfied", "very_satisfied"])
    elif form_id == "commune-annual":
        for key, value in answers.items():
            if value is False:
                answers[key] = True
        for key in ("c3_abused_children", "c4_children_offending", "c5_accident_deaths"):
            answers[key] = 0
        for numerator, denominator in FULL_SHARES.items():
            if isinstance(answers.get(denominator), int) and numerator in answers:
                answers[numerator] = answers[denominator]
        for numerator, (denominator, share) in SMALL_SHARES.items():
            if isinstance(answers.get(denominator), int) and numerator in answers:
                answers[numerator] = int(answers[denominator] * share)
        answers["c12_activities"] = max(answers.get("c12_activities", 0), 6)


async def _review(period: Period, province: Unit, communes: list[Unit], authors: list[User],
                  progress: Callable[[str], None]) -> int:
    """Every commune sends; the reviewer approves two thirds (one list, posted then final),
    returns a few with a comment and leaves the rest waiting, as a real queue looks."""
    reviewer = await User.objects(User.unit).where(User.username == "tham.dinh").first()
    approved = 0
    for number, (commune, author) in enumerate(zip(communes, authors)):
        ctx = await assessments.load(period, commune, author)
        await assessments.change_state(ctx, "send", author, ctx.assessment.version)
        if number % 6 == 5:
            continue  # still waiting for the reviewer
        ctx = await assessments.load(period, commune, reviewer)
        if number % 6 == 4:
            await assessments.change_state(ctx, "return", reviewer, ctx.assessment.version,
                                           "Đề nghị xã kiểm tra lại số trẻ em được tiêm chủng đầy đủ.")
        elif ctx.computed.result is not None:
            await assessments.change_state(ctx, "approve", reviewer, ctx.assessment.version)
            approved += 1
    listed = await lists.create(period, province, reviewer, note="Danh sách minh họa")
    # The procedure as it happened: posted for two weeks, one comment answered, then the signed decision.
    today = deadlines.today()
    posted_from, posted_to, signed_on = (today - timedelta(days=days) for days in (30, 16, 10))
    await lists.post(await lists.get_list(listed.id), reviewer, posted_from.isoformat(), posted_to.isoformat())
    await list_comments.record(await lists.get_list(listed.id), reviewer, {
        "received_on": (posted_from + timedelta(days=3)).isoformat(), "sender": "Ban công tác Mặt trận khu phố 3",
        "text": "Đề nghị niêm yết thêm danh sách tại nhà văn hóa khu phố.",
        "answer": "Đã niêm yết bổ sung tại nhà văn hóa các khu phố từ ngày hôm sau."})
    number, signer = "15/QĐ-UBND", "Chủ tịch UBND tỉnh (chữ ký minh họa)"
    await lists.finalise(await lists.get_list(listed.id), reviewer,
                         {"number": number, "date": signed_on.isoformat(), "signer": signer},
                         sample_scan(number, signed_on, signer))
    recognised = sum(1 for entry in await lists.entries([listed.id]) if entry.certified)
    progress(f"review: {approved} approved, final list with {recognised} recognised")
    return recognised


async def _fill_commune(author: User, commune, rng: random.Random) -> int:
    near = (commune.lat, commune.lon) if commune.lat is not None and commune.lon is not None else None
    well_run = rng.random() < 0.6
    count = 0
    for form_id, (low, high) in PER_COMMUNE.items():
        form = form_registry.latest(form_id)
        for _ in range(rng.randint(low, high)):
            answers = sample_answers(form, rng, near=near)
            if well_run:
                _as_well_run(form_id, answers, rng)
            await submit(author, uuid=uuid.UUID(int=rng.getrandbits(128), version=4), form_id=form_id,
                         form_version=form.version, answers=answers, source="web")
            count += 1
    return count
