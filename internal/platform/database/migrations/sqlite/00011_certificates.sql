-- +goose Up
-- Files an authority's certificate templates use: background images,
-- logos, signature images and fonts. The bytes are in the blob store
-- under certify/assets/{authority id}/{sha256}.
CREATE TABLE cert_assets (
    id           INTEGER PRIMARY KEY,
    authority_id BIGINT NOT NULL REFERENCES authorities(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    created_by   BIGINT,
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (authority_id, name)
);

-- A certificate type: its achievement, validity, fields, rules and PDF
-- template, as one JSON definition. version counts saves; a batch keeps
-- the definition it was validated against.
CREATE TABLE cert_types (
    id           INTEGER PRIMARY KEY,
    authority_id BIGINT NOT NULL REFERENCES authorities(id) ON DELETE CASCADE,
    code         TEXT NOT NULL,
    name         TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    definition   TEXT NOT NULL,
    created_by   BIGINT,
    created_at   TIMESTAMP NOT NULL,
    updated_by   BIGINT,
    updated_at   TIMESTAMP NOT NULL,
    archived_at  TIMESTAMP,
    UNIQUE (authority_id, code)
);

-- A batch of certificates to issue: made by one person (maker), approved
-- by another (approver), then issued by jobs of a few hundred rows.
CREATE TABLE cert_batches (
    id            INTEGER PRIMARY KEY,
    authority_id  BIGINT NOT NULL REFERENCES authorities(id) ON DELETE CASCADE,
    type_id       BIGINT NOT NULL REFERENCES cert_types(id),
    type_version  INTEGER NOT NULL,
    definition    TEXT NOT NULL,
    name          TEXT NOT NULL,
    source        TEXT NOT NULL,
    source_label  TEXT NOT NULL,
    state         TEXT NOT NULL,
    total         INTEGER NOT NULL DEFAULT 0,
    valid         INTEGER NOT NULL DEFAULT 0,
    rejected      INTEGER NOT NULL DEFAULT 0,
    issued        INTEGER NOT NULL DEFAULT 0,
    failed        INTEGER NOT NULL DEFAULT 0,
    maker_id      BIGINT NOT NULL,
    approver_id   BIGINT,
    decided_at    TIMESTAMP,
    decision_note TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP
);
CREATE INDEX cert_batches_authority ON cert_batches (authority_id, id);
CREATE INDEX cert_batches_state ON cert_batches (state);

-- One row of a batch: the holder's data (field → text, as coerced), and
-- what became of it.
CREATE TABLE cert_batch_rows (
    batch_id  BIGINT NOT NULL REFERENCES cert_batches(id) ON DELETE CASCADE,
    row_no    INTEGER NOT NULL,
    holder_id TEXT NOT NULL,
    data      TEXT NOT NULL,
    state     TEXT NOT NULL,
    problems  TEXT,
    doc_id    TEXT,
    PRIMARY KEY (batch_id, row_no)
);
CREATE INDEX cert_batch_rows_state ON cert_batch_rows (batch_id, state, row_no);

-- Bitstring status lists for revocation. Indexes are handed out in a
-- keyed pseudo-random order (perm_key), so that an index tells nothing of
-- when or in which batch a certificate was issued. credential is the
-- signed list, re-signed whenever a bit changes.
CREATE TABLE status_lists (
    id           INTEGER PRIMARY KEY,
    authority_id BIGINT NOT NULL REFERENCES authorities(id) ON DELETE CASCADE,
    size         INTEGER NOT NULL,
    used         INTEGER NOT NULL DEFAULT 0,
    perm_key     BLOB NOT NULL,
    bits         BLOB NOT NULL,
    credential   TEXT,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX status_lists_authority ON status_lists (authority_id, id);

-- An issued certificate. The credential and PDF are in the blob store;
-- their hashes here let a presented copy be checked byte for byte. Only
-- one certificate stands per (authority, type, holder, source): a re-issue
-- marks the one it replaces first.
CREATE TABLE certificates (
    id                INTEGER PRIMARY KEY,
    doc_id            TEXT NOT NULL UNIQUE,
    authority_id      BIGINT NOT NULL REFERENCES authorities(id) ON DELETE CASCADE,
    type_id           BIGINT NOT NULL REFERENCES cert_types(id),
    batch_id          BIGINT REFERENCES cert_batches(id),
    row_no            INTEGER,
    holder_id         TEXT NOT NULL,
    source            TEXT NOT NULL,
    holder_name       TEXT NOT NULL,
    achievement       TEXT NOT NULL,
    data              TEXT NOT NULL,
    issued_at         TIMESTAMP NOT NULL,
    valid_until       TIMESTAMP,
    kid               TEXT NOT NULL,
    status_list_id    BIGINT NOT NULL REFERENCES status_lists(id),
    status_index      INTEGER NOT NULL,
    credential_sha256 TEXT NOT NULL,
    pdf_sha256        TEXT NOT NULL,
    replaces          TEXT,
    replaced_by       TEXT,
    revoked_at        TIMESTAMP,
    revoked_reason    TEXT,
    revoked_by        BIGINT,
    UNIQUE (status_list_id, status_index)
);
CREATE UNIQUE INDEX certificates_once ON certificates (authority_id, type_id, holder_id, source) WHERE replaced_by IS NULL;
CREATE INDEX certificates_batch ON certificates (batch_id, row_no);
CREATE INDEX certificates_authority ON certificates (authority_id, id);
-- A presented PDF is found by its hash: any change to it finds nothing.
CREATE INDEX certificates_pdf ON certificates (pdf_sha256);

-- +goose Down
DROP TABLE certificates;
DROP TABLE status_lists;
DROP TABLE cert_batch_rows;
DROP TABLE cert_batches;
DROP TABLE cert_types;
DROP TABLE cert_assets;
