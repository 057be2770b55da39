"""One truth per submission, as ODK Central keeps it (JSON API and OpenRosa alike).

- The same UUID / instanceID sent again with the same content is a duplicate (stored once); with
  different content it is a 409 and nothing changes ("should reject if the xml changes between posts").
- An ODK Collect edit (a new instanceID whose meta/deprecatedID names the original) replaces the
  original: the original is kept, the edit counts, the score is stored again, the reviewer's page
  lists it. Unknown original: 404; an original already edited: 409 ("is now out of date").
- OpenRosa answers carry `Content-Type: text/xml; charset=utf-8` exactly (Collect is particular about
  it), and every refusal is an OpenRosa XML message, never an HTML page.
"""

from __future__ import annotations

import json
import random
import uuid
from xml.etree import ElementTree as ET

import pytest

from conftest import csrf_header, login
from forms.registry import get_form
from server.collection.samples import sample_answers
from server.core.tables import AuditLog, Score, Submission
from test_openrosa import PLAY_AREA, base, download, fill, headers, make_token, message_of, post
from test_review_workflow import assessment, send_for_review, submit_forms

XML_TYPE = "text/xml; charset=utf-8"


def stored_answers(submission_uuid) -> dict:
    row = Submission.select(Submission.answers).where(Submission.uuid == submission_uuid).first().run_sync()
    return row["answers"] if isinstance(row["answers"], dict) else json.loads(row["answers"])


def with_deprecated(xml: bytes, original: uuid.UUID) -> bytes:
    """What Collect sends for an edit: meta/deprecatedID (the copy edited) beside the new instanceID."""
    root = ET.fromstring(xml)
    meta = next(element for element in root.iter() if element.tag.endswith("meta"))
    instance = next(child for child in meta if child.tag.endswith("instanceID"))
    deprecated = ET.Element(instance.tag.replace("instanceID", "deprecatedID"))
    deprecated.text = f"uuid:{original}"
    meta.insert(0, deprecated)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# ---------------------------------------------------------------- the same UUID twice

def test_json_resend_with_other_answers_is_a_conflict_and_changes_nothing(client) -> None:
    login(client, "collab_a")
    form = get_form("satisfaction", 1)
    answers = sample_answers(form, random.Random(1))
    body = {"uuid": str(uuid.uuid4()), "form_id": "satisfaction", "form_version": 1, "answers": answers}
    assert client.post("/api/submissions", json=body, headers=csrf_header(client)).status_code == 201
    again = client.post("/api/submissions", json=body, headers=csrf_header(client))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    other = sample_answers(form, random.Random(2))
    assert other != answers
    changed = client.post("/api/submissions", json={**body, "answers": other}, headers=csrf_header(client))
    assert changed.status_code == 409
    assert [error["code"] for error in changed.json()["errors"]] == ["changed"]
    assert stored_answers(uuid.UUID(body["uuid"])) == json.loads(json.dumps(answers))
    assert Submission.count().run_sync() == 1


def test_openrosa_resend_with_changed_xml_is_a_conflict(client, world: dict) -> None:
    token = make_token(world)
    instance_id = uuid.uuid4()
    xform = download(client, token)
    first = post(client, token, fill(xform, PLAY_AREA, instance_id))
    assert first.status_code == 201 and first.headers["content-type"] == XML_TYPE
    same = post(client, token, fill(xform, PLAY_AREA, instance_id))
    assert same.status_code == 202 and same.headers["content-type"] == XML_TYPE
    changed = post(client, token, fill(xform, {**PLAY_AREA, "place_name": "Sân chơi khác"}, instance_id))
    assert changed.status_code == 409 and changed.headers["content-type"] == XML_TYPE
    assert "different answers" in message_of(changed)
    assert stored_answers(instance_id)["place_name"] == PLAY_AREA["place_name"]


# ---------------------------------------------------------------- ODK Collect edits

@pytest.fixture()
def scored(client, world: dict) -> dict:
    """Commune A's forms sent for review (a stored score), an ODK token of its collaborator."""
    login(client, "collab_a")
    submit_forms(client)
    send_for_review(client)
    return {"token": make_token(world), "period": world["period"].id}


SURVEY = {"respondent": "child", "age_band": "age_11_15", "overall": "very_satisfied"}


