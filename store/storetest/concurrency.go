package storetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/notifyd/notifyd/store"
)

// goroutines is how many goroutines race in each concurrency test.
const goroutines = 20

// race runs fn(i) in goroutines goroutines released together and returns their errors.
func race(fn func(i int) error) []error {
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, goroutines)
	)
	for i := range goroutines {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func testConcurrency(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("RecordEvent same key", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		var created [goroutines]bool
		var got [goroutines]*store.EventRecord
		errs := race(func(i int) (err error) {
			e := newEvent("e1", "ord_1", t0)
			e.Payload, e.Hash = json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)), ""
			got[i], created[i], err = s.RecordEvent(ctx, e)
			return err
		})
		checkOneWinner(t, errs, created[:], func(i int) string { return string(got[i].Payload) })
	})
	t.Run("CreateNotification same dedup key", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		var created [goroutines]bool
		var got [goroutines]*store.Notification
		errs := race(func(i int) (err error) {
			n := newNotification("", "ord_1", "backorder_notice", "k1", t0)
			got[i], created[i], err = s.CreateNotification(ctx, n)
			return err
		})
		checkOneWinner(t, errs, created[:], func(i int) string { return got[i].ID })
	})
	t.Run("AdvanceDelivery racing final statuses", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		create(t, s, newSent("n1", store.ChannelSMS, "SM1"))
		finals := []string{store.NotificationDelivered, store.NotificationUndelivered, store.NotificationFailed}
		var won [goroutines]bool
		errs := race(func(i int) (err error) {
			won[i], err = s.AdvanceDelivery(ctx, "n1", finals[i%len(finals)], fmt.Sprint(30000+i), at(time.Duration(i)*time.Second))
			return err
		})
		winner := -1
		for i, err := range errs {
			if err != nil {
				t.Fatalf("goroutine %d: %v", i, err)
			}
			if won[i] {
				if winner >= 0 {
					t.Errorf("goroutines %d and %d both advanced the notification", winner, i)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatal("no goroutine advanced the notification")
		}
		got, err := s.GetNotification(ctx, "n1")
		if err != nil {
			t.Fatalf("GetNotification: %v", err)
		}
		want := newSent("n1", store.ChannelSMS, "SM1")
		want.Status, want.ErrorCode = finals[winner%len(finals)], fmt.Sprint(30000+winner)
		want.UpdatedAt = at(time.Duration(winner) * time.Second)
		assertEqual(t, "the winner's notification", want, got)
	})
	t.Run("mixed writes", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		errs := race(func(i int) error {
			id := fmt.Sprintf("ord_%d", i)
			if err := s.SaveOrder(ctx, newOrder(id, "acme", t0, backordered("l1", "KET", 1, 0))); err != nil {
				return err
			}
			if _, _, err := s.RecordEvent(ctx, newEvent("e"+id, id, t0)); err != nil {
				return err
			}
			if err := s.SetEventStatus(ctx, "shop", "e"+id, store.EventHandled, "ok", at(time.Second)); err != nil {
				return err
			}
			_, err := s.GetOrder(ctx, id)
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("goroutine %d: %v", i, err)
			}
		}
		ids := make([]string, goroutines)
		for i := range ids {
			ids[i] = fmt.Sprintf("ord_%d", i)
		}
		got, err := s.GetOrders(ctx, ids)
		if err != nil || len(got) != goroutines {
			t.Errorf("GetOrders after the race = %d orders, %v; want %d", len(got), err, goroutines)
		}
	})
}

// checkOneWinner checks that no call failed, exactly one created, and all returned the
// same record (identified by key).
func checkOneWinner(t *testing.T, errs []error, created []bool, key func(i int) string) {
	t.Helper()
	winners := 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("goroutine %d: %v", i, err)
		}
		if created[i] {
			winners++
		}
	}
	if winners != 1 {
		t.Errorf("%d goroutines created the record, want exactly 1", winners)
	}
	for i := range errs {
		if key(i) != key(0) {
			t.Errorf("goroutine %d got %q, goroutine 0 got %q: want the same stored record", i, key(i), key(0))
		}
	}
}
