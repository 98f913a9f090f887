// Package client is what a Go producer imports to send events to notifyd: it validates
// an event exactly as the HTTP API and `notifyd enqueue` do (package event) and enqueues
// it straight into Redis as the asynq task CONTRACT.md §3 fixes: task type = the event
// type, payload = the CloudEvent JSON, TaskID = source + " " + id, queue "default".
//
//	c := client.New(asynq.RedisClientOpt{Addr: "127.0.0.1:6379"}, []string{"acme"})
//	defer c.Close()
//	res, err := c.Enqueue(ctx, eventJSON)
//
// The notifyd worker remembers every (source, id) it has handled in its database, so an
// event enqueued twice — even after asynq has forgotten the first task — is handled once.
package client

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hibiken/asynq"

	"github.com/notifyd/notifyd/event"
)

// Queue is the asynq queue events are enqueued on.
const Queue = "default"

// ValidationError lists every problem found in an event.
type ValidationError struct {
	Problems []event.Problem
}

func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Path + ": " + p.Message
	}
	return "invalid event: " + strings.Join(msgs, "; ")
}

// Result says what happened to an enqueued event.
type Result struct {
	Event *event.Event
	// Duplicate is true when a task with the same TaskID was still in asynq.
	Duplicate bool
}

// Client validates and enqueues events.
type Client struct {
	asynq *asynq.Client
	opts  event.Options
}

// New returns a client for the Redis at r that accepts events of the given brands.
func New(r asynq.RedisConnOpt, brands []string) *Client {
	return NewFromAsynq(asynq.NewClient(r), brands)
}

// NewFromAsynq wraps an existing asynq client (the caller keeps ownership of closing
// it only if it does not call Close).
//
// brands lists the brand ids the notifyd deployment knows; nil skips the brand check
// (the worker still refuses an unknown brand).
func NewFromAsynq(c *asynq.Client, brands []string) *Client {
	if brands == nil {
		return &Client{asynq: c}
	}
	known := make(map[string]bool, len(brands))
	for _, b := range brands {
		known[b] = true
	}
	return &Client{asynq: c, opts: event.Options{Brands: known}}
}

// Close closes the Redis connection.
func (c *Client) Close() error { return c.asynq.Close() }

// Enqueue validates raw (one CloudEvent in structured JSON) and enqueues it. An invalid
// event returns a *ValidationError and enqueues nothing.
func (c *Client) Enqueue(ctx context.Context, raw []byte) (*Result, error) {
	e, problems := event.Parse(raw, c.opts)
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	dup, err := EnqueueEvent(ctx, c.asynq, e)
	if err != nil {
		return nil, err
	}
	return &Result{Event: e, Duplicate: dup}, nil
}

// NewTask builds the asynq task of a validated event, with the options the contract
// fixes (TaskID and queue).
func NewTask(e *event.Event) (*asynq.Task, []asynq.Option) {
	return asynq.NewTask(e.Type, e.Raw), []asynq.Option{asynq.TaskID(e.Key()), asynq.Queue(Queue)}
}

// EnqueueEvent enqueues a validated event; duplicate is true when asynq still held a
// task with its TaskID (then nothing new was enqueued, and that is not an error).
func EnqueueEvent(ctx context.Context, c *asynq.Client, e *event.Event) (duplicate bool, err error) {
	task, opts := NewTask(e)
	_, err = c.EnqueueContext(ctx, task, opts...)
	switch {
	case errors.Is(err, asynq.ErrTaskIDConflict):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("enqueue %s: %w", e.Key(), err)
	}
	return false, nil
}
