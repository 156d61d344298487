"""tests/live.py's browser-like client: the multipart/form-data body it posts for a form that takes files, as
Django reads it (the server's own parser)."""

from io import BytesIO

from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http.multipartparser import MultiPartParser

from tests import live


def test_multipart_body_carries_texts_lists_and_files_as_a_browser_sends_them():
    body, content_type = live.multipart_body({
        "title": "Imprimante hors service — 2e étage", "category": 7, "tags": ["a", "b"],
        "attachments": [("notes.txt", b"ligne 1\r\n--pas une limite\r\n", "text/plain"), live.NO_FILE],
    })
    assert content_type.startswith("multipart/form-data; boundary=----WebKitFormBoundary")
    meta = {"CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body))}
    post, files = MultiPartParser(meta, BytesIO(body), [MemoryFileUploadHandler()], "utf-8").parse()

    assert post["title"] == "Imprimante hors service — 2e étage"
    assert post["category"] == "7"
    assert post.getlist("tags") == ["a", "b"]
    # The empty file input is no file at all, as Django reads a browser's; the real one comes whole.
    [upload] = files.getlist("attachments")
    assert (upload.name, upload.read(), upload.content_type) == ("notes.txt", b"ligne 1\r\n--pas une limite\r\n",
                                                                 "text/plain")


def test_each_body_has_a_boundary_of_its_own():
    _, first = live.multipart_body({"a": "1"})
    _, second = live.multipart_body({"a": "1"})
    assert first != second
