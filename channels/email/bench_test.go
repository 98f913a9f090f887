package email_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	mail "github.com/wneessen/go-mail"

	"github.com/notifyd/notifyd/channels/email"
	"github.com/notifyd/notifyd/internal/testmailpit"
)

// BenchmarkSend measures emails per second into one Mailpit, side by side in one run:
//
//	bare-gomail-1conn   one go-mail Client sending a prebuilt *mail.Msg in a loop
//	bare-gomail-4conns  four goroutines, each with its own go-mail Client and prebuilt Msg
//	sender-pool4        Sender.Send (Build, no DKIM, pool of 4) from 8 goroutines
//	sender-pool1        the same with a pool of 1
//
// Run: go test -run '^$' -bench . -benchtime=2000x ./channels/email/
func BenchmarkSend(b *testing.B) {
	mp := testmailpit.Start(b)
	b.Run("bare-gomail-1conn", func(b *testing.B) { benchBare(b, mp, 1) })
	b.Run("bare-gomail-4conns", func(b *testing.B) { benchBare(b, mp, 4) })
	b.Run("sender-pool4", func(b *testing.B) { benchSender(b, mp, 4, 8) })
	b.Run("sender-pool1", func(b *testing.B) { benchSender(b, mp, 1, 8) })
}

func benchBare(b *testing.B, mp *testmailpit.Mailpit, conns int) {
	host, portStr, _ := net.SplitHostPort(mp.SMTPAddr())
	port, _ := strconv.Atoi(portStr)
	clients := make([]*mail.Client, conns)
	msgs := make([]*mail.Msg, conns)
	for i := range conns {
		c, err := mail.NewClient(host, mail.WithPort(port), mail.WithTLSPolicy(mail.NoTLS))
		if err != nil {
			b.Fatal(err)
		}
		if err := c.DialWithContext(context.Background()); err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		clients[i] = c
		if msgs[i], err = email.Build(message(fmt.Sprintf("ntf_bare_%d", i))); err != nil {
			b.Fatal(err)
		}
	}
	mp.DeleteAll(b)
	b.ResetTimer()
	run(b, conns, func(worker int) error { return clients[worker].Send(msgs[worker]) })
	b.StopTimer()
	checkCount(b, mp)
}

func benchSender(b *testing.B, mp *testmailpit.Mailpit, pool, callers int) {
	s, err := email.New(email.Config{URL: mp.SMTPURL(), PoolSize: pool})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if errs := sendN(context.Background(), s, "ntf_warm", pool, pool); len(errs) > 0 {
		b.Fatal(errs[0]) // dial the pool before timing, as the bare loop does
	}
	mp.DeleteAll(b)
	ctx := context.Background()
	var seq atomic.Int64
	b.ResetTimer()
	run(b, callers, func(int) error {
		_, err := s.Send(ctx, message("ntf_bench_"+strconv.FormatInt(seq.Add(1), 10)))
		return err
	})
	b.StopTimer()
	checkCount(b, mp)
}

// run calls send b.N times in total from workers goroutines and reports msgs/s.
func run(b *testing.B, workers int, send func(worker int) error) {
	var (
		next   atomic.Int64
		wg     sync.WaitGroup
		failed atomic.Value
	)
	for w := range workers {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				if err := send(w); err != nil {
					failed.CompareAndSwap(nil, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func checkCount(b *testing.B, mp *testmailpit.Mailpit) {
	if n := mp.Count(b); n != b.N {
		b.Fatalf("mailpit stored %d messages, want %d", n, b.N)
	}
}
