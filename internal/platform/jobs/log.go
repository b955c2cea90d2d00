package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// errorLogger is River's ErrorHandler: it logs each failed attempt once,
// with the job's kind, id and attempt. River recovers a worker's panic
// itself (the process keeps running) and hands it here.
type errorLogger struct{ log *slog.Logger }

func jobAttrs(job *rivertype.JobRow) []any {
	return []any{
		slog.String("kind", job.Kind),
		slog.Int64("job_id", job.ID),
		slog.Int("attempt", job.Attempt),
		slog.Int("max_attempts", job.MaxAttempts),
		slog.String("queue", job.Queue),
	}
}

func (h *errorLogger) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	level, msg := slog.LevelWarn, "job failed; will retry"
	if job.Attempt >= job.MaxAttempts {
		level, msg = slog.LevelError, "job failed; no attempts left, discarded"
	}
	h.log.Log(ctx, level, msg, append(jobAttrs(job), slog.String("error", err.Error()))...)
	return nil
}

func (h *errorLogger) HandlePanic(ctx context.Context, job *rivertype.JobRow, panicVal any, trace string) *river.ErrorHandlerResult {
	msg := "job panicked; will retry"
	if job.Attempt >= job.MaxAttempts {
		msg = "job panicked; no attempts left, discarded"
	}
	h.log.Log(ctx, slog.LevelError, msg, append(jobAttrs(job),
		slog.String("panic", fmt.Sprint(panicVal)),
		slog.String("stack", trace),
	)...)
	return nil
}

// riverLogFilter drops River's own records about failed and panicked jobs,
// which errorLogger already reports, so each failure is logged once.
type riverLogFilter struct{ h slog.Handler }

// Suffixes of River's job-failure messages ("JobExecutor: Job errored" …).
var duplicateFailureMessages = []string{
	": Job errored",
	": Job errored; retrying",
	": Job panicked",
	": panic recovery; possible bug with Worker",
}

func (f *riverLogFilter) Enabled(ctx context.Context, l slog.Level) bool { return f.h.Enabled(ctx, l) }

func (f *riverLogFilter) Handle(ctx context.Context, r slog.Record) error {
	for _, s := range duplicateFailureMessages {
		if strings.HasSuffix(r.Message, s) {
			return nil
		}
	}
	return f.h.Handle(ctx, r)
}

func (f *riverLogFilter) WithAttrs(as []slog.Attr) slog.Handler {
	return &riverLogFilter{h: f.h.WithAttrs(as)}
}

func (f *riverLogFilter) WithGroup(name string) slog.Handler {
	return &riverLogFilter{h: f.h.WithGroup(name)}
}
