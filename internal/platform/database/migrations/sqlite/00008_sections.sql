-- +goose Up
-- Papers whose sections have their own time: the section an attempt is in
-- and when it began (later sections follow on by themselves when a
-- section's time is up; see assess.sectionAt).
ALTER TABLE attempts ADD COLUMN section INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attempts ADD COLUMN section_started_at TIMESTAMP;

-- +goose Down
ALTER TABLE attempts DROP COLUMN section_started_at;
ALTER TABLE attempts DROP COLUMN section;
