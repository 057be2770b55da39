"""An ODK Collect conversation over real HTTP, as the OpenRosa 1.0 spec describes it: form list, XForm
download, HEAD then multipart POST of the filled instance, resend, and every refusal Collect may meet."""

from __future__ import annotations

import asyncio
import copy
import time
import uuid
from xml.etree import ElementTree as ET

import pytest
from conftest import login

from photo_files import photo_bytes
from server.collection import photos
from server.openrosa import tokens
from server.openrosa.routes import MAX_BODY, MAX_XML
from server.core.tables import AuditLog, DeviceToken, Submission, User

XF = "{http://www.w3.org/2002/xforms}"
LIST_NS = "{http://openrosa.org/xforms/xformsList}"
RESPONSE_NS = "{http://openrosa.org/http/response}"

PLAY_AREA = {
    "place_name": "Sân chơi thôn 3", "kind": "playground", "location": "21.0333 105.8333 12.5 4.2",
    "area_m2": "350.5", "opening": "every_day", "opening_hours": "16h-19h", "adult_present": "yes",
    "equipment_condition": "good", "hazards": "traffic electricity", "fenced": "no", "shade": "yes",
    "toilets": "no", "disability_access": "yes", "photo": "1712345678901.jpg",
}


def query(statement):
    """Run one Piccolo query from test code (its own event loop, as the app runs in another)."""
    return asyncio.run(statement.run())


def make_token(world: dict, username: str = "collab_a") -> str:
    token, _ = asyncio.run(tokens.create_token(username, "test phone", by=world["users"]["admin"]))
    return token


@pytest.fixture()
def token(world: dict) -> str:
    return make_token(world)


def base(token: str) -> str:
    return f"/openrosa/key/{token}"


def headers() -> dict[str, str]:
    return {"X-OpenRosa-Version": "1.0", "Accept-Language": "en"}


def message_of(response) -> str:
    root = ET.fromstring(response.content)
    assert root.tag == f"{RESPONSE_NS}OpenRosaResponse"
    return root.find(f"{RESPONSE_NS}message").text or ""


def download(client, token: str, form_id: str = "play-area") -> ET.Element:
    listing = ET.fromstring(client.get(f"{base(token)}/formList", headers=headers()).content)
    url = next(entry.find(f"{LIST_NS}downloadUrl").text for entry in listing
               if entry.find(f"{LIST_NS}formID").text == form_id)
    response = client.get(url.removeprefix("http://127.0.0.1:8000"), headers=headers())
    assert response.status_code == 200
    return ET.fromstring(response.content)


def fill(xform: ET.Element, values: dict[str, str], instance_id: uuid.UUID) -> bytes:
    """The instance Collect would send: the XForm's primary instance with answers and meta/instanceID."""
    template = xform.find(f".//{XF}model/{XF}instance")[0]
    instance = copy.deepcopy(template)
    for element in instance.iter():
        name = element.tag.removeprefix(XF)
        if name in values:
            element.text = values[name]
        if name == "instanceID":
            element.text = f"uuid:{instance_id}"
    return ET.tostring(instance, encoding="utf-8", xml_declaration=True)


def post(client, token: str, xml: bytes, files: dict | None = None):
    parts = {"xml_submission_file": ("submission.xml", xml, "text/xml"), **(files or {})}
    return client.post(f"{base(token)}/submission", files=parts, headers=headers())


# ---------------------------------------------------------------------- form list and download

def test_form_list_offers_the_newest_published_version_of_each_form(client, token) -> None:
    response = client.get(f"{base(token)}/formList", headers=headers())
    assert response.status_code == 200
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{LIST_NS}xforms"
    entries = {entry.find(f"{LIST_NS}formID").text: entry for entry in root}
    assert set(entries) == {"child-participation", "commune-annual", "play-area", "satisfaction"}
    play = entries["play-area"]
    assert play.find(f"{LIST_NS}version").text == "1"  # v2 is a draft: not offered
    assert play.find(f"{LIST_NS}name").text == "Play place for children"
    assert play.find(f"{LIST_NS}hash").text.startswith("md5:")
    assert play.find(f"{LIST_NS}downloadUrl").text == f"http://127.0.0.1:8000{base(token)}/forms/play-area/1.xml"


def test_downloaded_xform_matches_the_hash_and_carries_id_and_version(client, token) -> None:
    import hashlib

    listing = ET.fromstring(client.get(f"{base(token)}/formList", headers=headers()).content)
    entry = next(e for e in listing if e.find(f"{LIST_NS}formID").text == "commune-annual")
    response = client.get(f"{base(token)}/forms/commune-annual/1.xml", headers=headers())
    assert response.status_code == 200
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    assert entry.find(f"{LIST_NS}hash").text == "md5:" + hashlib.md5(response.content).hexdigest()
    data = ET.fromstring(response.content).find(f".//{XF}model/{XF}instance")[0]
    assert (data.get("id"), data.get("version")) == ("commune-annual", "1")


