"""A commune's year as the demo tells it: figures drawn from realistic rates, and forms about places,
activities and opinions that read like a real commune's.

Rates (Viet Nam, orders of magnitude): children under 16 are 22–27 % of the population; births
1.5–2 % of it a year; abuse and offending mostly 0 and rarely 1–2; injuries a few per 1,000
children; under-5 underweight 5–12 % and stunting 8–20 %; full immunisation 90–100 %; preschool
and school attendance close to 100 %. About 60 % of communes pass (57 % did nationally in mid-2024);
each one that fails does so for a reason an official knows from the reports: abuse or offending
cases, a child who drowned, immunisation or on-time birth registration below the mark,
malnutrition, residents not satisfied. A few sent a figure in the wrong box, so that the
plausibility checks have something to show.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Rectangle


@dataclass(frozen=True)
class Profile:
    """How a commune's year went: `good`, or the reason it fails (and what the reviewer would say)."""

    key: str
    reason: str  # in Vietnamese, as a reviewer would put it
    typo: bool = False  # a figure typed in the wrong box (the plausibility checks flag it)


FAILURES = (
    Profile("abuse", "Có 2 trẻ em bị xâm hại trong năm: tiêu chí 3 bị 0 điểm."),
    Profile("immunisation", "Tỷ lệ trẻ dưới 1 tuổi được tiêm chủng đầy đủ dưới 90 %: tiêu chí 7 bị 0 điểm."),
    Profile("birth_registration", "Tỷ lệ trẻ được đăng ký khai sinh đúng hạn dưới 95 %: tiêu chí 2 bị 0 điểm."),
    Profile("drowning", "Một trẻ em bị đuối nước và ít học sinh được dạy bơi: tổng điểm dưới mức đạt chuẩn."),
    Profile("malnutrition", "Tỷ lệ trẻ dưới 5 tuổi suy dinh dưỡng cao: tiêu chí 8 bị 0 điểm."),
    Profile("offending", "Có 2 trẻ em vi phạm pháp luật trong năm: tiêu chí 4 bị 0 điểm."),
    Profile("dissatisfied", "Dưới 70 % người được hỏi hài lòng: tiêu chí 13 bị 0 điểm."),
)
GOOD = Profile("good", "")


def profiles(count: int, rng: random.Random, pass_share: float = 0.6) -> list[Profile]:
    """`count` communes' years: about `pass_share` good, the rest failing for the reasons above in turn."""
    good = round(count * pass_share)
    chosen = [GOOD] * good + [FAILURES[i % len(FAILURES)] for i in range(count - good)]
    rng.shuffle(chosen)
    return chosen


def _share(rng: random.Random, low: float, high: float, whole: int) -> int:
    return min(whole, round(whole * rng.uniform(low, high)))


# ---------------------------------------------------------------- the annual figures

def population(rng: random.Random) -> int:
    """People in a commune after the 2025 merger: about 30,000 (15,000–70,000)."""
    return max(12_000, min(80_000, round(rng.lognormvariate(math.log(30_000), 0.35))))


def annual(profile: Profile, rng: random.Random, year: int, people: int, decisions: int) -> dict[str, Any]:
    """The commune-annual form of one year, from rates (`decisions`: the commune's decisions about children)."""
    key = profile.key
    children = round(people * rng.uniform(0.22, 0.27))
    births = round(people * rng.uniform(0.015, 0.02))
    under1 = round(births * rng.uniform(0.95, 1.03))
    under5 = round(children * rng.uniform(0.27, 0.32))
    age5 = round(children * rng.uniform(0.055, 0.068))
    age6_14 = round(children * rng.uniform(0.53, 0.6))
    pupils = round(children * rng.uniform(0.55, 0.64))
    special = round(children * rng.uniform(0.01, 0.035))
    severe = rng.choice([0, 0, 0, 1, 1, 2])
    answers = {
        "period_year": year, "children_total": children,
        "c1_protection_officer": True, "c1_village_collaborators": rng.random() < 0.95,
        "c1_board_meets_regularly": True, "c1_budget_allocated": rng.random() < 0.95,
        "c2_births_total": births,
        "c2_births_registered": _share(rng, 0.90, 0.94, births) if key == "birth_registration" else
        _share(rng, 0.985, 1.0, births),
        "c3_abused_children": 2 if key == "abuse" else (1 if rng.random() < 0.03 else 0),
        "c4_children_offending": 2 if key == "offending" else (1 if rng.random() < 0.05 else 0),
        "c5_accident_deaths": 1 if key == "drowning" else 0,
        "c5_injured_children": round(children * rng.uniform(0.002, 0.006)),
        "c6_special_total": special, "c6_special_supported": _share(rng, 0.96, 1.0, special),
        "c6_severe_cases": severe, "c6_severe_cases_with_plan": severe,
        "c7_under1_total": under1,
        "c7_under1_immunised": _share(rng, 0.83, 0.89, under1) if key == "immunisation" else
        _share(rng, 0.96, 1.0, under1),
        "c8_under5_total": under5,
        "c8_under5_underweight": _share(rng, 0.16, 0.2, under5) if key == "malnutrition" else
        _share(rng, 0.05, 0.1, under5),
        "c8_under5_stunted": _share(rng, 0.16, 0.2, under5) if key == "malnutrition" else
        _share(rng, 0.08, 0.15, under5),
        "c9_checkup_due": round(children * rng.uniform(0.9, 1.0)),
        "c10_age5_total": age5, "c10_age5_in_preschool": _share(rng, 0.99, 1.0, age5),
        "c10_age6_14_total": age6_14, "c10_age6_14_in_school": _share(rng, 0.99, 1.0, age6_14),
        "c11_children_club_active": True, "c11_decisions_total": decisions,
        "c12_activities": rng.randint(3, 5) if key == "drowning" else rng.randint(5, 14),
        "c12_pupils_total": pupils,
        "c12_pupils_swim_taught": _share(rng, 0.25, 0.4, pupils) if key == "drowning" else
        _share(rng, 0.6, 0.92, pupils),
    }
    answers["c9_checkup_done"] = _share(rng, 0.9, 0.99, answers["c9_checkup_due"])
    if key == "drowning":  # a bad year all round: fewer pupils checked, some 5-year-olds not in preschool
        answers["c10_age5_in_preschool"] = _share(rng, 0.95, 0.97, age5)
        answers["c9_checkup_done"] = _share(rng, 0.8, 0.86, answers["c9_checkup_due"])
    if profile.typo:  # the injured count typed where the children's count goes
        answers["c5_injured_children"] = children - rng.randint(5, 12)
    return answers


