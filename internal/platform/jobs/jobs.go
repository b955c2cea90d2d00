// Package jobs is Vidya's background job queue: River on PostgreSQL or
// SQLite behind one API, so domain packages define jobs once and enqueue them
// inside their own database transactions.
//
// A job is a JSON-serialisable args struct with a Kind, and a worker for it:
//
//	type WelcomeEmail struct{ UserID string `json:"user_id"` }
//
//	func (WelcomeEmail) Kind() string { return "identity.welcome_email" }
//
//	type welcomeWorker struct {
//		jobs.WorkerDefaults[WelcomeEmail]
//		mail *mail.Sender
//	}
//
//	func (w *welcomeWorker) Work(ctx context.Context, job *jobs.Job[WelcomeEmail]) error {
//		return w.mail.Welcome(ctx, job.Args.UserID)
//	}
//
// Workers are registered on the Queue during setup with AddWorker, and jobs
// are enqueued with Insert inside the transaction that makes them necessary:
// if that transaction rolls back, the job was never enqueued.
//
//	jobs.AddWorker(q, &welcomeWorker{mail: sender})
//	…
//	err := db.InTx(ctx, func(tx *database.Tx) error {
//		if err := users.Create(ctx, tx, u); err != nil {
//			return err
//		}
//		_, err := q.Insert(ctx, tx, WelcomeEmail{UserID: u.ID}, nil)
//		return err
//	})
//
// Roles: every process that enqueues builds a Queue; only the worker role
// sets Config.Work and calls Start. Both may share one database, and any
// number of working processes may run against one PostgreSQL database.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Args are a job's arguments: a struct serialised to JSON, with a Kind that
// names the job type. Kinds are stored with queued jobs, so never rename one
// that has been deployed.
type Args = river.JobArgs

// ArgsWithInsertOpts is Args that also supply default InsertOpts for their
// kind (queue, max attempts, uniqueness…); options given at insert win.
type ArgsWithInsertOpts = river.JobArgsWithInsertOpts

// Job is a job being worked: its typed Args plus the stored row (ID,
// Attempt, MaxAttempts, Errors, …).
type Job[T Args] = river.Job[T]

// Worker works jobs of one args type. Embed WorkerDefaults and implement
// Work; override NextRetry to change the retry schedule or Timeout to change
// the job's time limit.
type Worker[T Args] = river.Worker[T]

// WorkerDefaults gives a Worker the default Middleware, NextRetry (the
// queue's exponential backoff) and Timeout (Config.JobTimeout).
type WorkerDefaults[T Args] = river.WorkerDefaults[T]

// InsertOpts adjust one insert: Queue, Priority (1 highest … 4), MaxAttempts
// (default 25), ScheduledAt (run no earlier than), Tags, UniqueOpts.
type InsertOpts = river.InsertOpts

// UniqueOpts make a job unique, e.g. by args and/or within a period: an
// insert that would duplicate an existing job is skipped and reported as not
// inserted.
type UniqueOpts = river.UniqueOpts

// Singleton returns unique options that keep at most one job with the
// same args waiting or running, yet let a new one in as soon as the last
// finished. River's default also counts completed jobs, which it keeps for
// a day, so a periodic job with the default would run once a day.
func Singleton() UniqueOpts {
	return UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateScheduled}}
}

// InsertManyParams is one job of a bulk insert.
type InsertManyParams = river.InsertManyParams

// PeriodicJob is a job enqueued on a schedule by the working queue that
// currently leads; build one with NewPeriodicJob and list it in
// Config.Periodic.
type PeriodicJob = river.PeriodicJob

// PeriodicJobOpts tune a periodic job; RunOnStart also enqueues it when the
// schedule starts.
type PeriodicJobOpts = river.PeriodicJobOpts

// PeriodicSchedule says when a periodic job next runs.
type PeriodicSchedule = river.PeriodicSchedule

// PeriodicJobConstructor builds the args (and options) of each periodic run.
type PeriodicJobConstructor = river.PeriodicJobConstructor

