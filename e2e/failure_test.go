package e2e

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/notifyd/notifyd/jobs"
)

// Timeouts. asynq gives a killed worker's task back only after its lease (30 s) has
// been expired for 30 s more, when a recoverer runs (each minute, and at start-up):
// 60–120 s after the kill.
const (
	phaseTimeout    = 3 * time.Minute
	shutdownTimeout = 25 * time.Second // asynq.Config.ShutdownTimeout of every worker
)

// describe logs the scenario's figures.
func describe(t *testing.T, sc *scenario) {
	t.Helper()
	t.Logf("scenario: %d orders, %d distinct events, %d deliveries (%d of them repeated), %d expected messages (%d suppressed SMS without consent)",
		sc.orders, len(sc.events), sc.deliveries, sc.duplicates(), len(sc.expect), len(sc.noConsent))
}

// TestWorkerKilledAndRestarted kills the only worker with SIGKILL while it sends,
// starts a new one, and checks that every event is handled and every expected message
// is in the outbox once — except the documented duplicate window
// (docs/decisions/0003-send-claims.md), whose cases are counted from the workers'
// logs ("send after uncommitted claim") and bound the duplicates found.
func TestWorkerKilledAndRestarted(t *testing.T) {
	began := time.Now()
	e := newEnv(t, "sqlite")
	sc := newScenario(t, 300, 1)
	describe(t, sc)

	// Part of the first phase waits in the queue, so the worker is busy the moment it
	// starts; the rest arrives while it works, so the kill finds events being handled
	// as well as messages being sent.
	first := sc.phases[0]
	split := len(first) * 2 / 5
	e.deliver(first[:split])
	phase1 := sc.expected("backorder_notice")
	w1 := e.startWorker("worker-1")
	delivered := e.deliverAsync(first[split:])
	killAt := phase1 / 5
	deadline := time.Now().Add(phaseTimeout)
	for e.outboxCount() < killAt {
		if !w1.running() {
			t.Fatalf("worker-1 exited on its own (%v):\n%s", w1.err, w1.tail(20))
		}
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d messages in the outbox after %s: %s", killAt, phaseTimeout, e.progress(sc.keys[0]))
		}
		time.Sleep(5 * time.Millisecond)
	}
	w1.kill(t)
	killed := time.Now()
	p := e.progress(sc.keys[0])
	if p.outbox >= len(sc.expect) || p.busy == 0 {
		t.Fatalf("the kill came too late to prove anything: %s", p)
	}
	active, err := e.insp.ListActiveTasks(jobs.QueueDefault)
	if err != nil {
		t.Fatal(err)
	}
	crit, _ := e.insp.ListActiveTasks(jobs.QueueCritical)
	t.Logf("SIGKILL worker-1 after %s: %s; %d tasks were running in it", killed.Sub(w1.started).Round(time.Millisecond), p, len(active)+len(crit))

	if err := <-delivered; err != nil {
		t.Fatal(err)
	}
	// Start the new worker a moment after the kill, so that its recoverer's second
	// round (60 s after start-up) finds every orphaned lease expired for 30 s.
	time.Sleep(time.Second)
	e.startWorker("worker-2")
	e.waitIdle(sc.keys[0], phaseTimeout)
	t.Logf("first phase done %s after the kill", time.Since(killed).Round(time.Millisecond))
	e.deliver(sc.phases[1])
	e.waitIdle(sc.events, phaseTimeout)
	t.Logf("all handled %s after the kill", time.Since(killed).Round(time.Millisecond))

	stats := e.workerStats()
	e.checkLogs(stats)
	e.checkAccepted()
	out := e.verify(sc, stats.uncommitted)
	// An email re-sent in the window overwrites its own outbox file (it is named by
	// the notification id, as an SMTP re-send carries the same Message-ID), so only
	// SMS duplicates can show in the outbox.
	t.Logf("%d deliveries → %d messages in %s; duplicate window: %d sends after an uncommitted claim logged (%d email, %d SMS), %d duplicate SMS sends found in the outbox",
		sc.deliveries, out.messages, time.Since(began).Round(time.Millisecond), stats.uncommitted,
		stats.byChannel["email"], stats.byChannel["sms"], out.duplicates)
}

