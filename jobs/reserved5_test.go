package jobs_test

// Reservation notices after 1d5b0aa (order_lines.reserved_told): cases a tenth
// review found, each failing there.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	_ "modernc.org/sqlite"

	"github.com/notifyd/notifyd/channels"
	"github.com/notifyd/notifyd/jobs"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/store/sqlite"
)

// settleLog polls the order's email log for up to 5 s until it equals want, and
// returns it as it is then.
func settleLog(h *harness, o string, want []string) []string {
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := emailLog(h.summary(o))
		if slices.Equal(got, want) || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A restock's notice batch commits its restock_notice (l1's kettles reserved), but
// the provider times out on the inline send and queueing the retry fails (Redis
// lost): the task fails with the notice pending, and asynq runs it again. Before
// 1d5b0aa the re-run decided the same notice, found it under its DedupKey and sent
// it. Now the committed batch has set l1's reserved_told, so the re-run decides
// nothing and queues nothing: the notice stays pending for ever and the customer is
// never told (a restock batch has no resume step as events and follow-ups have).
func TestBatchRerunSendsPendingNotice(t *testing.T) {
	h, rr := rerunHarness(t)
	const o = "ord_rx_rerun"
	h.step(backorderL1("rxr1", "2026-11-02T10:00:00Z", o, `"2026-12-01"`))
	restockAt(t, h, "rxr-r", "2026-11-05T10:00:00Z", 2)
	batch := rr.take(t)
	rr.failRun(t, h, batch, "the batch's first run could not queue its send and still reported success")
	if n := findKind(t, h, o, "restock_notice", "email"); n.Status != store.NotificationPending {
		t.Fatalf("after the failed run the restock_notice is %s, want pending", n.Status)
	}
	rr.down.down.Store(false)
	if err := h.worker.HandleRestockBatch(context.Background(), batch); err != nil {
		t.Fatalf("re-run: %v", err)
	}
	want := []string{
		"backorder_notice email sent", // l1 backordered
		"restock_notice email sent",   // l1's kettles reserved: sent by the re-run
	}
	if got := settleLog(h, o, want); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	if n := rr.flaky.passed.Load(); n != 1 {
		t.Errorf("restock_notice reached the provider %d times, want 1", n)
	}
}

// The daily cap (2) holds back R's restock_notice (backorder_notice and eta_update
// went out today); l1 stays not told of its kettles. A day later a parcel ships one
// of them: the parcel tells of the kettle still reserved. (Once, its notice shared R's
// batch's DedupKey, where the capped record was: nothing was created, yet l1 was
// marked told, and no later path named it.)
func TestParcelAfterCappedNoticeTells(t *testing.T) {
	h := newHarness(t, `{coalesce_window: 300ms, quiet_hours: "", max_updates_per_day: 2}`)
	h.start()
	const o = "ord_rx_cap"
	h.step(backorderL1("rxc1", "2026-11-02T10:00:00Z", o, `"2026-12-01"`))
	h.step(etaChange("rxc2", "2026-11-03T10:00:00Z", o, `"2026-12-05"`))
	restockAt(t, h, "rxc-r", "2026-11-05T10:00:00Z", 2)
	want := []string{
		"backorder_notice email sent",
		"eta_update email sent",
		"restock_notice email suppressed (capped: 2 updates in the last 24 h (max_updates_per_day 2))",
	}
	if got := emailLog(h.summary(o)); !slices.Equal(got, want) {
		t.Fatalf("after the restock:\n got %q\nwant %q", got, want)
	}
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated || l.ReservedTold {
		t.Fatalf("l1 after the capped notice: %s, told %v; want allocated, false", l.State, l.ReservedTold)
	}
	h.skew.Store(int64(25 * time.Hour)) // the cap's day has passed
	h.step(orderEvent("rxc3", "order.partially_shipped", "2026-11-06T10:00:00Z", o, custNoConsent,
		shipmentJSON("s1", "1Z1", `{"line_id":"l1","quantity":1}`)))
	// The parcel's partial_shipment is coalesced, its flush scheduled on the moved
	// clock: run it by hand.
	flushPartial(t, h, o)
	want = append(want,
		"restock_notice email sent",   // the other kettle is reserved
		"partial_shipment email sent", // one kettle (coalesced: decided after the window)
	)
	if got := settleLog(h, o, want); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	if l := lineOf(t, h, o, "l1"); l.ReservedTold && namedIn(t, h, o, "Blue Kettle (Qty 1") == 0 {
		t.Errorf("l1 is marked told of its reservation, but no restock_notice naming it went out:\n%q", h.summary(o))
	}
}

// migratedHarness is newHarness on a SQLite file the test can also reach with plain
// SQL (backfill), to put the order lines in the state migration 00009 leaves them in.
func migratedHarness(t *testing.T, policy ...string) (*harness, func()) {
	t.Helper()
	h := newHarness(t, policy...)
	path := filepath.Join(t.TempDir(), "upgraded.db")
	st, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.st = st
	backfill := func() {
		t.Helper()
		src, err := os.ReadFile("../store/sqlite/migrations/00009_reserved_told.sql")
		if err != nil {
			t.Fatal(err)
		}
		var update string
		if i := strings.Index(string(src), "UPDATE order_lines"); i >= 0 {
			update, _, _ = strings.Cut(string(src)[i:], ";")
		}
		if update == "" {
			t.Fatal("00009 has no UPDATE order_lines")
		}
		db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.ExecContext(t.Context(), update); err != nil {
			t.Fatalf("00009's backfill: %v", err)
		}
	}
	return h, backfill
}

