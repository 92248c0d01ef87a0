"""SpotifyClient: the endpoints the tool uses, over spotipy, every call under the CallPolicy.

Two API profiles exist. Development Mode apps (every personal app since 2026) read entries from
`/playlists/{id}/items` (limit 50, entry under `item`), create with `POST /me/playlists`, unfollow
with `DELETE /me/library`, and have no audio features or batch artists. Extended-quota apps keep
the older API: `/tracks` (limit 100, entry under `track`), the users endpoint, the followers
endpoint. The profile is read off responses we need anyway (a playlist object carries `tracks`
only in the older API; `/me` carries `followers` only there) and corrected if an endpoint answers
403/404 in a way only the other profile would; no probe calls.

Where spotipy's method matches the documented request we use it; where it does not (trailing
slashes, a bare-array body for adds, the followers endpoint for unfollow) we call
`_get/_post/_delete` with the documented form.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from enum import StrEnum

import spotipy

from spotify_merger.context import Environment
from spotify_merger.display import quote
from spotify_merger.errors import ForbiddenError, MergerError, NotFoundError, UsageError
from spotify_merger.spotify._transport import ObservedSession
from spotify_merger.spotify.auth import PKCEManager, SecretManager, auth_manager
from spotify_merger.spotify.models import CreatedPlaylist, ItemsPage, JsonObject, PlaylistInfo, SpotifyUser
from spotify_merger.spotify.policy import CallPolicy, Recorder, WaitCallback


class ApiProfile(StrEnum):
    """Which Spotify Web API an app gets: today's Development Mode, or the older extended-quota one."""

    DEV = "dev-2026"
    EXTENDED = "extended"

    @property
    def page_limit(self) -> int:
        """Most entries one page of a playlist's items may hold."""
        return 100 if self is ApiProfile.EXTENDED else 50

    @classmethod
    def parse(cls, text: str) -> ApiProfile:
        """The profile a user typed; UsageError naming the choices otherwise."""
        try:
            return cls(text)
        except ValueError:
            choices = " or ".join(f"--profile {p.value}" for p in cls)
            raise UsageError(f"unknown profile {quote(text)}", f"use {choices}") from None


TIMEOUT = (10, 30)  # connect, read (seconds)

# What the tool stores of each track/episode; `fields` keeps pages well under 1 KB per entry.
_ITEM = (
    "type,id,uri,name,duration_ms,explicit,release_date,disc_number,track_number,external_ids(isrc),"
    "album(id,name,album_type,release_date,images(url,width),artists(id,name)),artists(id,name),show(id,name)"
)
_ITEM_EXTENDED = _ITEM + ",popularity,linked_from(id)"
_META_FIELDS = "id,name,owner(id,display_name),snapshot_id,collaborative,public,items(total),tracks(total),followers(total)"

DEV_MODE_RULE = (
    "since February 2026, Spotify lets Development Mode apps read the items of a playlist only "
    "when you own it or collaborate on it"
)
_NOT_OWNED_HINT = (
    "use a playlist you own or collaborate on (or copy its songs into one you own in the Spotify app); "
    "`spotify-merger playlists` marks which ones are readable"
)


def item_fields(profile: ApiProfile) -> str:
    if profile == ApiProfile.EXTENDED:
        return f"items(added_at,added_by(id),is_local,track({_ITEM_EXTENDED})),total,offset,limit"
    return f"items(added_at,added_by(id),is_local,item({_ITEM})),total,offset,limit"


