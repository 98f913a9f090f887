package client_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/client"
	"github.com/notifyd/notifyd/internal/testredis"
)

func sample(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../event/testdata/valid/order.backordered.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEnqueueBuildsTheContractTask: type = event type, payload = the CloudEvent as
// given, TaskID = source + " " + id, queue default (CONTRACT.md §3).
func TestEnqueueBuildsTheContractTask(t *testing.T) {
	r := testredis.New(t)
	c := client.New(r, []string{"acme"})
	defer c.Close()
	raw := sample(t)
	res, err := c.Enqueue(context.Background(), raw)
	if err != nil || res.Duplicate {
		t.Fatalf("%+v %v", res, err)
	}
	in := asynq.NewInspector(r)
	defer in.Close()
	info, err := in.GetTaskInfo("default", "https://shop.example/acme evt_01J9ZK0B4R")
	if err != nil {
		t.Fatal(err)
	}
	if info.Type != "order.backordered" || info.Queue != "default" || string(info.Payload) != string(raw) {
		t.Errorf("task %s %s payload %q", info.Type, info.Queue, info.Payload)
	}
	res, err = c.Enqueue(context.Background(), raw)
	if err != nil || !res.Duplicate {
		t.Errorf("second enqueue while the task is queued: %+v %v, want Duplicate", res, err)
	}
}

func TestEnqueueRejectsInvalidEvents(t *testing.T) {
	r := testredis.New(t)
	c := client.New(r, []string{"other"})
	defer c.Close()
	_, err := c.Enqueue(context.Background(), sample(t))
	var ve *client.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Path != "data.brand" {
		t.Fatalf("err %v, want one data.brand problem", err)
	}
	in := asynq.NewInspector(r)
	defer in.Close()
	if qs, _ := in.Queues(); len(qs) != 0 {
		t.Errorf("queues %v exist: something was enqueued", qs)
	}
}