// TestThreeWorkers runs three worker processes on one Redis and one database with
// 2,000 deliveries, duplicates and out-of-order deliveries among them: exactly the
// expected messages, once each. It runs on SQLite, and on Postgres too when
// NOTIFYD_TEST_DATABASE_URL is set.
func TestThreeWorkers(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { threeWorkers(t, "sqlite") })
	if os.Getenv(pgEnvVar) == "" {
		t.Logf("%s not set: three workers run on SQLite only", pgEnvVar)
		return
	}
	t.Run("postgres", func(t *testing.T) { threeWorkers(t, "postgres") })
}

func threeWorkers(t *testing.T, db string) {
	began := time.Now()
	e := newEnv(t, db)
	sc := newScenario(t, 2000, 2)
	describe(t, sc)
	for _, name := range []string{"worker-1", "worker-2", "worker-3"} {
		e.startWorker(name)
	}
	e.deliver(sc.phases[0])
	e.waitIdle(sc.keys[0], phaseTimeout)
	t.Logf("first phase (%d deliveries) done after %s", len(sc.phases[0]), time.Since(began).Round(time.Millisecond))
	e.deliver(sc.phases[1])
	e.waitIdle(sc.events, phaseTimeout)

	stats := e.workerStats()
	e.checkLogs(stats)
	e.checkAccepted()
	out := e.verify(sc, 0) // no crash: no duplicate window either
	for _, w := range e.workers {
		if !w.running() {
			t.Errorf("%s exited during the run (%v)", w.name, w.err)
		}
	}
	t.Logf("%s: %d deliveries → %d messages in %s with 3 workers (%d sends after an uncommitted claim logged)",
		db, sc.deliveries, out.messages, time.Since(began).Round(time.Millisecond), stats.uncommitted)
}

// TestSIGTERMDuringLoad stops one of two busy workers with SIGTERM: it must exit 0
// within its shutdown timeout, and the other worker must finish the work with nothing
// lost and nothing sent twice.
func TestSIGTERMDuringLoad(t *testing.T) {
	began := time.Now()
	e := newEnv(t, "sqlite")
	sc := newScenario(t, 1000, 3)
	describe(t, sc)
	first := sc.phases[0]
	split := len(first) / 3
	e.deliver(first[:split])
	phase1 := sc.expected("backorder_notice")
	w1 := e.startWorker("worker-1")
	w2 := e.startWorker("worker-2")
	delivered := e.deliverAsync(first[split:]) // still arriving at SIGTERM
	termAt := phase1 / 10
	deadline := time.Now().Add(phaseTimeout)
	for e.outboxCount() < termAt {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d messages in the outbox after %s: %s", termAt, phaseTimeout, e.progress(sc.keys[0]))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := w1.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	termed := time.Now()
	p := e.progress(sc.keys[0])
	if p.busy == 0 {
		t.Fatalf("the load was over before SIGTERM: %s", p)
	}
	t.Logf("SIGTERM worker-1 under load: %s", p)
	select {
	case <-w1.done:
	case <-time.After(shutdownTimeout + 5*time.Second):
		t.Fatalf("worker-1 still running %s after SIGTERM (shutdown timeout %s):\n%s",
			time.Since(termed).Round(time.Millisecond), shutdownTimeout, w1.tail(20))
	}
	took := w1.exitAt.Sub(termed)
	t.Logf("worker-1 exited %s after SIGTERM (%v)", took.Round(time.Millisecond), w1.err)
	if w1.err != nil {
		t.Errorf("worker-1 exit after SIGTERM: %v, want exit code 0\n%s", w1.err, w1.tail(20))
	}
	if took > shutdownTimeout+2*time.Second { // a little for closing the store
		t.Errorf("worker-1 took %s to exit after SIGTERM; the shutdown timeout is %s", took, shutdownTimeout)
	}
	if !w1.logContains("shutting down") {
		t.Errorf("worker-1 did not log its shutdown:\n%s", w1.tail(20))
	}

	if err := <-delivered; err != nil {
		t.Fatal(err)
	}
	e.waitIdle(sc.keys[0], phaseTimeout)
	e.deliver(sc.phases[1])
	e.waitIdle(sc.events, phaseTimeout)
	if !w2.running() {
		t.Errorf("worker-2 exited during the run (%v)", w2.err)
	}
	stats := e.workerStats()
	e.checkLogs(stats)
	e.checkAccepted()
	out := e.verify(sc, 0) // a graceful shutdown leaves no duplicate window open
	t.Logf("%d deliveries → %d messages in %s (%d sends after an uncommitted claim logged)",
		sc.deliveries, out.messages, time.Since(began).Round(time.Millisecond), stats.uncommitted)
}
