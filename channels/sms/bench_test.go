package sms_test

import (
	"context"
	"testing"

	"github.com/notifyd/notifyd/channels/sms"
)

// BenchmarkSend measures SMS/s through Sender.Send (twilio-go, form encoding, JSON
// decoding, classification) against the in-process fake, from GOMAXPROCS goroutines
// sharing one Sender, as asynq workers do.
func BenchmarkSend(b *testing.B) {
	s, _ := newSender(b, func(c *sms.Config) { c.StatusCallback = callback })
	m := message("", "Acme: 1 item of order 1001 is delayed. New ship date: Nov 20. Reply 1 to wait, 2 to cancel.")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Send(ctx, m); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sms/s")
}
