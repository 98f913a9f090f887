package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/channels"
	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/links"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/templates"
)

// Store is what the worker needs of the store.
type Store interface {
	RecordEvent(ctx context.Context, e *store.EventRecord) (*store.EventRecord, bool, error)
	SetEventStatus(ctx context.Context, source, id, status, outcome string, at time.Time) error
	GetOrder(ctx context.Context, id string) (*store.Order, error)
	SaveOrder(ctx context.Context, o *store.Order) error
	OpenBackorders(ctx context.Context, brand, sku string) ([]store.OpenBackorder, error)
	CreateNotification(ctx context.Context, n *store.Notification) (*store.Notification, bool, error)
	GetNotification(ctx context.Context, id string) (*store.Notification, error)
	UpdateNotification(ctx context.Context, n *store.Notification) error
	AddAttempt(ctx context.Context, a *store.Attempt) error
	ListNotifications(ctx context.Context, f store.NotificationFilter) ([]store.Notification, error)
	Suppressions(ctx context.Context, channel, address string) ([]store.Suppression, error)
	AddSuppression(ctx context.Context, s *store.Suppression) error
}

// Enqueuer is the part of asynq.Client the worker uses.
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Worker holds what the handlers share. Build it with every field set, then Register.
type Worker struct {
	Store    Store
	Config   *config.Config
	Renderer *templates.Renderer
	// Senders by channel; a channel without a sender is disabled, and its messages are
	// recorded as suppressed with that reason.
	Senders  map[string]channels.Sender
	Enqueuer Enqueuer
	// Links signs the /o/, /c/ and /u/ links in messages.
	Links  *links.Signer
	Logger *slog.Logger
	Now    func() time.Time
	NewID  func() string
}

// Register wires every task type to mux. Registering a type twice is a programming
// error and panics, at start-up.
func (w *Worker) Register(mux *asynq.ServeMux) {
	r := registry{mux: mux, seen: map[string]bool{}}
	for _, t := range event.Types {
		r.handle(t, asynq.HandlerFunc(w.HandleEvent))
	}
	r.handle(TypeSend, asynq.HandlerFunc(w.HandleSend))
	mux.Use(w.logMiddleware)
}

type registry struct {
	mux  *asynq.ServeMux
	seen map[string]bool
}

func (r registry) handle(taskType string, h asynq.Handler) {
	if r.seen[taskType] {
		panic(fmt.Sprintf("jobs: task type %q registered twice", taskType))
	}
	r.seen[taskType] = true
	r.mux.Handle(taskType, h)
}

type loggerKey struct{}

// logMiddleware gives each task a logger carrying its id and type, and logs failures.
func (w *Worker) logMiddleware(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		id, _ := asynq.GetTaskID(ctx)
		log := w.Logger.With("task_id", id, "type", t.Type())
		err := next.ProcessTask(context.WithValue(ctx, loggerKey{}, log), t)
		if err != nil {
			log.Warn("task failed", "err", err)
		}
		return err
	})
}

func (w *Worker) log(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return w.Logger
}
