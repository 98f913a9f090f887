package main

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/channels/outbox"
	"github.com/notifyd/notifyd/event"
	"github.com/notifyd/notifyd/httpapi"
	"github.com/notifyd/notifyd/jobs"
	"github.com/notifyd/notifyd/store"
	"github.com/notifyd/notifyd/templates"
)

// waitDrained waits until every event is handled, no task is pending, running or
// retrying, and no scheduled follow-up is due within the next minute (CONTRACT.md §1).
func waitDrained(ctx context.Context, st store.Store, redisOpt asynq.RedisConnOpt, events []*event.Event) error {
	in := asynq.NewInspector(redisOpt)
	defer in.Close()
	for _, e := range events {
		if err := waitHandled(ctx, st, in, e, 30*time.Second); err != nil {
			return err
		}
	}
	return waitQueues(ctx, in, 50*time.Second, true)
}

// waitQueues waits until no task is pending, running, retrying or due within a minute.
// With followUps false, reminders, deadlines and window checks waiting for their time
// do not count, so the next event need not wait for them.
func waitQueues(ctx context.Context, in *asynq.Inspector, limit time.Duration, followUps bool) error {
	deadline := time.Now().Add(limit)
	// The queues are looked at one after the other, so a task can move from one to
	// another unseen: only two calm looks in a row count.
	calm := 0
	for {
		busy, err := queuesBusy(in, followUps)
		if err != nil {
			return err
		}
		if calm = calm + 1; busy {
			calm = 0
		}
		if calm == 2 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("demo: queues not drained within %s", limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func queuesBusy(in *asynq.Inspector, followUps bool) (bool, error) {
	for q := range jobs.QueueWeights() {
		info, err := in.GetQueueInfo(q)
		if err != nil {
			continue // a queue nothing was ever enqueued on does not exist yet
		}
		if info.Pending+info.Active+info.Retry > 0 {
			return true, nil
		}
		if info.Scheduled > 0 {
			tasks, err := in.ListScheduledTasks(q, asynq.PageSize(1000))
			if err != nil {
				return false, err
			}
			for _, t := range tasks {
				if time.Until(t.NextProcessAt) < time.Minute && (followUps || !isFollowUp(t.Type)) {
					return true, nil
				}
			}
		}
	}
	return false, nil
}

func isFollowUp(taskType string) bool {
	switch taskType {
	case jobs.TypeReminder, jobs.TypeDeadline, jobs.TypeWindowCheck:
		return true
	}
	return false
}

// demoSummary prints events, messages per kind and channel, and failures, and checks
// that the outbox holds exactly the messages the log says were sent.
func (p *program) demoSummary(ctx context.Context, st store.Store, outboxDir string, nEvents int) error {
	ns, err := st.ListNotifications(ctx, store.NotificationFilter{})
	if err != nil {
		return err
	}
	sent := map[string]map[string]int{}
	suppressed := map[string]int{}
	var failed []store.Notification
	sentEmail, sentSMS := 0, 0
	for _, n := range ns {
		switch n.Status {
		case store.NotificationSent, store.NotificationDelivered:
			if sent[n.Kind] == nil {
				sent[n.Kind] = map[string]int{}
			}
			sent[n.Kind][n.Channel]++
			if n.Channel == store.ChannelEmail {
				sentEmail++
			} else {
				sentSMS++
			}
		case store.NotificationSuppressed:
			suppressed[n.Reason]++
		case store.NotificationFailed, store.NotificationPending:
			failed = append(failed, n)
		}
	}
	fmt.Fprintf(p.stdout, "notifyd demo: %d events handled\n\nmessages sent:\n", nEvents)
	fmt.Fprintf(p.stdout, "  %-22s %5s %5s\n", "kind", "email", "sms")
	for _, k := range templates.Kinds {
		if sent[k] != nil {
			fmt.Fprintf(p.stdout, "  %-22s %5d %5d\n", k, sent[k]["email"], sent[k]["sms"])
		}
	}
	fmt.Fprintf(p.stdout, "  %-22s %5d %5d\n", "total", sentEmail, sentSMS)
	reasons := make([]string, 0, len(suppressed))
	for r := range suppressed {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	fmt.Fprintln(p.stdout, "\nnot sent, by reason:")
	for _, r := range reasons {
		fmt.Fprintf(p.stdout, "  %-28s %d\n", r, suppressed[r])
	}
	fmt.Fprintf(p.stdout, "\nfailures: %d\n", len(failed))
	for _, n := range failed {
		fmt.Fprintf(p.stdout, "  %s %s/%s order %s: %s %s\n", n.ID, n.Kind, n.Channel, n.OrderID, n.Status, n.Error)
	}
	emails, err := outbox.EmailIDs(outboxDir)
	if err != nil {
		return err
	}
	sms, err := outbox.ReadSMS(outboxDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(p.stdout, "\noutbox: %s (%d emails in email/, %d SMS in sms.jsonl)\n", outboxDir, len(emails), len(sms))
	fmt.Fprintf(p.stdout, "open %s/email/*.eml in a mail client, or read %s/sms.jsonl\n", outboxDir, outboxDir)
	if len(emails) != sentEmail || len(sms) != sentSMS {
		return fmt.Errorf("demo: the outbox holds %d emails and %d SMS, the log says %d and %d were sent", len(emails), len(sms), sentEmail, sentSMS)
	}
	if len(failed) > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d message(s) failed", len(failed)), quiet: true}
	}
	return nil
}

// printDemoURLs tells the user what to open, with an admin token for trying the API.
func (p *program) printDemoURLs(ctx context.Context, st store.Store, addr, outboxDir string) error {
	secret, hash, err := httpapi.NewTokenSecret()
	if err != nil {
		return err
	}
	tok := &store.Token{ID: "tok_demo", Name: "demo", Role: store.RoleAdmin, Hash: hash, CreatedAt: time.Now()}
	if err := st.CreateToken(ctx, tok); err != nil {
		return err
	}
	fmt.Fprintf(p.stdout, `notifyd demo is running; the sample events are being replayed one by one
(offers, reminders and deadlines play out over about half a minute).

  the messages:         %s/email/*.eml (open in a mail client), %s/sms.jsonl
  event schemas:        http://%s/v1/schemas
  health, readiness:    http://%s/healthz  http://%s/readyz
  an admin API token:   %s

Send an event of your own (it appears in the outbox):
  curl -H 'Authorization: Bearer %s' -H 'Content-Type: application/cloudevents+json' \
       --data @my-event.json http://%s/v1/events

Press Ctrl-C to stop. Add --once to print a summary and exit.
`, outboxDir, outboxDir, addr, addr, addr, secret, secret, addr)
	return nil
}
