"""Plausibility checks (rules as data): the implausible figures the demo once showed are flagged,
a realistic commune is not; the reviewer sees each flag beside its line and in the queue, marks it
as checked with a comment (audited) or corrects the value; a changed value raises it again."""

from __future__ import annotations

import asyncio

import pytest
from conftest import csrf_header, login
from page_text import read
from pydantic import ValidationError
from test_forms_validate import ANNUAL_OK
from test_review_workflow import FORMS, assessment, send_for_review, submit_forms

from server.core.i18n import use_language
from server.core.tables import AuditLog, CheckedFlag, Period, Score
from server.review import plausibility
from server.review.flags import flag_text

CHECKS = plausibility.load("vn-2019")
# What the demo once showed without a word (issue 14): injured, abuse, malnutrition.
IMPLAUSIBLE = {**ANNUAL_OK, "children_total": 1559, "c5_injured_children": 1551, "c3_abused_children": 1961,
               "c8_under5_total": 803, "c8_under5_underweight": 772, "c8_under5_stunted": 100}


def _checks(values: dict, previous: dict | None = None) -> set[str]:
    return {flag.check for flag in plausibility.run(CHECKS, values, previous)}


def test_the_figures_of_the_issue_are_flagged_and_a_realistic_commune_is_not() -> None:
    assert _checks(ANNUAL_OK) == set()
    assert {"injured_rate", "abuse_count", "underweight_share"} <= _checks(IMPLAUSIBLE)
    injured = next(f for f in plausibility.run(CHECKS, IMPLAUSIBLE) if f.check == "injured_rate")
    with use_language("vi"):
        assert flag_text(injured).startswith("1.551 trẻ bị tai nạn, thương tích trên 1.559 trẻ em (994,9\u00a0‰)")
    with use_language("en"):
        assert flag_text(injured).startswith("1,551 children injured out of 1,559 (994.9‰)")
    assert injured.keys == ("c5_injured_children", "children_total")


@pytest.mark.parametrize(("change", "expected"), [
    ({"children_total": 3000}, "children_total:children_change"),  # far from last period's 1,450
    ({"c8_under5_underweight": 0}, "no_underweight"),  # not one underweight child among 480: rare
    ({"children_total": 700, "c10_age6_14_total": 700, "c12_pupils_total": 700, "c9_checkup_due": 700},
     "repeated_value"),  # one number copied into several boxes
    ({"c2_births_total": 400, "c2_births_registered": 400}, "births_per_children"),  # 28 % of the children
    ({"c7_under1_immunised": 40}, "immunised_low"),
])
def test_each_kind_of_check(change: dict, expected: str) -> None:
    check = expected.split(":")[-1]
    previous = {**ANNUAL_OK} if expected.startswith("children_total:") else None
    assert check in _checks({**ANNUAL_OK, **change}, previous)
    assert check not in _checks(ANNUAL_OK, previous)


def test_a_flag_remembers_the_values_it_saw() -> None:
    first = {f.check: f.fingerprint for f in plausibility.run(CHECKS, IMPLAUSIBLE)}
    again = {f.check: f.fingerprint for f in plausibility.run(CHECKS, dict(IMPLAUSIBLE))}
    moved = {f.check: f.fingerprint for f in plausibility.run(CHECKS, {**IMPLAUSIBLE, "c5_injured_children": 1500})}
    assert first == again and moved["injured_rate"] != first["injured_rate"]
    assert moved["abuse_count"] == first["abuse_count"]  # other flags keep their mark


def test_a_check_file_is_validated_on_load() -> None:
    good = CHECKS.model_dump()
    with pytest.raises(ValidationError, match="not in the data dictionary"):
        plausibility.CheckSet.model_validate({**good, "checks": [{**good["checks"][0], "numerator": "c99_nothing"}]})
    with pytest.raises(ValidationError, match="used twice"):
        plausibility.CheckSet.model_validate({**good, "checks": [good["checks"][0], good["checks"][0]]})
    with pytest.raises(ValidationError):
        plausibility.CheckSet.model_validate({**good, "checks": [{**good["checks"][0], "scale": 7}]})


# ---------------------------------------------------------------- on the pages

IMPLAUSIBLE_FORMS = [("commune-annual", 1, IMPLAUSIBLE), *FORMS[1:]]


