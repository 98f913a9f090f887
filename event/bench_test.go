package event

import (
	"os"
	"testing"
)

// BenchmarkParse measures validating one realistic order event (every check, then
// decoding into the Go types): the cost every ingestion path pays per event.
func BenchmarkParse(b *testing.B) {
	raw, err := os.ReadFile("testdata/valid/order.backordered.json")
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{Brands: map[string]bool{"acme": true}}
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, ps := Parse(raw, opts); len(ps) > 0 {
			b.Fatal(ps)
		}
	}
}
