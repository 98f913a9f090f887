-- Delivery tracking and suppressions, Postgres dialect. Keep in step with
-- store/sqlite/migrations/00002_delivery_suppressions.sql.

-- +goose Up
ALTER TABLE notifications
    ADD COLUMN error_code       text NOT NULL DEFAULT '',
    ADD COLUMN template_version text NOT NULL DEFAULT '',
    ADD COLUMN content_hash     text NOT NULL DEFAULT '',
    ADD COLUMN fallback_for     text NOT NULL DEFAULT '';
-- NotificationByProvider: a status callback names the message by channel and SID.
CREATE INDEX notifications_channel_provider ON notifications (channel, provider_id);

CREATE TABLE notification_attempts (
    notification_id text NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    at              timestamptz NOT NULL,
    outcome         text NOT NULL,
    code            text NOT NULL DEFAULT '',
    error           text NOT NULL DEFAULT '',
    provider_id     text NOT NULL DEFAULT '',
    seq             bigint GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX notification_attempts_notification ON notification_attempts (notification_id, at, seq);

CREATE TABLE suppressions (
    channel    text NOT NULL,
    address    text NOT NULL,
    kind       text NOT NULL,
    reason     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    PRIMARY KEY (channel, address, kind)
);
CREATE INDEX suppressions_created_at ON suppressions (created_at);

-- +goose Down
DROP TABLE suppressions;
DROP TABLE notification_attempts;
DROP INDEX notifications_channel_provider;
ALTER TABLE notifications
    DROP COLUMN fallback_for,
    DROP COLUMN content_hash,
    DROP COLUMN template_version,
    DROP COLUMN error_code;