def test_a_reviewer_sees_flags_marks_one_checked_and_corrects_another(client, world) -> None:
    login(client, "collab_a")
    submit_forms(client, IMPLAUSIBLE_FORMS)
    send_for_review(client)
    client.cookies.clear()
    login(client, "reviewer_x")
    period, code = world["period"].id, world["commune_a"].code

    queue = client.get("/api/review/queue").json()["rows"]
    flagged = next(row for row in queue if row["code"] == code)["flags"]
    assert flagged >= 3
    assert "⚠" in client.get("/review").text

    page = client.get(f"/review/{period}/{code}").text
    prose = read(page)[0]
    assert "Số liệu cần xem lại" in prose and "1.961 trẻ em bị xâm hại trong một kỳ là rất cao" in prose
    line = page[page.index(">3.1<"):page.index(">4.1<")]  # criterion 3's line carries its flag
    assert "Cần xem lại" in line and "1.961" in line

    def flag_form(check: str) -> dict[str, str]:
        start = page.index(f'id="flag-{check}"')
        fingerprint = page[page.index('name="fingerprint" value="', start) + 26:][:16]
        return {"check": check, "fingerprint": fingerprint}

    refused = client.post(f"/review/{period}/{code}/flags", headers=csrf_header(client),
                          data={**flag_form("abuse_count"), "comment": ""})
    assert refused.status_code == 422 and "Hãy ghi rõ đã kiểm tra gì" in refused.text
    done = client.post(f"/review/{period}/{code}/flags", headers=csrf_header(client), follow_redirects=False,
                       data={**flag_form("abuse_count"), "comment": "Công an xã xác nhận có vụ việc lớn"})
    assert done.status_code == 303
    after = client.get(f"/review/{period}/{code}").text
    assert "Công an xã xác nhận có vụ việc lớn" in after
    assert next(r for r in client.get("/api/review/queue").json()["rows"] if r["code"] == code)["flags"] == flagged - 1
    logged = asyncio.run(AuditLog.select().where(AuditLog.action == "flag_checked").output(load_json=True).run())
    assert len(logged) == 1 and logged[0]["reason"] == "Công an xã xác nhận có vụ việc lớn"

    # Correcting the injured count makes its flag go; a new value of the checked count raises it again.
    version = assessment(client, period, code)["version"]
    client.post(f"/api/review/assessments/{period}/{code}/corrections", headers=csrf_header(client),
                json={"indicator": "c5_injured_children", "value": 6, "reason": "Nhập nhầm ô", "version": version})
    version = assessment(client, period, code)["version"]
    client.post(f"/api/review/assessments/{period}/{code}/corrections", headers=csrf_header(client),
                json={"indicator": "c3_abused_children", "value": 1900, "reason": "Theo hồ sơ", "version": version})
    page = client.get(f"/review/{period}/{code}").text
    assert 'id="flag-injured_rate"' not in page
    assert 'id="flag-abuse_count" class="open"' in page  # 1,900: not the value that was checked
    assert asyncio.run(CheckedFlag.count().run()) == 1


def test_a_count_far_from_last_period_is_flagged(client, world) -> None:
    """Last period's stored score is the reference (the previous period of the same registry set)."""
    login(client, "collab_a")
    submit_forms(client)
    send_for_review(client)

    async def last_period_with_fewer_children() -> None:
        earlier = Period(name="Đánh giá năm 2024", year=2024, rule_set="vn-2019", unit_set="2025", form_versions={},
                         active=False)
        await earlier.save().run()
        from server.core.tables import Assessment
        row = Assessment(key=f"{earlier.id}:{world['commune_a'].id}", period=earlier.id, commune=world["commune_a"].id,
                         state="recognised")
        await row.save().run()
        latest = await Score.objects().first().output(load_json=True).run()
        await Score(assessment=row.id, rules_id="vn-2019", rules_version="x", rules_sha256="x", form_versions={},
                    indicators={**latest.indicators, "children_total": 900}, result=latest.result, total=latest.total,
                    certified=latest.certified, provisional=latest.provisional).save().run()
    asyncio.run(last_period_with_fewer_children())
    client.cookies.clear()
    login(client, "reviewer_x")
    page = read(client.get(f"/review/{world['period'].id}/{world['commune_a'].code}").text)[0]
    assert "Tổng số trẻ em là 1.450, kỳ trước là 900 (thay đổi +61 %)" in page  # read() folds the no-break space