# ---------------------------------------------------------------- places, activities, opinions

VILLAGES = ("Đông", "Đoài", "Thượng", "Hạ", "Trung", "Nam", "Bắc", "Tân Lập", "Phú Mỹ", "An Bình", "Hòa Bình",
            "Quyết Tiến")
PLACES = (  # (kind, name pattern)
    ("playground", "Sân chơi nhà văn hóa thôn {village}"),
    ("sport_ground", "Sân bóng đá thôn {village}"),
    ("cultural_house", "Nhà văn hóa thôn {village}"),
    ("library", "Tủ sách thiếu nhi nhà văn hóa thôn {village}"),
    ("school_yard", "Sân trường Tiểu học số {number}"),
    ("swimming_place", "Bể bơi di động trường THCS số {number}"),
)
REQUESTS = ("Đề nghị lắp thêm đèn chiếu sáng ở sân chơi để chơi được buổi tối.",
            "Mong có lớp dạy bơi miễn phí vào dịp hè.",
            "Đề nghị sửa cầu trượt và xích đu bị hỏng ở sân chơi thôn.",
            "Muốn có thêm sách truyện và sách kỹ năng ở tủ sách thôn.",
            "Đề nghị đặt biển báo giảm tốc độ trước cổng trường.",
            "Mong sân bóng được mở cửa cả ngày Chủ nhật.",
            "Đề nghị có rào chắn quanh ao cạnh đường đi học.")
DECISIONS = ("Kế hoạch thực hiện Chương trình bảo vệ trẻ em năm {year}",
             "Kế hoạch phòng, chống đuối nước cho trẻ em dịp hè {year}",
             "Quyết định cải tạo sân chơi thôn {village}",
             "Kế hoạch tổ chức Tháng hành động vì trẻ em năm {year}",
             "Phương án xây dựng tủ sách thiếu nhi ở nhà văn hóa thôn {village}",
             "Kế hoạch tổ chức Diễn đàn trẻ em xã năm {year}")
REMARKS = ("Sân rộng, có cây bóng mát; cần sơn lại đồ chơi.", "Cạnh ao, đã có rào chắn.",
           "Thôn đang vận động kinh phí làm mái che.", "Trẻ em chơi đông vào buổi chiều.", "")


def play_area(rng: random.Random, near: tuple[float, float], number: int, safe: bool) -> dict[str, Any]:
    kind, pattern = rng.choice(PLACES)
    hazards = ["none"] if safe or rng.random() < 0.3 else rng.sample(["open_water", "traffic", "electricity"], 1)
    lat, lon = near
    answers = {
        "place_name": pattern.format(village=rng.choice(VILLAGES), number=number), "kind": kind,
        "location": {"lat": round(lat + rng.uniform(-0.02, 0.02), 6), "lon": round(lon + rng.uniform(-0.02, 0.02), 6),
                     "accuracy": round(rng.uniform(4, 15), 1)},
        "area_m2": float(rng.choice([300, 450, 600, 800, 1200, 2500])),
        "opening": rng.choice(["every_day", "every_day", "after_school", "weekends_holidays"]),
        "opening_hours": rng.choice(["16 giờ – 19 giờ", "7 giờ – 21 giờ", "Chiều các ngày trong tuần"]),
        "adult_present": rng.random() < 0.7,
        "equipment_condition": rng.choice(["good", "good", "worn"]) if safe else rng.choice(["worn", "broken"]),
        "hazards": hazards, "fenced": safe or rng.random() < 0.5, "shade": rng.random() < 0.8,
        "toilets": rng.random() < 0.6, "disability_access": rng.random() < 0.4,
        "remarks": rng.choice(REMARKS),
    }
    if not answers["remarks"]:
        del answers["remarks"]
    return answers


