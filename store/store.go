// Package store holds notifyd's durable records — events received, orders with their
// lines and state, the notification log and API tokens — and the interface over them.
// Two implementations satisfy it: store/sqlite (modernc.org/sqlite, the embedded
// default) and store/postgres (pgx v5); store/storetest is the one conformance suite
// both must pass. cmd/notifyd picks the implementation from NOTIFYD_DATABASE_URL.
//
// The package imports no other package of notifyd.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Errors every implementation maps its driver errors to.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	// ErrSchema is wrapped by CheckSchema when the database schema is not the one this
	// binary was built for (unmigrated, behind, or newer).
	ErrSchema = errors.New("database schema mismatch")
)

// Store is everything notifyd keeps durably.
//
// Every implementation returns times in UTC, truncated to the microsecond, and fills
// zero creation times (ReceivedAt, CreatedAt, UpdatedAt) with the current time.
// store/storetest holds the behaviour the comments below describe.
type Store interface {
	EventStore
	OrderStore
	NotificationStore
	SuppressionStore
	WorkStore
	FollowUpStore
	TokenStore

	// Migrate applies every pending migration.
	Migrate(ctx context.Context) error
	// CheckSchema returns nil when the schema is exactly the one this binary expects,
	// and an error wrapping ErrSchema that says what to do otherwise.
	CheckSchema(ctx context.Context) error
	// SchemaVersion returns the applied and the expected migration versions.
	SchemaVersion(ctx context.Context) (applied, want int64, err error)
	Ping(ctx context.Context) error
	Close() error
}

// Event states.
const (
	EventReceived = "received" // recorded, not yet known to be enqueued
	EventEnqueued = "enqueued" // recorded and in asynq
	EventHandled  = "handled"  // the worker finished with it
)

// EventRecord is one event received, remembered by (Source, ID) for as long as the
// order's records are kept, so a redelivery is recognised long after asynq forgot it.
type EventRecord struct {
	Source     string
	ID         string
	Type       string
	OrderID    string // "" for inventory.restocked
	Time       time.Time
	Payload    json.RawMessage
	Hash       string // hex SHA-256 of Payload, to warn when a duplicate differs
	Status     string
	ReceivedAt time.Time
	HandledAt  *time.Time
	// Outcome is a short human-readable summary of what handling did (or why not).
	Outcome string
}

// EventStore records events received.
type EventStore interface {
	// RecordEvent inserts e if (Source, ID) is new and returns created=true. If it exists,
	// nothing changes and the stored record is returned with created=false. Hash
	// defaults to the SHA-256 of Payload, Status to EventReceived. Payload comes back
	// byte for byte.
	RecordEvent(ctx context.Context, e *EventRecord) (existing *EventRecord, created bool, err error)
	GetEvent(ctx context.Context, source, id string) (*EventRecord, error)
	// SetEventStatus moves an event to status (EventEnqueued or EventHandled); for
	// EventHandled it also sets HandledAt = at and Outcome. ErrNotFound if absent.
	// Moving to EventEnqueued never undoes EventHandled (the worker may finish first).
	SetEventStatus(ctx context.Context, source, id, status, outcome string, at time.Time) error
	// ListEvents returns the events of an order, oldest Time first, ties in arrival order.
	ListEvents(ctx context.Context, orderID string) ([]EventRecord, error)
}

// Line states.
const (
	LineOpen        = "open"        // ordered, nothing special known
	LineBackordered = "backordered" // waiting for stock; ETA may be unknown
	LineAllocated   = "allocated"   // stock allocated by a restock, not yet shipped
	LineShipped     = "shipped"
	LineCanceled    = "canceled"
	LineAwaiting    = "awaiting_choice" // a delay-option offer is open
	// LineSubstitute: the customer chose the offer's substitute; the shop swaps the
	// item, and the line no longer waits for its own SKU's stock.
	LineSubstitute = "substitute_chosen"
)

// Order states.
const (
	OrderOpen   = "open"
	OrderClosed = "closed"
)

