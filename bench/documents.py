"""Official documents of a list: how long the DOCX and the print page take for a province-sized list.

Usage: python bench/documents.py [--communes 20 100]   (or `make bench`)

Builds a list of N communes (each with the full vn-2019 result of examples/xa-other.json, two thirds
meeting the standard) in memory, then times the papers (`documents.build`) and the Word file
(`docx_writer.write`) of the decision with its annex and of every commune's assessment record.
No database and no server: what a request spends in its worker thread.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from types import SimpleNamespace

from scoring import load_rules, score
from server.review import documents, docx_writer

ROOT = Path(__file__).resolve().parent.parent


def source(communes: int) -> documents.Source:
    example = json.loads((ROOT / "examples" / "xa-other.json").read_text())["indicators"]
    result = score(load_rules("vn-2019"), "other", example).model_dump(mode="json")
    area = SimpleNamespace(name="Tỉnh Bắc Ninh", kind="province", code="24")
    row = SimpleNamespace(state="draft", revision=1, decision_number=None, decision_date=None, decision_signer=None,
                          comment_from=None, comment_to=None, area=area)
    period = SimpleNamespace(name="Đánh giá năm 2026", year=2026, rule_set="vn-2019")
    entries = [documents.Listed(code=f"{i:05d}", name=f"Xã Thử Nghiệm {i}", parent=area.name, commune_type="other",
                                total=result["total"], threshold=850, certified=i % 3 > 0, provisional=True,
                                result=result, rules="vn-2019 2019.1") for i in range(communes)]
    return documents.Source(row=row, period=period, area=area, body="Sở Y tế", entries=entries, comments=1,
                            unanswered=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, nargs="+", default=[20, 100])
    args = parser.parse_args()
    for count in args.communes:
        made = source(count)
        for name in ("decision", "records"):
            started = time.perf_counter()
            papers = documents.build(made, name)
            built = time.perf_counter()
            content = docx_writer.write(papers)
            done = time.perf_counter()
            print(f"{name:8} {count:4} communes: papers {1000 * (built - started):7.0f} ms, "
                  f"DOCX {1000 * (done - built):7.0f} ms, {len(content):,} bytes")


if __name__ == "__main__":
    main()
