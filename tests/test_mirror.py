import json

import pytest

from ingest.errors import FetchError, MirrorError
from ingest.http import Fetcher, Request
from ingest.mirror import MirrorTransport, load_manifest, safe_path


def test_manifest_groups_rows_by_document(mirror):
    manifest = load_manifest(mirror)
    assert manifest.problems == []
    docs = manifest.documents()
    assert len(manifest.rows) == 5 and len(docs) == 4
    seizure = docs["https://carol.example/2014/seizure-detection/"]
    assert [r.competition_slug for r in seizure] == ["brainwave-seizure", "galaxy-shapes"]


def test_transport_serves_page_and_raw_urls_including_spaces(mirror):
    fetcher = Fetcher(MirrorTransport(mirror))
    page = fetcher.fetch("https://github.com/bob/store-sales/blob/main/docs/solution%20notes.rst")
    raw = fetcher.fetch("https://raw.githubusercontent.com/bob/store-sales/main/docs/solution%20notes.rst")
    assert page.content == raw.content and b"Store sales forecasting" in raw.content
    assert raw.content_type == "text/x-rst" and raw.status == 200


def test_unknown_url_is_a_404_fetch_error(mirror):
    with pytest.raises(FetchError) as e:
        Fetcher(MirrorTransport(mirror)).fetch("https://nowhere.example/page")
    assert e.value.reason == "http_status" and e.value.status == 404


def test_paths_cannot_escape_the_mirror(mirror, tmp_path):
    (tmp_path / "secret.txt").write_text("top secret", encoding="utf-8")
    assert safe_path(mirror, "../secret.txt") is None
    assert safe_path(mirror, "/etc/passwd") is None
    assert safe_path(mirror, "snapshots/github/alice/galaxy-shapes/README.md") is not None
    with (mirror / "manifest.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"url": "https://evil.example/x", "path": "../secret.txt",
                             "content_type": "text/plain", "source": "blog"}) + "\n")
    with pytest.raises(FetchError) as e:
        Fetcher(MirrorTransport(mirror)).fetch("https://evil.example/x")
    assert e.value.status == 403


def test_size_cap_applies_to_mirror_files(mirror):
    transport = MirrorTransport(mirror)
    with pytest.raises(FetchError) as e:
        transport.send(Request("https://carol.example/2014/seizure-detection/", max_bytes=100))
    assert e.value.reason == "too_large"


def test_malformed_manifest_lines_are_reported_with_line_numbers(mirror):
    with (mirror / "manifest.jsonl").open("a", encoding="utf-8") as fh:
        fh.write("{not json\n")
        fh.write(json.dumps({"url": "https://x.example"}) + "\n")
        fh.write("[1, 2]\n")
    manifest = load_manifest(mirror)
    assert len(manifest.rows) == 5
    assert [p.split(":")[0] for p in manifest.problems] == ["manifest.jsonl line 6", "manifest.jsonl line 7",
                                                            "manifest.jsonl line 8"]
    assert "missing path, content_type, source" in manifest.problems[1]


def test_missing_mirror_is_a_clear_error(tmp_path):
    with pytest.raises(MirrorError, match="mirror folder not found"):
        load_manifest(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(MirrorError, match="has no manifest.jsonl"):
        load_manifest(tmp_path / "empty")