// Order is an order as notifyd knows it: the latest snapshot and per-line state.
type Order struct {
	ID       string
	Brand    string
	Number   string
	PlacedAt time.Time
	State    string
	// Snapshot is the latest order JSON from the commerce system (customer, lines…).
	Snapshot json.RawMessage
	// LastEventAt is the CloudEvents time of the newest event applied.
	LastEventAt time.Time
	// Version counts saves; CommitEvent saves only when it is still the version that
	// was read (compare-and-set), which serialises concurrent events of one order.
	// 0 means the order is new.
	Version int64
	// ClosedAt is when the order closed (shipped or canceled), nil while open.
	ClosedAt  *time.Time
	Lines     []OrderLine
	CreatedAt time.Time
	UpdatedAt time.Time
}

// OrderLine is the state of one line.
type OrderLine struct {
	LineID   string
	SKU      string
	Quantity int
	State    string
	// BackorderedQty is the quantity waiting for stock; AllocatedQty what restocks
	// have covered of it so far.
	BackorderedQty int
	AllocatedQty   int
	ShippedQty     int
	ETA            *time.Time // nil when unknown
	// ToldETA is the ETA the customer was last told for this line (nil: none, or
	// told it is unknown); a material change is measured against it.
	ToldETA       *time.Time
	BackorderType string
	// StateAt is the CloudEvents time of the event that set the current state, so an
	// older event cannot undo it.
	StateAt time.Time
	// ReservedTold: the customer was told (a restock_notice naming the line went out
	// on a channel) of the units reserved for it now. The stores keep it false while
	// AllocatedQty is 0, so units reserved anew are news again.
	ReservedTold bool
}

// ToldLine is a line of an order told of its reservation by notification
// NotificationID, decided under DedupKey.
type ToldLine struct{ OrderID, LineID, NotificationID, DedupKey string }

// Withdrawal names a pending notification to record as suppressed, and why.
type Withdrawal struct{ NotificationID, Reason string }

// Owed is how many units of the line its backorder still owes the customer: the
// backordered quantity, less the units shipped beyond those that were in stock (a
// parcel ships what is in stock first). The stores' restock allocation counts the
// same (owedQty).
func (l *OrderLine) Owed() int { return max(0, min(l.BackorderedQty, l.Quantity-l.ShippedQty)) }

// Offered reports whether a delay-option offer can still be about the line: it is
// neither shipped nor canceled, and its backorder still owes units.
func (l *OrderLine) Offered() bool {
	return l.State != LineShipped && l.State != LineCanceled && l.Owed() > 0
}

// OrderStore keeps orders and their lines.
type OrderStore interface {
	GetOrder(ctx context.Context, id string) (*Order, error)
	// GetOrders returns the orders with these ids that exist, in no particular order
	// (one query, for batches).
	GetOrders(ctx context.Context, ids []string) ([]*Order, error)
	// SaveOrder inserts or replaces the order and all of its lines. A replace keeps the
	// first save's CreatedAt. GetOrder returns Lines in the order they were saved, and
	// Snapshot equal as JSON (Postgres stores jsonb, which does not keep bytes).
	SaveOrder(ctx context.Context, o *Order) error
}

// Channels.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// Notification states.
const (
	NotificationPending    = "pending"    // decided, not yet sent
	NotificationSent       = "sent"       // the provider (or outbox) accepted it
	NotificationFailed     = "failed"     // permanently failed
	NotificationSuppressed = "suppressed" // decided not to send; Reason says why
	// Delivery outcomes reported by the provider after it accepted a message (Twilio
	// status callbacks). They are final: a later callback never moves a status back.
	NotificationDelivered   = "delivered"
	NotificationUndelivered = "undelivered"
)