// JobRow is a job as stored, as passed to hooks and middleware.
type JobRow = rivertype.JobRow

// NewPeriodicJob returns a periodic job that enqueues what construct returns
// each time schedule comes due.
func NewPeriodicJob(schedule PeriodicSchedule, construct PeriodicJobConstructor, opts *PeriodicJobOpts) *PeriodicJob {
	return river.NewPeriodicJob(schedule, construct, opts)
}

// PeriodicInterval is a schedule that comes due every interval.
func PeriodicInterval(interval time.Duration) PeriodicSchedule {
	return river.PeriodicInterval(interval)
}

// WorkFunc makes a Worker of a function, for jobs that need no state.
func WorkFunc[T Args](f func(ctx context.Context, job *Job[T]) error) Worker[T] {
	return river.WorkFunc(f)
}

// Cancel wraps err so that a worker returning it fails the job permanently,
// with no further attempts.
func Cancel(err error) error { return river.JobCancel(err) }

// Snooze, returned by a worker, puts the job back to run again after d
// without counting an attempt.
func Snooze(d time.Duration) error { return river.JobSnooze(d) }

// Config configures a Queue.
type Config struct {
	// Work makes this Queue work jobs once started. Without it the Queue only
	// inserts (the web role) and Start does nothing.
	Work bool
	// Queues maps each queue to work to its number of concurrent workers in
	// this process. Default {"default": 10}.
	Queues map[string]int
	// Periodic jobs are enqueued on their schedules by the one working Queue
	// that leads at the time.
	Periodic []*PeriodicJob
	// JobTimeout caps a job's run time (its context is cancelled after it);
	// default 1 minute, -1 for none. A worker's Timeout method overrides it.
	JobTimeout time.Duration
	// FetchPollInterval is how often a working Queue looks for new jobs when
	// not told of them (on SQLite, the only way it learns of them); default
	// 1 s. Tests use a few tens of milliseconds.
	FetchPollInterval time.Duration

	// testOnly disables River's start-up jitter (tests in this package).
	testOnly bool
}

// Retention of finished jobs, after which River's cleaner deletes them.
const (
	completedRetention = 24 * time.Hour
	cancelledRetention = 24 * time.Hour
	discardedRetention = 7 * 24 * time.Hour
)

// cancelGrace is how long Stop waits for jobs to return once their contexts
// have been cancelled.
const cancelGrace = 10 * time.Second

// kindRE is River's rule for job kinds (checked by River only for workers
// registered before its client is built; ours are registered after).
var kindRE = regexp.MustCompile(`\A[\w][\w\-\[\]<>\/.·:+]+\z`)

// Queue enqueues jobs and, in the worker role, works them.
type Queue struct {
	db      *database.DB
	log     *slog.Logger
	work    bool
	workers *river.Workers
	client  engine
	started atomic.Bool
}

