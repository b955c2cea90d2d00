package app

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/assess/formats"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/blob"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

type itemsCmd struct {
	Import itemsImportCmd `cmd:"" help:"Import an item file (QTI 2.1/3.0 item or package, GIFT, Aiken, CSV) into an authority's bank as drafts."`
	Export itemsExportCmd `cmd:"" help:"Export items as a QTI 3.0 or 2.1 package, CSV or GIFT."`
}

func (e *env) bank(c *Config) (*assess.Service, func(), error) {
	s, err := c.validate()
	if err != nil {
		return nil, nil, err
	}
	log := newLogger(e.stderr, max(s.logLevel, slog.LevelWarn))
	db, err := openDatabase(e.ctx, s, log)
	if err != nil {
		return nil, nil, err
	}
	// Images in imported packages go to the file store; the command line
	// signs no URLs, so it needs no signer.
	files, err := blob.Open(e.ctx, s.blobURL, nil, e.getenv)
	if err != nil {
		db.Close()
		return nil, nil, bad("VIDYA_BLOB_URL", "%s", oneLine(err))
	}
	ids := identity.NewService(db, nopMailer{}, log, identity.Config{})
	bank := assess.NewService(db, ids, log)
	bank.SetFiles(files)
	return bank, func() { files.Close(); db.Close() }, nil
}

type itemsImportCmd struct {
	File      string  `arg:"" help:"The file to import."`
	Authority string  `required:"" help:"Authority code."`
	Format    string  `help:"qti, gift, aiken or csv (guessed from the name and content if omitted)."`
	Lang      string  `default:"en" help:"Language of the text, for single-language formats."`
	Marks     float64 `default:"1" help:"Marks per item where the format has none."`
	ValidOnly bool    `help:"Import the valid items even if some are rejected (otherwise nothing is imported)."`
	DryRun    bool    `help:"Report what would happen without changing anything."`
	AddTopics bool    `help:"Add topics the file names that the authority's taxonomy lacks (otherwise those items are rejected)."`
	Report    string  `help:"Write the full report, one line per item, to this JSON file."`
}

func (cmd *itemsImportCmd) Run(e *env, c *Config) error {
	f, err := os.Open(cmd.File)
	if err != nil {
		return errs.E(errs.Invalid, "items import", "cannot open %s: %v", cmd.File, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	format := cmd.Format
	if format == "" {
		head := make([]byte, 512)
		n, _ := f.ReadAt(head, 0)
		if format = formats.Guess(cmd.File, head[:n]); format == "" {
			return errs.E(errs.Invalid, "items import", "cannot tell the format of %s; give --format (%s)", cmd.File, strings.Join(formats.Import, ", "))
		}
	}
	bank, done, err := e.bank(c)
	if err != nil {
		return err
	}
	defer done()
	opts := formats.Options{Lang: cmd.Lang, Marks: cmd.Marks}
	if !cmd.DryRun {
		if opts.Media, err = bank.MediaImporter(e.ctx, identity.CommandLine(), cmd.Authority); err != nil {
			return err
		}
	}
	src, err := formats.Open(format, f, st.Size(), opts)
	if err != nil {
		return err
	}
	bar := progressbar.NewOptions(-1, progressbar.OptionSetWriter(e.stderr), progressbar.OptionSetVisibility(isTerminal(e.stderr)), progressbar.OptionSetDescription("reading "+format),
		progressbar.OptionShowCount(), progressbar.OptionSetItsString("items"), progressbar.OptionShowIts(), progressbar.OptionThrottle(100e6),
		progressbar.OptionClearOnFinish())
	rep, err := bank.Import(e.ctx, identity.CommandLine(), cmd.Authority, src, assess.ImportOptions{
		ValidOnly: cmd.ValidOnly, DryRun: cmd.DryRun, AddTopics: cmd.AddTopics, Progress: func(n int) { _ = bar.Set(n) }})
	_ = bar.Finish()
	if err != nil {
		return err
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(e.stdout, "note      the file: %s\n", n)
	}
	for _, l := range rep.Lines {
		if l.Outcome == assess.Rejected {
			fmt.Fprintf(e.stdout, "rejected  %s%s: %s\n", l.Where, refOf(l.Ref), l.Reason)
		}
		for _, n := range l.Notes {
			fmt.Fprintf(e.stdout, "note      %s%s: %s\n", l.Where, refOf(l.Ref), n)
		}
	}
	fmt.Fprintln(e.stdout, rep.Message)
	if rep.WithNotes > 0 {
		fmt.Fprintf(e.stdout, "Notes on %d of %d items: something in them was dropped or changed (see above).\n", rep.WithNotes, len(rep.Lines))
	}
	if !rep.Committed {
		fmt.Fprintf(e.stdout, "%d items read: %d new, %d updates and %d duplicates would be taken; %d rejected\n",
			len(rep.Lines), rep.Imported, rep.Updated, rep.Duplicates, rep.Rejected)
	}
	if cmd.Report != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(cmd.Report, b, 0o644); err != nil {
			return errs.E(errs.Invalid, "items import", "cannot write the report: %v", err)
		}
	}
	if !rep.Committed && !cmd.DryRun {
		return errs.E(errs.Invalid, "items import", "nothing was imported")
	}
	return nil
}

// isTerminal reports whether w is a terminal, where a progress bar helps;
// elsewhere (logs, pipes) it would only clutter.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

func refOf(ref string) string {
	if ref == "" {
		return ""
	}
	return " (" + ref + ")"
}

type itemsExportCmd struct {
	Authority string `required:"" help:"Authority code."`
	Format    string `default:"qti3" help:"qti3, qti2, csv or gift."`
	Status    string `help:"Only items with this status (draft, reviewed, published, retired)."`
	Topic     string `help:"Only items under this topic."`
	Lang      string `default:"en" help:"Language for GIFT."`
	Out       string `required:"" help:"File to write."`
}

func (cmd *itemsExportCmd) Run(e *env, c *Config) error {
	bank, done, err := e.bank(c)
	if err != nil {
		return err
	}
	defer done()
	items, err := bank.Export(e.ctx, identity.CommandLine(), cmd.Authority, assess.ItemFilter{Status: assess.Status(cmd.Status), Topic: cmd.Topic}, nil)
	if err != nil {
		return err
	}
	// Write beside the target and rename at the end, so a failed export
	// leaves no half-written file under the name asked for.
	tmp := cmd.Out + ".part"
	out, err := os.Create(tmp)
	if err != nil {
		return errs.E(errs.Invalid, "items export", "cannot create %s: %v", tmp, err)
	}
	n := 0
	counted := func(yield func(*assess.Item, error) bool) {
		n = 0
		for it, err := range items.All(e.ctx) {
			if err == nil {
				n++
			}
			if !yield(it, err) {
				return
			}
		}
	}
	opts := formats.WriteOptions{Lang: cmd.Lang, Media: func(ref string) (io.ReadCloser, error) { return items.OpenMedia(e.ctx, ref) }}
	err = formats.WriteStream(out, cmd.Format, counted, opts)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, cmd.Out); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %d items to %s\n", n, cmd.Out)
	return nil
}