// Notification is one message decided for one recipient on one channel: the log
// support reads, and the record a send is claimed against.
type Notification struct {
	ID        string
	OrderID   string
	Brand     string
	Kind      string
	Channel   string
	Recipient string
	// EventSource and EventID name the event that caused it.
	EventSource string
	EventID     string
	// DedupKey is unique: creating a second notification with the same key is a no-op,
	// so a retried event cannot decide the same message twice.
	DedupKey   string
	Status     string
	Reason     string // why suppressed or failed
	Subject    string
	Body       string // text body (email) or SMS text
	HTML       string
	ProviderID string
	Error      string
	// ErrorCode is the provider's code for the last failure (SMTP reply code, Twilio
	// error code), "" when none.
	ErrorCode string
	// TemplateVersion names the template sources the content was rendered from;
	// ContentHash is a hex SHA-256 of the rendered content, so support can tell later
	// exactly what was sent.
	TemplateVersion string
	ContentHash     string
	// FallbackFor is the id of the notification this one replaces on another channel
	// (an email carrying a required notice whose SMS failed), "" otherwise.
	FallbackFor string
	// Fingerprint is what the customer would notice (for eta_update: the lines and
	// their new ETAs), hashed; equal fingerprints are the same news.
	Fingerprint string
	// NotBefore holds an SMS decided during quiet hours until they end.
	NotBefore *time.Time
	CreatedAt time.Time
	SentAt    *time.Time
	UpdatedAt time.Time
}

// NotificationFilter selects notifications; empty fields match everything.
type NotificationFilter struct {
	OrderID string
	Status  string
	Kind    string
	// EventSource and EventID select the notifications one event decided.
	EventSource, EventID string
	Limit                int // 0 means no limit
}

// NotificationStore is the notification log.
type NotificationStore interface {
	// CreateNotification inserts n unless one with n.DedupKey exists; then it returns
	// the existing one and created=false. ID defaults to a new UUID and Status to
	// NotificationPending; an empty DedupKey deduplicates nothing. ErrConflict if the
	// ID exists under another DedupKey.
	CreateNotification(ctx context.Context, n *Notification) (existing *Notification, created bool, err error)
	GetNotification(ctx context.Context, id string) (*Notification, error)
	// UpdateNotification stores Status, Reason, ProviderID, Error, ErrorCode, SentAt,
	// Subject, Body, HTML, TemplateVersion and ContentHash of n (and UpdatedAt).
	// ErrNotFound if absent. A provider id stored here alone does not make the
	// notification findable by NotificationByProvider: record it with its attempt
	// (CommitSend, AddAttempt).
	UpdateNotification(ctx context.Context, n *Notification) error
	// NotificationByProvider returns the notification a provider knows by providerID
	// on channel (a Twilio message SID): the one with an Attempt of that ProviderID,
	// which CommitSend records. ErrNotFound if none.
	NotificationByProvider(ctx context.Context, channel, providerID string) (*Notification, error)
	// AdvanceDelivery moves a sent notification to a final delivery status
	// (NotificationDelivered, NotificationUndelivered or NotificationFailed) with the
	// provider's error code, atomically and only forward: it changes nothing and
	// returns false when the notification is not in NotificationSent.
	AdvanceDelivery(ctx context.Context, id, status, errorCode string, at time.Time) (bool, error)
	// AddAttempt records one send attempt of a notification; ListAttempts returns
	// them oldest first.
	AddAttempt(ctx context.Context, a *Attempt) error
	ListAttempts(ctx context.Context, notificationID string) ([]Attempt, error)
	// ListNotifications returns matches, oldest CreatedAt first, ties in creation order.
	ListNotifications(ctx context.Context, f NotificationFilter) ([]Notification, error)
}

