-- +goose Up
-- Manual marking of essays (see assess/marking.go) and the answer-key
-- challenge window (assess/challenges.go).
--
-- Marking settings of an exam: double marking with a tolerance in marks,
-- and the step scores go in (0.5: halves).
ALTER TABLE exams ADD COLUMN double_marking BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE exams ADD COLUMN marking_tolerance REAL NOT NULL DEFAULT 0;
ALTER TABLE exams ADD COLUMN marking_step REAL NOT NULL DEFAULT 0.5;
-- When candidates may challenge the answer key.
ALTER TABLE exams ADD COLUMN challenge_opens_at TIMESTAMP;
ALTER TABLE exams ADD COLUMN challenge_closes_at TIMESTAMP;

-- One answer to be marked by hand. ref is the opaque id markers see
-- (blind marking). needed is how many marks it takes: 1, 2 (double
-- marking) or 3 (moderation after two marks too far apart); marks is how
-- many it has. A script is reserved for one marker until reserved_until.
CREATE TABLE scripts (
    id             INTEGER PRIMARY KEY,
    ref            TEXT NOT NULL UNIQUE,
    exam_id        BIGINT NOT NULL REFERENCES exams(id) ON DELETE CASCADE,
    attempt_id     BIGINT NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
    item_id        BIGINT NOT NULL,
    slot           INTEGER NOT NULL,
    max            REAL NOT NULL,
    needed         INTEGER NOT NULL,
    marks          INTEGER NOT NULL DEFAULT 0,
    reserved_by    BIGINT,
    reserved_until TIMESTAMP,
    final_score    REAL,
    finalised_at   TIMESTAMP,
    UNIQUE (attempt_id, item_id)
);
CREATE INDEX scripts_queue ON scripts (exam_id, id) WHERE final_score IS NULL;
CREATE INDEX scripts_reserved ON scripts (exam_id, reserved_by) WHERE reserved_by IS NOT NULL;

-- The marks given. A marker marks a script at most once.
CREATE TABLE script_marks (
    script_id BIGINT NOT NULL REFERENCES scripts(id) ON DELETE CASCADE,
    marker_id BIGINT NOT NULL,
    round     INTEGER NOT NULL,
    score     REAL NOT NULL,
    comment   TEXT NOT NULL DEFAULT '',
    marked_at TIMESTAMP NOT NULL,
    PRIMARY KEY (script_id, marker_id),
    UNIQUE (script_id, round)
);

-- A candidate's challenge of a question's key: one per question.
CREATE TABLE challenges (
    id           INTEGER PRIMARY KEY,
    exam_id      BIGINT NOT NULL REFERENCES exams(id) ON DELETE CASCADE,
    candidate_id BIGINT NOT NULL REFERENCES candidates(id) ON DELETE CASCADE,
    item_id      BIGINT NOT NULL,
    reason       TEXT NOT NULL,
    proposed     TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (candidate_id, item_id)
);
CREATE INDEX challenges_exam ON challenges (exam_id, item_id);

-- An administrator's decision on a question's key for one exam (the
-- frozen test version is never changed). action is reject, accept (new_key
-- is the corrected key, JSON) or drop (full marks for everyone).
-- Regrading walks the exam's attempts in id order: regraded_through is
-- the last attempt done, done is set when none is left.
CREATE TABLE key_decisions (
    exam_id          BIGINT NOT NULL REFERENCES exams(id) ON DELETE CASCADE,
    item_id          BIGINT NOT NULL,
    action           TEXT NOT NULL,
    new_key          TEXT NOT NULL DEFAULT '',
    note             TEXT NOT NULL DEFAULT '',
    decided_by       BIGINT,
    decided_at       TIMESTAMP NOT NULL,
    regraded_through BIGINT NOT NULL DEFAULT 0,
    regraded         INTEGER NOT NULL DEFAULT 0,
    done             BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (exam_id, item_id)
);
CREATE INDEX key_decisions_todo ON key_decisions (exam_id) WHERE done = FALSE;

-- +goose Down
DROP TABLE key_decisions;
DROP TABLE challenges;
DROP TABLE script_marks;
DROP TABLE scripts;
ALTER TABLE exams DROP COLUMN challenge_closes_at;
ALTER TABLE exams DROP COLUMN challenge_opens_at;
ALTER TABLE exams DROP COLUMN marking_step;
ALTER TABLE exams DROP COLUMN marking_tolerance;
ALTER TABLE exams DROP COLUMN double_marking;
