package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/channels"
	"github.com/notifyd/notifyd/jobs"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/webhooks"
)

// flowPolicy makes the §8 clock run in seconds: a 1 s window puts every promise in the
// past, the customer has 2 s to answer and is reminded 1 s before the deadline.
const flowPolicy = `{window: 1s, silent_consent_max_delay: 30d, min_response_time: 2s, reminder_before: 1s, coalesce_window: 100ms, quiet_hours: "", max_updates_per_day: 100}`

// slowFlowPolicy is flowPolicy with the reminder 10 s away and the deadline 30 s
// away: for flows where something must happen before either, whatever the load.
var slowFlowPolicy = strings.NewReplacer("min_response_time: 2s", "min_response_time: 30s",
	"reminder_before: 1s", "reminder_before: 20s").Replace(flowPolicy)

// receiver is the shop's webhook endpoint: it verifies every delivery's signature.
type receiver struct {
	mu     sync.Mutex
	events []map[string]any
	bad    int
}

func newReceiver(t *testing.T) (*receiver, *webhooks.Deliverer) {
	t.Helper()
	secret, err := webhooks.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := webhooks.Verify(secret, req.Header, body, time.Now()); err != nil {
			r.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var ce map[string]any
		json.Unmarshal(body, &ce)
		r.events = append(r.events, ce)
	}))
	t.Cleanup(srv.Close)
	return r, &webhooks.Deliverer{URL: srv.URL, Secret: secret}
}

// got returns "type choice/reason channel" of each verified delivery.
func (r *receiver) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, describeWebhook(e))
	}
	return out
}

// describeWebhook is "type choice/reason channel" of a webhook's CloudEvent.
func describeWebhook(e map[string]any) string {
	d, _ := e["data"].(map[string]any)
	s, _ := e["type"].(string)
	for _, k := range []string{"choice", "reason", "channel"} {
		if v, ok := d[k].(string); ok {
			s += " " + v
		}
	}
	return s
}

// webhooksOf describes the webhooks decided for order, sorted, whether or not they
// were delivered yet (a worker clock moved ahead schedules them in the future).
func webhooksOf(t *testing.T, h *harness, order string) []string {
	t.Helper()
	ds, err := h.st.ListDeliveries(context.Background(), store.DeliveryFilter{OrderID: order})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range ds {
		var e map[string]any
		if err := json.Unmarshal(d.Payload, &e); err != nil {
			t.Fatalf("webhook %s: %v", d.ID, err)
		}
		out = append(out, describeWebhook(e))
	}
	slices.Sort(out)
	return out
}

func flowHarness(t *testing.T, policy ...string) (*harness, *receiver) {
	t.Helper()
	pol := flowPolicy
	if len(policy) > 0 {
		pol = policy[0]
	}
	h := newHarness(t, pol)
	r, d := newReceiver(t)
	h.deliverer = d
	h.start()
	return h, r
}

// start1 ingests one event and waits until it is handled and its sends are done,
// but not for follow-ups (reminder, deadline), which are the flow under test.
func (h *harness) start1(raw string) {
	h.t.Helper()
	h.ingest(raw)
	id := eventID(h.t, raw)
	waitFor(h.t, "event "+id, func() bool {
		rec, err := h.st.GetEvent(context.Background(), "test", id)
		ns, _ := h.st.ListNotifications(context.Background(), store.NotificationFilter{EventSource: "test", EventID: id, Status: store.NotificationPending})
		return err == nil && rec.Status == store.EventHandled && len(ns) == 0
	})
}

// waitFor polls cond for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func offerOf(t *testing.T, h *harness, order string) store.Offer {
	t.Helper()
	offers, err := h.st.OffersOf(context.Background(), order)
	if err != nil || len(offers) == 0 {
		t.Fatalf("offers of %s: %v %v", order, offers, err)
	}
	return offers[0]
}

// followUps lists the TaskIDs still scheduled.
func (h *harness) followUps(t *testing.T) []string {
	t.Helper()
	in := asynq.NewInspector(h.redis)
	defer in.Close()
	tasks, err := in.ListScheduledTasks("critical", asynq.PageSize(1000))
	if err != nil {
		return nil
	}
	var ids []string
	for _, task := range tasks {
		ids = append(ids, task.ID)
	}
	return ids
}

// Flow (a): the date slips past the promise → offer → the customer chooses refund →
// a signed customer.choice_made reaches the shop, the confirmation goes out, and the
// reminder and deadline are gone from Redis.
func TestFlowRefund(t *testing.T) { forEachDB(t, flowRefund) }

