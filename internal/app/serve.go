package app

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vidya-edu/vidya/internal/api"
	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/assess/formats"
	"github.com/vidya-edu/vidya/internal/certify"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/blob"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/httpx"
	"github.com/vidya-edu/vidya/internal/platform/jobs"
	"github.com/vidya-edu/vidya/internal/platform/mail"
	"github.com/vidya-edu/vidya/internal/web"
)

// Roles a process can run as.
const (
	roleAll    = "all"
	roleWeb    = "web"
	roleWorker = "worker"
)

type serveCmd struct {
	Demo bool   `help:"Load demo data (one authority, staff of every role, learners) and print how to sign in."`
	Role string `envvar:"VIDYA_ROLE" default:"all" help:"web (HTTP only), worker (background jobs only) or all."`
}

// openDatabase opens and migrates the database.
func openDatabase(ctx context.Context, s *settings, log *slog.Logger) (*database.DB, error) {
	db, err := database.Open(ctx, s.databaseURL, database.Options{})
	if err != nil {
		var e *errs.Error
		if errors.As(err, &e) && (e.Kind == errs.Invalid || e.Kind == errs.Unavailable) {
			return nil, bad("VIDYA_DATABASE_URL", "%s", oneLine(err))
		}
		return nil, err
	}
	if err := db.Migrate(ctx, log); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// system is a running Vidya: its stores, services and HTTP handler.
type system struct {
	s        *settings
	log      *slog.Logger
	db       *database.DB
	blobs    blob.Store
	signer   *blob.Signer
	queue    *jobs.Queue
	outbox   *mail.Outbox
	identity *identity.Service
	bank     *assess.Service
	certify  *certify.Service
	delivery *assess.Delivery
	handler  http.Handler
	// oidcClient reaches the OIDC provider; nil means a default client.
	oidcClient *http.Client
}

// deriveKey derives a purpose-specific key from the platform secret, so no
// two uses ever share key material.
func deriveKey(secret []byte, purpose string) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, "vidya "+purpose, 32)
	if err != nil {
		panic(err) // only for lengths hkdf cannot produce
	}
	return k
}

// mailDelivery is the job that sends one outbox message by SMTP.
type mailDelivery struct {
	ID int64 `json:"id"`
}

func (mailDelivery) Kind() string { return "mail.deliver" }

func (mailDelivery) InsertOpts() jobs.InsertOpts {
	return jobs.InsertOpts{MaxAttempts: 12, UniqueOpts: jobs.UniqueOpts{ByArgs: true}}
}

type mailWorker struct {
	jobs.WorkerDefaults[mailDelivery]
	outbox *mail.Outbox
}

func (w *mailWorker) Work(ctx context.Context, j *jobs.Job[mailDelivery]) error {
	return w.outbox.Deliver(ctx, j.Args.ID)
}

// autoSubmitEvery is how often attempts past their deadline are
// submitted; with the delivery's grace period, an attempt is submitted
// 10–25 s after its deadline, whatever happened to its server.
const autoSubmitEvery = 15 * time.Second

// examAutoSubmit is the periodic job that submits attempts whose time is
// up, with the answers they saved.
type examAutoSubmit struct{}

func (examAutoSubmit) Kind() string { return "assess.autosubmit" }

func (examAutoSubmit) InsertOpts() jobs.InsertOpts {
	return jobs.InsertOpts{MaxAttempts: 3}
}

type autoSubmitWorker struct {
	jobs.WorkerDefaults[examAutoSubmit]
	delivery *assess.Delivery
}

func (w *autoSubmitWorker) Work(ctx context.Context, _ *jobs.Job[examAutoSubmit]) error {
	_, err := w.delivery.AutoSubmit(ctx)
	return err
}

// examGrade is the periodic job that grades submitted exam attempts.
type examGrade struct{}

func (examGrade) Kind() string { return "assess.grade" }

func (examGrade) InsertOpts() jobs.InsertOpts {
	return jobs.InsertOpts{MaxAttempts: 3, UniqueOpts: jobs.Singleton()}
}

type gradeWorker struct {
	jobs.WorkerDefaults[examGrade]
	delivery *assess.Delivery
	log      *slog.Logger
}

