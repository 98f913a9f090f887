package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/notifyd/notifyd/channels"
	"github.com/notifyd/notifyd/channels/email"
	"github.com/notifyd/notifyd/channels/outbox"
	"github.com/notifyd/notifyd/channels/sms"
	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/httpapi"
	"github.com/notifyd/notifyd/jobs"
	"github.com/notifyd/notifyd/links"
	"github.com/notifyd/notifyd/ratelimit"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/store/postgres"
	"github.com/notifyd/notifyd/store/sqlite"
	"github.com/notifyd/notifyd/templates"
	"github.com/notifyd/notifyd/webhooks"
)

// This file is the one place the parts are wired together.

// loadConfig loads and validates the configuration; problems are printed one per line
// and the error is an exit-1 error.
func (p *program) loadConfig(env func(string) (string, bool), opts config.LoadOptions) (*config.Config, error) {
	cfg, err := config.Load(env, opts)
	if err != nil {
		var ve *config.ValidationError
		if errors.As(err, &ve) {
			for _, pr := range ve.Problems {
				fmt.Fprintln(p.stderr, "config:", pr)
			}
			return nil, &exitError{code: 1, err: err, quiet: true}
		}
		return nil, &exitError{code: 1, err: fmt.Errorf("config: %w", err)}
	}
	return cfg, nil
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// openStore opens the database named by a NOTIFYD_DATABASE_URL.
func openStore(ctx context.Context, dsn string) (store.Store, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return sqlite.Open(ctx, strings.TrimPrefix(dsn, "sqlite:"))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return postgres.Open(ctx, withPoolSize(dsn, 32))
	}
	return nil, fmt.Errorf("NOTIFYD_DATABASE_URL: want postgres://… or sqlite:PATH, got %q", dsn)
}

// withPoolSize sets pgxpool's pool_max_conns when the URL does not: its default (the
// number of CPUs, at least 4) leaves asynq's 20 handlers queueing for a connection,
// which the benchmarks showed as nearly all of a handler's time (docs/performance.md).
func withPoolSize(dsn string, n int) string {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil || u.Query().Has("pool_max_conns") {
		return dsn
	}
	q := u.Query()
	q.Set("pool_max_conns", strconv.Itoa(n))
	u.RawQuery = q.Encode()
	return u.String()
}