// TestReservedLineOfferedToldOnce across the upgrade: l1's kettles are reserved and
// the customer is told (restock_notice), then l1's date slips past the promise and
// its offer is open (awaiting_choice, reservation kept) when migration 00009 runs.
// The backfill sets reserved_told only for lines in state allocated: l1 gets false,
// and silence at the deadline announces the same two kettles a second time.
func TestBackfillAwaitingLineToldBeforeOffer(t *testing.T) {
	h, backfill := migratedHarness(t, hourToAnswer)
	h.start()
	const o = "ord_rx_mig_a"
	h.start1(promisedBy(backorderL1("rxm1", "2026-11-02T10:00:00Z", o, fmt.Sprintf("%q", day(2))), 3))
	restocked(t, h, "rxm2", 2)
	h.start1(promisedBy(etaChange("rxm3", "2026-11-06T10:00:00Z", o, fmt.Sprintf("%q", day(10))), 3))
	off := offerOf(t, h, o)
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAwaiting || l.AllocatedQty != 2 {
		t.Fatalf("l1 with its offer open: %s, %d allocated; want awaiting_choice, 2", l.State, l.AllocatedQty)
	}
	backfill() // notifyd upgraded while the offer is open
	runDeadline(t, h, off, 4*24*time.Hour)
	if got := offerOf(t, h, o); got.Choice != "wait" {
		t.Fatalf("offer decided %q, want wait (silence)", got.Choice)
	}
	waitConfirmed(t, h, o)
	want := []string{
		"backorder_notice email sent",    // l1 backordered
		"restock_notice email sent",      // l1's kettles reserved
		"delay_option_offer email sent",  // the date slipped past the promise
		"choice_confirmation email sent", // silence: wait
		// and no second restock_notice: the customer was told at the restock
	}
	if got := outLog(h, o); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
}

// A restock reserves l1's kettles (allocated) and its notice batch is still queued on
// the low queue when migration 00009 runs. The backfill takes every allocated line
// for told: the batch, running after the upgrade, finds l1 told and decides nothing.
// The customer never hears of the kettles.
func TestBackfillAllocatedLineBatchPending(t *testing.T) {
	h, backfill := migratedHarness(t)
	hb := h.holdingBatches()
	h.start()
	const o = "ord_rx_mig_b"
	h.step(backorderL1("rxn1", "2026-11-02T10:00:00Z", o, `"2026-12-01"`))
	restockAt(t, h, "rxn-r", "2026-11-05T10:00:00Z", 2)
	if l := lineOf(t, h, o, "l1"); l.State != store.LineAllocated {
		t.Fatalf("l1 after the restock: %s, want allocated", l.State)
	}
	backfill() // notifyd upgraded with the batch queued
	runBatches(t, h, hb)
	want := []string{
		"backorder_notice email sent", // l1 backordered
		"restock_notice email sent",   // l1's kettles reserved
	}
	if got := settleLog(h, o, want); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
}

// rerun is what rerunHarness wires: restock_notice fails once at the provider
// (flaky), sends can be made impossible to queue (down: Redis lost), and restock
// batches are held for the test to run (hb).
type rerun struct {
	flaky *refuseKind
	down  *downSends
	hb    *holdBatches
}

// rerunHarness starts a harness for a restock batch that commits and then fails to
// queue its send, and is run again.
func rerunHarness(t *testing.T, policy ...string) (*harness, *rerun) {
	t.Helper()
	h := newHarness(t, policy...)
	rr := &rerun{flaky: &refuseKind{kind: "restock_notice"}, down: &downSends{}, hb: &holdBatches{}}
	h.wrap = func(s channels.Sender) channels.Sender { rr.flaky.next = s; return rr.flaky }
	h.enqueuer = func(e jobs.Enqueuer) jobs.Enqueuer { rr.down.next = e; rr.hb.next = rr.down; return rr.hb }
	h.start()
	return h, rr
}

// take returns the one restock batch held.
func (rr *rerun) take(t *testing.T) *asynq.Task {
	t.Helper()
	return takeOne(t, rr.hb)
}

// failRun runs batch with sends impossible to queue: it commits, its inline send
// fails, and the task must fail (why says what it would mean if it did not).
func (rr *rerun) failRun(t *testing.T, h *harness, batch *asynq.Task, why string) {
	t.Helper()
	rr.down.down.Store(true)
	if err := h.worker.HandleRestockBatch(t.Context(), batch); err == nil {
		t.Fatal(why)
	}
}

// flushPartial runs order's coalesced partial_shipment flush by hand (its task is
// scheduled on a clock the test moved).
func flushPartial(t *testing.T, h *harness, order string) {
	t.Helper()
	pm, err := h.st.Pending(t.Context(), order, "partial_shipment")
	if err != nil {
		t.Fatalf("the parcel's pending partial_shipment: %v", err)
	}
	payload, _ := json.Marshal(jobs.FlushPayload{OrderID: order, Kind: "partial_shipment", Seq: pm.Seq})
	if err := h.worker.HandleFlush(t.Context(), asynq.NewTask(jobs.TypeFlush, payload)); err != nil {
		t.Fatalf("flush: %v", err)
	}
}
