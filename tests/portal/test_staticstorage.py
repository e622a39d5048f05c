"""Production's static storage (portal.staticstorage) gives the manifest's hashed URL of each
name, keeps it for the process, and still refuses a name the manifest does not list."""

import json

import pytest

from portal.staticstorage import ManifestStaticStorage


def test_urls_are_the_manifests_and_kept_and_a_missing_name_still_raises(tmp_path):
    (tmp_path / "staticfiles.json").write_text(
        json.dumps({"version": "1.1", "paths": {"css/portal.css": "css/portal.0123456789ab.css"}})
    )
    storage = ManifestStaticStorage(location=str(tmp_path), base_url="/static/")
    assert storage.url("css/portal.css") == "/static/css/portal.0123456789ab.css"
    storage.hashed_files = {}  # never read again: the answer was kept
    assert storage.url("css/portal.css") == "/static/css/portal.0123456789ab.css"
    for _ in range(2):
        with pytest.raises(ValueError):
            storage.url("css/missing.css")
    assert "css/missing.css" not in storage._urls
