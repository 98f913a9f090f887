// Package outbox is the sender of the demo and of development (NOTIFYD_OUTBOX_DIR): it
// writes each email as email/<notification-id>.eml, the complete RFC 5322 message as it
// would go over SMTP, and appends each SMS to sms.jsonl (CONTRACT.md §1).
package outbox

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/notifyd/notifyd/channels"
	"github.com/notifyd/notifyd/channels/email"
	"github.com/notifyd/notifyd/gsm"
)

// SMSRecord is one line of sms.jsonl.
type SMSRecord struct {
	ID       string `json:"id"`
	To       string `json:"to"`
	Body     string `json:"body"`
	Kind     string `json:"kind"`
	OrderID  string `json:"order_id"`
	Segments int    `json:"segments"`
	Encoding string `json:"encoding"`
}

// Outbox writes messages under Dir. It is safe for concurrent use.
type Outbox struct {
	Dir string
	mu  sync.Mutex // serialises appends to sms.jsonl
	now func() time.Time
}

var _ channels.Sender = (*Outbox)(nil)

// New creates dir/email and returns an Outbox writing there.
func New(dir string) (*Outbox, error) {
	if err := os.MkdirAll(filepath.Join(dir, "email"), 0o755); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return &Outbox{Dir: dir, now: time.Now}, nil
}

// Send writes m. An email is written to a temporary file and renamed, so a reader
// never sees half a message and a retry overwrites rather than duplicates.
func (o *Outbox) Send(ctx context.Context, m *channels.Message) (channels.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return channels.Receipt{}, channels.Temporary("", err)
	}
	switch m.Channel {
	case channels.Email:
		return o.sendEmail(m)
	case channels.SMS:
		return o.sendSMS(m)
	}
	return channels.Receipt{}, channels.Permanent("", fmt.Errorf("outbox: unknown channel %q", m.Channel))
}

func (o *Outbox) sendEmail(m *channels.Message) (channels.Receipt, error) {
	msg, err := email.Build(m)
	if err != nil {
		return channels.Receipt{}, err
	}
	path := filepath.Join(o.Dir, "email", m.ID+".eml")
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return channels.Receipt{}, channels.Temporary("", fmt.Errorf("outbox: %w", err))
	}
	defer os.Remove(tmp.Name())
	if _, err := msg.WriteTo(tmp); err != nil {
		tmp.Close()
		return channels.Receipt{}, channels.Temporary("", fmt.Errorf("outbox: write %s: %w", path, err))
	}
	if err := tmp.Close(); err != nil {
		return channels.Receipt{}, channels.Temporary("", fmt.Errorf("outbox: %w", err))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return channels.Receipt{}, channels.Temporary("", fmt.Errorf("outbox: %w", err))
	}
	return channels.Receipt{ProviderID: path, AcceptedAt: o.now()}, nil
}

func (o *Outbox) sendSMS(m *channels.Message) (channels.Receipt, error) {
	segments, encoding := gsm.Segments(m.Text)
	line, err := json.Marshal(SMSRecord{
		ID: m.ID, To: m.To, Body: m.Text, Kind: m.Kind, OrderID: m.OrderID,
		Segments: segments, Encoding: encoding,
	})
	if err != nil {
		return channels.Receipt{}, channels.Permanent("", fmt.Errorf("outbox: %w", err))
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	f, err := os.OpenFile(o.smsPath(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return channels.Receipt{}, channels.Temporary("", fmt.Errorf("outbox: %w", err))
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return channels.Receipt{}, channels.Temporary("", fmt.Errorf("outbox: append sms: %w", err))
	}
	if err := f.Close(); err != nil {
		return channels.Receipt{}, channels.Temporary("", fmt.Errorf("outbox: %w", err))
	}
	return channels.Receipt{ProviderID: "sms.jsonl#" + m.ID, AcceptedAt: o.now(), Segments: segments}, nil
}

func (o *Outbox) smsPath() string { return filepath.Join(o.Dir, "sms.jsonl") }

// ReadSMS returns every SMS written to dir's sms.jsonl (none if it does not exist).
func ReadSMS(dir string) ([]SMSRecord, error) {
	f, err := os.Open(filepath.Join(dir, "sms.jsonl"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []SMSRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var r SMSRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("sms.jsonl:%d: %w", n, err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

// EmailIDs returns the notification ids of every email in dir/email.
func EmailIDs(dir string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "email", "*.eml"))
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(matches))
	for i, m := range matches {
		ids[i] = filepath.Base(m[:len(m)-len(".eml")])
	}
	return ids, nil
}
