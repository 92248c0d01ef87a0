"""Every response the tool relies on validates against Spotify's public OpenAPI definition.

The definition lives beside the project (``../shared/reference/spotify-openapi.yml``) and is read, never
copied. Adjustments made before validating, each for a documented reason:

- dev-2026: fields Spotify removed for Development Mode apps (February 2026 changelog; ``external_ids`` was
  restored in March 2026) are dropped from every ``required`` list;
- discriminators (``type``) get an explicit mapping to their schemas, since the definition names none;
- playlist entries: ``added_at``/``added_by`` may be null on very old playlists and ``item``/``track`` is
  null for unavailable entries (both documented by Spotify), so those four properties become nullable;
- local files are track objects with null ids (documented under "Local Files"); their shape is asserted
  separately and the rest of their page is validated with them masked.

Responses narrowed with ``fields`` are partial by design and are tested in test_emulator_api.py instead.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from emulator_fixtures import EmulatorFactory, bearer_session
from spotify_merger.emulator import Emulator

PROJECT = Path(__file__).resolve().parents[1]
SPEC = PROJECT.parent / "shared" / "reference" / "spotify-openapi.yml"
CHECKER = PROJECT.parent / "shared" / "tools" / "check_openapi_conformance.py"
DEV_REMOVED = {
    "available_markets",
    "popularity",
    "linked_from",
    "album_group",
    "label",
    "followers",
    "genres",
    "publisher",
    "country",
    "email",
    "explicit_content",
    "product",
}
NULLABLE_ENTRY_FIELDS = ("added_at", "added_by", "item", "track")

# `.ci/run` sets this, so CI fails, rather than skips, when the definition (or the shared checker) is
# missing; a developer's plain `uv run pytest` elsewhere skips those tests and says why.
REQUIRE = "REQUIRE_OPENAPI_DEFINITION"


def require(*paths: Path) -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if not missing:
        return
    reason = f"not found: {', '.join(missing)} (it lives outside the project, in ../shared/)"
    if os.environ.get(REQUIRE):
        pytest.fail(f"{reason}; {REQUIRE} is set, so this is an error, not a skip", pytrace=False)
    pytest.skip(reason)


def _walk(node: object, fn: Callable[[dict[str, Any]], None]) -> None:
    if isinstance(node, dict):
        fn(node)
        for v in node.values():
            _walk(v, fn)
    elif isinstance(node, list):
        for v in node:
            _walk(v, fn)


def _drop_required(names: set[str]) -> Callable[[dict[str, Any]], None]:
    def fn(node: dict[str, Any]) -> None:
        req = node.get("required")
        if isinstance(req, list):
            kept = [r for r in req if r not in names]
            if kept:
                node["required"] = kept
            else:
                node.pop("required")  # OpenAPI 3.0 does not allow an empty list

    return fn


def _map_discriminator(node: dict[str, Any]) -> None:
    disc = node.get("discriminator")
    if isinstance(disc, dict) and "mapping" not in disc and isinstance(node.get("oneOf"), list):
        refs = [o["$ref"] for o in node["oneOf"] if isinstance(o, dict) and "$ref" in o]
        disc["mapping"] = {r.rsplit("/", 1)[1].removesuffix("Object").lower(): r for r in refs}


@pytest.fixture(scope="module")
def raw_spec() -> dict[str, Any]:
    require(SPEC)
    yaml = pytest.importorskip("yaml")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec: dict[str, Any] = yaml.load(SPEC.read_text(encoding="utf-8"), Loader=loader)
    _walk(spec, _map_discriminator)
    entry = spec["components"]["schemas"]["PlaylistTrackObject"]["properties"]
    for name in NULLABLE_ENTRY_FIELDS:
        prop = entry[name]
        null = {"type": "object", "nullable": True, "enum": [None]}
        # `nullable` is ignored next to oneOf/allOf, so null becomes a branch of its own; track and
        # episode stay told apart by their `type` enums.
        if "oneOf" in prop:
            prop.pop("discriminator", None)
            prop["oneOf"] = [*prop["oneOf"], null]
        elif "allOf" in prop:
            prop["oneOf"] = [{"allOf": prop.pop("allOf")}, null]
        else:
            prop["nullable"] = True
    return spec


class Validator:
    def __init__(self, spec: dict[str, Any], profile: str, api_base: str) -> None:
        from openapi_core import OpenAPI

        spec = copy.deepcopy(spec)
        spec["servers"] = [{"url": api_base}]
        if profile == "dev-2026":
            _walk(spec, _drop_required(DEV_REMOVED))
        self.openapi = OpenAPI.from_dict(spec)
        self.api_base = api_base
        self.checked: list[str] = []

    def check(self, r: requests.Response, body: object = None) -> None:
        """Validate a live response (or the same response with ``body`` substituted)."""
        from openapi_core.testing import MockRequest, MockResponse

        split = urlsplit(r.request.url or "")
        host = f"{split.scheme}://{split.netloc}"
        req = MockRequest(
            host,
            r.request.method or "GET",
            split.path,
            args=dict(parse_qsl(split.query)),
            headers=dict(r.request.headers),
        )
        data = r.content if body is None else json.dumps(body).encode()
        resp = MockResponse(
            data,
            r.status_code,
            headers=dict(r.headers),
            content_type=r.headers.get("Content-Type", "").split(";")[0],
        )
        try:
            self.openapi.validate_response(req, resp)
        except Exception as e:  # report which call failed, with the validator's innermost reasons
            raise AssertionError(
                f"{r.request.method} {split.path} -> {r.status_code}: {e!r} {e.__cause__!r}"
            ) from e
        self.checked.append(f"{r.request.method} {split.path} {r.status_code}")


def check_entries_page(v: Validator, r: requests.Response) -> int:
    """Validate a page of playlist entries; local files are asserted by shape, then masked. Returns #local."""
    body = r.json()
    masked = copy.deepcopy(body)
    n_local = 0
    for e, m in zip(body["items"], masked["items"], strict=True):
        item = e.get("item")
        if e["is_local"]:
            n_local += 1
            assert (
                item["id"] is None and item["uri"].startswith("spotify:local:") and item["is_local"] is True
            )
            assert item["type"] == "track" and item["href"] is None and isinstance(item["duration_ms"], int)
            m["item"] = None
            if "track" in m:
                m["track"] = None
    v.check(r, masked if n_local else None)
    return n_local


