// A regression test for a bug found while writing the failure tests: a coalesced
// message was lost when the enqueue after a flush's commit failed (the flush re-ran,
// found no pending record and returned). HandleFlush now queues the order's pending
// notifications of that kind in that case.

package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/notifyd/notifyd/channels"
	"github.com/notifyd/notifyd/channels/outbox"
	"github.com/notifyd/notifyd/client"
	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/internal/testredis"
	"github.com/notifyd/notifyd/jobs"
	"github.com/notifyd/notifyd/links"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/store/sqlite"
	"github.com/notifyd/notifyd/templates"
)

// failingEnqueuer fails the enqueues of one task type while armed, as a crash or a
// Redis error right after the commit would.
type failingEnqueuer struct {
	q      *asynq.Client
	failOn atomic.Value // task type, "" for none
}

func (f *failingEnqueuer) EnqueueContext(ctx context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	if typ, _ := f.failOn.Load().(string); typ != "" && t.Type() == typ {
		return nil, errors.New("simulated crash: redis unreachable")
	}
	return f.q.EnqueueContext(ctx, t, opts...)
}

func TestCoalescedMessageSurvivesEnqueueFailure(t *testing.T) {
	t.Run("flush", func(t *testing.T) { coalescedRepro(t, jobs.TypeSend) })
	t.Run("event", func(t *testing.T) { coalescedRepro(t, jobs.TypeFlush) })
}

func coalescedRepro(t *testing.T, failType string) {
	ctx := context.Background()
	cfg, err := config.Load(func(string) (string, bool) { return "", false },
		config.LoadOptions{Demo: true, File: []byte(configYAML)})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "notifyd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ropt := testredis.New(t)
	q := asynq.NewClient(ropt)
	t.Cleanup(func() { q.Close() })
	insp := asynq.NewInspector(ropt)
	t.Cleanup(func() { insp.Close() })
	rdb := redis.NewClient(&redis.Options{Addr: ropt.Addr, DB: ropt.DB, Username: ropt.Username, Password: ropt.Password})
	t.Cleanup(func() { rdb.Close() })
	ob, err := outbox.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, err := templates.New()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := links.NewSigner([]byte(strings.Repeat("s", 32)), nil)
	if err != nil {
		t.Fatal(err)
	}
	enq := &failingEnqueuer{q: q}
	enq.failOn.Store("")
	down := &downSender{next: ob}
	var ids atomic.Int64
	w := &jobs.Worker{
		Store: st, Config: cfg, Renderer: r, Enqueuer: enq, Links: signer, Redis: rdb,
		Senders: map[string]channels.Sender{channels.Email: down, channels.SMS: down},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:     time.Now,
		NewID:   func() string { return fmt.Sprintf("n%06d", ids.Add(1)) },
	}
	o := newOrder(0)
	bo, eta := o.backordered(t, "2026-11-03T10:00:00Z", "l1"), o.etaChanged(t, "2026-11-06T12:00:00Z")
	task, _ := client.NewTask(bo)
	if err := w.HandleEvent(ctx, task); err != nil {
		t.Fatal(err)
	}
	task, _ = client.NewTask(eta)
	if failType == jobs.TypeFlush {
		enq.failOn.Store(jobs.TypeFlush) // the process dies after the commit
	}
	firstErr := w.HandleEvent(ctx, task)
	enq.failOn.Store("")
	if failType == jobs.TypeFlush {
		if firstErr == nil {
			t.Fatal("the simulated failure did not reach HandleEvent")
		}
		if err := w.HandleEvent(ctx, task); err != nil { // asynq's retry
			t.Fatalf("retry: %v", err)
		}
		if n := flushTasks(t, insp); n == 0 {
			t.Errorf("after a failed flush enqueue and the event's retry, no coalesce.flush task exists: "+
				"the eta_update of %s waits for another event of the order (jobs/event.go resume re-enqueues sends only)", o.id)
		}
		return
	}
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	flush := asynq.NewTask(jobs.TypeFlush, []byte(fmt.Sprintf(`{"order_id":%q,"kind":"eta_update","seq":1}`, o.id)))
	// The flush's commit is in; its inline sends meet a provider that is down, and
	// queueing them as send tasks fails too (Redis lost, or the process dies).
	enq.failOn.Store(jobs.TypeSend)
	down.down.Store(true)
	firstErr = w.HandleFlush(ctx, flush)
	enq.failOn.Store("")
	down.down.Store(false)
	if firstErr == nil {
		t.Fatal("the simulated failure did not reach HandleFlush")
	}
	if err := w.HandleFlush(ctx, flush); err != nil { // asynq's retry
		t.Fatalf("retry: %v", err)
	}
	ns, err := st.ListNotifications(ctx, store.NotificationFilter{OrderID: o.id, Kind: "eta_update"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) == 0 {
		t.Fatal("the flush decided no eta_update")
	}
	for _, n := range ns {
		if n.Status != store.NotificationPending {
			continue
		}
		if _, err := insp.GetTaskInfo(jobs.QueueDefault, "send:"+n.ID); err != nil {
			t.Errorf("eta_update %s (%s) is pending with no send task after the flush's retry (%v): it is never sent "+
				"(jobs/coalesce.go planFlush returns nil once the pending message is gone)", n.ID, n.Channel, err)
		}
	}
}

// downSender answers every message with a temporary error while down is set.
type downSender struct {
	next channels.Sender
	down atomic.Bool
}

func (d *downSender) Send(ctx context.Context, m *channels.Message) (channels.Receipt, error) {
	if d.down.Load() {
		return channels.Receipt{}, channels.Temporary("", errors.New("simulated: provider unreachable"))
	}
	return d.next.Send(ctx, m)
}

// flushTasks counts the coalesce.flush tasks waiting in the default queue.
func flushTasks(t *testing.T, insp *asynq.Inspector) int {
	t.Helper()
	n := 0
	list := func(f func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error)) {
		tasks, err := f(jobs.QueueDefault, asynq.PageSize(1000))
		if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) && !strings.Contains(err.Error(), "does not exist") {
			t.Fatal(err)
		}
		for _, ti := range tasks {
			if ti.Type == jobs.TypeFlush {
				n++
			}
		}
	}
	list(insp.ListScheduledTasks)
	list(insp.ListPendingTasks)
	return n
}
