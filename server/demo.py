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
from dataclasses import dataclass, replace

from matplotlib.backends.backend_pdf import FigureCanvasPdf
from matplotlib.figure import Figure

from forms import registry as form_registry
from server.accounts.users import create_user
from server.registry.units import children_of, find_province, get_unit, import_units
from server import demo_figures as figures
from server.collection import photos
from server.collection.submissions import submit
from server.core.filenames import slug
from server.history.demo import load_history_demo
from server.maps import fonts
from server.maps.render import RENDER_LOCK
from server.review import assessments, deadlines, list_comments, lists
from server.core.tables import Period, Unit, User

DEMO_PASSWORD = "phuhop-demo"
DEMO_PROVINCE = "bac ninh"


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
    years = figures.profiles(len(chosen), rng)
    _typos(years)
    authors: list[User] = []
    for number, (commune, year) in enumerate(zip(chosen, years), start=1):
        created = await create_user(f"ctv.{commune.code}", DEMO_PASSWORD, "collaborator", unit_code=commune.code,
                                    display_name=f"Cộng tác viên {commune.name}")
        author = await User.objects(User.unit).where(User.id == created.id).first()  # as a logged-in user
        authors.append(author)
        stored += await _fill_commune(author, commune, year, period.year, rng)
        progress(f"{number}/{len(chosen)} {commune.name}: {stored} submissions so far")
    recognised = await _review(period, province_unit, chosen, authors, years, progress)
    admin = await User.objects(User.unit).where(User.username == "admin").first()
    await load_history_demo(province_unit, admin, seed, progress)
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


def _typos(years: list[figures.Profile]) -> None:
    """Two communes typed a figure in the wrong box: one waits for the reviewer, one was returned for it."""
    for index in (WAITING, RETURNED):
        if index < len(years):
            years[index] = replace(years[index], typo=True)


WAITING, RETURNED = 5, 4  # positions (modulo 6) of the communes left waiting and returned


async def _review(period: Period, province: Unit, communes: list[Unit], authors: list[User],
                  years: list[figures.Profile], progress: Callable[[str], None]) -> int:
    """Every commune sends; the reviewer approves two thirds (one list, posted then final),
    returns a few with a comment and leaves the rest waiting, as a real queue looks."""
    reviewer = await User.objects(User.unit).where(User.username == "tham.dinh").first()
    approved = 0
    for number, (commune, author, year) in enumerate(zip(communes, authors, years)):
        ctx = await assessments.load(period, commune, author)
        await assessments.change_state(ctx, "send", author, ctx.assessment.version)
        if number % 6 == WAITING:
            continue  # still waiting for the reviewer
        ctx = await assessments.load(period, commune, reviewer)
        if number % 6 == RETURNED:
            comment = (RETURN_FOR_TYPO if year.typo else
                       "Đề nghị xã gửi kèm biên bản xác minh của trạm y tế cho các số liệu về trẻ em dưới 5 tuổi.")
            await assessments.change_state(ctx, "return", reviewer, ctx.assessment.version, comment)
        elif ctx.computed.result is not None:
            await assessments.change_state(ctx, "approve", reviewer, ctx.assessment.version,
                                           year.reason if year.reason else "")
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


RETURN_FOR_TYPO = ("Số trẻ bị tai nạn, thương tích gần bằng tổng số trẻ em của xã: có lẽ đã nhập nhầm ô. "
                   "Đề nghị xã kiểm tra và gửi lại.")


async def _fill_commune(author: User, commune: Unit, year: figures.Profile, period_year: int,
                        rng: random.Random) -> int:
    """One commune's forms of the year: its annual figures, 1–3 play areas (most with a photo), its
    activities with children (a consultation per commune decision, a forum) and 8–14 opinions."""
    near = (commune.lat, commune.lon) if commune.lat is not None and commune.lon is not None else (21.18, 106.07)
    decisions = figures.decision_titles(rng, period_year, rng.randint(2, 4))
    forms: list[tuple[str, dict]] = [("commune-annual", figures.annual(year, rng, period_year, figures.population(rng),
                                                                        len(decisions)))]
    places = rng.randint(1, 3)
    forms += [("play-area", figures.play_area(rng, near, number, safe=number == 1 or rng.random() < 0.6))
              for number in range(1, places + 1)]
    today = deadlines.today()
    forms += [("child-participation", figures.activity(rng, period_year, title, today)) for title in decisions]
    forms.append(("child-participation", figures.activity(rng, period_year, None, today)))
    forms += [("satisfaction", answers) for answers in figures.opinions(year, rng)]
    for form_id, answers in forms:
        form = form_registry.latest(form_id)
        key = uuid.UUID(int=rng.getrandbits(128), version=4)
        picture = None
        if form_id == "play-area" and rng.random() < 0.75:
            answers["photo"] = f"anh-{slug(answers['place_name'])}.png"
            picture = figures.photo(answers["kind"], rng)
        stored = await submit(author, uuid=key, form_id=form_id, form_version=form.version, answers=answers,
                              source="web")
        if picture is not None:  # kept as the phone's upload of it would be
            await photos.keep(stored.submission, [photos.check(answers["photo"], "IMG_2026.png", picture)],
                              user=author, source="web")
    return len(forms)