// gradePerRun bounds one run's work so a run ends well within River's job
// timeout; the next run, 15 s later, goes on.
const gradePerRun = 200_000

// Timeout lets a run grade its share: about a minute at the measured rate.
func (w *gradeWorker) Timeout(*jobs.Job[examGrade]) time.Duration { return 5 * time.Minute }

func (w *gradeWorker) Work(ctx context.Context, _ *jobs.Job[examGrade]) error {
	n, err := w.delivery.GradeSubmitted(ctx, gradePerRun)
	if n > 0 {
		w.log.InfoContext(ctx, "exam attempts graded", "count", n)
	}
	if err != nil {
		return err
	}
	// Then any corrected key still to be applied (answer-key challenges).
	n, err = w.delivery.Regrade(ctx, gradePerRun)
	if n > 0 {
		w.log.InfoContext(ctx, "exam attempts regraded after a key correction", "count", n)
	}
	return err
}

// examResults is the job that computes the results of exams whose results
// were asked for. Asking inserts one at once; a periodic run takes over
// any computation whose worker died.
type examResults struct{}

func (examResults) Kind() string { return "assess.results" }

func (examResults) InsertOpts() jobs.InsertOpts {
	return jobs.InsertOpts{MaxAttempts: 3, UniqueOpts: jobs.Singleton()}
}

type resultsWorker struct {
	jobs.WorkerDefaults[examResults]
	bank *assess.Service
	log  *slog.Logger
}

// Timeout leaves room for a national exam: reading 450,000 attempts and
// ranking them takes minutes.
func (w *resultsWorker) Timeout(*jobs.Job[examResults]) time.Duration { return 30 * time.Minute }

func (w *resultsWorker) Work(ctx context.Context, _ *jobs.Job[examResults]) error {
	n, err := w.bank.RunQueuedResults(ctx)
	if n > 0 {
		w.log.InfoContext(ctx, "exam results computed", "exams", n)
	}
	return err
}

// certQueue is the job queue of certificate issuing.
const certQueue = "certificates"

// certIssue is one chunk of an approved certificate batch to issue.
type certIssue certify.Chunk

func (certIssue) Kind() string { return "certify.issue" }

type certIssueWorker struct {
	jobs.WorkerDefaults[certIssue]
	certify *certify.Service
}

// Timeout leaves room for a chunk of a few hundred certificates on a busy
// machine; a chunk is idempotent, so a retry after a timeout is safe.
func (w *certIssueWorker) Timeout(*jobs.Job[certIssue]) time.Duration { return 5 * time.Minute }

func (w *certIssueWorker) Work(ctx context.Context, job *jobs.Job[certIssue]) error {
	return w.certify.IssueChunk(ctx, certify.Chunk(job.Args))
}

// certSweep restarts certificate batches whose jobs died with a worker.
type certSweep struct{}

func (certSweep) Kind() string { return "certify.sweep" }

// certPacks removes packs of certificate files no certificate names.
type certPacks struct{}

func (certPacks) Kind() string { return "certify.orphan_packs" }

// sessionCleanup is the hourly job that deletes expired sessions and stale
// sign-in counters.
type sessionCleanup struct{}

func (sessionCleanup) Kind() string { return "identity.cleanup" }

type cleanupWorker struct {
	jobs.WorkerDefaults[sessionCleanup]
	identity *identity.Service
	log      *slog.Logger
}

func (w *cleanupWorker) Work(ctx context.Context, _ *jobs.Job[sessionCleanup]) error {
	if _, err := w.identity.PurgeExpired(ctx); err != nil {
		return err
	}
	// The audit log's head goes to the logs every hour, so a record of it
	// lives outside the database: rewriting the end of the log and its head
	// together is then caught by verify-audit --expect.
	head, err := w.identity.AuditHead(ctx)
	if err != nil {
		return err
	}
	w.log.Info("audit head", "anchor", head.String())
	return nil
}

