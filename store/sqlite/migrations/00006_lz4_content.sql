-- Kept in step with store/postgres/migrations/00006_lz4_content.sql, which changes how
-- Postgres compresses rendered content; SQLite does not compress values, so nothing
-- changes here.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
