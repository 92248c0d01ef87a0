"""The schema, as a list of versioned migrations (applied in order by `Database.migrate`).

Each entry is (version, statements). Versions are unique but need not be consecutive (areas reserve
their own numbers). Append a migration to change the schema; never edit a released one.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, list[str]]] = [
    (
        1,
        [
            """
            CREATE TABLE playlists (
                id VARCHAR PRIMARY KEY,          -- Spotify playlist id, or 'liked' for Liked Songs
                name VARCHAR,
                owner_id VARCHAR,
                owner_name VARCHAR,
                snapshot_id VARCHAR,             -- NULL for Liked Songs (it has none)
                total INTEGER,                   -- entries the server reported
                page_size INTEGER,               -- limit used for the pages below (50 dev-2026, 100 extended)
                fetched_at TIMESTAMP,            -- when the last page was stored
                complete BOOLEAN NOT NULL DEFAULT FALSE
            )
            """,
            """
            CREATE TABLE fetched_pages (
                playlist_id VARCHAR NOT NULL,
                page_offset INTEGER NOT NULL,
                item_count INTEGER NOT NULL,
                snapshot_id VARCHAR,
                fetched_at TIMESTAMP NOT NULL,
                PRIMARY KEY (playlist_id, page_offset)
            )
            """,
            """
            CREATE TABLE entries (
                playlist_id VARCHAR NOT NULL,
                position INTEGER NOT NULL,       -- 0-based position in the playlist
                item_type VARCHAR,               -- 'track' | 'episode' | NULL (unavailable)
                item_id VARCHAR,                 -- track or episode id; NULL for local files and unavailable entries
                uri VARCHAR,                     -- spotify:track:..., spotify:episode:..., spotify:local:...
                added_at TIMESTAMP,              -- may be NULL on very old playlists
                added_by VARCHAR,
                is_local BOOLEAN NOT NULL DEFAULT FALSE,
                is_unavailable BOOLEAN NOT NULL DEFAULT FALSE,
                local_name VARCHAR,              -- title of a local file (it has no track row)
                local_artist VARCHAR,
                PRIMARY KEY (playlist_id, position)
            )
            """,
            """
            CREATE TABLE tracks (
                id VARCHAR PRIMARY KEY,          -- track or episode id
                uri VARCHAR NOT NULL,
                type VARCHAR NOT NULL,           -- 'track' | 'episode'
                name VARCHAR,
                primary_artist_id VARCHAR,       -- episodes: the show's id
                primary_artist_name VARCHAR,     -- episodes: the show's name
                artist_names VARCHAR,            -- all artists, ', '-joined, in credit order
                album_id VARCHAR,
                album_name VARCHAR,
                album_type VARCHAR,              -- album | single | compilation
                release_date VARCHAR,            -- as given: 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'
                release_year INTEGER,
                duration_ms INTEGER,
                explicit BOOLEAN,
                isrc VARCHAR,
                popularity INTEGER,              -- extended apps only
                linked_from_id VARCHAR,          -- extended apps only: the id this track was relinked from
                is_playable BOOLEAN,
                fetched_at TIMESTAMP NOT NULL
            )
            """,
            """
            CREATE TABLE track_artists (
                track_id VARCHAR NOT NULL,
                position INTEGER NOT NULL,
                artist_id VARCHAR,
                artist_name VARCHAR,
                PRIMARY KEY (track_id, position)
            )
            """,
            """
            CREATE TABLE artists (
                id VARCHAR PRIMARY KEY,
                name VARCHAR,
                genres VARCHAR[],                -- extended apps only
                popularity INTEGER,              -- extended apps only
                followers INTEGER,               -- extended apps only
                fetched_at TIMESTAMP NOT NULL
            )
            """,
            """
            CREATE TABLE audio_features (
                track_id VARCHAR PRIMARY KEY,
                danceability DOUBLE,
                energy DOUBLE,
                key INTEGER,
                loudness DOUBLE,
                mode INTEGER,
                speechiness DOUBLE,
                acousticness DOUBLE,
                instrumentalness DOUBLE,
                liveness DOUBLE,
                valence DOUBLE,
                tempo DOUBLE,
                duration_ms INTEGER,
                time_signature INTEGER,
                fetched_at TIMESTAMP NOT NULL
            )
            """,
            """
            CREATE TABLE capabilities (
                name VARCHAR PRIMARY KEY,        -- e.g. 'audio_features', 'batch_artists'
                available BOOLEAN NOT NULL,
                reason VARCHAR,                  -- why not, in words the report can show
                recorded_at TIMESTAMP NOT NULL
            )
            """,
            """
            CREATE TABLE api_calls (
                ts TIMESTAMP NOT NULL,
                phase VARCHAR,                   -- fetch | features | write | verify | undo | auth
                method VARCHAR NOT NULL,
                endpoint VARCHAR NOT NULL,       -- route template, e.g. /playlists/{id}/items
                status INTEGER,                  -- NULL when no response arrived
                ms DOUBLE,
                bytes INTEGER
            )
            """,
            """
            CREATE TABLE meta (
                key VARCHAR PRIMARY KEY,
                value VARCHAR
            )
            """,
        ],
    ),
    # write journal (spotify_merger.write.journal): the frozen plan of each write run, the master
    # playlist(s) it creates, and every add batch as intended-then-done, so a crash never adds twice.
    (
        3,
        [
            """
            CREATE TABLE write_runs (
                run_id VARCHAR PRIMARY KEY,
                created_at TIMESTAMP NOT NULL,
                master_name VARCHAR NOT NULL,
                marker VARCHAR NOT NULL,         -- unique token written into each part's description
                sources VARCHAR NOT NULL,        -- JSON list of source playlist ids, in order
                source_snapshots VARCHAR NOT NULL,  -- JSON {source: snapshot_id} the plan was built from
                options VARCHAR NOT NULL,        -- JSON of the merge options
                plan_hash VARCHAR NOT NULL,      -- sha256 of sources, options and the ordered URIs of each part
                song_count INTEGER NOT NULL,
                status VARCHAR NOT NULL,         -- planned | writing | written | verified | abandoned | undone
                updated_at TIMESTAMP NOT NULL,
                verified_at TIMESTAMP,
                undone_at TIMESTAMP
            )
            """,
            """
            CREATE TABLE write_parts (
                run_id VARCHAR NOT NULL,
                part_index INTEGER NOT NULL,     -- 1-based, as in "NAME (1/2)"
                name VARCHAR NOT NULL,
                planned_count INTEGER NOT NULL,
                state VARCHAR NOT NULL,          -- planned | intended (create sent) | created
                playlist_id VARCHAR,             -- NULL until the create is recorded
                url VARCHAR,
                created_snapshot VARCHAR,
                intended_at TIMESTAMP,
                created_at TIMESTAMP,
                PRIMARY KEY (run_id, part_index)
            )
            """,
            """
            CREATE TABLE write_plan (
                run_id VARCHAR NOT NULL,
                part_index INTEGER NOT NULL,
                position INTEGER NOT NULL,       -- 0-based position inside the part
                uri VARCHAR NOT NULL,
                PRIMARY KEY (run_id, part_index, position)
            )
            """,
            """
            CREATE TABLE write_batches (
                run_id VARCHAR NOT NULL,
                part_index INTEGER NOT NULL,
                batch_index INTEGER NOT NULL,
                start_position INTEGER NOT NULL,
                count INTEGER NOT NULL,          -- at most 100
                state VARCHAR NOT NULL,          -- intended (about to be sent) | done (applied, confirmed)
                snapshot_id VARCHAR,
                intended_at TIMESTAMP NOT NULL,
                done_at TIMESTAMP,
                PRIMARY KEY (run_id, part_index, batch_index)
            )
            """,
        ],
    ),
    # sync (spotify_merger.sync): a master is the lineage of one `run` (or one adopted playlist) and the
    # syncs that followed it. Each write is a journalled "run" of some kind; a sync appends after a
    # part's existing entries (base_count) and may remove URIs (write_removals), and fetched master
    # parts are stored like sources but marked in playlist_roles, so the analysis never mistakes them.
    (
        13,
        [
            "ALTER TABLE write_runs ADD COLUMN kind VARCHAR DEFAULT 'run'",  # run | sync | adopt
            "ALTER TABLE write_runs ADD COLUMN master_id VARCHAR",  # the run_id that started the lineage
            "ALTER TABLE write_runs ADD COLUMN owner_id VARCHAR",  # the Spotify user who owns the master
            "ALTER TABLE write_runs ADD COLUMN part_cap INTEGER",  # entries per part; NULL: Spotify's 10,000
            "UPDATE write_runs SET kind = 'run' WHERE kind IS NULL",
            "UPDATE write_runs SET master_id = run_id WHERE master_id IS NULL",
            # Entries the part held before this write: a sync appends at base_count + position.
            "ALTER TABLE write_parts ADD COLUMN base_count INTEGER DEFAULT 0",
            "UPDATE write_parts SET base_count = 0 WHERE base_count IS NULL",
            # Playlists stored that are not sources: the parts of a master, read back by sync.
            "CREATE TABLE playlist_roles (playlist_id VARCHAR PRIMARY KEY, role VARCHAR NOT NULL)",
            """
            CREATE TABLE write_removals (
                run_id VARCHAR NOT NULL,
                part_index INTEGER NOT NULL,
                op_index INTEGER NOT NULL,       -- order of the part's removal steps
                op VARCHAR NOT NULL,             -- delete (URIs, every occurrence) | restore (URIs at position)
                uris VARCHAR NOT NULL,           -- JSON list of URIs (at most 100)
                position INTEGER,                -- restore: where the copies go back
                tool_copies VARCHAR,             -- delete: JSON {uri: copies of the tool's it removes for good}
                occurrences VARCHAR,             -- delete: JSON {uri: copies in the part before the delete}
                expected_before INTEGER NOT NULL, -- the part's length before this step
                state VARCHAR NOT NULL,          -- planned | intended (about to be sent) | done | skipped
                snapshot_id VARCHAR,
                anchor_uri VARCHAR,              -- restore: the entry just before the copies put back
                anchor_nth INTEGER,              -- restore: which occurrence of anchor_uri (1-based)
                updated_at TIMESTAMP NOT NULL,
                PRIMARY KEY (run_id, part_index, op_index)
            )
            """,
        ],
    ),
]

# Export and report (14): what Exportify's columns and the report's album art need. Tracks
# fetched before this migration keep NULLs here until their playlist is read again.
MIGRATIONS.append(
    (
        14,
        [
            "ALTER TABLE tracks ADD COLUMN disc_number INTEGER",
            "ALTER TABLE tracks ADD COLUMN track_number INTEGER",
            "ALTER TABLE tracks ADD COLUMN album_artist_ids VARCHAR[]",  # in credit order
            "ALTER TABLE tracks ADD COLUMN album_artist_names VARCHAR[]",
            "ALTER TABLE tracks ADD COLUMN album_image_url VARCHAR",  # the widest image (640 px)
            "ALTER TABLE tracks ADD COLUMN album_thumb_url VARCHAR",  # the narrowest (64 px), for report.html
        ],
    )
)

# Versions are unique but need not be consecutive (areas reserve their own numbers).
SCHEMA_VERSION = max(version for version, _ in MIGRATIONS)