def activity(rng: random.Random, year: int, decision: str | None, latest: date | None = None) -> dict[str, Any]:
    """One activity with children of `year`, on a day no later than `latest` (today, for the demo)."""
    last = min(date(year, 10, 31), latest or date(year, 10, 31))
    span = max(1, (last - date(year, 1, 10)).days)
    day = date(year, 1, 10) + timedelta(days=rng.randrange(0, span))
    children = rng.randint(25, 120)
    girls = round(children * rng.uniform(0.4, 0.6))
    answers: dict[str, Any] = {
        "activity_date": day.isoformat(), "kind": "consultation" if decision else rng.choice(["forum", "club", "dialogue"]),
        "children_total": children, "girls": girls, "boys": children - girls, "ethnic_minority": rng.randint(0, 3),
        "with_disability": rng.randint(0, 2),
        "topics": sorted(rng.sample(["protection", "school", "play", "health", "injury_drowning", "online_safety"],
                                    rng.randint(1, 3))),
        "children_requests": rng.choice(REQUESTS), "about_commune_decision": decision is not None,
        "commune_answered": rng.random() < 0.85,
    }
    if decision:
        answers["decision_title"] = decision
    if answers["commune_answered"]:
        answers["answered_date"] = min(day + timedelta(days=rng.randint(5, 30)), latest or date.max).isoformat()
    return answers


def decision_titles(rng: random.Random, year: int, count: int) -> list[str]:
    titles = rng.sample(DECISIONS, count)
    return [title.format(year=year, village=rng.choice(VILLAGES)) for title in titles]


def opinion(rng: random.Random, satisfied: bool) -> dict[str, Any]:
    child = rng.random() < 0.5
    mood = rng.choice(["satisfied", "very_satisfied"]) if satisfied else rng.choice(["neutral", "dissatisfied"])
    answers = {"respondent": "child" if child else "adult",
               "age_band": rng.choice(["age_6_10", "age_11_15"] if child else ["age_16_29", "age_30_59", "age_60_plus"]),
               "overall": mood}
    for question in ("safety", "play", "school", "listened_to"):
        if rng.random() < 0.8:
            answers[question] = mood if rng.random() < 0.7 else rng.choice(["satisfied", "neutral", "very_satisfied"])
    return answers


def opinions(profile: Profile, rng: random.Random) -> list[dict[str, Any]]:
    """8–14 answers to the satisfaction survey: 88–100 % satisfied, 45–65 % where residents are not."""
    count = rng.randint(8, 14)
    share = rng.uniform(0.45, 0.65) if profile.key == "dissatisfied" else rng.uniform(0.88, 1.0)
    satisfied = round(count * share)
    answers = [opinion(rng, number < satisfied) for number in range(count)]
    rng.shuffle(answers)
    return answers


# ---------------------------------------------------------------- a photo of a place (drawn: no one on it)

def photo(kind: str, rng: random.Random) -> bytes:
    """A small drawing of a play place (sky, ground, a slide or goal, trees) as a PNG: a stand-in for
    the photo a collaborator takes, with no person on it."""
    figure = Figure(figsize=(3.2, 2.4), facecolor="#bfe3f5")
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, 32)
    axes.set_ylim(0, 24)
    axes.set_axis_off()
    axes.add_patch(Rectangle((0, 0), 32, 9, color="#8cc152" if kind != "school_yard" else "#d9c9a3"))
    axes.add_patch(Circle((27, 20), 2.2, color="#ffd54f"))
    for x in rng.sample(range(2, 30), 3):
        axes.add_patch(Rectangle((x - 0.3, 9), 0.6, 3, color="#6d4c41"))
        axes.add_patch(Circle((x, 13.5), 2, color="#388e3c"))
    if kind in ("sport_ground", "school_yard"):
        axes.plot([10, 10, 22, 22], [9, 15, 15, 9], color="white", linewidth=3)
    elif kind in ("cultural_house", "library"):
        axes.add_patch(Rectangle((9, 9), 14, 7, color="#f5e6c8"))
        axes.fill([8, 16, 24], [16, 21, 16], color="#c0392b")
    elif kind == "swimming_place":
        axes.add_patch(Rectangle((6, 3), 20, 5, color="#4fc3f7"))
    else:
        axes.plot([8, 12, 12], [9, 15, 9], color="#e53935", linewidth=3)
        axes.plot([12, 18], [15, 9], color="#fb8c00", linewidth=4)
        axes.plot([21, 21, 27, 27], [9, 15, 15, 9], color="#546e7a", linewidth=2)
        axes.plot([23, 23], [15, 11], color="#546e7a", linewidth=1)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, metadata={"Software": None})
    return buffer.getvalue()
