// Package jobs is notifyd's worker: one file per asynq task type, and the flow every
// event goes through:
//
//	record → apply to the order's state → decide which messages → dedup → render →
//	record the notification → enqueue its send → send → record the outcome
//
// An event task (type = the event type, TaskID = source + " " + id) is handled once:
// the store remembers each (source, id) after asynq forgets the task, and a
// notification's DedupKey (event, order, kind, channel) makes a retried event decide the
// same notifications, not new ones. Each notification is sent by its own
// notification.send task (TaskID "send:" + notification id), so a failing SMS is
// retried without touching the email, and a send that already succeeded is never
// repeated by a retry.
//
// Queues: "critical" (legal notices, decisions), "default" (events and updates) and
// "low" (bulk fan-out), weighted 6:3:1.
package jobs

// Queue names and their weights for asynq.Config.Queues.
const (
	QueueCritical = "critical"
	QueueDefault  = "default"
	QueueLow      = "low"
)

// QueueWeights is the asynq queue configuration every worker uses.
func QueueWeights() map[string]int {
	return map[string]int{QueueCritical: 6, QueueDefault: 3, QueueLow: 1}
}