// start builds the whole system from settings.
func start(ctx context.Context, s *settings, log *slog.Logger, role string) (*system, error) {
	switch role {
	case roleAll, roleWeb, roleWorker:
	default:
		return nil, bad("VIDYA_ROLE", "%q is not web, worker or all", role)
	}
	secret, err := s.secretKey(log)
	if err != nil {
		return nil, err
	}
	db, err := openDatabase(ctx, s, log)
	if err != nil {
		return nil, err
	}
	sys := &system{s: s, log: log, db: db}
	ok := false
	defer func() {
		if !ok {
			sys.close(context.Background())
		}
	}()
	signer, err := blob.NewSigner(deriveKey(secret, "blob urls"), s.baseURL.String())
	if err != nil {
		return nil, err
	}
	sys.signer = signer
	getenv := s.getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if sys.blobs, err = blob.Open(ctx, s.blobURL, signer, getenv); err != nil {
		return nil, bad("VIDYA_BLOB_URL", "%s", oneLine(err))
	}
	sys.outbox = mail.NewOutbox(db, s.smtp)
	sys.identity = identity.NewService(db, sys.outbox, log, identity.Config{BaseURL: s.baseURL.String(), AllowSignUp: s.allowSignUp})
	sys.identity.SetFiles(sys.blobs)
	sys.bank = assess.NewService(db, sys.identity, log)
	sys.bank.SetFiles(sys.blobs)
	if sys.delivery, err = assess.NewDelivery(sys.bank, log, assess.DeliveryOptions{Key: deriveKey(secret, "exam tickets")}); err != nil {
		return nil, err
	}
	certOpts := certify.Options{KeyEncryptionKey: deriveKey(secret, "certificate signing keys"), BaseURL: s.baseURL.String(), Blobs: sys.blobs, Results: sys.bank,
		Enqueue: func(ctx context.Context, tx *database.Tx, chunks []certify.Chunk) error {
			params := make([]jobs.InsertManyParams, len(chunks))
			for i, c := range chunks {
				params[i] = jobs.InsertManyParams{Args: certIssue(c), InsertOpts: &jobs.InsertOpts{Queue: certQueue, UniqueOpts: jobs.Singleton()}}
			}
			_, err := sys.queue.InsertMany(ctx, tx, params)
			return err
		}}
	if sys.certify, err = certify.NewService(db, sys.identity, log, certOpts); err != nil {
		return nil, err
	}
	// Certificate chunks have a queue of their own: each uses every core,
	// so two at a time keep the machine busy without starving other jobs.
	qcfg := jobs.Config{Work: role != roleWeb, Queues: map[string]int{"default": 10, certQueue: 2}}
	if qcfg.Work {
		qcfg.Periodic = []*jobs.PeriodicJob{
			jobs.NewPeriodicJob(jobs.PeriodicInterval(time.Hour), func() (jobs.Args, *jobs.InsertOpts) {
				return sessionCleanup{}, nil
			}, &jobs.PeriodicJobOpts{RunOnStart: true}),
			jobs.NewPeriodicJob(jobs.PeriodicInterval(autoSubmitEvery), func() (jobs.Args, *jobs.InsertOpts) {
				return examAutoSubmit{}, nil
			}, &jobs.PeriodicJobOpts{RunOnStart: true}),
			jobs.NewPeriodicJob(jobs.PeriodicInterval(autoSubmitEvery), func() (jobs.Args, *jobs.InsertOpts) {
				return examGrade{}, nil
			}, &jobs.PeriodicJobOpts{RunOnStart: true}),
			jobs.NewPeriodicJob(jobs.PeriodicInterval(5*time.Minute), func() (jobs.Args, *jobs.InsertOpts) {
				return examResults{}, nil
			}, &jobs.PeriodicJobOpts{RunOnStart: true}),
			jobs.NewPeriodicJob(jobs.PeriodicInterval(time.Minute), func() (jobs.Args, *jobs.InsertOpts) {
				return certSweep{}, &jobs.InsertOpts{UniqueOpts: jobs.Singleton()}
			}, &jobs.PeriodicJobOpts{RunOnStart: true}),
			jobs.NewPeriodicJob(jobs.PeriodicInterval(time.Hour), func() (jobs.Args, *jobs.InsertOpts) {
				return certPacks{}, &jobs.InsertOpts{UniqueOpts: jobs.Singleton()}
			}, nil),
		}
	}
	sys.queue, err = jobs.New(db, log, qcfg)
	if err != nil {
		return nil, err
	}
	jobs.AddWorker(sys.queue, &mailWorker{outbox: sys.outbox})
	jobs.AddWorker(sys.queue, &cleanupWorker{identity: sys.identity, log: log})
	jobs.AddWorker(sys.queue, &autoSubmitWorker{delivery: sys.delivery})
	jobs.AddWorker(sys.queue, &gradeWorker{delivery: sys.delivery, log: log})
	jobs.AddWorker(sys.queue, &resultsWorker{bank: sys.bank, log: log})
	jobs.AddWorker(sys.queue, &certIssueWorker{certify: sys.certify})
	jobs.AddWorker(sys.queue, jobs.WorkFunc(func(ctx context.Context, _ *jobs.Job[certSweep]) error {
		_, err := sys.certify.Sweep(ctx)
		return err
	}))
	jobs.AddWorker(sys.queue, jobs.WorkFunc(func(ctx context.Context, _ *jobs.Job[certPacks]) error {
		_, _, err := sys.certify.RemoveOrphanPacks(ctx, certify.OrphanAfter)
		return err
	}))
	sys.bank.OnResultsQueued(func() {
		// The periodic run is the fallback if this insert fails.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := sys.queue.InsertNoTx(ctx, examResults{}, nil); err != nil {
			log.Warn("could not start the results job; the next periodic run will", "err", err)
		}
	})
	sys.outbox.Notify = func(ctx context.Context, tx *database.Tx, id int64) error {
		_, err := sys.queue.Insert(ctx, tx, mailDelivery{ID: id}, nil)
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registerDBMetrics(reg, db)
	if sys.handler, err = sys.routes(reg, role); err != nil {
		return nil, err
	}
	ok = true
	return sys, nil
}