// EventCommit is everything one handled event changes, written in one transaction.
type EventCommit struct {
	Source, ID string
	Outcome    string
	At         time.Time
	// Orders are saved with compare-and-set on Version (the version that was read; 0
	// for a new order); on success each one's Version is incremented in place.
	Orders []*Order
	// Checked are orders the decisions read and did not change (a restock batch's):
	// the same compare-and-set as Orders, but only their Version moves — their other
	// columns and lines stay as stored, so a commit that decides about 500 orders
	// does not rewrite them. On success each one's Version is incremented in place.
	// An order is in Orders or in Checked, not both.
	Checked []*Order
	// ToldReserved are lines of Checked orders (a restock batch's) whose ReservedTold
	// becomes true if their notification is one of Notifications and what is stored
	// under its DedupKey after the commit is that notification (the commit created
	// it) or is pending (returned by CommitEvent, so the commit's sends take it). A
	// record decided earlier that is sent, delivered or suppressed tells nothing now:
	// it was about units reserved before, or was capped. Not while nothing is
	// reserved for the line. A line may be listed once per notification.
	ToldReserved []ToldLine
	// Notifications are created unless their DedupKey exists.
	Notifications []*Notification
	// Withdrawn are notifications decided earlier whose news is no longer true: each
	// one still pending becomes suppressed with its Reason (one sent meanwhile is
	// left as it is).
	Withdrawn []Withdrawal
	// Allocations are restock allocations; one that exists already (same restock,
	// order and line) is not applied twice.
	Allocations []Allocation
	// Pending coalesced messages to upsert, and those to delete (by order and kind).
	UpsertPending []PendingMessage
	DeletePending []PendingKey
	// LeaveStatus leaves the event's status as it is (a flush or a batch committing
	// on behalf of an event already handled keeps its outcome).
	LeaveStatus bool
	// Offers are inserted or replaced (by ID). A replacement keeps the stored
	// CreatedAt, and a SentAt already set: MarkOfferSent may have set it after the
	// offer was read. State defaults to OfferOpen.
	Offers []*Offer
	// Deliveries are outbound webhooks to create (an existing ID is left alone);
	// Status defaults to DeliveryPending.
	Deliveries []*WebhookDelivery
}

// TellingLines returns the ToldReserved entries whose notification is one of the
// commit's Notifications: a line is told only by what this commit decided.
func (c *EventCommit) TellingLines() []ToldLine {
	ids := make(map[string]bool, len(c.Notifications))
	for _, n := range c.Notifications {
		ids[n.ID] = true
	}
	var out []ToldLine
	for _, r := range c.ToldReserved {
		if ids[r.NotificationID] {
			out = append(out, r)
		}
	}
	return out
}

// Offer states.
const (
	OfferOpen    = "open"    // waiting for the customer's answer or the deadline
	OfferDecided = "decided" // the deadline passed or a final choice (refund) was made
	OfferClosed  = "closed"  // the lines shipped or the order was canceled first
)

// Silence outcomes of an offer (CONTRACT.md §8.2–3).
const (
	SilenceConsent = "consent" // no answer by the deadline records wait
	SilenceCancel  = "cancel"  // no answer by the deadline cancels the lines
)