func flowRefund(t *testing.T) {
	// The customer answers before the reminder whatever the load: the reminder must
	// still be scheduled when the test looks, and must not go out.
	h, r := flowHarness(t, slowFlowPolicy)
	const o = "ord_fa"
	h.start1(orderEvent("fa1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent, boL1))
	off := offerOf(t, h, o)
	if off.State != store.OfferOpen || off.Silence != store.SilenceConsent {
		t.Fatalf("offer %+v", off)
	}
	if ids := h.followUps(t); !slices.Contains(ids, "deadline:"+off.ID) || !slices.Contains(ids, "reminder:"+off.ID) {
		t.Fatalf("follow-ups %q", ids)
	}
	if _, changed, err := h.worker.Choose(context.Background(), off.ID, "refund", "web"); err != nil || !changed {
		t.Fatalf("choose: %v %v", changed, err)
	}
	waitFor(t, "the shop to get the choice", func() bool { return len(r.got()) == 1 })
	waitFor(t, "the confirmation", func() bool { return settled(h, o, 3) })
	if got, want := r.got(), []string{"customer.choice_made refund web"}; !slices.Equal(got, want) {
		t.Errorf("webhooks %q, want %q", got, want)
	}
	if ids := h.followUps(t); slices.Contains(ids, "deadline:"+off.ID) || slices.Contains(ids, "reminder:"+off.ID) {
		t.Errorf("follow-ups left in Redis: %q", ids)
	}
	want := []string{"backorder_notice email sent", "delay_option_offer email sent", "choice_confirmation email sent"}
	if got := emailLog(h.summary(o)); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	order, _ := h.st.GetOrder(context.Background(), o)
	if order.Lines[0].State != store.LineCanceled {
		t.Errorf("refunded line state %s", order.Lines[0].State)
	}
	if r.bad != 0 {
		t.Errorf("%d deliveries failed signature verification", r.bad)
	}
}

// Flow (b): a definite delay within 30 days and silence → reminded, then wait is
// recorded at the deadline (channel silence), confirmed, and the shop told.
func TestFlowSilenceIsConsent(t *testing.T) { forEachDB(t, flowSilenceIsConsent) }

func flowSilenceIsConsent(t *testing.T) {
	h, r := flowHarness(t)
	const o = "ord_fb"
	h.start1(orderEvent("fb1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent, boL1))
	waitFor(t, "the deadline", func() bool { return offerOf(t, h, o).State == store.OfferDecided })
	waitFor(t, "the confirmation", func() bool { return settled(h, o, 4) })
	off := offerOf(t, h, o)
	if off.Choice != "wait" || off.ChoiceChannel != "silence" {
		t.Errorf("offer decided as %q by %q", off.Choice, off.ChoiceChannel)
	}
	want := []string{"backorder_notice email sent", "delay_option_offer email sent", "choice_reminder email sent", "choice_confirmation email sent"}
	if got := emailLog(h.summary(o)); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	waitFor(t, "the shop", func() bool { return len(r.got()) == 1 })
	if got := r.got(); got[0] != "customer.choice_made wait silence" {
		t.Errorf("webhook %q", got)
	}

	// A second delay past the date the customer agreed to (§8.4): a renewed offer,
	// to which silence is never consent.
	h.start1(orderEvent("fb2", "order.eta_changed", "2026-11-04T10:00:00Z", o, custNoConsent,
		`,"changes":[{"line_id":"l1","previous_eta":"2026-12-01","eta":"2026-12-20"}]`))
	renewed := offerOf(t, h, o)
	if !renewed.Renewed || renewed.Silence != store.SilenceCancel || renewed.ID == off.ID {
		t.Errorf("renewed offer %+v", renewed)
	}
	if got := emailLog(h.summary(o)); got[len(got)-1] != "delay_option_offer email sent" || slices.Contains(got, "eta_update email sent") {
		t.Errorf("the renewed offer carries the new date, with no separate eta_update: %q", got)
	}
}

// Flow (c): no date and silence → the lines are canceled at the deadline, the shop
// gets order.auto_canceled and the customer auto_cancel_notice.
func TestFlowUnknownDateAutoCancels(t *testing.T) { forEachDB(t, flowUnknownDateAutoCancels) }

func flowUnknownDateAutoCancels(t *testing.T) {
	// D of one second: the promise plus D is long past, so no date means cancel by
	// sent + M.
	h, r := flowHarness(t, strings.Replace(flowPolicy, "silent_consent_max_delay: 30d", "silent_consent_max_delay: 1s", 1))
	const o = "ord_fc"
	h.start1(orderEvent("fc1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent,
		`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":null}]`))
	if off := offerOf(t, h, o); off.Silence != store.SilenceCancel || off.NewDate != nil {
		t.Fatalf("offer %+v", off)
	}
	waitFor(t, "the deadline", func() bool { return offerOf(t, h, o).State == store.OfferDecided })
	waitFor(t, "the notice", func() bool { return settled(h, o, 4) })
	want := []string{"backorder_notice email sent", "delay_option_offer email sent", "choice_reminder email sent", "auto_cancel_notice email sent"}
	if got := emailLog(h.summary(o)); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	waitFor(t, "the shop", func() bool { return len(r.got()) == 1 })
	if got := r.got(); got[0] != "order.auto_canceled no_answer" {
		t.Errorf("webhook %q", got)
	}
	n := findKind(t, h, o, "auto_cancel_notice", "email")
	if !strings.Contains(n.Body, "78.00") {
		t.Errorf("the notice must state the refund (2 × 39.00):\n%s", n.Body)
	}
	order, _ := h.st.GetOrder(context.Background(), o)
	if order.Lines[0].State != store.LineCanceled {
		t.Errorf("line state %s", order.Lines[0].State)
	}
}

// Flow (d): the order ships before the deadline → follow-ups gone, no stale message.
func TestFlowShipsBeforeDeadline(t *testing.T) { forEachDB(t, flowShipsBeforeDeadline) }

func flowShipsBeforeDeadline(t *testing.T) {
	// Ten seconds before the reminder: the shipment comes first whatever the load.
	h, r := flowHarness(t, slowFlowPolicy)
	const o = "ord_fd"
	h.start1(orderEvent("fd1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent, boL1))
	off := offerOf(t, h, o)
	h.start1(orderEvent("fd2", "order.shipped", "2026-11-03T10:00:00Z", o, custNoConsent, ship1))
	if ids := h.followUps(t); slices.Contains(ids, "deadline:"+off.ID) || slices.Contains(ids, "reminder:"+off.ID) {
		t.Errorf("follow-ups left: %q", ids)
	}
	want := []string{"backorder_notice email sent", "delay_option_offer email sent", "shipped email sent"}
	if got := emailLog(h.summary(o)); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	if got := offerOf(t, h, o); got.State != store.OfferClosed {
		t.Errorf("offer state %s", got.State)
	}
	if len(r.got()) != 0 {
		t.Errorf("webhooks %q", r.got())
	}
}

// Flow (e): an SMS reply "2" picks the substitute (the offer listed WAIT 1, SWAP 2,
// REFUND 3).
func TestFlowSMSReplyPicksSubstitute(t *testing.T) { forEachDB(t, flowSMSReplyPicksSubstitute) }

func flowSMSReplyPicksSubstitute(t *testing.T) {
	h, r := flowHarness(t, slowFlowPolicy) // the reply comes before the deadline whatever the load
	const o = "ord_fe"
	h.start1(orderEvent("fe1", "order.backordered", "2026-11-02T10:00:00Z", o, custBoth, boL1+
		`,"substitutes":[{"line_id":"l1","sku":"KET-GREEN","name":"Green Kettle","unit_price":"39.00"}]`))
	answer, handled, err := h.worker.ReplyChoice(context.Background(), "+14155550100", "2")
	if err != nil || !handled || !strings.Contains(answer, "substitute") {
		t.Fatalf("reply: %q %v %v", answer, handled, err)
	}
	if off := offerOf(t, h, o); off.Choice != "substitute" || off.ChoiceChannel != "sms" {
		t.Errorf("offer %+v", off)
	}
	waitFor(t, "the shop", func() bool { return len(r.got()) == 1 })
	if got := r.got(); got[0] != "customer.choice_made substitute sms" {
		t.Errorf("webhook %q", got)
	}
	if _, handled, _ := h.worker.ReplyChoice(context.Background(), "+14155550199", "2"); handled {
		t.Error("a number with no open offer must not be handled")
	}
}

// Flow (f): STOP, then a required notice → email only; the SMS is recorded as opted out.
func TestFlowStopThenRequiredNotice(t *testing.T) { forEachDB(t, flowStopThenRequiredNotice) }

func flowStopThenRequiredNotice(t *testing.T) {
	h, _ := flowHarness(t)
	const o = "ord_ff"
	if err := h.st.AddSuppression(context.Background(), &store.Suppression{Channel: "sms", Address: "+14155550100",
		Kind: store.SuppressStop, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	h.start1(orderEvent("ff1", "order.backordered", "2026-11-02T10:00:00Z", o, custBoth, boL1))
	got := h.summary(o)
	for _, want := range []string{"delay_option_offer email sent", "delay_option_offer sms suppressed (opted out (STOP))"} {
		if !slices.Contains(got, want) {
			t.Errorf("log lacks %q: %q", want, got)
		}
	}
}

// settled reports whether order has n email entries and none is pending.
func settled(h *harness, order string, n int) bool {
	log := emailLog(h.summary(order))
	if len(log) != n {
		return false
	}
	for _, l := range log {
		if strings.Contains(l, " pending") {
			return false
		}
	}
	return true
}

// refuseKind answers the first message of a kind — on channel, when set — (the first
// times, when set) with a temporary error, a provider timeout, and passes everything
// else on.
type refuseKind struct {
	next    channels.Sender
	kind    string
	channel string
	times   int32
	seen    atomic.Int32 // messages of kind asked for
	refused atomic.Int32
	passed  atomic.Int32 // messages of kind handed on to the provider
}

func (r *refuseKind) Send(ctx context.Context, m *channels.Message) (channels.Receipt, error) {
	ours := m.Kind == r.kind && (r.channel == "" || m.Channel == r.channel)
	if ours && r.seen.Add(1) <= max(r.times, 1) {
		r.refused.Add(1)
		return channels.Receipt{}, channels.Temporary("timeout", errors.New("provider timed out"))
	}
	if ours {
		r.passed.Add(1)
	}
	return r.next.Send(ctx, m)
}

// downSends refuses to queue send tasks while down is set: Redis lost between a
// commit and the queueing of its sends.
type downSends struct {
	next jobs.Enqueuer
	down atomic.Bool
}

func (d *downSends) EnqueueContext(ctx context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	if d.down.Load() && t.Type() == jobs.TypeSend {
		return nil, errors.New("redis: connection refused")
	}
	return d.next.EnqueueContext(ctx, t, opts...)
}

// A deadline task that committed its decision but could not send the legal notice —
// the provider timed out, and queueing the retry failed — is re-run by asynq. The
// re-run finds the offer decided and decides nothing; it must still queue the notice
// its first run left pending: auto_cancel_notice goes out exactly once.
func TestFlowDeadlineRerunSendsNotice(t *testing.T) { forEachDB(t, flowDeadlineRerunSendsNotice) }

func flowDeadlineRerunSendsNotice(t *testing.T) {
	// No date and D of one second: the deadline cancels. The customer has an hour to
	// answer, so the scheduled deadline never fires during the test: it runs by hand.
	h := newHarness(t, strings.NewReplacer("silent_consent_max_delay: 30d", "silent_consent_max_delay: 1s",
		"min_response_time: 2s", "min_response_time: 1h").Replace(flowPolicy))
	flaky := &refuseKind{kind: "auto_cancel_notice"}
	h.wrap = func(s channels.Sender) channels.Sender { flaky.next = s; return flaky }
	enq := &downSends{}
	h.enqueuer = func(e jobs.Enqueuer) jobs.Enqueuer { enq.next = e; return enq }
	_, h.deliverer = newReceiver(t)
	h.start()
	const o = "ord_fg"
	h.start1(orderEvent("fg1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent,
		`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":null}]`))
	off := offerOf(t, h, o)
	payload, _ := json.Marshal(jobs.FollowUpPayload{OrderID: o, OfferID: off.ID})
	task := asynq.NewTask(jobs.TypeDeadline, payload)

	h.skew.Store(int64(time.Hour + 5*time.Second)) // the deadline's moment
	enq.down.Store(true)
	if err := h.worker.HandleDeadline(context.Background(), task); err == nil {
		t.Fatal("the first run queued nothing and still reported success")
	}
	if n := findKind(t, h, o, "auto_cancel_notice", "email"); n.Status != store.NotificationPending {
		t.Fatalf("after the failed run the notice is %s, want pending", n.Status)
	}
	enq.down.Store(false)
	if err := h.worker.HandleDeadline(context.Background(), task); err != nil {
		t.Fatalf("re-run: %v", err)
	}
	waitFor(t, "the notice", func() bool { return settled(h, o, 3) })
	want := []string{"backorder_notice email sent", "delay_option_offer email sent", "auto_cancel_notice email sent"}
	if got := emailLog(h.summary(o)); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	if flaky.refused.Load() != 1 {
		t.Errorf("the provider refused %d notices, want 1", flaky.refused.Load())
	}
	if n := flaky.passed.Load(); n != 1 {
		t.Errorf("auto_cancel_notice reached the provider %d times, want 1", n)
	}
}

// An offer that Twilio accepted but later reported undelivered reached nobody
// (§8.9): at its deadline silence is not consent, the lines are canceled and the
// shop is told the customer was unreachable. Beside it, the same offer whose SMS
// stayed accepted is taken as consent. Each customer has SMS only, so nothing else
// carries the offer.
func TestFlowUndeliveredOfferIsUnreachable(t *testing.T) {
	forEachDB(t, flowUndeliveredOfferIsUnreachable)
}

func flowUndeliveredOfferIsUnreachable(t *testing.T) {
	// The customers have an hour to answer: the deadlines run by hand.
	h := newHarness(t, strings.Replace(flowPolicy, "min_response_time: 2s", "min_response_time: 1h", 1))
	h.start()
	ctx := context.Background()
	deadline := func(order string) store.Offer {
		t.Helper()
		if err := h.worker.HandleDeadline(ctx, followUpTask(jobs.TypeDeadline, offerOf(t, h, order))); err != nil {
			t.Fatalf("deadline of %s: %v", order, err)
		}
		return offerOf(t, h, order)
	}
	for _, o := range []string{"ord_ua", "ord_ub"} {
		h.start1(orderEvent(o+"1", "order.backordered", "2026-11-02T10:00:00Z", o, custSMSOnly, boL1))
		// The offer is marked sent just after its SMS is.
		waitFor(t, o+"'s offer sent", func() bool { return offerOf(t, h, o).SentAt != nil })
		if off := offerOf(t, h, o); off.Silence != store.SilenceConsent {
			t.Fatalf("%s: offer %+v, want silence is consent", o, off)
		}
	}
	n := findKind(t, h, "ord_ub", "delay_option_offer", "sms")
	if _, err := h.st.AdvanceDelivery(ctx, n.ID, store.NotificationUndelivered, "30003", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := h.worker.Undelivered(ctx, &n); err != nil {
		t.Fatalf("fallback without an email: %v", err)
	}

	h.skew.Store(int64(time.Hour + 5*time.Second)) // the deadlines' moment
	if off := deadline("ord_ua"); off.Choice != "wait" || off.ChoiceChannel != "silence" {
		t.Errorf("delivered offer decided as %q by %q, want wait by silence", off.Choice, off.ChoiceChannel)
	}
	if off := deadline("ord_ub"); off.Choice != "" || off.State != store.OfferDecided {
		t.Errorf("undelivered offer: choice %q, state %s; want none, decided", off.Choice, off.State)
	}
	order, _ := h.st.GetOrder(ctx, "ord_ub")
	if order.Lines[0].State != store.LineCanceled {
		t.Errorf("ord_ub line %s, want canceled", order.Lines[0].State)
	}
	if got, want := webhooksOf(t, h, "ord_ua"), []string{"customer.choice_made wait silence"}; !slices.Equal(got, want) {
		t.Errorf("ord_ua webhooks\n got %q\nwant %q", got, want)
	}
	want := []string{"customer.unreachable no channel delivered the offer", "order.auto_canceled unreachable"}
	if got := webhooksOf(t, h, "ord_ub"); !slices.Equal(got, want) {
		t.Errorf("ord_ub webhooks\n got %q\nwant %q", got, want)
	}
}

// An offer that went out well after it was decided — an email here, decided an hour
// before its provider accepted it, as one held back by a provider outage — still
// gives the customer M from when it was sent (CONTRACT.md §8: max(P, sent + M)).
// Its deadline task, at decided + M, moves the deadline to sent + M and schedules
// the decision then; run at that moment, the deadline decides (silence is consent).
func TestFlowDeadlineCountsFromSent(t *testing.T) { forEachDB(t, flowDeadlineCountsFromSent) }

func flowDeadlineCountsFromSent(t *testing.T) {
	// M of two hours, decided an hour in the past: the deadline task is an hour away
	// and never fires during the test; the deadlines run by hand.
	h := newHarness(t, strings.Replace(flowPolicy, "min_response_time: 2s", "min_response_time: 2h", 1))
	h.start()
	ctx := context.Background()
	const o = "ord_fs"
	off := offerSentLate(t, h, o)
	due := off.SentAt.Add(2 * time.Hour)
	if d := due.Sub(off.Deadline); d < time.Hour || d > time.Hour+time.Minute {
		t.Fatalf("deadline %v, sent %v: want the deadline an hour before sent + M", off.Deadline, off.SentAt)
	}
	run := func() {
		t.Helper()
		if err := h.worker.HandleDeadline(ctx, followUpTask(jobs.TypeDeadline, off)); err != nil {
			t.Fatal(err)
		}
	}

	h.skew.Store(int64(time.Hour)) // at decided + M
	run()
	moved := offerOf(t, h, o)
	if moved.State != store.OfferOpen || moved.Choice != "" || !moved.Deadline.Equal(due) {
		t.Errorf("at decided + M: state %s, choice %q, deadline %v; want open, none, %v", moved.State, moved.Choice, moved.Deadline, due)
	}
	postponed := fmt.Sprintf("deadline:%s@%d", off.ID, due.Unix())
	if ids := h.followUps(t); !slices.Contains(ids, postponed) {
		t.Fatalf("scheduled %q; want %s among them", ids, postponed)
	}
	// Run by hand ahead of time (asynqmon's "run now"), the postponed task postpones
	// again, and must not lose itself: its own TaskID is still taken while it runs.
	in := asynq.NewInspector(h.redis)
	defer in.Close()
	if err := in.RunTask("critical", postponed); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the deadline scheduled again", func() bool {
		return slices.ContainsFunc(h.followUps(t), func(id string) bool { return strings.HasPrefix(id, postponed+"+") })
	})
	if got := offerOf(t, h, o); got.State != store.OfferOpen || !got.Deadline.Equal(due) {
		t.Errorf("after the early run: state %s, deadline %v; want open, %v", got.State, got.Deadline, due)
	}

	h.skew.Store(int64(2*time.Hour + time.Second)) // just past sent + M
	run()
	if got := offerOf(t, h, o); got.State != store.OfferDecided || got.Choice != "wait" || got.ChoiceChannel != "silence" {
		t.Errorf("at sent + M: state %s, choice %q by %q; want decided, wait by silence", got.State, got.Choice, got.ChoiceChannel)
	}
}

// Until its deadline counts from when the offer was sent, the customer may answer:
// an answer after the deadline as decided, but before sent + M, is taken, also
// before the deadline task has moved the stored deadline.
func TestFlowAnswerUntilSentPlusM(t *testing.T) { forEachDB(t, flowAnswerUntilSentPlusM) }

func flowAnswerUntilSentPlusM(t *testing.T) {
	h := newHarness(t, strings.Replace(flowPolicy, "min_response_time: 2s", "min_response_time: 2h", 1))
	h.start()
	off := offerSentLate(t, h, "ord_fw")
	h.skew.Store(int64(time.Hour + 10*time.Second)) // past decided + M, before sent + M
	if got, _, err := h.worker.Choose(context.Background(), off.ID, "wait", "web"); err != nil || got.Choice != "wait" {
		t.Fatalf("answer before sent + M: %v, %+v", err, got)
	}
	h.skew.Store(int64(2*time.Hour + 10*time.Second)) // past sent + M
	if _, _, err := h.worker.Choose(context.Background(), off.ID, "substitute", "web"); err == nil {
		t.Error("a change of answer after sent + M was taken")
	}
}

// noOfferSent loses every MarkOfferSent, as a crash between a send's commit and the
// marking of its offer would.
type noOfferSent struct{ jobs.Store }

func (noOfferSent) MarkOfferSent(context.Context, string, time.Time) error {
	return errors.New("simulated crash before the offer was marked sent")
}

// An offer whose message went out but was never marked sent (a crash between the
// two) was still delivered: at its deadline silence is consent, not "unreachable".
func TestFlowOfferSentButNotMarked(t *testing.T) { forEachDB(t, flowOfferSentButNotMarked) }

func flowOfferSentButNotMarked(t *testing.T) {
	h := newHarness(t, strings.Replace(flowPolicy, "min_response_time: 2s", "min_response_time: 1h", 1))
	h.store = func(s jobs.Store) jobs.Store { return noOfferSent{s} }
	h.start()
	const o = "ord_fm"
	h.start1(orderEvent("fm1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent, boL1))
	if n := findKind(t, h, o, "delay_option_offer", "email"); n.Status != store.NotificationSent {
		t.Fatalf("offer email %s, want sent", n.Status)
	}
	off := offerOf(t, h, o)
	if off.SentAt != nil {
		t.Fatalf("offer marked sent at %v despite the lost MarkOfferSent", off.SentAt)
	}
	h.skew.Store(int64(time.Hour + 5*time.Second))
	if err := h.worker.HandleDeadline(context.Background(), followUpTask(jobs.TypeDeadline, off)); err != nil {
		t.Fatal(err)
	}
	if got := offerOf(t, h, o); got.Choice != "wait" || got.ChoiceChannel != "silence" {
		t.Errorf("decided as %q by %q, want wait by silence", got.Choice, got.ChoiceChannel)
	}
	if got := webhooksOf(t, h, o); !slices.Equal(got, []string{"customer.choice_made wait silence"}) {
		t.Errorf("webhooks %q", got)
	}
}

// An offer sent an hour after it was decided is reminded reminder_before its moved
// deadline, not before the one it was decided with: at the reminder's first moment
// the deadline moves to sent + M and the reminder waits until reminder_before that.
func TestFlowReminderFollowsMovedDeadline(t *testing.T) {
	forEachDB(t, flowReminderFollowsMovedDeadline)
}

func flowReminderFollowsMovedDeadline(t *testing.T) {
	h := newHarness(t, strings.NewReplacer("min_response_time: 2s", "min_response_time: 2h",
		"reminder_before: 1s", "reminder_before: 30m").Replace(flowPolicy))
	h.start()
	ctx := context.Background()
	const o = "ord_fr"
	off := offerSentLate(t, h, o)
	due := off.SentAt.Add(2 * time.Hour)
	remind := func() {
		t.Helper()
		if err := h.worker.HandleReminder(ctx, followUpTask(jobs.TypeReminder, off)); err != nil {
			t.Fatal(err)
		}
	}
	reminders := func() int {
		ns, _ := h.st.ListNotifications(ctx, store.NotificationFilter{OrderID: o, Kind: "choice_reminder"})
		return len(ns)
	}

	h.skew.Store(int64(30*time.Minute + 5*time.Second)) // the reminder as decided
	remind()
	remind() // asynq runs it again (say its queueing failed after the commit): it still waits
	moved := offerOf(t, h, o)
	wantAt := due.Add(-30 * time.Minute)
	if !moved.Deadline.Equal(due) || moved.ReminderAt == nil || !moved.ReminderAt.Equal(wantAt) || reminders() != 0 {
		t.Fatalf("deadline %v, reminder at %v, %d reminders; want %v, %v, none yet", moved.Deadline, moved.ReminderAt, reminders(), due, wantAt)
	}
	ids := h.followUps(t)
	for _, want := range []string{fmt.Sprintf("deadline:%s@%d", off.ID, due.Unix()), fmt.Sprintf("reminder:%s@%d", off.ID, wantAt.Unix())} {
		if !slices.Contains(ids, want) {
			t.Errorf("scheduled %q; want %s among them", ids, want)
		}
	}

	// Run by hand ahead of its moment, the moved reminder waits again, under a
	// TaskID of its own.
	in := asynq.NewInspector(h.redis)
	defer in.Close()
	movedID := fmt.Sprintf("reminder:%s@%d", off.ID, wantAt.Unix())
	if err := in.RunTask("critical", movedID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reminder scheduled again", func() bool {
		return slices.ContainsFunc(h.followUps(t), func(id string) bool { return strings.HasPrefix(id, movedID+"+") })
	})
	if reminders() != 0 {
		t.Fatalf("%d reminders before the moved moment", reminders())
	}

	h.skew.Store(int64(90*time.Minute + 5*time.Second)) // reminder_before the moved deadline
	remind()
	// One reminder decided (the email; the SMS is recorded as without consent), now,
	// stating the moved deadline.
	if got := emailLog(h.summary(o)); !slices.Equal(got, []string{"backorder_notice email sent", "delay_option_offer email sent", "choice_reminder email sent"}) {
		t.Errorf("emails %q", got)
	}
	ny, _ := time.LoadLocation("America/New_York") // the brand's zone; the customer has none
	if body, want := findKind(t, h, o, "choice_reminder", "email").Body, due.In(ny).Format("January 2, 2006, 3:04 pm"); !strings.Contains(body, "Please choose by "+want) {
		t.Errorf("the reminder does not state the moved deadline %q:\n%s", want, body)
	}

	// The answer drops the moved follow-ups with the others.
	if _, _, err := h.worker.Choose(ctx, off.ID, "refund", "web"); err != nil {
		t.Fatal(err)
	}
	for _, id := range h.followUps(t) {
		if id == movedID || strings.HasPrefix(id, "deadline:"+off.ID) {
			t.Errorf("%s still scheduled after the answer", id)
		}
	}
}

// offerSentLate opens an offer for order decided an hour before its email is
// accepted (the worker's clock an hour behind while it decides), and returns it once
// it is marked sent.
func offerSentLate(t *testing.T, h *harness, order string) store.Offer {
	t.Helper()
	h.skew.Store(int64(-time.Hour))
	h.start1(orderEvent(order+"1", "order.backordered", "2026-11-02T10:00:00Z", order, custNoConsent, boL1))
	waitFor(t, order+"'s offer sent", func() bool { return offerOf(t, h, order).SentAt != nil })
	return offerOf(t, h, order)
}

// followUpTask is the follow-up task typ of offer off, to run by hand.
func followUpTask(typ string, off store.Offer) *asynq.Task {
	payload, _ := json.Marshal(jobs.FollowUpPayload{OrderID: off.OrderID, OfferID: off.ID})
	return asynq.NewTask(typ, payload)
}

// TestOfferLeavesOtherLinesETA: one eta_changed moves l1 past the promise (the offer
// states its new date) and l2 materially but within it. The offer carries l1, and an
// eta_update still tells l2's new date, without l1 — coalesced or not.
func TestOfferLeavesOtherLinesETA(t *testing.T) {
	for _, window := range []string{"none", "100ms"} {
		t.Run("coalesce_window "+window, func(t *testing.T) {
			h := newHarness(t, `{coalesce_window: 100ms, quiet_hours: "", max_updates_per_day: 10}`)
			if window == "none" { // not configurable (config wants a positive window): set here
				pols := &h.cfg.Policies
				pols.Default.CoalesceWindow = 0
				for brand, p := range pols.ByBrand {
					p.CoalesceWindow = 0
					pols.ByBrand[brand] = p
				}
			}
			h.start()
			const o = "ord_offer_other"
			h.step(orderEvent("oo1", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent,
				`,"backordered_lines":[{"line_id":"l1","quantity":2,"eta":"2026-12-01"},{"line_id":"l2","quantity":1,"eta":"2026-12-01"}]`))
			h.step(orderEvent("oo2", "order.eta_changed", "2026-11-03T10:00:00Z", o, custNoConsent,
				fmt.Sprintf(`,"changes":[{"line_id":"l1","previous_eta":null,"eta":%q},{"line_id":"l2","previous_eta":null,"eta":"2026-12-10"}]`, day(60))))
			got := emailLog(h.summary(o))
			slices.Sort(got[1:])
			if want := []string{"backorder_notice email sent", "delay_option_offer email sent", "eta_update email sent"}; !slices.Equal(got, want) {
				t.Fatalf("\n got %q\nwant %q", got, want)
			}
			if body := findKind(t, h, o, "eta_update", "email").Body; !strings.Contains(body, "Mug") || strings.Contains(body, "Blue Kettle") {
				t.Errorf("the eta_update must tell the Mug's date and leave the kettle to the offer:\n%s", body)
			}
			if body := withoutLinks(findKind(t, h, o, "delay_option_offer", "email").Body); !strings.Contains(body, "Blue Kettle") || strings.Contains(body, "Mug") {
				t.Errorf("the offer is about the kettle only:\n%s", body)
			}
		})
	}
}

// An explicit "wait" is final at the offer's deadline: the lines wait for stock again,
// as after consent by silence, so a later restock allocates to them and the customer
// hears the item is back.
func TestFlowWaitAnsweredThenRestocked(t *testing.T) { forEachDB(t, flowWaitAnsweredThenRestocked) }

// waitAnsweredPastDeadline backorders l1 of order o, which sends an offer at once, has
// the customer answer "wait" on the web, and runs the offer's deadline an hour later.
func waitAnsweredPastDeadline(t *testing.T, o string) (*harness, store.Offer) {
	t.Helper()
	h := newHarness(t, strings.Replace(flowPolicy, "min_response_time: 2s", "min_response_time: 1h", 1))
	h.start()
	h.start1(orderEvent(o+"-bo", "order.backordered", "2026-11-02T10:00:00Z", o, custNoConsent, boL1))
	off := offerOf(t, h, o)
	if _, _, err := h.worker.Choose(context.Background(), off.ID, "wait", "web"); err != nil {
		t.Fatal(err)
	}
	h.skew.Store(int64(time.Hour + 5*time.Second))
	if err := h.worker.HandleDeadline(context.Background(), followUpTask(jobs.TypeDeadline, off)); err != nil {
		t.Fatal(err)
	}
	return h, off
}

func flowWaitAnsweredThenRestocked(t *testing.T) {
	const o = "ord_fwr"
	h, _ := waitAnsweredPastDeadline(t, o)
	if got := offerOf(t, h, o); got.State != store.OfferDecided || got.Choice != "wait" || got.ChoiceChannel != "web" {
		t.Fatalf("offer %s, %q by %q; want decided, wait by web", got.State, got.Choice, got.ChoiceChannel)
	}
	order, err := h.st.GetOrder(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if l := order.Lines[0]; l.State != store.LineBackordered {
		t.Fatalf("l1 %s after the deadline, want backordered", l.State)
	}
	h.start1(ev("fwr2", "inventory.restocked", "2026-11-05T10:00:00Z", "", `{"brand":"acme","sku":"KET","quantity":5}`))
	waitFor(t, "restock notice", func() bool {
		ns, _ := h.st.ListNotifications(context.Background(), store.NotificationFilter{OrderID: o, Kind: "restock_notice"})
		return len(ns) > 0 && ns[0].Status == store.NotificationSent
	})
	if order, err = h.st.GetOrder(context.Background(), o); err != nil || order.Lines[0].State != store.LineAllocated {
		t.Errorf("l1 after the restock: %+v, %v; want allocated", order.Lines, err)
	}
}

// A restock reserves one of l1's two kettles, then a parcel ships one: that was the
// reserved unit, so the allocation is used up and the next restock covers the kettle
// still owed, with its notice. (Counting the allocation as still there left the line
// backordered with nothing owed beyond it: no restock took it again.)
func TestFlowShippedUnitsUseTheAllocation(t *testing.T) {
	forEachDB(t, flowShippedUnitsUseTheAllocation)
}

func flowShippedUnitsUseTheAllocation(t *testing.T) {
	h := newHarness(t, `{coalesce_window: 100ms, quiet_hours: "", max_updates_per_day: 100}`)
	h.start()
	const o = "ord_fsa"
	line := func() store.OrderLine {
		t.Helper()
		order, err := h.st.GetOrder(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		return order.Lines[0]
	}
	h.step(backorderL1("fsa1", "2026-11-02T10:00:00Z", o, `"2026-12-01"`))
	h.step(ev("fsa2", "inventory.restocked", "2026-11-03T10:00:00Z", "", `{"brand":"acme","sku":"KET","quantity":1}`))
	h.step(orderEvent("fsa3", "order.partially_shipped", "2026-11-04T10:00:00Z", o, custNoConsent,
		shipmentJSON("s1", "1Z1", `{"line_id":"l1","quantity":1}`)+`,"pending_lines":[{"line_id":"l1","quantity":1,"eta":"2026-12-01"}]`))
	if l := line(); l.State != store.LineBackordered || l.AllocatedQty != 0 || l.ShippedQty != 1 {
		t.Fatalf("l1 after the parcel: %s, %d allocated, %d shipped; want backordered, 0, 1", l.State, l.AllocatedQty, l.ShippedQty)
	}
	h.step(ev("fsa4", "inventory.restocked", "2026-11-05T10:00:00Z", "", `{"brand":"acme","sku":"KET","quantity":5}`))
	if l := line(); l.State != store.LineAllocated || l.AllocatedQty != 1 {
		t.Errorf("l1 after the second restock: %s, %d allocated; want allocated, 1", l.State, l.AllocatedQty)
	}
	want := []string{"backorder_notice email sent", "partial_shipment email sent", "restock_notice email sent"}
	if got := emailLog(h.summary(o)); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	if body := findKind(t, h, o, "restock_notice", "email").Body; !strings.Contains(body, "Blue Kettle (Qty 1") {
		t.Errorf("the restock notice is about the one kettle still owed:\n%s", body)
	}
}

// §8.4 after an explicit "wait" (not only after silence): once the deadline has made
// the answer final, a later date than the one agreed to opens a renewed offer, to
// which silence is never consent.
func TestFlowWaitAnsweredThenRenewed(t *testing.T) { forEachDB(t, flowWaitAnsweredThenRenewed) }

func flowWaitAnsweredThenRenewed(t *testing.T) {
	const o = "ord_fwn"
	h, off := waitAnsweredPastDeadline(t, o)
	h.start1(orderEvent("fwn2", "order.eta_changed", "2026-11-04T10:00:00Z", o, custNoConsent,
		`,"changes":[{"line_id":"l1","previous_eta":"2026-12-01","eta":"2026-12-20"}]`))
	renewed := offerOf(t, h, o)
	if renewed.ID == off.ID || !renewed.Renewed || renewed.Silence != store.SilenceCancel {
		t.Fatalf("after a later date than the one agreed to: offer %s (renewed %v, silence %s), want a renewed one after %s",
			renewed.ID, renewed.Renewed, renewed.Silence, off.ID)
	}
	if got := emailLog(h.summary(o)); got[len(got)-1] != "delay_option_offer email sent" {
		t.Errorf("the renewed offer must go out: %q", got)
	}
}
