-- +goose Up
-- Mock tests and exam papers. document holds the editable definition
-- (sections, questions, pools); publishing freezes it into test_versions.
CREATE TABLE tests (
    id           INTEGER PRIMARY KEY,
    authority_id BIGINT NOT NULL REFERENCES authorities(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 0,
    revision     INTEGER NOT NULL,
    title        TEXT NOT NULL,
    document     TEXT NOT NULL,
    created_by   BIGINT,
    updated_by   BIGINT,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX tests_authority ON tests (authority_id, id);

-- A published version: the definition and a snapshot of every item it can
-- use, so that a paper never changes once delivered.
CREATE TABLE test_versions (
    test_id      BIGINT NOT NULL REFERENCES tests(id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    document     TEXT NOT NULL,
    items        INTEGER NOT NULL,
    published_by BIGINT,
    published_at TIMESTAMP NOT NULL,
    PRIMARY KEY (test_id, version)
);

-- +goose Down
DROP TABLE test_versions;
DROP TABLE tests;
