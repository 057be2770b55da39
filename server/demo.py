"""Demo data: one real province, an open period, demo accounts and a few hundred real submissions.

Everything goes through the same services as real use (registry import, accounts, `submit` with
validation and the audit log), so the demo shows what a province would see after a few weeks of
collection. Loading twice changes nothing.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from forms import registry as form_registry
from server.accounts import create_user
from server.registry import children_of, find_province, get_unit, import_units
from server.samples import sample_answers
from server.submissions import submit
from server.tables import Period, User

DEMO_PASSWORD = "phuhop-demo"
DEMO_PROVINCE = "bac ninh"
# How many of each form one commune sends (annual once; the others vary around these).
PER_COMMUNE = {"commune-annual": (1, 1), "play-area": (1, 3), "child-participation": (1, 3), "satisfaction": (4, 12)}


@dataclass(frozen=True)
class DemoSummary:
    province: str
    communes: int
    communes_with_data: int
    submissions: int
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
        return DemoSummary(province_unit.name, len(communes), 0, 0, accounts, True)

    await _open_period()
    await create_user("admin", DEMO_PASSWORD, "admin", display_name="Quản trị hệ thống")
    await create_user("tham.dinh", DEMO_PASSWORD, "reviewer", unit_code=province_unit.code,
                      display_name=f"Cán bộ thẩm định {province_unit.name}")
    await create_user("cong.tac.vien", DEMO_PASSWORD, "collaborator", unit_code=communes[0].code,
                      display_name=f"Cộng tác viên {communes[0].name}")

    rng = random.Random(seed)
    stored = 0
    chosen = communes[1:communes_with_data + 1]
    for number, commune in enumerate(chosen, start=1):
        created = await create_user(f"ctv.{commune.code}", DEMO_PASSWORD, "collaborator", unit_code=commune.code,
                                    display_name=f"Cộng tác viên {commune.name}")
        author = await User.objects(User.unit).where(User.id == created.id).first()  # as a logged-in user
        stored += await _fill_commune(author, commune, rng)
        progress(f"{number}/{len(chosen)} {commune.name}: {stored} submissions so far")
    return DemoSummary(province_unit.name, len(communes), len(chosen), stored, accounts, False)


async def _open_period() -> None:
    accepted = {form.form_id: [form.version] for form in form_registry.list_forms() if form.status == "published"}
    await Period(name="Đánh giá năm 2026", year=2026, rule_set="vn-2019", unit_set="2025", form_versions=accepted,
                 opens_on="2026-01-01", closes_on="2026-12-31").save()


async def _fill_commune(author: User, commune, rng: random.Random) -> int:
    near = (commune.lat, commune.lon) if commune.lat is not None and commune.lon is not None else None
    count = 0
    for form_id, (low, high) in PER_COMMUNE.items():
        form = form_registry.latest(form_id)
        for _ in range(rng.randint(low, high)):
            answers = sample_answers(form, rng, near=near)
            await submit(author, uuid=uuid.UUID(int=rng.getrandbits(128), version=4), form_id=form_id,
                         form_version=form.version, answers=answers, source="web")
            count += 1
    return count
