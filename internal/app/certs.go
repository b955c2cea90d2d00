package app

import (
	"fmt"
	"log/slog"

	"github.com/schollz/progressbar/v3"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/certify"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/blob"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

type certsCmd struct {
	Issue certsIssueCmd `cmd:"" help:"Issue an approved certificate batch in this process, with a progress bar. Safe while servers issue the same batch, and to run again after a crash: nothing is issued twice."`
}

type certsIssueCmd struct {
	Batch int64 `required:"" help:"The batch's id."`
}

// certify opens the certificates domain for a command.
func (e *env) certify(c *Config) (*certify.Service, func(), error) {
	s, err := c.validate()
	if err != nil {
		return nil, nil, err
	}
	log := newLogger(e.stderr, max(s.logLevel, slog.LevelWarn))
	secret, err := s.secretKey(log)
	if err != nil {
		return nil, nil, err
	}
	db, err := openDatabase(e.ctx, s, log)
	if err != nil {
		return nil, nil, err
	}
	files, err := blob.Open(e.ctx, s.blobURL, nil, e.getenv)
	if err != nil {
		db.Close()
		return nil, nil, bad("VIDYA_BLOB_URL", "%s", oneLine(err))
	}
	ids := identity.NewService(db, nopMailer{}, log, identity.Config{})
	svc, err := certify.NewService(db, ids, log, certify.Options{KeyEncryptionKey: deriveKey(secret, "certificate signing keys"), BaseURL: s.baseURL.String(),
		Blobs: files, Results: assess.NewService(db, ids, log)})
	if err != nil {
		files.Close()
		db.Close()
		return nil, nil, err
	}
	return svc, func() { files.Close(); db.Close() }, nil
}

func (cmd *certsIssueCmd) Run(e *env, c *Config) error {
	svc, done, err := e.certify(c)
	if err != nil {
		return err
	}
	defer done()
	var bar *progressbar.ProgressBar
	b, err := svc.IssueBatch(e.ctx, cmd.Batch, func(b *certify.Batch) {
		if b.State != certify.BatchIssuing {
			return
		}
		if bar == nil {
			bar = progressbar.NewOptions(b.Valid, progressbar.OptionSetWriter(e.stderr), progressbar.OptionSetVisibility(isTerminal(e.stderr)),
				progressbar.OptionSetDescription(fmt.Sprintf("batch %d", b.ID)), progressbar.OptionShowCount(), progressbar.OptionSetItsString("certificates"),
				progressbar.OptionShowIts(), progressbar.OptionThrottle(100e6), progressbar.OptionClearOnFinish())
		}
		bar.ChangeMax(b.Valid)
		_ = bar.Set(b.Issued + b.Failed)
	})
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		return err
	}
	switch b.State {
	case certify.BatchPending:
		return errs.E(errs.Conflict, "certs issue", "batch %d is waiting for approval; an approver must approve it first", b.ID)
	case certify.BatchDeclined, certify.BatchCancelled:
		return errs.E(errs.Conflict, "certs issue", "batch %d is %s; nothing was issued", b.ID, b.State)
	}
	fmt.Fprintf(e.stdout, "batch %d %s: %d issued, %d failed, %d rejected at validation\n", b.ID, b.State, b.Issued, b.Failed, b.Rejected)
	if b.Failed > 0 {
		fmt.Fprintf(e.stdout, "the failed rows and why are in the rejection report: GET /api/v1/authorities/{code}/certificate-batches/%d/rejections.csv\n", b.ID)
	}
	return nil
}
