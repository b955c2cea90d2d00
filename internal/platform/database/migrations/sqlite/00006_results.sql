-- +goose Up
-- Results of an exam: computed from graded attempts (ranks, percentiles
-- within each shift, the normalised order across shifts and the item
-- analysis), then published to candidates.
ALTER TABLE exams ADD COLUMN results_state TEXT NOT NULL DEFAULT '';
ALTER TABLE exams ADD COLUMN results_computed_at TIMESTAMP;
ALTER TABLE exams ADD COLUMN results_published_at TIMESTAMP;
ALTER TABLE exams ADD COLUMN analysis TEXT;

CREATE TABLE results (
    attempt_id   BIGINT PRIMARY KEY REFERENCES attempts(id) ON DELETE CASCADE,
    exam_id      BIGINT NOT NULL REFERENCES exams(id) ON DELETE CASCADE,
    candidate_id BIGINT NOT NULL REFERENCES candidates(id) ON DELETE CASCADE,
    shift        TEXT NOT NULL,
    score        REAL NOT NULL,
    shift_rank   INTEGER NOT NULL,
    percentile   TEXT NOT NULL,
    overall_rank INTEGER NOT NULL
);
CREATE INDEX results_exam ON results (exam_id, overall_rank);

-- +goose Down
DROP TABLE results;
ALTER TABLE exams DROP COLUMN analysis;
ALTER TABLE exams DROP COLUMN results_published_at;
ALTER TABLE exams DROP COLUMN results_computed_at;
ALTER TABLE exams DROP COLUMN results_state;
