-- +goose Up
-- Each authority's taxonomy of topics (board/subject/chapter…), as paths
-- like "physics/optics". Items' topics must come from it once it has any.
CREATE TABLE topics (
    authority_id INTEGER NOT NULL REFERENCES authorities(id) ON DELETE CASCADE,
    path         TEXT NOT NULL,
    name_en      TEXT NOT NULL DEFAULT '',
    name_hi      TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (authority_id, path)
);
CREATE INDEX items_topic ON items (authority_id, topic);

-- +goose Down
DROP INDEX items_topic;
DROP TABLE topics;