def test_an_edit_replaces_the_original_and_the_score_follows(client, world: dict, scored: dict) -> None:
    token, period = scored["token"], scored["period"]
    xform = download(client, token, "satisfaction")
    original = uuid.uuid4()
    assert post(client, token, fill(xform, SURVEY, original)).status_code == 201
    login(client, "reviewer_x")
    before = assessment(client, period, "00004")["values"]
    scores = Score.count().run_sync()

    edit = uuid.uuid4()
    answer = post(client, token, with_deprecated(fill(xform, {**SURVEY, "overall": "very_dissatisfied"}, edit),
                                                 original))
    assert answer.status_code == 201, message_of(answer)
    assert answer.headers["content-type"] == XML_TYPE
    assert stored_answers(original)["overall"] == "very_satisfied"  # the original is kept as it was
    assert stored_answers(edit)["overall"] == "very_dissatisfied"
    assert Submission.select(Submission.replaces).where(Submission.uuid == edit).first().run_sync()["replaces"] \
        == original
    after = assessment(client, period, "00004")["values"]
    assert after["c13_respondents"] == before["c13_respondents"]  # one respondent, edited: not two
    assert after["c13_satisfied"] == before["c13_satisfied"] - 1
    assert Score.count().run_sync() == scores + 1
    rescored = AuditLog.objects().where(AuditLog.action == "rescored").first().run_sync()
    assert rescored is not None and rescored.reason == "submission_edited"
    assert AuditLog.count().where(AuditLog.action == "submission_edited").run_sync() == 1
    page = client.get(f"/review/{period}/00004")
    assert page.status_code == 200 and 'id="edits"' in page.text and str(original)[:8] in page.text

    resend = post(client, token, with_deprecated(fill(xform, {**SURVEY, "overall": "very_dissatisfied"}, edit),
                                                 original))
    assert resend.status_code == 202
    stale = post(client, token, with_deprecated(fill(xform, SURVEY, uuid.uuid4()), original))
    assert stale.status_code == 409 and "already replaced" in message_of(stale)
    chained = post(client, token, with_deprecated(fill(xform, {**SURVEY, "overall": "satisfied"}, uuid.uuid4()),
                                                  edit))
    assert chained.status_code == 201
    assert assessment(client, period, "00004")["values"]["c13_satisfied"] == before["c13_satisfied"]
    unknown = post(client, token, with_deprecated(fill(xform, SURVEY, uuid.uuid4()), uuid.uuid4()))
    assert unknown.status_code == 404 and unknown.headers["content-type"] == XML_TYPE
    assert Submission.count().where(Submission.source == "openrosa").run_sync() == 3  # the original and 2 edits


# ---------------------------------------------------------------- odd XML: always OpenRosa messages

@pytest.mark.parametrize("change, status", [
    (lambda xml: xml.replace(b'version="1"', 'version="²"'.encode()), 400),
    (lambda xml: xml.replace(b'version="1"', b'version="' + b"9" * 401 + b'"'), 400),
    (lambda xml: xml.replace(b"350.5", b"1" + b"0" * 400), 400),
    (lambda xml: xml.replace(b"350.5", b"9" * 5000), 400),
    (lambda xml: xml.replace(b"350.5", "²".encode()), 400),
    (lambda xml: xml.replace(b"</data>", b"<x>" * 5000 + b"</x>" * 5000 + b"</data>"), 400),
])
def test_odd_xml_is_refused_as_openrosa_xml(client, world: dict, change, status: int) -> None:
    token = make_token(world)
    xml = change(fill(download(client, token), PLAY_AREA, uuid.uuid4()))
    response = post(client, token, xml)
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"] == XML_TYPE
    assert message_of(response)
    assert Submission.count().run_sync() == 0


def test_openrosa_content_type_is_exactly_xml_utf8(client, world: dict) -> None:
    token = make_token(world)
    for url in (f"{base(token)}/formList", f"{base(token)}/forms/play-area/1.xml", f"{base(token)}/forms/x/%C2%B2.xml",
                "/openrosa/key/not-a-token/formList", f"{base(token)}/forms/play-area/" + "9" * 5000 + ".xml"):
        response = client.get(url, headers=headers())
        assert response.headers["content-type"] == XML_TYPE, (url[:60], response.headers["content-type"])
        assert response.status_code < 500
