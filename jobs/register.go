package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

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
	GetOrder(ctx context.Context, id string) (*store.Order, error)
	ListEvents(ctx context.Context, orderID string) ([]store.EventRecord, error)
	GetOrders(ctx context.Context, ids []string) ([]*store.Order, error)
	CommitEvent(ctx context.Context, c *store.EventCommit) ([]*store.Notification, error)
	AllocateRestock(ctx context.Context, restockSource, restockID, brand, sku string, quantity int, at time.Time) ([]store.Allocation, error)
	LineAllocations(ctx context.Context, orderID string) ([]store.LineAllocation, error)
	Pending(ctx context.Context, orderID, kind string) (*store.PendingMessage, error)
	LastNotification(ctx context.Context, orderID, kind, channel, recipient string) (*store.Notification, error)
	CountSince(ctx context.Context, channel, recipient string, kinds []string, since time.Time) (int, error)
	History(ctx context.Context, q store.HistoryQuery) (*store.History, error)
	GetNotification(ctx context.Context, id string) (*store.Notification, error)
	UpdateNotification(ctx context.Context, n *store.Notification) error
	ListNotifications(ctx context.Context, f store.NotificationFilter) ([]store.Notification, error)
	AddAttempt(ctx context.Context, a *store.Attempt) error
	ClaimSend(ctx context.Context, key, notificationID string, at time.Time) (*store.SendClaim, bool, error)
	CommitSend(ctx context.Context, key string, n *store.Notification, at time.Time) error
	ReleaseSend(ctx context.Context, key string) error
	Suppressions(ctx context.Context, channel, address string) ([]store.Suppression, error)
	AddSuppression(ctx context.Context, s *store.Suppression) error
	OffersOf(ctx context.Context, orderID string) ([]store.Offer, error)
	GetOffer(ctx context.Context, id string) (*store.Offer, error)
	LatestOpenOfferForPhone(ctx context.Context, phone string) (*store.Offer, error)
	MarkOfferSent(ctx context.Context, id string, at time.Time) error
	GetDelivery(ctx context.Context, id string) (*store.WebhookDelivery, error)
	UpdateDelivery(ctx context.Context, d *store.WebhookDelivery) error
}

// Limiter is a provider rate limit: Take says whether a message may go now, or how
// long until one may.
type Limiter interface {
	Take(ctx context.Context) (ok bool, retryAfter time.Duration, err error)
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
	Links *links.Signer
	// Redis holds the live send claims; nil keeps only the durable ones (tests).
	Redis redis.UniversalClient
	// Tasks deletes scheduled follow-ups when a case closes; nil leaves them to fire
	// and find the case closed.
	Tasks TaskDeleter
	// Deliverer posts decisions to the commerce system; nil records them undelivered.
	Deliverer Deliverer
	// Limits are the provider rate limits by channel, shared by all workers; a channel
	// without one is not limited.
	Limits map[string]Limiter
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
	r.handle(TypeSendBatch, asynq.HandlerFunc(w.HandleSendBatch))
	r.handle(TypeFlush, asynq.HandlerFunc(w.HandleFlush))
	r.handle(TypeRestockBatch, asynq.HandlerFunc(w.HandleRestockBatch))
	r.handle(TypeWindowCheck, asynq.HandlerFunc(w.HandleWindowCheck))
	r.handle(TypeReminder, asynq.HandlerFunc(w.HandleReminder))
	r.handle(TypeDeadline, asynq.HandlerFunc(w.HandleDeadline))
	r.handle(TypeDeliver, asynq.HandlerFunc(w.HandleDeliver))
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