def test_download_of_a_draft_or_unknown_version_is_refused(client, token) -> None:
    assert client.get(f"{base(token)}/forms/play-area/2.xml", headers=headers()).status_code == 410
    missing = client.get(f"{base(token)}/forms/play-area/9.xml", headers=headers())
    assert missing.status_code == 404 and missing.headers["X-OpenRosa-Version"] == "1.0"


# ---------------------------------------------------------------------- submission

def test_head_announces_the_accepted_size(client, token) -> None:
    response = client.head(f"{base(token)}/submission", headers=headers())
    assert response.status_code == 204
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    assert int(response.headers["X-OpenRosa-Accept-Content-Length"]) == MAX_BODY


def test_submission_is_stored_once_like_a_web_submission(client, token, world) -> None:
    instance_id = uuid.uuid4()
    xml = fill(download(client, token), PLAY_AREA, instance_id)
    jpeg = photo_bytes()
    photo = {"1712345678901.jpg": ("1712345678901.jpg", jpeg, "image/jpeg")}
    response = post(client, token, xml, photo)
    assert response.status_code == 201, response.text
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    assert "received" in message_of(response)

    again = post(client, token, xml)
    assert again.status_code == 202
    assert "already received" in message_of(again)

    rows = query(Submission.select().where(Submission.uuid == instance_id))
    assert len(rows) == 1
    row = rows[0]
    assert row["source"] == "openrosa" and row["form_id"] == "play-area" and row["form_version"] == 1
    assert row["commune"] == world["commune_a"].id
    answers = row["answers"] if isinstance(row["answers"], dict) else __import__("json").loads(row["answers"])
    assert answers["location"] == {"lat": 21.0333, "lon": 105.8333, "accuracy": 4.2}
    assert answers["adult_present"] is True and answers["fenced"] is False
    assert answers["hazards"] == ["traffic", "electricity"] and answers["area_m2"] == 350.5
    assert "photo_note" not in answers
    assert answers["photo"] == "1712345678901.jpg"
    [kept] = asyncio.run(photos.photos_of(instance_id))
    assert (kept.name, kept.original_name, kept.content_type) == ("1712345678901.jpg", "1712345678901.jpg", "image/jpeg")
    assert (photos.folder_of(instance_id) / kept.stored_name).read_bytes() == jpeg

    # The collaborator sees it in the same list as web submissions.
    login(client, "collab_a")
    listed = client.get("/api/submissions").json()
    assert [item["uuid"] for item in listed] == [str(instance_id)]


def test_invalid_answers_are_refused_with_the_field_named(client, token) -> None:
    xml = fill(download(client, token), {**PLAY_AREA, "area_m2": "-5", "location": "48.85 2.35 0 5"}, uuid.uuid4())
    response = post(client, token, xml)
    assert response.status_code == 400
    text = message_of(response)
    assert "area_m2: The value must be at least 0." in text
    assert "location: This location is outside Vietnam" in text
    assert query(Submission.count()) == 0


def test_missing_required_answer_and_unknown_question_are_named(client, token) -> None:
    xform = download(client, token)
    xml = fill(xform, {**PLAY_AREA, "place_name": ""}, uuid.uuid4())
    xml = xml.replace(b"</data>", b"<smuggled>1</smuggled></data>")
    text = message_of(response := post(client, token, xml))
    assert response.status_code == 400
    assert "place_name: This question needs an answer." in text
    assert "smuggled: This question is not part of this form version." in text


def test_unknown_and_draft_versions_are_refused(client, token) -> None:
    xml = fill(download(client, token), PLAY_AREA, uuid.uuid4())
    unknown = post(client, token, xml.replace(b'version="1"', b'version="7"'))
    assert unknown.status_code == 404 and "no form play-area version 7" in message_of(unknown)
    draft = post(client, token, xml.replace(b'version="1"', b'version="2"'))
    assert draft.status_code == 400 and "not published" in message_of(draft)
    for blank in (b'version=""', b'version=" "', b""):  # never read as a version 0 the phone did not send
        none = post(client, token, xml.replace(b'version="1"', blank))
        assert none.status_code == 400 and "does not say which version" in message_of(none), blank


def test_same_instance_id_from_another_collaborator_is_a_conflict(client, token, world) -> None:
    instance_id = uuid.uuid4()
    xml = fill(download(client, token), PLAY_AREA, instance_id)
    assert post(client, token, xml).status_code == 201
    other = make_token(world, "collab_b")
    response = post(client, other, xml)
    assert response.status_code == 409
    assert query(Submission.count()) == 1


# ---------------------------------------------------------------------- who may send

def test_wrong_token_is_401_everywhere(client, token) -> None:
    wrong = token[:-4] + "AAAA"
    for response in (client.get(f"{base(wrong)}/formList"), client.head(f"{base(wrong)}/submission"),
                     client.get(f"{base(wrong)}/forms/play-area/1.xml"),
                     post(client, wrong, b"<data id='play-area'/>"), client.get("/openrosa/formList")):
        assert response.status_code == 401
        assert response.headers["X-OpenRosa-Version"] == "1.0"
        assert response.headers["content-type"] == "text/xml; charset=utf-8"  # HEAD included