class SpotifyClient:
    """The Spotify endpoints this tool uses; thread-safe (pages are fetched concurrently)."""

    def __init__(
        self,
        env: Environment,
        sp: spotipy.Spotify,
        policy: CallPolicy,
        session: ObservedSession,
        auth: PKCEManager | SecretManager,
    ) -> None:
        self.env = env
        self.sp = sp
        self.policy = policy
        self.session = session
        self.auth = auth
        self._profile: ApiProfile | None = None
        self._me: SpotifyUser | None = None
        self._lock = threading.Lock()

    @classmethod
    def connect(
        cls,
        env: Environment,
        *,
        on_wait: WaitCallback | None = None,
        recorder: Recorder | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> SpotifyClient:
        """A client for `env`; `sleep`/`clock` let tests run the policy on a virtual clock."""
        # spotipy logs every HTTP error at ERROR with the URL; our policy reports them in words.
        logging.getLogger("spotipy.client").setLevel(logging.CRITICAL)
        session = ObservedSession()
        try:
            auth = auth_manager(env, session=session)
        except BaseException:
            session.close()
            raise
        sp = spotipy.Spotify(
            auth_manager=auth,
            requests_session=session,
            requests_timeout=TIMEOUT,
            retries=0,
            status_retries=0,
            backoff_factor=0,
        )
        sp.prefix = env.api_base + "/"
        policy = CallPolicy(
            env, on_wait=on_wait, recorder=recorder, sleep=sleep or time.sleep, clock=clock or time.monotonic
        )
        policy.last_exchange = session.last_exchange
        policy.refresh_token = auth.force_refresh
        return cls(env, sp, policy, session, auth)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> SpotifyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- profile -----------------------------------------------------------------------------------

    @property
    def profile(self) -> ApiProfile:
        """Development Mode until a response shows the older (extended) API."""
        return self._profile or ApiProfile.DEV

    @profile.setter
    def profile(self, value: ApiProfile | str) -> None:
        self._profile = ApiProfile(value)

    @property
    def profile_known(self) -> bool:
        return self._profile is not None

    @property
    def page_limit(self) -> int:
        return self.profile.page_limit

    @property
    def bytes_received(self) -> int:
        return self.session.bytes_received

    def _call(
        self, endpoint: str, fn: Callable[[], object], *, method: str = "GET", idempotent: bool = True
    ) -> object:
        """One request under the call policy; the JSON it returns is checked by the caller."""
        return self.policy.call(endpoint, fn, method=method, idempotent=idempotent)

    # -- reads -------------------------------------------------------------------------------------

    def me(self) -> SpotifyUser:
        """Who signed in (asked once per client); also settles the profile."""
        with self._lock:
            if self._me is not None:
                return self._me
        raw = self._call("/me", lambda: self.sp._get("me"))
        if not isinstance(raw, dict) or not raw.get("id"):
            raise MergerError("Spotify's /me answer carried no user id", "please report this as a bug")
        me = SpotifyUser.from_api(raw)
        with self._lock:
            self._me = me
            if self._profile is None:
                self._profile = ApiProfile.EXTENDED if "followers" in raw else ApiProfile.DEV
        return me

    def playlist_meta(self, playlist_id: str) -> PlaylistInfo:
        """Name, owner, snapshot and entry count, in one small call; also settles the profile."""
        try:
            raw = self._call(
                "/playlists/{id}",
                lambda: self.sp.playlist(
                    playlist_id, fields=_META_FIELDS, additional_types=("track", "episode")
                ),
            )
        except NotFoundError:
            raise NotFoundError(
                f"there is no playlist with id {playlist_id} (Spotify answered 404)"
            ) from None
        except UsageError:
            raise UsageError(f"{quote(playlist_id)} is not a valid Spotify playlist id") from None
        if not isinstance(raw, dict):
            raise MergerError(
                f"Spotify sent no playlist object for {playlist_id}", "please report this as a bug"
            )
        if self._profile is None:
            # Development Mode lost playlist `followers` (Feb 2026); the playlist object keeps
            # sending the deprecated `tracks` beside `items` for a while, so that is no signal.
            # A wrong guess costs one call: a refused /tracks page switches to Development Mode.
            self._profile = ApiProfile.EXTENDED if "followers" in raw else ApiProfile.DEV
        counter = "tracks" if self._profile == ApiProfile.EXTENDED else "items"
        info = PlaylistInfo.from_api(raw, counter=counter, fallback_id=playlist_id)
        if info.total is None and self.profile == ApiProfile.DEV:
            # Development Mode sends other people's playlists without their items at all.
            raise ForbiddenError(
                f"Spotify will not list the items of {quote(info.name or playlist_id)} "
                f"(owned by {quote(info.owner_name or info.owner_id)}): {DEV_MODE_RULE}",
                _NOT_OWNED_HINT,
            )
        return info

    def items_page(
        self, playlist_id: str, offset: int, limit: int | None = None, fields: str | None = None
    ) -> ItemsPage:
        """One page of entries; each entry's track or episode is under "item" whatever the profile."""
        limit = limit or self.page_limit
        try:
            try:
                page = self._items_request(playlist_id, offset, limit, fields)
            except (NotFoundError, ForbiddenError):
                if self.profile != ApiProfile.EXTENDED:
                    raise
                # The older /tracks path is refused: this app is in Development Mode after all.
                self._profile = ApiProfile.DEV
                page = self._items_request(playlist_id, offset, min(limit, ApiProfile.DEV.page_limit), None)
        except ForbiddenError:
            # Either profile ends here in Development Mode: a refused /tracks switched us to it above.
            raise ForbiddenError(
                f"Spotify refused to list the items of playlist {playlist_id}: {DEV_MODE_RULE}",
                _NOT_OWNED_HINT,
            ) from None
        except NotFoundError:
            raise NotFoundError(
                f"there is no playlist with id {playlist_id} (Spotify answered 404)"
            ) from None
        return _entries_page(page, f"Spotify sent no page of entries for {playlist_id}")

    def uri_page(self, playlist_id: str, offset: int, limit: int | None = None) -> ItemsPage:
        """A page carrying only each entry's URI and the playlist's total: all a read-back needs
        (about 60 bytes an entry, where a fetch page carries 450)."""
        key = "track" if self.profile == ApiProfile.EXTENDED else "item"
        return self.items_page(playlist_id, offset, limit, fields=f"items({key}(uri)),total")

    def _items_request(self, playlist_id: str, offset: int, limit: int, fields: str | None) -> object:
        flt = fields or item_fields(self.profile)
        if self.profile == ApiProfile.EXTENDED:
            return self._call(
                "/playlists/{id}/tracks",
                lambda: self.sp._get(
                    f"playlists/{playlist_id}/tracks",
                    limit=limit,
                    offset=offset,
                    fields=flt,
                    additional_types="track,episode",
                    # With a market Spotify applies track relinking and says so in `linked_from`,
                    # which the "relinked" matching rule needs.
                    market="from_token",
                ),
            )
        return self._call(
            "/playlists/{id}/items",
            lambda: self.sp.playlist_items(playlist_id, fields=flt, limit=limit, offset=offset),
        )

    def liked_page(self, offset: int, limit: int = 50) -> ItemsPage:
        page = self._call(
            "/me/tracks", lambda: self.sp.current_user_saved_tracks(limit=min(limit, 50), offset=offset)
        )
        return _entries_page(page, "Spotify sent no page of Liked Songs")

    def user_playlists(self) -> list[PlaylistInfo]:
        """Every playlist in the user's library, 50 per call."""
        out: list[PlaylistInfo] = []
        offset = 0
        while True:
            items, total = self.library_page(offset)
            out.extend(items)
            offset += 50
            if not items or offset >= total:
                return out

    def library_page(self, offset: int = 0) -> tuple[list[PlaylistInfo], int]:
        """One page (50) of the user's library of playlists, and how many it holds in all.

        Each listed playlist carries its snapshot_id and size, so one call can stand in for the
        metadata calls of every playlist it lists (sync's first look at its sources and parts).
        """
        page = self._call("/me/playlists", self._playlists_request(offset))
        if not isinstance(page, dict):
            return [], 0
        items = page.get("items") or []
        return [PlaylistInfo.from_api(p) for p in items if isinstance(p, dict)], int(page.get("total") or 0)

    def _playlists_request(self, offset: int) -> Callable[[], object]:
        return lambda: self.sp.current_user_playlists(limit=50, offset=offset)

    def in_library(self, playlist_ids: list[str]) -> list[bool]:
        """Whether each playlist is still in the user's library (deleting one only unfollows it)."""
        out: list[bool] = []
        for i in range(0, len(playlist_ids), 40):
            chunk = playlist_ids[i : i + 40]
            uris = ",".join(f"spotify:playlist:{p}" for p in chunk)
            res = self._call("/me/library/contains", self._contains_request(uris))
            if not isinstance(res, list) or len(res) != len(chunk):
                raise MergerError(
                    "Spotify's library check gave no answer per playlist", "please report this as a bug"
                )
            out.extend(bool(x) for x in res)
        return out

    def _contains_request(self, uris: str) -> Callable[[], object]:
        return lambda: self.sp._get("me/library/contains", uris=uris)

    def audio_features(self, ids: list[str]) -> list[JsonObject | None]:
        if not ids:
            return []
        if len(ids) > 100:
            raise ValueError("at most 100 ids per audio-features call")
        res = self._call("/audio-features", lambda: self.sp._get("audio-features", ids=",".join(ids)))
        features = res.get("audio_features") if isinstance(res, dict) else None
        return list(features) if isinstance(features, list) else [None] * len(ids)

    def artists(self, ids: list[str]) -> list[JsonObject]:
        if not ids:
            return []
        if len(ids) > 50:
            raise ValueError("at most 50 ids per artists call")
        res = self._call("/artists", lambda: self.sp._get("artists", ids=",".join(ids)))
        found = res.get("artists") if isinstance(res, dict) else None
        return [a for a in found or [] if isinstance(a, dict)]

    # -- writes (never retried blindly: see LostResponseError) ------------------------------------------

    def create_playlist(self, name: str, description: str, *, public: bool = False) -> CreatedPlaylist:
        if self.profile == ApiProfile.EXTENDED or not self.profile_known:
            self.me()  # the users endpoint needs the id; it also settles the profile
        if self.profile == ApiProfile.EXTENDED:
            user_id = self.me().id
            body = {"name": name, "public": public, "collaborative": False, "description": description}
            raw = self._call(
                "/users/{id}/playlists",
                lambda: self.sp._post(f"users/{user_id}/playlists", payload=body),
                method="POST",
                idempotent=False,
            )
        else:
            raw = self._call(
                "/me/playlists",
                lambda: self.sp.current_user_playlist_create(name, public=public, description=description),
                method="POST",
                idempotent=False,
            )
        if not isinstance(raw, dict) or not raw.get("id"):
            raise MergerError(
                "Spotify's answer to creating a playlist carried no id", "please report this as a bug"
            )
        return CreatedPlaylist.from_api(raw, name)

    def add_items(self, playlist_id: str, uris: list[str], position: int | None = None) -> str:
        if not uris or len(uris) > 100:
            raise ValueError("add_items takes 1 to 100 URIs per call")
        body: JsonObject = {"uris": list(uris)}
        if position is not None:
            body["position"] = position
        path = "tracks" if self.profile == ApiProfile.EXTENDED else "items"
        return self._change_items(
            "POST", path, lambda: self.sp._post(f"playlists/{playlist_id}/{path}", payload=body), "adding"
        )

    def _change_items(self, method: str, path: str, send: Callable[[], object], doing: str) -> str:
        """One change to a playlist's entries (never retried blindly); the snapshot_id it answers."""
        res = self._call(f"/playlists/{{id}}/{path}", send, method=method, idempotent=False)
        snapshot = res.get("snapshot_id") if isinstance(res, dict) else None
        if not snapshot:
            raise MergerError(
                f"Spotify's answer to {doing} items carried no snapshot_id", "please report this as a bug"
            )
        return str(snapshot)

    def remove_items(self, playlist_id: str, uris: list[str], snapshot_id: str | None) -> str:
        """Remove every occurrence of each URI (at most 100), naming the snapshot the removal was planned on.

        The public definition takes URIs only, no positions: copies that must stay are put back by
        the caller. Never retried blindly (a lost answer is a LostResponseError).
        """
        if not uris or len(uris) > 100:
            raise ValueError("remove_items takes 1 to 100 URIs per call")
        path = "tracks" if self.profile == ApiProfile.EXTENDED else "items"
        body: JsonObject = {path: [{"uri": u} for u in uris]}
        if snapshot_id:
            body["snapshot_id"] = snapshot_id
        return self._change_items(
            "DELETE",
            path,
            lambda: self.sp._delete(f"playlists/{playlist_id}/{path}", payload=body),
            "removing",
        )

    def unfollow_playlist(self, playlist_id: str) -> None:
        if self.profile == ApiProfile.EXTENDED:
            self._call(
                "/playlists/{id}/followers",
                lambda: self.sp._delete(f"playlists/{playlist_id}/followers"),
                method="DELETE",
                idempotent=False,
            )
        else:
            self._call(
                "/me/library",
                lambda: self.sp._delete("me/library", uris=f"spotify:playlist:{playlist_id}"),
                method="DELETE",
                idempotent=False,
            )


def _entries_page(page: object, problem: str) -> ItemsPage:
    """A page of entries with each track or episode under "item" (the older API says "track")."""
    if not isinstance(page, dict) or not isinstance(page.get("items"), list):
        raise MergerError(problem, "please report this as a bug")
    # A null entry stays in place as an empty one (stored as unavailable), keeping positions right.
    entries = [e if isinstance(e, dict) else {} for e in page["items"]]
    for entry in entries:
        if "item" not in entry:
            entry["item"] = entry.pop("track", None)
    total = page.get("total")
    return ItemsPage(entries, total if isinstance(total, int) else 0)