// New builds a Queue on db. Register workers with AddWorker, then (in the
// worker role) call Start.
func New(db *database.DB, log *slog.Logger, cfg Config) (*Queue, error) {
	const op = "jobs: new"
	if db == nil {
		return nil, errs.E(errs.Internal, op, "database is nil")
	}
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "jobs")
	q := &Queue{db: db, log: log, work: cfg.Work, workers: river.NewWorkers()}

	rc := &river.Config{
		CancelledJobRetentionPeriod: cancelledRetention,
		CompletedJobRetentionPeriod: completedRetention,
		DiscardedJobRetentionPeriod: discardedRetention,
		ErrorHandler:                &errorLogger{log: log},
		FetchPollInterval:           cfg.FetchPollInterval,
		JobTimeout:                  cfg.JobTimeout,
		Logger:                      slog.New(&riverLogFilter{h: log.Handler()}).With("subsystem", "river"),
		TestOnly:                    cfg.testOnly,
		Workers:                     q.workers,
		// An inserting-only process need not register the workers of the
		// jobs it enqueues; a working one must, so a forgotten registration
		// fails at insert rather than leaving jobs no one can run.
		SkipUnknownJobCheck: !cfg.Work,
	}
	if p := cfg.FetchPollInterval; p > 0 && p < river.FetchCooldownDefault {
		rc.FetchCooldown = p
	}
	if cfg.Work {
		queues := cfg.Queues
		if len(queues) == 0 {
			queues = map[string]int{river.QueueDefault: 10}
		}
		rc.Queues = make(map[string]river.QueueConfig, len(queues))
		for name, n := range queues {
			rc.Queues[name] = river.QueueConfig{MaxWorkers: n}
		}
		rc.PeriodicJobs = cfg.Periodic
	} else if len(cfg.Periodic) > 0 {
		return nil, errs.E(errs.Internal, op, "periodic jobs need a working queue (Config.Work)")
	}

	var err error
	switch db.Dialect() {
	case database.Postgres:
		var c *river.Client[pgx.Tx]
		c, err = river.NewClient(riverpgxv5.New(db.Pool()), rc)
		q.client = &client[pgx.Tx]{c: c, tx: func(tx *database.Tx) pgx.Tx { return tx.PGX() }}
	case database.SQLite:
		// SQLite has no LISTEN/NOTIFY: poll for jobs. River must use the
		// database's single writer connection, as every other writer does,
		// so that writes queue in Go rather than fail with SQLITE_BUSY.
		rc.PollOnly = true
		var c *river.Client[*sql.Tx]
		c, err = river.NewClient(riversqlite.New(db.SQLDB()), rc)
		q.client = &client[*sql.Tx]{c: c, tx: func(tx *database.Tx) *sql.Tx { return tx.SQL() }}
	default:
		return nil, errs.E(errs.Internal, op, "unsupported database dialect %q", db.Dialect())
	}
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	return q, nil
}

// AddWorker registers w to work jobs of kind T on q. Call it during setup,
// before Start and before the Queue is used concurrently. A working Queue
// refuses to insert jobs of unregistered kinds; on an inserting-only Queue
// registering is optional. It panics on a programming error: a kind
// registered twice, an invalid kind, or a call after Start.
func AddWorker[T Args](q *Queue, w Worker[T]) {
	if q.started.Load() {
		panic("jobs: AddWorker called after Start")
	}
	var args T
	if kind := args.Kind(); !kindRE.MatchString(kind) {
		panic(fmt.Sprintf("jobs: job kind %q should match %s", kind, kindRE))
	}
	if err := river.AddWorkerSafely(q.workers, w); err != nil {
		panic("jobs: " + err.Error())
	}
}

// Start starts working jobs in the background if the Queue was built with
// Config.Work, and does nothing otherwise. ctx supplies values only: its
// cancellation does not stop the work — call Stop for that, so that
// shutdown is always graceful.
func (q *Queue) Start(ctx context.Context) error {
	if !q.work {
		return nil
	}
	if !q.started.CompareAndSwap(false, true) {
		return nil
	}
	if err := q.client.start(context.WithoutCancel(ctx)); err != nil {
		q.started.Store(false)
		return errs.Wrap("jobs: start", err)
	}
	q.log.Info("job queue started")
	return nil
}

// Stop stops working: it stops fetching jobs, waits for running ones to
// finish until ctx is done, then cancels their contexts and waits (up to
// cancelGrace) for them to return; a cancelled job is retried later. It is
// safe to call when the Queue was never started.
func (q *Queue) Stop(ctx context.Context) error {
	const op = "jobs: stop"
	if !q.started.Load() {
		return nil
	}
	err := q.client.stop(ctx)
	if err != nil && ctx.Err() != nil {
		q.log.Warn("job queue: shutdown deadline reached; cancelling running jobs")
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelGrace)
		defer cancel()
		if err = q.client.stopAndCancel(cctx); err != nil {
			return errs.Wrap(op, fmt.Errorf("running jobs did not return within %s of being cancelled: %w", cancelGrace, err))
		}
	}
	if err != nil {
		return errs.Wrap(op, err)
	}
	q.started.Store(false)
	q.log.Info("job queue stopped")
	return nil
}

