-- Rendered content compressed with lz4 instead of pglz, Postgres dialect. Keep in step
-- with store/sqlite/migrations/00006_lz4_content.sql (a no-op there).
--
-- A notification keeps what it sent (subject, text, HTML: ~5 kB for an email), and
-- Postgres compresses values over ~2 kB. A restock of 100,000 orders writes 100,000
-- HTML bodies in a few seconds; lz4 compresses them several times faster than the
-- default pglz for a similar size. Existing rows keep their compression until
-- rewritten. A server built without lz4, or older than Postgres 14 (no per-column
-- compression), keeps pglz: the migration still succeeds. The statement runs through
-- EXECUTE so that Postgres 13 does not reject the block's syntax before it runs.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    IF current_setting('server_version_num')::int < 140000 THEN
        RAISE NOTICE 'Postgres before 14 has no per-column compression; notifications keep pglz';
        RETURN;
    END IF;
    EXECUTE 'ALTER TABLE notifications ALTER COLUMN html SET COMPRESSION lz4, '
        'ALTER COLUMN body SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available; notifications keep pglz compression';
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 140000 THEN
        EXECUTE 'ALTER TABLE notifications ALTER COLUMN html SET COMPRESSION default, '
            'ALTER COLUMN body SET COMPRESSION default';
    END IF;
END $$;
-- +goose StatementEnd
