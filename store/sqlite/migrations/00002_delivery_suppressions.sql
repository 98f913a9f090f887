-- Delivery tracking and suppressions, SQLite dialect. Keep in step with
-- store/postgres/migrations/00002_delivery_suppressions.sql.

-- +goose Up
ALTER TABLE notifications ADD COLUMN error_code TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN template_version TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN fallback_for TEXT NOT NULL DEFAULT '';
-- NotificationByProvider: a status callback names the message by channel and SID.
CREATE INDEX notifications_channel_provider ON notifications (channel, provider_id);

CREATE TABLE notification_attempts (
    notification_id TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    at              TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    code            TEXT NOT NULL DEFAULT '',
    error           TEXT NOT NULL DEFAULT '',
    provider_id     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX notification_attempts_notification ON notification_attempts (notification_id, at);

CREATE TABLE suppressions (
    channel    TEXT NOT NULL,
    address    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    PRIMARY KEY (channel, address, kind)
);
CREATE INDEX suppressions_created_at ON suppressions (created_at);

-- +goose Down
DROP TABLE suppressions;
DROP TABLE notification_attempts;
DROP INDEX notifications_channel_provider;
ALTER TABLE notifications DROP COLUMN fallback_for;
ALTER TABLE notifications DROP COLUMN content_hash;
ALTER TABLE notifications DROP COLUMN template_version;
ALTER TABLE notifications DROP COLUMN error_code;
