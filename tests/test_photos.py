"""Photos of submissions on the server: checked by their bytes, stored under safe names beside their
submission, the phone's own name kept as data; the same for the web form and OpenRosa (ODK Collect)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from conftest import csrf_header, login
from photo_files import photo_bytes
from server.collection import photos
from server.core.tables import AuditLog, Submission, SubmissionPhoto
from test_collection_api import body_for, post
from test_openrosa import PLAY_AREA, download, fill, make_token, message_of
from test_openrosa import post as post_openrosa


def play_area_with_photo(client, name: str = "photo.jpg") -> dict:
    """A stored play-area submission of collab_a whose photo answer is `name`."""
    body = body_for("play-area")
    body["answers"]["photo"] = name
    assert post(client, body).status_code == 201
    return body


def put_photo(client, uuid_: str, content: bytes, name: str = "photo.jpg", filename: str = "IMG_0001.jpg"):
    return client.put(f"/api/submissions/{uuid_}/photos/{name}", files={"photo": (filename, content, "image/jpeg")},
                      headers=csrf_header(client))


# ---------------------------------------------------------------- names

@pytest.mark.parametrize("original, expected", [
    ("1712345678901.jpg", "1712345678901.jpg"),
    ("IMG_2026-03-01.jpeg", "IMG_2026-03-01.jpeg"),
])
def test_plain_names_are_kept_as_they_are(original: str, expected: str) -> None:
    assert photos.reference_for(original) == expected


@pytest.mark.parametrize("original", ["Ảnh sân chơi thôn 3.jpg", "a" * 300 + ".jpg", "../../etc/passwd",
                                      "..jpg", "C:\\Users\\lan\\ảnh.JPG", "ảnh", " .jpg", "photo\nx.jpg"])
def test_other_names_become_safe_and_stay_distinct(original: str) -> None:
    name = photos.reference_for(original)
    assert photos._SAFE.fullmatch(name) and ".." not in name and "/" not in name, name
    assert photos.reference_for(original) == name  # deterministic: the answer and its file meet
    assert photos.reference_for(original + "x") != name


def test_vietnamese_names_read_as_their_ascii_form() -> None:
    assert photos.reference_for("Ảnh sân chơi thôn 3.jpg").startswith("Anh-san-choi-thon-3-")
    assert photos.reference_for("Đường vào.png").startswith("Duong-vao-")


# ---------------------------------------------------------------- the web form's photos

def test_a_photo_is_stored_once_beside_its_submission_under_a_name_made_from_its_bytes(client, world) -> None:
    login(client, "collab_a")
    body = play_area_with_photo(client)
    jpeg = photo_bytes()
    first = put_photo(client, body["uuid"], jpeg, filename="Ảnh sân chơi.jpg")
    assert first.status_code == 201, first.text
    assert first.json() | {} == {"name": "photo.jpg", "original_name": "Ảnh sân chơi.jpg", "content_type": "image/jpeg",
                                 "size": len(jpeg), "width": 64, "height": 48, "duplicate": False}
    again = put_photo(client, body["uuid"], jpeg)
    assert again.status_code == 200 and again.json()["duplicate"] is True

    [photo] = asyncio.run(photos.photos_of(uuid.UUID(body["uuid"])))
    assert photo.stored_name == f"{photo.sha256[:32]}.jpg"
    folder = photos.folder_of(uuid.UUID(body["uuid"]))
    assert [path.name for path in folder.iterdir()] == [photo.stored_name]
    assert (folder / photo.stored_name).read_bytes() == jpeg
    assert SubmissionPhoto.count().run_sync() == 1
    logged = AuditLog.select(AuditLog.action, AuditLog.after).where(
        AuditLog.action == "submission_photo_stored").output(load_json=True).run_sync()
    assert [entry["after"]["original_name"] for entry in logged] == ["Ảnh sân chơi.jpg"]

    shown = client.get(photo.url)
    assert shown.status_code == 200 and shown.content == jpeg
    assert shown.headers["content-type"] == "image/jpeg"
    assert shown.headers["content-disposition"].startswith("inline;")
    assert "private" in shown.headers["cache-control"]


def test_other_bytes_under_a_stored_name_are_refused(client, world) -> None:
    login(client, "collab_a")
    body = play_area_with_photo(client)
    assert put_photo(client, body["uuid"], photo_bytes()).status_code == 201
    other = put_photo(client, body["uuid"], photo_bytes(80, 60))
    assert other.status_code == 409
    assert SubmissionPhoto.count().run_sync() == 1


@pytest.mark.parametrize("content, code", [
    (b"\xff\xd8\xff\xe0 not really a jpeg", "not_a_photo"),
    (b"GIF89a" + b"\0" * 100, "not_a_photo"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "not_a_photo"),
    (b"", "not_a_photo"),
])
def test_a_file_that_is_not_a_photo_is_refused_by_its_bytes_whatever_its_name(client, world, content, code) -> None:
    login(client, "collab_a")
    body = play_area_with_photo(client)
    response = put_photo(client, body["uuid"], content, filename="photo.jpg")
    assert response.status_code == 422
    assert [error["code"] for error in response.json()["errors"]] == [code]
    assert SubmissionPhoto.count().run_sync() == 0
    assert not photos.folder_of(uuid.UUID(body["uuid"])).exists()


def test_a_picture_of_too_many_pixels_is_refused_before_it_is_decoded(client, world, monkeypatch) -> None:
    picture = photo_bytes(400, 300, kind="PNG")
    monkeypatch.setattr(photos, "MAX_PIXELS", 100_000)  # 400 × 300 = 120,000: one pixel count over
    with pytest.raises(photos.PhotoRefused) as refused:
        photos.check("photo.jpg", "big.png", picture)
    assert refused.value.errors[0].code == "too_many_pixels"
    assert photos.check("photo.jpg", "big.png", photo_bytes(300, 300, kind="PNG")).content_type == "image/png"


def test_only_the_author_adds_photos_and_only_to_a_photo_the_answers_name(client, world) -> None:
    login(client, "collab_a")
    body = play_area_with_photo(client)
    assert put_photo(client, body["uuid"], photo_bytes(), name="other.jpg").status_code == 422
    assert put_photo(client, str(uuid.uuid4()), photo_bytes()).status_code == 404
    client.post("/logout", headers=csrf_header(client))
    login(client, "admin")
    assert put_photo(client, body["uuid"], photo_bytes()).status_code == 404
    assert SubmissionPhoto.count().run_sync() == 0


@pytest.mark.parametrize("who, status", [("collab_a", 200), ("collab_b", 403), ("reviewer_x", 200),
                                         ("reviewer_y", 403), ("admin", 200), (None, 401)])
def test_who_sees_a_photo(client, world, who, status) -> None:
    login(client, "collab_a")
    body = play_area_with_photo(client)
    assert put_photo(client, body["uuid"], photo_bytes()).status_code == 201
    client.post("/logout", headers=csrf_header(client))
    client.cookies.clear()
    if who:
        login(client, who)
    response = client.get(f"/api/submissions/{body['uuid']}/photos/photo.jpg")
    assert response.status_code == status
    assert (response.content == photo_bytes()) is (status == 200)


def test_missing_photos_are_the_ones_the_answers_name_but_the_server_has_not_received(client, world) -> None:
    login(client, "collab_a")
    body = play_area_with_photo(client)
    row = Submission.objects().where(Submission.uuid == body["uuid"]).first().output(load_json=True).run_sync()
    assert asyncio.run(photos.missing_photos(row)) == ["photo.jpg"]
    put_photo(client, body["uuid"], photo_bytes())
    assert asyncio.run(photos.missing_photos(row)) == []


# ---------------------------------------------------------------- OpenRosa

def test_odk_photos_with_vietnamese_or_long_names_are_kept_not_dropped(client, world) -> None:
    token = make_token(world)
    names = ["Ảnh sân chơi thôn 3.jpg", "x" * 250 + ".jpg"]
    for original in names:
        instance_id = uuid.uuid4()
        xml = fill(download(client, token), {**PLAY_AREA, "photo": original}, instance_id)
        jpeg = photo_bytes()
        response = post_openrosa(client, token, xml, {"file": (original, jpeg, "image/jpeg")})
        assert response.status_code == 201, message_of(response)
        row = Submission.objects().where(Submission.uuid == instance_id).first().output(load_json=True).run_sync()
        assert row.answers["photo"] == photos.reference_for(original)
        [photo] = asyncio.run(photos.photos_of(instance_id))
        assert (photo.name, photo.original_name) == (row.answers["photo"], original)
        assert (photos.folder_of(instance_id) / photo.stored_name).read_bytes() == jpeg


def test_an_odk_submission_with_a_bad_photo_is_refused_whole(client, world) -> None:
    token = make_token(world)
    instance_id = uuid.uuid4()
    xml = fill(download(client, token), PLAY_AREA, instance_id)
    response = post_openrosa(client, token, xml, {"1712345678901.jpg": ("1712345678901.jpg", b"MZ\x90\0 an exe",
                                                                        "image/jpeg")})
    assert response.status_code == 400
    assert "1712345678901.jpg" in message_of(response)
    assert Submission.count().run_sync() == 0 and SubmissionPhoto.count().run_sync() == 0


def test_an_odk_resend_brings_the_photo_a_first_send_lacked(client, world) -> None:
    """Collect splits a large submission into several POSTs, each with the XML: the photo may come later."""
    token = make_token(world)
    instance_id = uuid.uuid4()
    xml = fill(download(client, token), PLAY_AREA, instance_id)
    assert post_openrosa(client, token, xml).status_code == 201
    assert asyncio.run(photos.photos_of(instance_id)) == []
    jpeg = photo_bytes()
    again = post_openrosa(client, token, xml, {"1712345678901.jpg": ("1712345678901.jpg", jpeg, "image/jpeg")})
    assert again.status_code == 202
    assert [p.name for p in asyncio.run(photos.photos_of(instance_id))] == ["1712345678901.jpg"]
