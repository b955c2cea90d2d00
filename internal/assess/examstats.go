package assess

import (
	"context"
	"errors"
	"time"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// examWatchRoles may follow an exam's progress: those who read exams, and
// proctors, who extend candidates' time on the day.
var examWatchRoles = []identity.Role{identity.RoleAdmin, identity.RoleApprover, identity.RoleGrader, identity.RoleProctor}

// ExamProgress counts where an exam's candidates are, and says where its
// results are.
type ExamProgress struct {
	Exam ExamInfo `json:"exam"`
	// Registered candidates; WithCodes of them hold an access code.
	Registered int `json:"registered"`
	WithCodes  int `json:"with_codes"`
	// Started, Submitted and Graded count attempts.
	Started   int `json:"started"`
	Submitted int `json:"submitted"`
	Graded    int `json:"graded"`
	// ResultsComputed and ResultsPublished are when ComputeResults last
	// ran and when the results were shown to candidates (nil: not yet, or
	// hidden again).
	ResultsComputed  *time.Time `json:"results_computed_at,omitempty"`
	ResultsPublished *time.Time `json:"results_published_at,omitempty"`
	// Results says where the computation of the results is.
	Results *ResultsStatus `json:"results"`
}

// ExamProgress returns an exam with its progress counts. Administrators,
// approvers, graders and proctors.
func (s *Service) ExamProgress(ctx context.Context, p *identity.Principal, code string, examID int64) (*ExamProgress, error) {
	const op = "assess: exam progress"
	a, err := s.authority(ctx, p, code, examWatchRoles)
	if err != nil {
		return nil, err
	}
	e, err := s.loadExam(ctx, s.db, a.ID, examID)
	if err != nil {
		return nil, err
	}
	out := &ExamProgress{Exam: *e}
	out.Exam.secret = nil
	err = s.db.QueryRow(ctx, `SELECT COUNT(*), COUNT(code_hash) FROM candidates WHERE exam_id = $1`, examID).Scan(&out.Registered, &out.WithCodes)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	err = s.db.QueryRow(ctx, `SELECT COUNT(*), COUNT(submitted_at), COUNT(graded_at) FROM attempts WHERE exam_id = $1`, examID).Scan(&out.Started, &out.Submitted, &out.Graded)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	var published *time.Time
	err = s.db.QueryRow(ctx, `SELECT results_published_at FROM exams WHERE id = $1`, examID).Scan(&published)
	if errors.Is(err, database.ErrNoRows) {
		return nil, errs.E(errs.NotFound, op, "no exam %d", examID)
	}
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	if published != nil {
		u := published.UTC()
		out.ResultsPublished = &u
	}
	if out.Results, err = s.resultsStatus(ctx, op, examID); err != nil {
		return nil, err
	}
	out.ResultsComputed = out.Results.ComputedAt
	return out, nil
}

// WatchedExams lists an authority's exams, newest first, for everyone who
// works on them: ListExams's readers and proctors.
func (s *Service) WatchedExams(ctx context.Context, p *identity.Principal, code string) ([]ExamInfo, error) {
	return s.listExams(ctx, p, code, examWatchRoles)
}

// VersionInfo describes one published version of a test.
type VersionInfo struct {
	Version     int       `json:"version"`
	Items       int       `json:"items"`
	PublishedAt time.Time `json:"published_at"`
}

// TestVersions lists a test's published versions, newest first. Readers
// of the bank.
func (s *Service) TestVersions(ctx context.Context, p *identity.Principal, code string, testID int64) ([]VersionInfo, error) {
	const op = "assess: test versions"
	a, err := s.authority(ctx, p, code, readRoles)
	if err != nil {
		return nil, err
	}
	if _, err := s.loadTest(ctx, s.db, a.ID, testID); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT version, items, published_at FROM test_versions WHERE test_id = $1 ORDER BY version DESC LIMIT 500`, testID)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	defer rows.Close()
	var out []VersionInfo
	for rows.Next() {
		var v VersionInfo
		if err := rows.Scan(&v.Version, &v.Items, &v.PublishedAt); err != nil {
			return nil, errs.Wrap(op, err)
		}
		v.PublishedAt = v.PublishedAt.UTC()
		out = append(out, v)
	}
	return out, errs.Wrap(op, rows.Err())
}