// Insert enqueues a job inside tx: it becomes visible to workers when tx
// commits and vanishes if tx rolls back. inserted is false when opts (or
// the args' own InsertOpts) ask for a unique job and one already exists.
func (q *Queue) Insert(ctx context.Context, tx *database.Tx, args Args, opts *InsertOpts) (inserted bool, err error) {
	const op = "jobs: insert"
	if tx == nil {
		return false, errs.E(errs.Internal, op, "transaction is nil (use InsertNoTx outside a transaction)")
	}
	res, err := q.client.insertTx(ctx, tx, args, opts)
	if err != nil {
		return false, errs.Wrap(op, fmt.Errorf("%s: %w", args.Kind(), err))
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

// InsertNoTx enqueues a job in a transaction of its own. Inside a
// transaction use Insert: on SQLite, which has one writer connection,
// calling InsertNoTx from within db.InTx would wait forever for it.
func (q *Queue) InsertNoTx(ctx context.Context, args Args, opts *InsertOpts) (inserted bool, err error) {
	res, err := q.client.insert(ctx, args, opts)
	if err != nil {
		return false, errs.Wrap("jobs: insert", fmt.Errorf("%s: %w", args.Kind(), err))
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

// InsertMany enqueues many jobs inside tx, and returns how many were
// inserted (unique jobs that already existed are skipped, not counted).
func (q *Queue) InsertMany(ctx context.Context, tx *database.Tx, params []InsertManyParams) (int, error) {
	const op = "jobs: insert many"
	if tx == nil {
		return 0, errs.E(errs.Internal, op, "transaction is nil")
	}
	if len(params) == 0 {
		return 0, nil
	}
	res, err := q.client.insertManyTx(ctx, tx, params)
	if err != nil {
		return 0, errs.Wrap(op, err)
	}
	n := 0
	for _, r := range res {
		if !r.UniqueSkippedAsDuplicate {
			n++
		}
	}
	return n, nil
}

// engine hides the transaction type River's client is generic over.
type engine interface {
	start(ctx context.Context) error
	stop(ctx context.Context) error
	stopAndCancel(ctx context.Context) error
	insert(ctx context.Context, args Args, opts *InsertOpts) (*rivertype.JobInsertResult, error)
	insertTx(ctx context.Context, tx *database.Tx, args Args, opts *InsertOpts) (*rivertype.JobInsertResult, error)
	insertManyTx(ctx context.Context, tx *database.Tx, params []InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

type client[TTx comparable] struct {
	c  *river.Client[TTx]
	tx func(*database.Tx) TTx // the engine's transaction, zero if tx is of the other engine
}

var errWrongTx = errors.New("transaction belongs to a database of another engine")

func (c *client[TTx]) unwrap(tx *database.Tx) (TTx, error) {
	t := c.tx(tx)
	var zero TTx
	if t == zero {
		return zero, errWrongTx
	}
	return t, nil
}

func (c *client[TTx]) start(ctx context.Context) error         { return c.c.Start(ctx) }
func (c *client[TTx]) stop(ctx context.Context) error          { return c.c.Stop(ctx) }
func (c *client[TTx]) stopAndCancel(ctx context.Context) error { return c.c.StopAndCancel(ctx) }

func (c *client[TTx]) insert(ctx context.Context, args Args, opts *InsertOpts) (*rivertype.JobInsertResult, error) {
	return c.c.Insert(ctx, args, opts)
}

func (c *client[TTx]) insertTx(ctx context.Context, tx *database.Tx, args Args, opts *InsertOpts) (*rivertype.JobInsertResult, error) {
	t, err := c.unwrap(tx)
	if err != nil {
		return nil, err
	}
	return c.c.InsertTx(ctx, t, args, opts)
}

func (c *client[TTx]) insertManyTx(ctx context.Context, tx *database.Tx, params []InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	t, err := c.unwrap(tx)
	if err != nil {
		return nil, err
	}
	return c.c.InsertManyTx(ctx, t, params)
}
