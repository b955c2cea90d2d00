// Package app is Vidya's composition root: it reads the configuration,
// opens the database and file store, wires the domains to the HTTP server
// and workers, and implements the command-line interface.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Version is the release, set at build time with
// -ldflags "-X github.com/vidya-edu/vidya/internal/app.Version=…".
var Version = "dev"

type cli struct {
	Config

	Serve   serveCmd   `cmd:"" help:"Run the web server and background workers."`
	Migrate migrateCmd `cmd:"" help:"Apply database migrations and exit."`
	Admin   adminCmd   `cmd:"" help:"Administer authorities, users and the audit log."`
	Items   itemsCmd   `cmd:"" help:"Import and export item banks."`
	Certs   certsCmd   `cmd:"" help:"Issue certificate batches."`
	Version versionCmd `cmd:"" help:"Print the version."`
}

// env is the process environment and standard streams, passed explicitly so
// tests can run the real program in-process.
type env struct {
	ctx    context.Context
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
	stdin  io.Reader
}

// Run runs the vidya command with args (without the program name).
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	var c cli
	exited := false
	parser, err := kong.New(&c,
		kong.Name("vidya"),
		kong.Description("Vidya runs education programmes end to end: courses, exams and verifiable certificates.\nEvery flag can also be set by the environment variable shown in its help."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(int) { exited = true }),
		kong.UsageOnError(),
		kong.Resolvers(envResolver(getenv)),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
	)
	if err != nil {
		return err
	}
	kctx, err := parser.Parse(args)
	if exited {
		return nil // --help
	}
	if err != nil {
		return err
	}
	e := &env{ctx: ctx, getenv: getenv, stdout: stdout, stderr: stderr, stdin: stdin}
	return kctx.Run(e, &c.Config)
}

// envResolver gives each flag the value of the environment variable named in
// its envvar tag, read through getenv rather than the process environment.
func envResolver(getenv func(string) string) kong.Resolver {
	return kong.ResolverFunc(func(_ *kong.Context, _ *kong.Path, flag *kong.Flag) (any, error) {
		name := flag.Tag.Get("envvar")
		if name == "" {
			return nil, nil
		}
		if v := getenv(name); v != "" {
			return v, nil
		}
		return nil, nil
	})
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

type versionCmd struct{}

func (versionCmd) Run(e *env) error {
	_, err := fmt.Fprintf(e.stdout, "vidya %s\n", Version)
	return err
}

type migrateCmd struct{}

func (migrateCmd) Run(e *env, c *Config) error {
	s, err := c.validate()
	if err != nil {
		return err
	}
	log := newLogger(e.stderr, s.logLevel)
	db, err := openDatabase(e.ctx, s, log)
	if err != nil {
		return err
	}
	defer db.Close()
	cur, _, err := db.Version(e.ctx)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "database is at schema version %d\n", cur)
	return err
}

// Main runs the program as a process and returns its exit code, printing a
// failure as one clear line.
func Main(ctx context.Context, args []string) int {
	err := Run(ctx, args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	if err == nil || errors.Is(err, context.Canceled) {
		return 0
	}
	fmt.Fprintln(os.Stderr, "vidya: "+oneLine(err))
	var ce *configError
	if errors.As(err, &ce) || errs.Is(err, errs.Invalid) {
		return 2
	}
	return 1
}

func oneLine(err error) string {
	if e := errs.As(err); e != nil && e.Kind != errs.Internal {
		msg := e.Message
		for k, v := range e.Fields {
			msg += "; " + k + " " + v
		}
		return msg
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}
