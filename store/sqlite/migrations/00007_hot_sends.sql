-- Kept in step with store/postgres/migrations/00007_hot_sends.sql: status callbacks
-- find a notification by the provider id of its attempt, so sending a message changes
-- no indexed column of its notification; notifications sent before attempts were
-- recorded get theirs here. notifications_order_id goes too: notifications_last
-- begins with order_id. (SQLite has no fillfactor.)

-- +goose Up
INSERT INTO notification_attempts (notification_id, at, outcome, provider_id)
SELECT n.id, COALESCE(n.sent_at, n.updated_at), 'sent', n.provider_id FROM notifications n
WHERE n.provider_id <> '' AND NOT EXISTS (SELECT 1 FROM notification_attempts a
    WHERE a.notification_id = n.id AND a.provider_id = n.provider_id);
CREATE INDEX notification_attempts_provider ON notification_attempts (provider_id)
    WHERE provider_id <> '';
DROP INDEX notifications_channel_provider;
DROP INDEX notifications_order_id;

-- +goose Down
-- The attempts added by Up stay: they are true.
CREATE INDEX notifications_order_id ON notifications (order_id, created_at);
CREATE INDEX notifications_channel_provider ON notifications (channel, provider_id);
DROP INDEX notification_attempts_provider;
