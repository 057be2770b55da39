"""The real `phuhop score`, `score-batch` and `rules` commands, run as a user runs them."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PHUHOP = str(Path(sys.executable).parent / "phuhop")
EXAMPLES = ROOT / "examples"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([PHUHOP, *args], input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_score_prints_json_when_piped():
    done = run("score", "--rules", "vn-2019", str(EXAMPLES / "xa-other.json"))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["total"], result["threshold"], result["certified"]) == (870, 850, True)
    assert result["rules"]["id"] == "vn-2019"


def test_score_reads_stdin_and_exits_0_when_not_certified():
    done = run("score", "-", stdin=(EXAMPLES / "xa-not-certified.json").read_text(encoding="utf-8"))
    assert done.returncode == 0, done.stderr
    assert [reason["code"] for reason in json.loads(done.stdout)["reasons"]] == ["criterion_zero", "below_threshold"]


def test_score_table_marks_every_provisional_line():
    done = run("score", "--format", "table", "--lang", "en", str(EXAMPLES / "xa-not-certified.json"))
    assert done.returncode == 0, done.stderr
    rows = {row.split()[0]: row for row in done.stdout.splitlines() if row.startswith("  ") and row.split()}
    assert "PROVISIONAL / TẠM TÍNH" in rows["2.1"] and "PROVISIONAL / TẠM TÍNH" in rows["3.1"]
    assert "TẠM TÍNH" not in rows["1.1"] and "TẠM TÍNH" not in rows["7.1"]
    assert "0/100" in rows["3.1"]
    assert "Total: 770 / 1000" in done.stdout
    assert "Certified: no" in done.stdout
    assert "Criterion 3 scored 0 points" in done.stdout
    assert "The total of 770 points is below the threshold of 850." in done.stdout
    assert "this total uses PROVISIONAL values" in done.stdout
    assert "n/a: c6_severe_cases = 0" in rows["6.2"]


def test_score_table_is_in_vietnamese_by_default():
    done = run("score", "--format", "table", str(EXAMPLES / "xa-not-certified.json"))
    assert done.returncode == 0, done.stderr
    assert "Loại đơn vị: Xã, phường, thị trấn còn lại (other)" in done.stdout
    assert "Tổng điểm: 770 / 1000" in done.stdout and "Công nhận: không" in done.stdout
    assert "Tiêu chí 3 bị 0 điểm, trong khi quy định yêu cầu không có tiêu chí nào bị 0 điểm." in done.stdout
    assert "tổng điểm này dùng giá trị TẠM TÍNH" in done.stdout


def test_invalid_input_lists_every_problem_and_exits_2(tmp_path):
    document = json.loads((EXAMPLES / "xa-other.json").read_text(encoding="utf-8"))
    document["indicators"]["c3_abused_children"] = -2
    document["indicators"]["c2_births_registered"] = 121
    del document["indicators"]["c11_forum_held"]
    document["commune_type"] = "village"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    done = run("score", str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        'commune_type: Unknown commune type "village"; expected one of urban_ward, mountain_island_difficult, other.',
        "c3_abused_children: c3_abused_children must not be negative (got -2).",
        "c11_forum_held: c11_forum_held is missing.",
        "c2_births_registered: c2_births_registered (121) is greater than c2_births_total (120).",
    ]


def test_unreadable_json_exits_2():
    done = run("score", "-", stdin="{not json")
    assert done.returncode == 2
    assert "not valid JSON" in done.stderr


def batch_input(tmp_path: Path) -> Path:
    """Three communes as CSV: two valid (booleans written three ways), one with two problems."""
    rows = []
    for code, name in (("00001", "xa-other"), ("00002", "phuong-urban-ward"), ("00003", "xa-mountain")):
        document = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
        row = {"commune_code": code, "commune_type": document["commune_type"]}
        for key, value in document["indicators"].items():
            row[key] = {True: "yes", False: "no"}[value] if isinstance(value, bool) else str(value)
        rows.append(row)
    rows[1]["c1_protection_officer"] = "1"
    rows[2]["c1_protection_officer"] = "perhaps"  # not a yes/no
    rows[2]["c2_births_total"] = ""  # missing
    path = tmp_path / "communes.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_score_batch_csv_to_csv_reports_invalid_rows_and_goes_on(tmp_path):
    out = tmp_path / "results.csv"
    done = run("score-batch", "--rules", "vn-2019", str(batch_input(tmp_path)), "-o", str(out))
    assert done.returncode == 2
    assert "row 4 (00003): c1_protection_officer: c1_protection_officer must be true or false, not \"perhaps\"." \
        in done.stderr
    assert "row 4 (00003): c2_births_total: c2_births_total is missing." in done.stderr
    assert "2 scored (2 certified), 1 invalid rows" in done.stderr
    with out.open(encoding="utf-8") as file:
        results = list(csv.DictReader(file))
    assert [(r["row"], r["commune_code"], r["status"], r["total"], r["certified"]) for r in results] == [
        ("2", "00001", "scored", "870", "true"), ("3", "00002", "scored", "945", "true"),
        ("4", "00003", "invalid", "", "")]
    assert results[0]["provisional"] == "18"  # 17 provisional lines + 6.2 not applicable (provisional reading)
    assert results[2]["errors"].count(": ") == 2


def test_score_batch_jsonl_to_stdout_exits_0_when_all_scored(tmp_path):
    source = tmp_path / "communes.jsonl"
    lines = []
    for code, name in (("00001", "xa-other"), ("00004", "xa-not-certified")):
        lines.append(json.dumps({"commune_code": code, **json.loads((EXAMPLES / f"{name}.json").read_text())}))
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = run("score-batch", str(source))
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["commune_code"], r["total"], r["certified"]) for r in results] == [
        ("00001", 870, True), ("00004", 770, False)]
    assert results[1]["reasons"] == [{"code": "criterion_zero", "criterion": 3},
                                     {"code": "below_threshold", "total": 770, "threshold": 850}]


def test_rules_list_and_show():
    listed = run("rules", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[1].startswith("vn-2019  06/QĐ-TTg of 2019-01-03  13 criteria  total 1000")
    assert "82 provisional numbers" in listed.stdout
    assert "other 800 (provisional)" in listed.stdout.splitlines()[0]

    shown = run("rules", "show", "vn-2019")
    assert shown.returncode == 0, shown.stderr
    assert re.search(r"\n +≥ 95 % +→ 50\n", shown.stdout)  # 6.1 top band: VERIFIED, no mark
    assert re.search(r"\n +< 80 % +→ 0  \[PROVISIONAL / TẠM TÍNH\]\n", shown.stdout)
    as_json = json.loads(run("rules", "show", "vn-2019", "--format", "json").stdout)
    assert as_json["criteria"][5]["lines"][0]["bands"][0] == {
        "at_least": 95, "above": None, "below": None, "at_most": None, "points": 50, "provisional": False}


@pytest.mark.parametrize("command", [["score"], ["score-batch"], ["rules"], ["rules", "list"], ["rules", "show"]])
def test_help(command):
    done = run(*command, "--help")
    assert done.returncode == 0
    assert done.stdout.startswith("Usage: phuhop " + " ".join(command))
