"""Builds public results in the real test database: assessments, real scores, certification lists.

Rows go through Piccolo exactly as the review service will write them; scores are real
`scoring.score()` results. (The lead will switch this to the review service once it exists.)
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from scoring import load_rules, score
from server.core.db import write_transaction
from server.core.tables import Assessment, CertificationEntry, CertificationList, Period, Score, Unit, User

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def example_indicators(name: str = "xa-other") -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{name}.json").read_text())["indicators"]


def recognised_indicators() -> dict[str, Any]:
    """870 points for "other", 945-ish for others: recognised under every threshold but urban_ward's."""
    return example_indicators("phuong-urban-ward")


def failing_indicators(abused: int = 2) -> dict[str, Any]:
    """Two abused children zero criterion 3: never recognised, whatever the total."""
    values = copy.deepcopy(example_indicators("xa-other"))
    values["c3_abused_children"] = abused
    return values


async def make_period(name: str, year: int, unit_set: str = "2025", rule_set: str = "vn-2019",
                      active: bool = False) -> Period:
    """A period (closed unless `active`: submissions go to the world's open period)."""
    period = Period(name=name, year=year, rule_set=rule_set, unit_set=unit_set, form_versions={},
                    opens_on=f"{year}-01-01", closes_on=f"{year}-12-31", active=active)
    await period.save()
    return period


async def make_list(period: Period, area: Unit, by: User, results: list[tuple[Unit, dict[str, Any]]], *,
                    state: str = "final", revision: int = 1) -> CertificationList:
    """A list of `area` in `period` with one entry per commune, scored from its indicators."""
    rules = load_rules(period.rule_set)
    now = datetime.now(timezone.utc)
    async with write_transaction():
        cert_list = CertificationList(
            key=f"{period.id}:{area.id}:{revision}", period=period.id, area=area.id, revision=revision,
            state=state, created_by=by.id, posted_at=now if state in ("posted", "final") else None,
            finalized_at=now if state == "final" else None)
        await cert_list.save()
        for commune, indicators in results:
            result = score(rules, commune.commune_type or "other", indicators)
            key = f"{period.id}:{commune.id}"
            assessment = await Assessment.objects().where(Assessment.key == key).first()
            commune_state = ("recognised" if result.certified else "not_recognised") if state == "final" else "approved"
            if assessment is None:
                assessment = Assessment(key=key, period=period.id, commune=commune.id, state=commune_state)
                await assessment.save()
            else:
                await Assessment.update({Assessment.state: commune_state, Assessment.version: assessment.version + 1}) \
                    .where(Assessment.id == assessment.id)
            stored = Score(assessment=assessment.id, rules_id=result.rules.id, rules_version=result.rules.version,
                           rules_sha256=result.rules.sha256, form_versions={}, indicators=indicators,
                           result=result.model_dump(mode="json"), total=result.total, certified=result.certified,
                           provisional=result.uses_provisional, computed_by=by.id)
            await stored.save()
            await CertificationEntry(certification_list=cert_list.id, commune=commune.id, score=stored.id,
                                     commune_type=result.commune_type, total=result.total,
                                     threshold=result.threshold, certified=result.certified,
                                     provisional=result.uses_provisional).save()
    return cert_list


async def communes_of(unit_set: str, province_code: str) -> list[Unit]:
    return await Unit.objects().where((Unit.unit_set == unit_set) & (Unit.kind == "commune")
                                      & Unit.path.like(f"/{province_code}/%")).order_by(Unit.path)


async def province(unit_set: str, code: str) -> Unit:
    return await Unit.objects().where(Unit.key == f"{unit_set}:{code}").first()


# ---------------------------------------------------------------- a scenario on real registry data

BAC_NINH = "24"


def build_scenario(world: dict, recognised: int = 20, failing: int = 10) -> dict:
    """Bắc Ninh (99 real communes) imported; a final list of the world's period with `recognised` +
    `failing` communes, a final list of an earlier period, and a list of Hà Nội only posted for comment."""
    import asyncio

    from server.registry.units import import_units

    async def build() -> dict:
        await import_units("2025", province="bac ninh")
        admin = world["users"]["admin"]
        area = await province("2025", BAC_NINH)
        communes = await communes_of("2025", BAC_NINH)
        chosen = communes[:recognised + failing]
        listed = [(c, recognised_indicators() if i < recognised else failing_indicators())
                  for i, c in enumerate(chosen)]
        earlier = await make_period("Đánh giá năm 2024", 2024)
        old_list = await make_list(earlier, area, admin, [(c, failing_indicators() if i % 2 else recognised_indicators())
                                                           for i, c in enumerate(communes[:12])])
        final = await make_list(world["period"], area, admin, listed)
        posted = await make_list(world["period"], world["province"], admin,
                                 [(world["commune_a"], recognised_indicators())], state="posted")
        return {"area": area, "communes": communes, "listed": chosen, "final": final, "posted": posted,
                "earlier": earlier, "old_list": old_list, "period": world["period"],
                "recognised": chosen[:recognised], "failing": chosen[recognised:]}

    return asyncio.run(build())


def count_colour(png: bytes, colour: str) -> int:
    """Pixels of exactly this "#rrggbb" colour in a PNG."""
    import io

    import numpy
    from PIL import Image

    pixels = numpy.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    wanted = numpy.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=pixels.dtype)
    return int(numpy.all(pixels == wanted, axis=-1).sum())


def image_size(png: bytes) -> tuple[int, int]:
    import io

    from PIL import Image

    return Image.open(io.BytesIO(png)).size
