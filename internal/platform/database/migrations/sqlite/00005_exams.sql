-- +goose Up
-- An exam: a published test version given to registered candidates in
-- shifts. secret seeds each candidate's paper (see assess.PaperSeed).
CREATE TABLE exams (
    id           INTEGER PRIMARY KEY,
    authority_id BIGINT NOT NULL REFERENCES authorities(id) ON DELETE CASCADE,
    test_id      BIGINT NOT NULL REFERENCES tests(id),
    test_version INTEGER NOT NULL,
    title        TEXT NOT NULL,
    secret       TEXT NOT NULL,
    created_by   BIGINT,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    FOREIGN KEY (test_id, test_version) REFERENCES test_versions(test_id, version)
);
CREATE INDEX exams_authority ON exams (authority_id, id);

-- A sitting of an exam. Candidates may start from starts_at until
-- starts_at + late_entry seconds; every attempt ends by ends_at.
CREATE TABLE shifts (
    id         INTEGER PRIMARY KEY,
    exam_id    BIGINT NOT NULL REFERENCES exams(id) ON DELETE CASCADE,
    code       TEXT NOT NULL,
    starts_at  TIMESTAMP NOT NULL,
    late_entry INTEGER NOT NULL,
    ends_at    TIMESTAMP NOT NULL,
    UNIQUE (exam_id, code)
);

-- A candidate registered for an exam. The access code is stored only as
-- its SHA-256 (hex), unique across the platform, so signing in is one
-- indexed lookup.
CREATE TABLE candidates (
    id             INTEGER PRIMARY KEY,
    exam_id        BIGINT NOT NULL REFERENCES exams(id) ON DELETE CASCADE,
    roll_no        TEXT NOT NULL,
    name           TEXT NOT NULL,
    shift_id       BIGINT REFERENCES shifts(id),
    extra_time     INTEGER NOT NULL DEFAULT 0,
    code_hash      TEXT UNIQUE,
    code_issued_at TIMESTAMP,
    created_at     TIMESTAMP NOT NULL,
    UNIQUE (exam_id, roll_no)
);
CREATE INDEX candidates_shift ON candidates (shift_id);

-- One attempt at a test: a candidate's at an exam, or a learner's at a
-- mock test. The server owns the clock: deadline is set at start.
-- device counts take-overs; only the newest device may save.
CREATE TABLE attempts (
    id            INTEGER PRIMARY KEY,
    authority_id  BIGINT NOT NULL REFERENCES authorities(id) ON DELETE CASCADE,
    test_id       BIGINT NOT NULL,
    test_version  INTEGER NOT NULL,
    exam_id       BIGINT REFERENCES exams(id) ON DELETE CASCADE,
    candidate_id  BIGINT UNIQUE REFERENCES candidates(id) ON DELETE CASCADE,
    user_id       BIGINT REFERENCES users(id) ON DELETE CASCADE,
    seed          TEXT NOT NULL,
    device        INTEGER NOT NULL DEFAULT 1,
    started_at    TIMESTAMP NOT NULL,
    deadline      TIMESTAMP,
    submitted_at  TIMESTAMP,
    submitted_by  TEXT NOT NULL DEFAULT '',
    -- Set by grading: the total, the per-section and per-question scores
    -- (JSON), and how many answers wait for a marker.
    score         REAL,
    result        TEXT,
    pending       INTEGER NOT NULL DEFAULT 0,
    graded_at     TIMESTAMP,
    FOREIGN KEY (test_id, test_version) REFERENCES test_versions(test_id, version)
);
CREATE INDEX attempts_open ON attempts (deadline) WHERE submitted_at IS NULL;
CREATE INDEX attempts_exam ON attempts (exam_id);
CREATE INDEX attempts_ungraded ON attempts (id) WHERE submitted_at IS NOT NULL AND graded_at IS NULL;
CREATE INDEX attempts_user ON attempts (user_id, test_id);

-- The latest answer to each question of an attempt. seq is the client's
-- sequence number: a save only replaces an answer with a lower one, so
-- retries and out-of-order arrival are harmless.
CREATE TABLE responses (
    attempt_id BIGINT NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
    item_id    BIGINT NOT NULL,
    seq        BIGINT NOT NULL,
    response   TEXT NOT NULL,
    marked     BOOLEAN NOT NULL DEFAULT FALSE,
    saved_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (attempt_id, item_id)
) WITHOUT ROWID; -- stored in key order: an attempt's answers lie together

-- +goose Down
DROP TABLE responses;
DROP TABLE attempts;
DROP TABLE candidates;
DROP TABLE shifts;
DROP TABLE exams;