// routes composes the HTTP surface: API, pages, files, health and metrics.
func (sys *system) routes(reg *prometheus.Registry, role string) (http.Handler, error) {
	cookies := api.Cookies{Secure: sys.s.baseURL.Scheme == "https"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", sys.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	if role != roleWorker {
		(&api.API{Identity: sys.identity, Bank: sys.bank, Delivery: sys.delivery, Certify: sys.certify, Outbox: sys.outbox, Cookies: cookies, Log: sys.log, Version: Version}).Register(mux)
		mux.Handle("GET /blobs/", blob.Handler(sys.blobs, sys.signer))
		mux.Handle("HEAD /blobs/", blob.Handler(sys.blobs, sys.signer))
		oidcName := ""
		if sys.s.OIDCIssuer != "" {
			oidcName = sys.s.OIDCName
			(&api.OIDC{Issuer: sys.s.OIDCIssuer, ClientID: sys.s.OIDCClientID, ClientSecret: sys.s.OIDCClientSecret, BaseURL: sys.s.baseURL.String(),
				Identity: sys.identity, Cookies: cookies, Log: sys.log, HTTPClient: sys.oidcClient}).Register(mux)
		}
		pages, err := web.New(web.Config{Identity: sys.identity, Bank: sys.bank, Delivery: sys.delivery, Certify: sys.certify, Outbox: sys.outbox, Cookies: cookies, Log: sys.log,
			AllowSignUp: sys.s.allowSignUp, OIDCName: oidcName, Version: Version})
		if err != nil {
			return nil, err
		}
		pages.Register(mux)
	}
	metrics := httpx.NewMetrics(reg)
	var h http.Handler = mux
	h = api.Authenticate(sys.identity, cookies, sys.log, h)
	h = http.NewCrossOriginProtection().Handler(h)
	// The largest body any route takes: item imports. Each route reads at
	// most its own limit (1 MiB for JSON).
	h = httpx.LimitBody(formats.MaxImportBytes+1<<20, h)
	h = httpx.SecureHeaders(h)
	routeOf := func(r *http.Request) string {
		_, pattern := mux.Handler(r)
		return pattern
	}
	quiet := map[string]bool{"POST /api/v1/exam/answers": true}
	h = httpx.ObserveQuiet(sys.log, metrics, sys.s.trustProxy, routeOf, quiet, h)
	return h, nil
}

