-- +goose Up
CREATE TABLE items (
    id           INTEGER PRIMARY KEY,
    authority_id BIGINT NOT NULL REFERENCES authorities(id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    revision     INTEGER NOT NULL,
    type         TEXT NOT NULL,
    status       TEXT NOT NULL,
    title        TEXT NOT NULL DEFAULT '',
    external_ref TEXT NOT NULL DEFAULT '',
    languages    TEXT NOT NULL,
    topic        TEXT NOT NULL DEFAULT '',
    difficulty   TEXT NOT NULL DEFAULT '',
    bloom        TEXT NOT NULL DEFAULT '',
    source       TEXT NOT NULL DEFAULT '',
    search_text  TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    document     TEXT NOT NULL,
    created_by   BIGINT,
    updated_by   BIGINT,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX items_authority ON items (authority_id, id);
CREATE INDEX items_hash ON items (authority_id, content_hash);
CREATE INDEX items_ref ON items (authority_id, external_ref);

-- Every version of every item, frozen once published: tests keep pointing
-- at the version they were built from.
CREATE TABLE item_versions (
    item_id      BIGINT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    status       TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    document     TEXT NOT NULL,
    created_by   BIGINT,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (item_id, version)
);

-- Who did what to an item, newest last.
CREATE TABLE item_history (
    id       INTEGER PRIMARY KEY,
    item_id  BIGINT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    version  INTEGER NOT NULL,
    at       TIMESTAMP NOT NULL,
    actor_id BIGINT,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    note     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX item_history_item ON item_history (item_id, id);

-- +goose Down
DROP TABLE item_history;
DROP TABLE item_versions;
DROP TABLE items;