// Offer is a delay-option offer: one per order per delay episode, covering the late
// lines (CONTRACT.md §8). It keeps the policy values it was made under.
type Offer struct {
	ID, OrderID, Brand string
	LineIDs            []string
	Silence            string // SilenceConsent or SilenceCancel
	Renewed            bool   // a renewed offer (§8.4): silence is never consent
	NewDate            *time.Time
	NoDateReason       string
	// Substitute is the substitute offered (the event's JSON), nil when none.
	Substitute json.RawMessage
	Deadline   time.Time
	ReminderAt *time.Time // nil when the reminder moment had already passed
	// SentAt is when the first channel's provider accepted the offer.
	SentAt *time.Time
	// Policy holds the policy values the offer was made under (§8.10), JSON.
	Policy json.RawMessage
	// Choice is wait, substitute or refund ("" while unanswered); ChoiceChannel is
	// web, sms, support or silence.
	Choice, ChoiceChannel string
	ChoiceAt              *time.Time
	State                 string
	// Phone is the number the offer's SMS went to, for SMS replies ("" if none).
	Phone     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Webhook delivery states.
const (
	DeliveryPending   = "pending"   // not delivered yet; retried with backoff
	DeliveryDelivered = "delivered" // the receiver answered 2xx
	DeliveryFailed    = "failed"    // gave up after three days (or a permanent refusal)
)

// WebhookDelivery is one outbound CloudEvent to the commerce system (CONTRACT.md §7).
type WebhookDelivery struct {
	ID            string // the webhook-id header; also the CloudEvent id
	Type          string // customer.choice_made, order.auto_canceled, customer.unreachable
	OrderID       string
	Payload       json.RawMessage // the CloudEvent JSON, exactly as signed and sent
	Status        string
	Attempts      int
	LastStatus    int // the receiver's last HTTP status, 0 when none
	LastError     string
	CreatedAt     time.Time
	NextAttemptAt *time.Time
	DeliveredAt   *time.Time
	UpdatedAt     time.Time
}

// DeliveryFilter selects webhook deliveries; empty fields match everything.
type DeliveryFilter struct {
	OrderID, Status string
	Limit           int
}

// FollowUpStore reads offers and keeps webhook deliveries. Offers are written by
// CommitEvent, together with the order they belong to (compare-and-set), so a choice
// and a deadline can never both win.
type FollowUpStore interface {
	GetOffer(ctx context.Context, id string) (*Offer, error)
	// OffersOf returns an order's offers, newest first.
	OffersOf(ctx context.Context, orderID string) ([]Offer, error)
	// LatestOpenOfferForPhone returns the most recent open offer whose SMS went to
	// phone, ErrNotFound if none.
	LatestOpenOfferForPhone(ctx context.Context, phone string) (*Offer, error)
	// MarkOfferSent sets SentAt (and UpdatedAt) to at if SentAt is not set yet, and
	// does nothing otherwise. ErrNotFound if absent.
	MarkOfferSent(ctx context.Context, id string, at time.Time) error
	GetDelivery(ctx context.Context, id string) (*WebhookDelivery, error)
	// UpdateDelivery stores Status, Attempts, LastStatus, LastError, NextAttemptAt,
	// DeliveredAt and UpdatedAt. ErrNotFound if absent.
	UpdateDelivery(ctx context.Context, d *WebhookDelivery) error
	// ListDeliveries returns matches, newest first.
	ListDeliveries(ctx context.Context, f DeliveryFilter) ([]WebhookDelivery, error)
}

// Allocation is restock stock given to one order line.
type Allocation struct {
	RestockSource, RestockID string
	OrderID, LineID          string
	Quantity                 int
}

// LineAllocation is what one restock allocated to a line of an order, and when the
// restock happened.
type LineAllocation struct {
	RestockSource, RestockID string
	LineID                   string
	Quantity                 int
	At                       time.Time
}

// PendingKey names a coalesced message waiting for its window to pass.
type PendingKey struct{ OrderID, Kind string }

// PendingMessage is a coalesced message (eta_update, partial_shipment) of one order,
// waiting until DueAt; Facts is its accumulated content (JSON, the worker's to
// define); Seq counts reschedules so each flush task has its own TaskID.
type PendingMessage struct {
	PendingKey
	FirstAt, DueAt time.Time
	Seq            int
	Facts          json.RawMessage
	// EventSource and EventID name the latest event folded in.
	EventSource, EventID string
}

// SendClaim states.
const (
	ClaimClaimed   = "claimed"
	ClaimCommitted = "committed"
)

// SendClaim is the durable record of a send: claimed before the provider is called,
// committed when it accepted.
type SendClaim struct {
	Key            string
	NotificationID string
	State          string
	ClaimedAt      time.Time
	CommittedAt    *time.Time
}

// HistoryQuery selects what History returns.
type HistoryQuery struct {
	// Addresses are the (normalised) addresses whose suppressions to return.
	Addresses []ChannelAddress
	// OrderIDs and Kind select the last outgoing notifications: for each order, kind
	// Kind (any kind when empty), the newest pending, sent or delivered one per
	// (channel, recipient), without its content (Subject, Body and HTML are empty).
	OrderIDs []string
	Kind     string
	// Recipients, CountKinds and Since select the counts: per recipient, its pending,
	// sent or delivered notifications of CountKinds created at or after Since.
	Recipients []ChannelAddress
	CountKinds []string
	Since      time.Time
}

// ChannelAddress is an address (email address, phone number) on a channel.
type ChannelAddress struct{ Channel, Address string }

// History is the answer to a HistoryQuery.
type History struct {
	// Suppressions of the addresses asked for, in any order.
	Suppressions []Suppression
	// Last is, per (order, channel, recipient) of the orders asked for, the newest
	// outgoing notification of Kind (ties: the last created), in any order.
	Last []Notification
	// Counts by recipient; a recipient with none is absent.
	Counts map[ChannelAddress]int
}

// WorkStore holds the worker's transactional and claim records.
type WorkStore interface {
	// LastNotification returns the newest notification of (order, kind, channel,
	// recipient) that went out or will (status pending, sent or delivered), for the
	// "no repeats" rule; an empty kind is any kind. ErrNotFound if none.
	LastNotification(ctx context.Context, orderID, kind, channel, recipient string) (*Notification, error)
	// CountSince counts the notifications of the given kinds to recipient on channel
	// created at or after since with status pending, sent or delivered: the rolling
	// daily cap.
	CountSince(ctx context.Context, channel, recipient string, kinds []string, since time.Time) (int, error)
	// History answers, in one call for a whole batch of orders, what deciding their
	// messages reads one by one otherwise: Suppressions of each address, the
	// LastNotification of each (order, kind, channel, recipient), and CountSince of
	// each recipient. Lists in q may be empty; they select nothing.
	History(ctx context.Context, q HistoryQuery) (*History, error)
	// CommitEvent writes c in one transaction: the orders (compare-and-set), the
	// allocations (adding each new one's Quantity to the line's AllocatedQty is the
	// caller's job, in the order it saves), the notifications, the pending changes and
	// the event's status → handled with Outcome. It returns the stored notifications
	// (existing ones for a DedupKey seen before), in the order given. ErrConflict when
	// an order's Version changed since it was read: then nothing is written.
	CommitEvent(ctx context.Context, c *EventCommit) ([]*Notification, error)
	// Allocations returns the allocations of a restock that exist already.
	Allocations(ctx context.Context, restockSource, restockID string) ([]Allocation, error)
	// LineAllocations returns the allocations made to the lines of an order, each
	// with its restock event's (CloudEvents) time, in the order the restock events
	// were recorded (received), then by line id: a restock is allocated when it is
	// handled, so this is the order the units were reserved in, whatever the
	// events' times.
	LineAllocations(ctx context.Context, orderID string) ([]LineAllocation, error)
	// AllocateRestock allocates quantity of brand's sku to the lines of open orders
	// waiting for it — LineBackordered, or LineAwaiting (a delay-option offer is open:
	// the customer may still choose to wait, and the oldest order keeps its turn) —
	// oldest order (placed_at, then order id, line id) first, in one transaction:
	// each line gets min(what is left, owed − allocated_qty), owed being the
	// backordered quantity less the units shipped beyond those in stock; a
	// LineBackordered line then fully covered moves to LineAllocated (a LineAwaiting
	// one keeps its state until the offer is decided); every
	// touched order's version is bumped; the allocations are recorded. It is
	// idempotent per restock: when allocations of (restockSource, restockID) exist
	// already it changes nothing and returns them. Concurrent restocks of one SKU are
	// serialised by the database, so stock is never allocated twice. Allocations come
	// back oldest order first. at is the restock's (CloudEvents) time: a line moved to
	// LineAllocated gets StateAt = at unless its StateAt is later; touched orders get
	// UpdatedAt = now.
	AllocateRestock(ctx context.Context, restockSource, restockID, brand, sku string, quantity int, at time.Time) ([]Allocation, error)
	// Pending returns a coalesced message, ErrNotFound if none.
	Pending(ctx context.Context, orderID, kind string) (*PendingMessage, error)
	// ClaimSend inserts a claim for key if none exists and returns claimed=true;
	// otherwise it returns the existing claim.
	ClaimSend(ctx context.Context, key, notificationID string, at time.Time) (existing *SendClaim, claimed bool, err error)
	// CommitSend marks the claim of key committed, stores n's outcome (status,
	// reason, provider id, error, error code, sent and updated times — not its
	// content, which is what was decided) and records the "sent" attempt (at,
	// n.ProviderID), in one transaction.
	CommitSend(ctx context.Context, key string, n *Notification, at time.Time) error
	// ReleaseSend deletes a claim that was never committed (the provider refused).
	ReleaseSend(ctx context.Context, key string) error
}

// Attempt is one try at sending a notification.
type Attempt struct {
	NotificationID string
	At             time.Time
	// Outcome is "sent", "temporary" or "permanent".
	Outcome    string
	Code       string // provider code, if any
	Error      string
	ProviderID string
}

// Suppression kinds.
const (
	SuppressStop        = "stop"        // SMS STOP (or Twilio 21610): no SMS at all
	SuppressUnsubscribe = "unsubscribe" // email unsubscribe: no update kinds; required notices still go
	SuppressBounce      = "bounce"      // hard bounce (SMTP 5.1.x): no email at all
)

// Suppression is an opt-out or a hard bounce for one address on one channel.
type Suppression struct {
	Channel   string // ChannelEmail or ChannelSMS
	Address   string // email address (lower-cased) or E.164 phone number
	Kind      string // SuppressStop, SuppressUnsubscribe or SuppressBounce
	Reason    string
	CreatedAt time.Time
}

// SuppressionStore keeps opt-outs and hard bounces. Addresses are compared as given;
// callers lower-case email addresses.
type SuppressionStore interface {
	// AddSuppression records s; adding the same (Channel, Address, Kind) again keeps
	// the first record and is not an error.
	AddSuppression(ctx context.Context, s *Suppression) error
	// Suppressions returns every suppression of an address on a channel.
	Suppressions(ctx context.Context, channel, address string) ([]Suppression, error)
	// ListSuppressions returns all, newest first, at most limit (0: no limit).
	ListSuppressions(ctx context.Context, limit int) ([]Suppression, error)
	// DeleteSuppressions removes every suppression of an address on a channel (START,
	// or support lifting it); it returns how many were removed.
	DeleteSuppressions(ctx context.Context, channel, address string) (int, error)
}

// Token roles (CONTRACT.md §5).
const (
	RoleIngest    = "ingest"
	RoleMarketing = "marketing"
	RoleSupport   = "support"
	RoleAdmin     = "admin"
)

// Roles lists the valid roles.
var Roles = []string{RoleIngest, RoleMarketing, RoleSupport, RoleAdmin}

// Token is an API token; only the SHA-256 hash of its secret is stored.
type Token struct {
	ID         string
	Name       string
	Role       string
	Hash       string // hex SHA-256 of the secret
	CreatedAt  time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
}

// TokenStore keeps API tokens.
type TokenStore interface {
	// CreateToken stores t, setting t.ID (a new UUID) and t.CreatedAt when empty;
	// ErrConflict if the ID or the Hash exists.
	CreateToken(ctx context.Context, t *Token) error
	// TokenByHash returns the token with that hash, revoked or not.
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	// ListTokens returns every token, oldest CreatedAt first.
	ListTokens(ctx context.Context) ([]Token, error)
	// RevokeToken sets RevokedAt; ErrNotFound if absent (revoking twice is fine and
	// keeps the first time).
	RevokeToken(ctx context.Context, id string, at time.Time) error
	// TouchToken sets LastUsedAt; ErrNotFound if absent.
	TouchToken(ctx context.Context, id string, at time.Time) error
}

// SchemaError is the error CheckSchema returns when the applied migration version is
// not the one this binary expects. It wraps ErrSchema, and its message tells the
// operator what to do.
type SchemaError struct {
	Applied int64 // highest migration applied to the database; 0 when unmigrated
	Want    int64 // highest migration embedded in this binary
}

func (e *SchemaError) Error() string {
	switch {
	case e.Applied <= 0:
		return "database is not migrated: run `notifyd migrate`"
	case e.Applied < e.Want:
		return fmt.Sprintf("database schema is at version %d, this notifyd needs %d: run `notifyd migrate`", e.Applied, e.Want)
	default:
		return fmt.Sprintf("database schema version %d is newer than this notifyd (%d): upgrade notifyd", e.Applied, e.Want)
	}
}

// Unwrap makes errors.Is(err, ErrSchema) true.
func (e *SchemaError) Unwrap() error { return ErrSchema }

// CompareSchema returns nil when applied == want and a *SchemaError otherwise. Both
// implementations' CheckSchema use it, so the messages are the same on every database.
func CompareSchema(applied, want int64) error {
	if applied == want {
		return nil
	}
	return &SchemaError{Applied: applied, Want: want}
}
