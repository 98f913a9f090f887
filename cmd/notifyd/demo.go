package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/jobs"
	"github.com/notifyd/notifyd/store"
)

//go:embed demodata/config.yaml
var demoConfig []byte

//go:embed demodata/events.jsonl
var demoEvents []byte

type demoFlags struct {
	once                         bool
	addr, outbox, events, config string
}

// demo implements `notifyd demo`: the real pipeline on an in-process Redis, a SQLite
// store in a temp dir and the outbox, with built-in sample events.
func (p *program) demo(ctx context.Context, args []string) error {
	var f demoFlags
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(p.stderr)
	fs.BoolVar(&f.once, "once", false, "replay the events, wait until every queue is drained, print a summary and exit")
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "HTTP listen address")
	fs.StringVar(&f.outbox, "outbox", "", "folder for the outbox (default: a new temp dir)")
	fs.StringVar(&f.events, "events", "", "replay the events in FILE instead of the built-in samples")
	fs.StringVar(&f.config, "config", "", "YAML file with brands and policies (default: the demo's own)")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: err, quiet: true}
	}
	if fs.NArg() > 0 {
		return usageError("demo takes no arguments, got %q", fs.Args())
	}
	tmp, err := os.MkdirTemp("", "notifyd-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if f.outbox == "" {
		// Kept after the demo exits, so its messages can be opened.
		if f.outbox, err = os.MkdirTemp("", "notifyd-demo-outbox-"); err != nil {
			return err
		}
	}
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		return fmt.Errorf("demo: embedded redis: %w", err)
	}
	defer mr.Close()
	go fastForward(ctx, mr)

	env, opts := demoLoadOptions(p.env, f, mr.Addr(), tmp)
	cfg, err := p.loadConfig(env, opts)
	if err != nil {
		return err
	}
	events, err := p.demoEvents(f, cfg)
	if err != nil {
		return err
	}
	return p.runDemo(ctx, f, cfg, events)
}

// demoLoadOptions makes the demo self-contained: whatever the environment says, Redis,
// the database, the outbox and the address are the demo's own.
func demoLoadOptions(env func(string) (string, bool), f demoFlags, redisAddr, tmp string) (func(string) (string, bool), config.LoadOptions) {
	override := map[string]string{
		"NOTIFYD_REDIS_URL":    "redis://" + redisAddr + "/0",
		"NOTIFYD_DATABASE_URL": "sqlite:" + filepath.Join(tmp, "notifyd.db"),
		"NOTIFYD_OUTBOX_DIR":   f.outbox,
		"NOTIFYD_HTTP_ADDR":    f.addr,
		"NOTIFYD_PUBLIC_URL":   "http://" + f.addr,
		"NOTIFYD_SMTP_URL":     "",
		"NOTIFYD_LOG_LEVEL":    "warn",
		"NOTIFYD_LOG_FORMAT":   "text",
		"NOTIFYD_CONFIG":       f.config,
	}
	lookup := func(k string) (string, bool) {
		if v, ok := override[k]; ok {
			return v, v != ""
		}
		return env(k)
	}
	opts := config.LoadOptions{Demo: true}
	if f.config == "" {
		opts.File = demoConfig
	}
	return lookup, opts
}

// fastForward advances miniredis's key TTLs with the wall clock; miniredis does not
// expire keys on its own.
func fastForward(ctx context.Context, mr *miniredis.Miniredis) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			mr.FastForward(now.Sub(last))
			last = now
		}
	}
}

func (p *program) runDemo(ctx context.Context, f demoFlags, cfg *config.Config, events []*event.Event) error {
	log := newLogger(cfg, p.stderr)
	st, err := openStore(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	redisOpt, q, err := redisClient(cfg)
	if err != nil {
		return err
	}
	defer q.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	result := make(chan error, 1)
	started := func(addr string) {
		go func() {
			if !f.once {
				// Interactive: say what to open at once; the story plays out meanwhile.
				if err := p.printDemoURLs(ctx, st, addr, cfg.OutboxDir); err != nil {
					result <- err
					cancel()
					return
				}
			}
			err := replay(ctx, st, q, redisOpt, events)
			if err == nil && f.once {
				err = waitDrained(ctx, st, redisOpt, events)
			}
			if err == nil && !f.once {
				fmt.Fprintf(p.stdout, "\nall %d sample events have played out; the messages are in %s\n", len(events), cfg.OutboxDir)
				return
			}
			if ctx.Err() != nil && !f.once {
				return // interrupted while replaying
			}
			result <- err
			cancel()
		}()
	}
	svc := services{cfg: cfg, st: st, q: q, log: log}
	if err := svc.start(ctx, "run", redisOpt, started); err != nil {
		return err
	}
	select {
	case err := <-result:
		if err != nil {
			return err
		}
	default:
		return nil // interrupted
	}
	return p.demoSummary(context.Background(), st, cfg.OutboxDir, len(events))
}

func (p *program) demoEvents(f demoFlags, cfg *config.Config) ([]*event.Event, error) {
	raw, name := demoEvents, "demodata/events.jsonl"
	shifted, err := shiftDates(raw, daysSinceEpoch(time.Now().UTC()))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	raw = shifted
	if f.events != "" {
		var err error
		if raw, err = readInput(f.events, p.stdin); err != nil {
			return nil, err
		}
		name = f.events
	}
	events, problems, err := parseInput(name, raw, event.Options{Brands: cfg.BrandIDs()})
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	if len(problems) > 0 {
		for _, pr := range problems {
			fmt.Fprintln(p.stderr, pr)
		}
		return nil, &exitError{code: 2, err: fmt.Errorf("%d invalid event(s)", len(problems)), quiet: true}
	}
	return events, nil
}

// replay sends the events through the same ingestion as HTTP and `enqueue`, one at a
// time in the order given, each once the previous one has played out — handled, its
// messages sent, its coalescing window closed — as a shop's systems would over days.
// Offers' reminders and deadlines run on their own clock meanwhile.
func replay(ctx context.Context, st store.Store, q *asynq.Client, redisOpt asynq.RedisConnOpt, events []*event.Event) error {
	in := asynq.NewInspector(redisOpt)
	defer in.Close()
	for _, e := range events {
		if _, err := jobs.Ingest(ctx, st, q, []*event.Event{e}, time.Now()); err != nil {
			return err
		}
		if err := waitHandled(ctx, st, in, e, 15*time.Second); err != nil {
			return err
		}
		if err := waitQueues(ctx, in, 15*time.Second, false); err != nil {
			return err
		}
	}
	return nil
}

func waitHandled(ctx context.Context, st store.Store, in *asynq.Inspector, e *event.Event, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		rec, err := st.GetEvent(ctx, e.Source, e.ID)
		if err == nil && rec.Status == store.EventHandled {
			return nil
		}
		// A task asynq gave up on will never be handled: say why at once.
		if info, err := in.GetTaskInfo(jobs.QueueDefault, e.Key()); err == nil && info.State == asynq.TaskStateArchived {
			return fmt.Errorf("demo: event %s (%s) failed: %s", e.ID, e.Type, info.LastErr)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("demo: event %s (%s) not handled within %s", e.ID, e.Type, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
