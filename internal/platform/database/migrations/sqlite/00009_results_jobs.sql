-- +goose Up
-- Results are computed by a background job (reading every attempt of a
-- national exam takes longer than a request may): the request queues the
-- exam and the job reports its progress here.
ALTER TABLE exams ADD COLUMN results_requested_at TIMESTAMP;
ALTER TABLE exams ADD COLUMN results_started_at TIMESTAMP;
ALTER TABLE exams ADD COLUMN results_progress INTEGER NOT NULL DEFAULT 0;
-- results_run numbers the computations: only the one holding the claim
-- (a worker that died is taken over) may store its work.
ALTER TABLE exams ADD COLUMN results_run INTEGER NOT NULL DEFAULT 0;
ALTER TABLE exams ADD COLUMN results_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE exams ADD COLUMN results_error TEXT NOT NULL DEFAULT '';
ALTER TABLE exams ADD COLUMN results_summary TEXT;
CREATE INDEX exams_results_queue ON exams (results_state, results_requested_at);

-- +goose Down
DROP INDEX exams_results_queue;
ALTER TABLE exams DROP COLUMN results_summary;
ALTER TABLE exams DROP COLUMN results_error;
ALTER TABLE exams DROP COLUMN results_total;
ALTER TABLE exams DROP COLUMN results_run;
ALTER TABLE exams DROP COLUMN results_progress;
ALTER TABLE exams DROP COLUMN results_started_at;
ALTER TABLE exams DROP COLUMN results_requested_at;
