-- +goose Up
-- An authority's Ed25519 certificate signing keys. The private key is
-- sealed (AES-256-GCM) under a key derived from the platform secret; the
-- kid names the key in every proof (did:web verification method). A new
-- key retires the active one, which stays published so that what it
-- signed still verifies.
CREATE TABLE signing_keys (
    id           INTEGER PRIMARY KEY,
    authority_id BIGINT NOT NULL REFERENCES authorities(id) ON DELETE CASCADE,
    kid          TEXT NOT NULL,
    public_key   BLOB NOT NULL,
    sealed_key   BLOB NOT NULL,
    created_by   BIGINT,
    created_at   TIMESTAMP NOT NULL,
    retired_at   TIMESTAMP,
    UNIQUE (authority_id, kid)
);
-- At most one active key per authority.
CREATE UNIQUE INDEX signing_keys_active ON signing_keys (authority_id) WHERE retired_at IS NULL;

-- +goose Down
DROP TABLE signing_keys;