// openCheckedStore opens the store and refuses an unmigrated or newer schema.
func openCheckedStore(ctx context.Context, dsn string) (store.Store, error) {
	st, err := openStore(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := st.CheckSchema(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// redisClient parses NOTIFYD_REDIS_URL and returns an asynq client on it.
func redisClient(cfg *config.Config) (asynq.RedisConnOpt, *asynq.Client, error) {
	opt, err := asynq.ParseRedisURI(cfg.RedisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("NOTIFYD_REDIS_URL: %w", err)
	}
	return opt, asynq.NewClient(opt), nil
}

// senders returns the channel senders the configuration enables: the outbox for both
// channels when NOTIFYD_OUTBOX_DIR is set, otherwise SMTP and Twilio when configured.
// close releases their connections.
func senders(cfg *config.Config, log *slog.Logger) (out map[string]channels.Sender, close func(), err error) {
	out = map[string]channels.Sender{}
	if cfg.OutboxDir != "" {
		ob, err := outbox.New(cfg.OutboxDir)
		if err != nil {
			return nil, nil, err
		}
		out[channels.Email], out[channels.SMS] = ob, ob
		return out, func() {}, nil
	}
	var closers []func() error
	if cfg.SMTPEnabled() {
		ecfg, err := emailConfig(cfg, log)
		if err != nil {
			return nil, nil, err
		}
		es, err := email.New(ecfg)
		if err != nil {
			return nil, nil, fmt.Errorf("email: %w", err)
		}
		out[channels.Email] = es
		closers = append(closers, es.Close)
	}
	if cfg.TwilioEnabled() {
		ss, err := sms.New(smsConfig(cfg, log))
		if err != nil {
			return nil, nil, fmt.Errorf("sms: %w", err)
		}
		out[channels.SMS] = ss
	}
	return out, func() {
		for _, c := range closers {
			_ = c()
		}
	}, nil
}

// emailConfig reads the DKIM keys: a brand's own (`dkim:` in the YAML, signing for
// its From domain) or the NOTIFYD_DKIM_* default.
func emailConfig(cfg *config.Config, log *slog.Logger) (email.Config, error) {
	ec := email.Config{URL: cfg.SMTPURL, PoolSize: cfg.SMTPPool, DKIM: map[string]email.DKIMKey{}, Logger: log}
	if cfg.DKIM.KeyFile != "" {
		pem, err := os.ReadFile(cfg.DKIM.KeyFile)
		if err != nil {
			return ec, fmt.Errorf("NOTIFYD_DKIM_KEY_FILE: %w", err)
		}
		ec.DefaultDKIM = &email.DKIMKey{Domain: cfg.DKIM.Domain, Selector: cfg.DKIM.Selector, KeyPEM: pem}
	}
	for _, b := range cfg.Brands {
		if b.DKIM == nil {
			continue
		}
		pem, err := os.ReadFile(b.DKIM.KeyFile)
		if err != nil {
			return ec, fmt.Errorf("brands %s dkim.key_file: %w", b.ID, err)
		}
		domain := b.Email.From[strings.LastIndexByte(b.Email.From, '@')+1:]
		ec.DKIM[b.ID] = email.DKIMKey{Domain: domain, Selector: b.DKIM.Selector, KeyPEM: pem}
	}
	return ec, nil
}

func smsConfig(cfg *config.Config, log *slog.Logger) sms.Config {
	sc := sms.Config{
		AccountSID: cfg.TwilioAccountSID, AuthToken: cfg.TwilioAuthToken,
		MessagingServiceSID: cfg.TwilioMessagingServiceSID, From: cfg.TwilioFrom,
		APIURL:         cfg.TwilioAPIURL,
		StatusCallback: strings.TrimRight(cfg.PublicURL, "/") + httpapi.TwilioStatusPath,
		Brands:         map[string]sms.BrandSender{}, Logger: log,
	}
	for _, b := range cfg.Brands {
		if b.SMS.From != "" || b.SMS.MessagingServiceSID != "" {
			sc.Brands[b.ID] = sms.BrandSender{From: b.SMS.From, MessagingServiceSID: b.SMS.MessagingServiceSID}
		}
	}
	return sc
}

// newWorker builds the asynq handlers' shared state. rdb holds the live send claims
// and the provider rate limits shared by every worker.
func newWorker(cfg *config.Config, st store.Store, q *asynq.Client, rdb redis.UniversalClient, snd map[string]channels.Sender, log *slog.Logger) (*jobs.Worker, error) {
	r, err := templates.New(templates.WithDir(cfg.TemplatesDir))
	if err != nil {
		return nil, err
	}
	signer, err := newSigner(cfg)
	if err != nil {
		return nil, err
	}
	// The worker's clock drives the buckets: the demo's embedded Redis has no clock of
	// its own, and host clock skew can only slow sending down (ratelimit's doc).
	clock := ratelimit.WithClock(time.Now)
	var deliverer jobs.Deliverer
	if cfg.CommerceWebhookURL != "" {
		secret, err := webhooks.ParseSecret(cfg.CommerceWebhookSecret)
		if err != nil {
			return nil, fmt.Errorf("NOTIFYD_COMMERCE_WEBHOOK_SECRET: %w", err)
		}
		deliverer = &webhooks.Deliverer{URL: cfg.CommerceWebhookURL, Secret: secret, Now: time.Now}
	}
	return &jobs.Worker{
		Deliverer: deliverer,
		Store:     st, Config: cfg, Renderer: r, Senders: snd, Enqueuer: q, Links: signer, Logger: log,
		Redis: rdb,
		Limits: map[string]jobs.Limiter{
			channels.Email: ratelimit.New(rdb, "notifyd:rate:email", cfg.EmailRate, 0, clock),
			channels.SMS:   ratelimit.New(rdb, "notifyd:rate:sms", cfg.SMSRate, 0, clock),
		},
		Now: time.Now, NewID: newID,
	}, nil
}

// newSigner returns the link signer. The demo needs no NOTIFYD_SIGNING_KEY: it signs
// with a random key of its own, valid for that run.
func newSigner(cfg *config.Config) (*links.Signer, error) {
	key := []byte(cfg.SigningKey)
	if len(key) == 0 {
		key = make([]byte, links.MinKeyLen)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
	}
	var prev []byte
	if cfg.SigningKeyPrevious != "" {
		prev = []byte(cfg.SigningKeyPrevious)
	}
	return links.NewSigner(key, prev)
}

// newID returns a UUIDv7: unique, and sortable by creation time in the log.
func newID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.Must(uuid.NewRandomFromReader(rand.Reader)).String()
	}
	return id.String()
}

// workerConfig is the asynq server configuration of every worker process.
func workerConfig(cfg *config.Config, log *slog.Logger) asynq.Config {
	return asynq.Config{
		Concurrency:     cfg.Concurrency,
		Queues:          jobs.QueueWeights(),
		Logger:          asynqLogger{log.With("component", "asynq")},
		LogLevel:        asynq.WarnLevel,
		ShutdownTimeout: 25 * time.Second,
		// asynq sleeps 0.5–1.5 × this after an empty poll, and an event's messages go
		// out from its own task (docs/decisions/0005-inline-sends.md), so a message
		// waits for one poll: 20 ms keeps p99 under 100 ms (docs/performance.md).
		TaskCheckInterval:        20 * time.Millisecond,
		DelayedTaskCheckInterval: time.Second,
		RetryDelayFunc:           retryDelay,
		IsFailure: func(err error) bool {
			_, wait := jobs.Backoff(err)
			return !wait
		},
	}
}

// retryDelay backs off exponentially from one second to ten minutes, with up to 20 %
// jitter so retries of a burst spread out. asynq's default starts at 15 s and grows
// with n⁴, too slow for a customer waiting on news after a brief SMTP hiccup.
func retryDelay(n int, err error, _ *asynq.Task) time.Duration {
	if after, ok := jobs.Backoff(err); ok {
		return after + time.Duration(mrand.Int64N(int64(time.Second)))
	}
	d := 10 * time.Minute
	if n < 10 {
		d = min(d, time.Second<<n)
	}
	return d + time.Duration(mrand.Int64N(int64(d)/5+1))
}

func newHTTPServer(cfg *config.Config, st store.Store, q *asynq.Client, ready func(context.Context) error, log *slog.Logger) *httpapi.Server {
	return &httpapi.Server{
		Store: st, Queue: q, Brands: cfg.BrandIDs, Ready: ready, Logger: log, Now: time.Now,
		PublicURL: strings.TrimRight(cfg.PublicURL, "/"), TwilioAuthToken: cfg.TwilioAuthToken,
		Config: cfg,
	}
}

// readiness checks Redis, the database and its schema.
func readiness(q *asynq.Client, st store.Store) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := q.Ping(); err != nil {
			return fmt.Errorf("redis: %w", err)
		}
		if err := st.Ping(ctx); err != nil {
			return fmt.Errorf("database: %w", err)
		}
		if err := st.CheckSchema(ctx); err != nil {
			return err
		}
		return nil
	}
}

// asynqLogger routes asynq's own logs into slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }
