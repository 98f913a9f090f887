package bench

import (
	"testing"
	"time"
)

// TestSmoke runs every scenario small, on every store and on whatever Redis the tests
// have (miniredis without NOTIFYD_TEST_REDIS_URL), so `go test ./...` keeps the
// benchmarks working without paying for them: a few hundred events each.
func TestSmoke(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			rg := newRig(t)
			t.Run("throughput", func(t *testing.T) {
				res := runThroughput(t, rg, be.open(t), "smoke", 100)
				if res.e2eFailures != 0 {
					t.Errorf("%d task runs failed", res.e2eFailures)
				}
			})
			t.Run("restock", func(t *testing.T) {
				res := runRestock(t, rg, be.open(t), "smoke", 600, true) // two batches
				if res.failures != 0 {
					t.Errorf("%d task runs failed", res.failures)
				}
			})
			t.Run("latency", func(t *testing.T) {
				res := runLatency(t, rg, be.open(t), "smoke", 500, 100*time.Millisecond, 300*time.Millisecond, 20*time.Millisecond)
				if res.messages != 2*150 {
					t.Errorf("%d messages measured, want 300", res.messages)
				}
			})
		})
	}
}
