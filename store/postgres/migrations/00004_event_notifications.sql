-- Serves ListNotifications by event: a worker that finds its event already handled
-- re-enqueues that event's pending sends.

-- +goose Up
CREATE INDEX notifications_event ON notifications (event_source, event_id);

-- +goose Down
DROP INDEX notifications_event;
