-- A send's outcome (status, provider id, sent time) is an update of its notification
-- row. With provider_id indexed, every such update wrote a new row version elsewhere
-- and added an entry to each of the table's eight indexes. Now no indexed column
-- changes when a message is sent or its delivery status arrives, and with room left
-- on each page (fillfactor 80) Postgres updates the row in place (a HOT update).
-- Status callbacks find a notification by the provider id of its attempt, which
-- CommitSend records in the same statement; notifications sent before attempts were
-- recorded get theirs here. notifications_order_id goes too: notifications_last
-- begins with order_id. Keep in step with store/sqlite/migrations/00007_hot_sends.sql.

-- +goose Up
INSERT INTO notification_attempts (notification_id, at, outcome, provider_id)
SELECT n.id, COALESCE(n.sent_at, n.updated_at), 'sent', n.provider_id FROM notifications n
WHERE n.provider_id <> '' AND NOT EXISTS (SELECT 1 FROM notification_attempts a
    WHERE a.notification_id = n.id AND a.provider_id = n.provider_id);
CREATE INDEX notification_attempts_provider ON notification_attempts (provider_id)
    WHERE provider_id <> '';
DROP INDEX notifications_channel_provider;
DROP INDEX notifications_order_id;
ALTER TABLE notifications SET (fillfactor = 80);

-- +goose Down
-- The attempts added by Up stay: they are true.
ALTER TABLE notifications RESET (fillfactor);
CREATE INDEX notifications_order_id ON notifications (order_id, created_at, seq);
CREATE INDEX notifications_channel_provider ON notifications (channel, provider_id);
DROP INDEX notification_attempts_provider;