@pytest.mark.parametrize("profile", ["dev-2026", "extended"])
def test_responses_validate_against_openapi(
    raw_spec: dict[str, Any], emulator_factory: EmulatorFactory, profile: str
) -> None:
    emu: Emulator = emulator_factory(profile=profile)
    v = Validator(raw_spec, profile, emu.api_base)
    s = bearer_session(emu)
    api = emu.api_base
    p1, p2 = emu.playlist_ids
    limit = 100 if profile == "extended" else 50

    v.check(s.get(f"{api}/me"))
    v.check(s.get(f"{api}/me/playlists", params={"limit": 50}))
    v.check(s.get(f"{api}/playlists/{p1}"))
    v.check(s.get(f"{api}/playlists/{emu.other_playlist_id}"))
    # Every page of both playlists: tracks, episodes, local files and unavailable entries all appear.
    n_local = 0
    for pid in (p1, p2, emu.old_playlist_id, emu.collaborative_playlist_id):
        for offset in range(0, len(emu.playlist_uris(pid)), limit):
            r = s.get(
                f"{api}/playlists/{pid}/items",
                params={"limit": str(limit), "offset": str(offset), "additional_types": "track,episode"},
            )
            n_local += check_entries_page(v, r)
    assert n_local > 0
    v.check(s.get(f"{api}/playlists/{p1}/items", params={"limit": "5", "market": "US"}))
    v.check(s.get(f"{api}/me/tracks", params={"limit": 50}))
    track = next(u for u in emu.playlist_uris(p1) if u and u.startswith("spotify:track:")).rsplit(":", 1)[1]
    artist = emu.library.tracks[track]["artists"][0]
    v.check(s.get(f"{api}/artists/{artist}"))
    v.check(s.get(f"{api}/tracks/{track}", params={"market": "US"}))

    created = s.post(f"{api}/me/playlists", json={"name": "fidelity", "public": False, "description": "d"})
    v.check(created)
    new = created.json()["id"]
    uris = [u for u in emu.playlist_uris(p1) if u and not u.startswith("spotify:local:")][:100]
    v.check(s.post(f"{api}/playlists/{new}/items", json={"uris": uris}))
    v.check(s.get(f"{api}/playlists/{new}/items", params={"limit": limit}))
    v.check(s.delete(f"{api}/playlists/{new}/items", json={"items": [{"uri": uris[0]}]}))
    v.check(s.delete(f"{api}/me/library", params={"uris": f"spotify:playlist:{new}"}))

    # Errors that the definition documents for these operations.
    v.check(requests.get(f"{api}/me", timeout=5))  # 401
    v.check(s.post(f"{api}/playlists/{emu.other_playlist_id}/items", json={"uris": uris[:1]}))  # 403
    ids = ",".join(uris[i].rsplit(":", 1)[1] for i in range(20))
    if profile == "extended":
        v.check(s.get(f"{api}/audio-features", params={"ids": ids}))
        v.check(s.get(f"{api}/tracks", params={"ids": ids, "market": "US"}))
        v.check(s.get(f"{api}/artists", params={"ids": artist}))
        v.check(s.get(f"{api}/users/{emu.user_id}/playlists"))
        v.check(s.get(f"{api}/playlists/{p1}/tracks", params={"limit": 100}))
        made = s.post(f"{api}/users/{emu.user_id}/playlists", json={"name": "legacy"})
        v.check(made)
        v.check(s.post(f"{api}/playlists/{made.json()['id']}/tracks", json={"uris": uris[:3]}))
        v.check(s.delete(f"{api}/playlists/{made.json()['id']}/followers"))
    else:
        v.check(s.get(f"{api}/audio-features", params={"ids": ids}))  # 403
        v.check(s.get(f"{api}/playlists/{emu.other_playlist_id}/items"))  # 403
        v.check(s.get(f"{api}/playlists/{p1}/tracks"))  # 403
    emu.configure(rate_limit=1)
    s.get(f"{api}/me")
    v.check(s.get(f"{api}/me"))  # 429
    assert len(v.checked) >= 25


def test_shared_conformance_checker_passes(emulator_factory: EmulatorFactory, tmp_path: Path) -> None:
    require(CHECKER, SPEC)
    procs = {}
    for profile in ("dev-2026", "extended"):  # both at once: each run is mostly loading the definition
        emu = emulator_factory(profile=profile)
        env_file = tmp_path / f"{profile}.env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in emu.env().items()))
        procs[profile] = subprocess.Popen(
            [sys.executable, str(CHECKER), "--env-file", str(env_file), "--write", "--profile", profile],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
    for profile, proc in procs.items():
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0 and "FAIL" not in out, f"{profile}:\n{out}"


def test_a_missing_definition_skips_here_and_fails_in_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nowhere.yml"
    monkeypatch.delenv(REQUIRE, raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"nowhere\.yml"):
        require(missing)
    monkeypatch.setenv(REQUIRE, "1")
    with pytest.raises(pytest.fail.Exception, match=REQUIRE):
        require(missing)
    require(tmp_path)  # present: nothing to say
    ci = (PROJECT / ".ci" / "run").read_text()
    assert f"export {REQUIRE}=1\n" in ci
    assert ci.index(f"export {REQUIRE}=1") < ci.index("\nuv run pytest\n")