def test_paths_no_route_answers_are_openrosa_messages_too(client, token) -> None:
    """404 and 405 come before any route is found: still OpenRosa XML, never an HTML page."""
    for response, status in ((client.get(f"{base(token)}/submission"), 405), (client.head(f"{base(token)}/formList"), 405),
                             (client.get(f"{base(token)}/nonexistent"), 404), (client.get("/openrosa/nonexistent"), 404)):
        assert response.status_code == status
        assert response.headers["content-type"] == "text/xml; charset=utf-8"
        if response.content:
            assert message_of(response)


def test_revoked_token_is_401(client, token, world) -> None:
    row = query(DeviceToken.objects().first())
    asyncio.run(tokens.revoke_token(row.id, by=world["users"]["admin"]))
    response = client.get(f"{base(token)}/formList", headers=headers())
    assert response.status_code == 401
    assert "revoked" in message_of(response)
    assert query(AuditLog.count().where(AuditLog.action == "device_token_revoked")) == 1


def test_token_of_another_commune_is_403(client, token, world) -> None:
    """The collaborator moved to commune B: the phone still holds the token made for commune A."""
    xml = fill(download(client, token), PLAY_AREA, uuid.uuid4())
    query(User.update({User.unit: world["commune_b"].id}).where(User.username == "collab_a"))
    response = post(client, token, xml)
    assert response.status_code == 403
    assert "another commune" in message_of(response)
    assert client.get(f"{base(token)}/formList").status_code == 403
    assert query(Submission.count()) == 0


def test_only_the_hash_of_a_token_is_stored(token) -> None:
    row = query(DeviceToken.objects().first())
    assert row.token_hash == tokens.digest(token) and token not in row.token_hash


# ---------------------------------------------------------------------- hostile and broken XML

def test_malformed_xml_is_400(client, token) -> None:
    response = post(client, token, b"<data id='play-area' version='1'><meta>")
    assert response.status_code == 400
    assert "not well-formed" in message_of(response)
    missing_id = post(client, token, b"<data id='play-area' version='1'><meta/></data>")
    assert missing_id.status_code == 400 and "instanceID" in message_of(missing_id)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<data id="play-area" version="1"><place><place_name>&lol9;</place_name></place>
<meta><instanceID>uuid:8a1c2f38-7d7e-4c55-9a53-1f0b1b1f6c11</instanceID></meta></data>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE data [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<data id="play-area" version="1"><place><place_name>&secret;</place_name></place>
<meta><instanceID>uuid:8a1c2f38-7d7e-4c55-9a53-1f0b1b1f6c12</instanceID></meta></data>"""


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_entity_payloads_are_refused_before_expansion(client, token, payload: bytes) -> None:
    import resource

    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    response = post(client, token, payload)
    elapsed = time.monotonic() - started
    assert response.status_code == 400
    assert "DTD or entities" in message_of(response)
    assert "root:" not in response.text
    # Expanding lol9 would need gigabytes and minutes; refusal costs neither.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 50 * 1024  # KiB
    assert elapsed < 5
    assert query(Submission.count()) == 0


def test_oversized_instance_and_body_are_413(client, token) -> None:
    big_xml = b"<data id='play-area' version='1'>" + b" " * (MAX_XML + 10) + b"</data>"
    response = post(client, token, big_xml)
    assert response.status_code == 413 and response.headers["X-OpenRosa-Version"] == "1.0"
    huge = {"photo.jpg": ("photo.jpg", b"0" * (MAX_BODY + 1), "image/jpeg")}
    response = post(client, token, b"<data id='play-area' version='1'/>", huge)
    assert response.status_code == 413
    assert "too large" in message_of(response)


def test_download_urls_use_the_configured_base_url_not_the_host_header(client, token, monkeypatch) -> None:
    """A forged Host header would send phones to another server for their forms: with PHUHOP_BASE_URL set,
    the form list names the configured address whatever the request says."""
    from server.core.settings import get_settings

    forged = client.get(f"{base(token)}/formList", headers={**headers(), "Host": "evil.example"})
    urls = [entry.find(f"{LIST_NS}downloadUrl").text for entry in ET.fromstring(forged.content)]
    assert urls and all(url.startswith("http://evil.example/") for url in urls)  # unset: the request's own
    monkeypatch.setenv("PHUHOP_BASE_URL", "https://phuhop.example.gov.vn/")
    get_settings.cache_clear()
    try:
        forged = client.get(f"{base(token)}/formList", headers={**headers(), "Host": "evil.example"})
    finally:
        monkeypatch.delenv("PHUHOP_BASE_URL")
        get_settings.cache_clear()
    urls = [entry.find(f"{LIST_NS}downloadUrl").text for entry in ET.fromstring(forged.content)]
    assert urls and all(url.startswith(f"https://phuhop.example.gov.vn{base(token)}/forms/") for url in urls), urls