// ready answers 200 when the database answers and its schema is current.
func (sys *system) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := sys.db.Ping(ctx); err != nil {
		sys.log.Warn("not ready: database unreachable", "err", err)
		http.Error(w, "database unreachable", http.StatusServiceUnavailable)
		return
	}
	if pending, err := sys.db.Pending(ctx); err != nil || pending {
		http.Error(w, "database migrations pending", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

func (sys *system) close(ctx context.Context) {
	if sys.delivery != nil {
		sys.delivery.Close() // commits the saves it holds
	}
	if sys.queue != nil {
		if err := sys.queue.Stop(ctx); err != nil {
			sys.log.Warn("stopping jobs", "err", err)
		}
	}
	if sys.blobs != nil {
		_ = sys.blobs.Close()
	}
	if sys.db != nil {
		_ = sys.db.Close()
	}
}

// Run serves until the context ends, then drains in-flight requests and
// running jobs before returning.
func (cmd *serveCmd) Run(e *env, c *Config) error {
	s, err := c.validate()
	if err != nil {
		return err
	}
	s.getenv = e.getenv
	log := newLogger(e.stderr, s.logLevel)
	sys, err := start(e.ctx, s, log, cmd.Role)
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		sys.close(ctx)
	}()
	if cmd.Demo {
		if err := loadDemo(e.ctx, sys.identity); err != nil {
			return err
		}
		if err := loadDemoExam(e.ctx, sys.db, sys.identity, sys.bank); err != nil {
			return fmt.Errorf("demo exam: %w", err)
		}
		if err := loadDemoCerts(e.ctx, sys.identity, sys.certify); err != nil {
			return fmt.Errorf("demo certificates: %w", err)
		}
	}
	if err := sys.queue.Start(e.ctx); err != nil {
		return err
	}
	if cmd.Role == roleWorker {
		// A worker still serves health and metrics, for its orchestrator.
		log.Info("worker started")
	}
	ln, err := net.Listen("tcp", s.Listen)
	if err != nil {
		return bad("VIDYA_LISTEN", "cannot listen on %s: %v", s.Listen, err)
	}
	srv := &http.Server{
		Handler:           sys.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	addr := ln.Addr().String()
	log.Info("listening", "addr", addr, "role", cmd.Role, "version", Version, "database", string(sys.db.Dialect()))
	fmt.Fprintf(e.stdout, "Vidya %s is listening on http://%s (role %s, %s database)\n", Version, addr, cmd.Role, sys.db.Dialect())
	if cmd.Demo {
		printDemo(e.stdout, s.baseURL.String(), sys.outbox.SMTPEnabled())
		printDemoExam(e.stdout, s.baseURL.String())
		printDemoCerts(e.ctx, e.stdout, sys.identity, sys.certify, s.baseURL.String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-e.ctx.Done():
	}
	log.Info("shutting down: draining requests")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Warn("shutdown", "err", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// registerDBMetrics exports the connection pool's state: on PostgreSQL the
// pgx pool, on SQLite the single writer connection (where waits show
// writers queueing).
func registerDBMetrics(reg *prometheus.Registry, db *database.DB) {
	if p := db.Pool(); p != nil {
		gauge := func(name, help string, f func() float64) {
			reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "vidya_db_pool_" + name, Help: help}, f))
		}
		counter := func(name, help string, f func() float64) {
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "vidya_db_pool_" + name, Help: help}, f))
		}
		gauge("connections", "Open PostgreSQL connections.", func() float64 { return float64(p.Stat().TotalConns()) })
		gauge("connections_in_use", "PostgreSQL connections in use.", func() float64 { return float64(p.Stat().AcquiredConns()) })
		gauge("connections_max", "Largest PostgreSQL pool size.", func() float64 { return float64(p.Stat().MaxConns()) })
		counter("acquires_total", "Connections taken from the pool.", func() float64 { return float64(p.Stat().AcquireCount()) })
		counter("acquire_waits_total", "Times a request waited for a free connection.", func() float64 { return float64(p.Stat().EmptyAcquireCount()) })
		counter("acquire_wait_seconds_total", "Time spent waiting for a free connection.", func() float64 { return p.Stat().AcquireDuration().Seconds() })
		return
	}
	reg.MustRegister(collectors.NewDBStatsCollector(db.SQLDB(), "sqlite_writer"))
}
