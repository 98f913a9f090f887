// Package bench holds notifyd's end-to-end benchmarks: the whole worker (package jobs)
// on a real Redis and a real store, measured against asynq itself on the same machine
// in the same run. It has no code outside its tests; docs/performance.md gives the
// figures, the commands and what limits each one.
//
//   - BenchmarkThroughput: events/s from event to a capture sender (record, decide,
//     dedup, render, commit, send claim, send) divided by a bare asynq no-op handler's
//     tasks/s, same Redis, same asynq.Config, same run.
//   - BenchmarkRestock: one inventory.restocked covering 100,000 open backorders of
//     one SKU, until every restock_notice is decided and its send enqueued.
//   - BenchmarkLatency: enqueue → sent p50/p99 at a steady 1,000 events/s, for several
//     asynq TaskCheckInterval values, including the one cmd/notifyd uses.
//
// Each b.N iteration is a full scenario, so run them with -benchtime 1x:
//
//	NOTIFYD_TEST_REDIS_URL=redis://127.0.0.1:6379/1 \
//	NOTIFYD_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
//	go test -run '^$' -bench . -benchtime 1x -count 3 -timeout 60m ./bench/
//
// SQLite always runs; Postgres only when NOTIFYD_TEST_DATABASE_URL is set (the test
// binary prints one line saying which). The benchmarks refuse to run on the in-process
// miniredis, whose figures would mean nothing; `go test ./bench/` without -bench runs
// only a small, fast smoke test of the same scenarios, which works on either.
package bench
