package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/store"
)

// serve implements `notifyd run`, `worker` and `serve`.
func (p *program) serve(ctx context.Context, mode string, args []string) error {
	fs := flag.NewFlagSet(mode, flag.ContinueOnError)
	fs.SetOutput(p.stderr)
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: err, quiet: true}
	}
	if fs.NArg() > 0 {
		return usageError("%s takes no arguments, got %q", mode, fs.Args())
	}
	cfg, err := p.loadConfig(p.env, config.LoadOptions{})
	if err != nil {
		return err
	}
	log := newLogger(cfg, p.stderr)
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}
	// One Postgres connection per asynq handler, and some for the HTTP side.
	st, err := openCheckedStore(ctx, withPoolSize(cfg.DatabaseURL, cfg.Concurrency+12))
	if err != nil {
		return err
	}
	defer st.Close()
	redisOpt, q, err := redisClient(cfg)
	if err != nil {
		return err
	}
	defer q.Close()
	svc := services{cfg: cfg, st: st, q: q, log: log}
	return svc.start(ctx, mode, redisOpt, nil)
}

// services are the long-running parts of a process: the asynq worker and the HTTP server.
type services struct {
	cfg *config.Config
	st  store.Store
	q   *asynq.Client
	log *slog.Logger
}

// start runs the worker (run, worker) and the HTTP server (run, serve) until ctx ends,
// then shuts both down gracefully. started, if set, is told the HTTP address.
func (s services) start(ctx context.Context, mode string, redisOpt asynq.RedisConnOpt, started func(addr string)) error {
	snd, closeSenders, err := senders(s.cfg, s.log)
	if err != nil {
		return err
	}
	defer closeSenders()
	rdb, ok := redisOpt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		return fmt.Errorf("NOTIFYD_REDIS_URL: unsupported connection type %T", redisOpt)
	}
	defer rdb.Close()
	inspector := asynq.NewInspector(redisOpt)
	defer inspector.Close()
	// The worker's state also serves the HTTP side: a choice made on the web or by SMS
	// is decided exactly as the worker decides.
	w, err := newWorker(s.cfg, s.st, s.q, rdb, snd, s.log)
	if err != nil {
		return err
	}
	w.Tasks = inspector
	var srv *asynq.Server
	if mode != "serve" {
		mux := asynq.NewServeMux()
		w.Register(mux)
		acfg := workerConfig(s.cfg, s.log)
		acfg.ErrorHandler = asynq.ErrorHandlerFunc(w.HandleError)
		srv = asynq.NewServer(redisOpt, acfg)
		if err := srv.Start(mux); err != nil {
			return fmt.Errorf("start worker: %w", err)
		}
		s.log.Info("worker started", "concurrency", s.cfg.Concurrency)
	}
	errc := make(chan error, 1)
	var hs *http.Server
	if mode != "worker" {
		ln, err := net.Listen("tcp", s.cfg.HTTPAddr)
		if err != nil {
			if srv != nil {
				srv.Shutdown()
			}
			return fmt.Errorf("NOTIFYD_HTTP_ADDR: %w", err)
		}
		api := newHTTPServer(s.cfg, s.st, s.q, readiness(s.q, s.st), s.log)
		api.Choices, api.Fallback = w, w
		api.Chooser, api.Links = w, w.Links // the pages verify the links the worker signed
		hs = &http.Server{Handler: api.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { errc <- hs.Serve(ln) }()
		s.log.Info("http listening", "addr", ln.Addr().String())
		if started != nil {
			started(ln.Addr().String())
		}
	}
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	s.log.Info("shutting down")
	if hs != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if e := hs.Shutdown(sctx); e != nil && err == nil {
			err = e
		}
	}
	if srv != nil {
		srv.Shutdown() // waits for running tasks up to ShutdownTimeout, re-queues the rest
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
