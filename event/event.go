// Package event holds notifyd's input contract (CONTRACT.md §3): the CloudEvents
// envelope, the data of each of the seven event types, validation that reports every
// problem with its JSON path, and the JSON Schemas generated from these same types.
//
// It imports no other package of notifyd: the HTTP API, the CLI, the Go client and the
// worker all validate through Parse, so there is one validation path.
package event

import (
	"encoding/json"
	"time"
)

// The seven event types notifyd understands. The asynq task type is the event type.
const (
	TypeBackordered      = "order.backordered"
	TypeEtaChanged       = "order.eta_changed"
	TypeRestocked        = "inventory.restocked"
	TypePartiallyShipped = "order.partially_shipped"
	TypeShipped          = "order.shipped"
	TypeCanceled         = "order.canceled"
	TypeWindowExpired    = "backorder.window_expired"
)

// Types lists every event type in the order the contract's table gives them.
var Types = []string{
	TypeBackordered, TypeEtaChanged, TypeRestocked, TypePartiallyShipped,
	TypeShipped, TypeCanceled, TypeWindowExpired,
}

// IsOrderEvent reports whether events of type t carry an order snapshot and a subject.
func IsOrderEvent(t string) bool { return t != TypeRestocked }

// Envelope is the CloudEvents 1.0 structured-mode envelope. Unknown extension
// attributes are accepted and ignored.
type Envelope struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id" jsonschema:"minLength=1"`
	Source          string          `json:"source" jsonschema:"format=uri-reference,minLength=1"`
	Type            string          `json:"type"`
	Time            time.Time       `json:"time"`
	Subject         string          `json:"subject,omitempty"`
	DataContentType string          `json:"datacontenttype,omitempty"`
	Data            json.RawMessage `json:"data"`
}

// Event is a validated event: its envelope, its decoded data and the original bytes.
type Event struct {
	Envelope
	// Raw is the event exactly as received; it is what is stored and enqueued.
	Raw json.RawMessage
	// Exactly one of the following is set, matching Type.
	Backordered      *BackorderedData
	EtaChanged       *EtaChangedData
	Restocked        *RestockedData
	PartiallyShipped *PartiallyShippedData
	Shipped          *ShippedData
	Canceled         *CanceledData
	WindowExpired    *WindowExpiredData
}

// Key is the idempotency key of an event: source and id, as CloudEvents defines it.
// It is also the asynq TaskID (CONTRACT.md §3).
func (e *Event) Key() string { return Key(e.Source, e.ID) }

// Key joins source and id into the idempotency key used as asynq TaskID.
func Key(source, id string) string { return source + " " + id }

// Brand returns data.brand for any event type.
func (e *Event) Brand() string {
	if o := e.OrderData(); o != nil {
		return o.Brand
	}
	if e.Restocked != nil {
		return e.Restocked.Brand
	}
	return ""
}

// OrderData returns the common order part of an order event's data, or nil for
// inventory.restocked.
func (e *Event) OrderData() *OrderData {
	switch {
	case e.Backordered != nil:
		return &e.Backordered.OrderData
	case e.EtaChanged != nil:
		return &e.EtaChanged.OrderData
	case e.PartiallyShipped != nil:
		return &e.PartiallyShipped.OrderData
	case e.Shipped != nil:
		return &e.Shipped.OrderData
	case e.Canceled != nil:
		return &e.Canceled.OrderData
	case e.WindowExpired != nil:
		return &e.WindowExpired.OrderData
	}
	return nil
}

// OrderID returns the order id of an order event, "" for inventory.restocked.
func (e *Event) OrderID() string {
	if o := e.OrderData(); o != nil && o.Order != nil {
		return o.Order.ID
	}
	return ""
}

// OrderData is what every order event's data carries: the brand, the order snapshot as
// the commerce system knows it now, and optional substitutes.
type OrderData struct {
	Brand       string       `json:"brand" jsonschema:"minLength=1"`
	Order       *Order       `json:"order"`
	Substitutes []Substitute `json:"substitutes,omitempty"`
}

// Order is the order snapshot.
type Order struct {
	ID             string    `json:"id" jsonschema:"minLength=1"`
	Number         string    `json:"number" jsonschema:"minLength=1"`
	PlacedAt       time.Time `json:"placed_at"`
	PromisedShipBy *When     `json:"promised_ship_by,omitempty"`
	Currency       string    `json:"currency" jsonschema:"pattern=^[A-Z]{3}$"`
	Customer       Customer  `json:"customer"`
	Lines          []Line    `json:"lines" jsonschema:"minItems=1"`
}

// Line finds a line of the order by id.
func (o *Order) Line(id string) (Line, bool) {
	for _, l := range o.Lines {
		if l.ID == id {
			return l, true
		}
	}
	return Line{}, false
}

// Customer is who the messages go to.
type Customer struct {
	ID         string `json:"id" jsonschema:"minLength=1"`
	Name       string `json:"name" jsonschema:"minLength=1"`
	Email      string `json:"email,omitempty" jsonschema:"format=email"`
	Phone      string `json:"phone,omitempty"`
	Locale     string `json:"locale,omitempty"`
	TimeZone   string `json:"time_zone,omitempty"`
	SMSConsent bool   `json:"sms_consent,omitempty"`
}

// Line is one order line.
type Line struct {
	ID        string `json:"id" jsonschema:"minLength=1"`
	SKU       string `json:"sku" jsonschema:"minLength=1"`
	Name      string `json:"name" jsonschema:"minLength=1"`
	Quantity  int    `json:"quantity" jsonschema:"minimum=1"`
	UnitPrice Money  `json:"unit_price"`
	ImageURL  string `json:"image_url,omitempty" jsonschema:"format=uri,pattern=^https?://"`
}

// Substitute is an item offered in place of a late line.
type Substitute struct {
	LineID    string `json:"line_id" jsonschema:"minLength=1"`
	SKU       string `json:"sku" jsonschema:"minLength=1"`
	Name      string `json:"name" jsonschema:"minLength=1"`
	UnitPrice Money  `json:"unit_price"`
	URL       string `json:"url,omitempty" jsonschema:"format=uri,pattern=^https?://"`
	ImageURL  string `json:"image_url,omitempty" jsonschema:"format=uri,pattern=^https?://"`
}

// Backorder types (CONTRACT.md §3); the default is standard.
const (
	BackorderStandard     = "standard"
	BackorderPreorder     = "preorder"
	BackorderCustom       = "custom"
	BackorderManufacturer = "manufacturer"
	BackorderDropship     = "dropship"
	BackorderSeasonal     = "seasonal"
	BackorderIndefinite   = "indefinite"
)

// BackorderTypes lists the accepted backorder_type values.
var BackorderTypes = []string{
	BackorderStandard, BackorderPreorder, BackorderCustom, BackorderManufacturer,
	BackorderDropship, BackorderSeasonal, BackorderIndefinite,
}

// BackorderedData is the data of order.backordered.
type BackorderedData struct {
	OrderData
	BackorderedLines []BackorderedLine `json:"backordered_lines" jsonschema:"minItems=1"`
}

// BackorderedLine is one line put on backorder. ETA is null when unknown.
type BackorderedLine struct {
	LineID        string `json:"line_id" jsonschema:"minLength=1"`
	Quantity      int    `json:"quantity" jsonschema:"minimum=1"`
	ETA           *When  `json:"eta"`
	Reason        string `json:"reason,omitempty"`
	BackorderType string `json:"backorder_type,omitempty"`
}

// EtaChangedData is the data of order.eta_changed.
type EtaChangedData struct {
	OrderData
	Changes []EtaChange `json:"changes" jsonschema:"minItems=1"`
	Reason  string      `json:"reason,omitempty"`
}

// EtaChange moves one line's ETA; either side may be null (unknown).
type EtaChange struct {
	LineID      string `json:"line_id" jsonschema:"minLength=1"`
	PreviousETA *When  `json:"previous_eta"`
	ETA         *When  `json:"eta"`
}

// RestockedData is the data of inventory.restocked.
type RestockedData struct {
	Brand       string     `json:"brand" jsonschema:"minLength=1"`
	SKU         string     `json:"sku" jsonschema:"minLength=1"`
	Quantity    int        `json:"quantity" jsonschema:"minimum=1"`
	AvailableAt *time.Time `json:"available_at,omitempty"`
}

// Shipment is one shipment of some lines.
type Shipment struct {
	ID             string         `json:"id" jsonschema:"minLength=1"`
	Carrier        string         `json:"carrier" jsonschema:"minLength=1"`
	TrackingNumber string         `json:"tracking_number" jsonschema:"minLength=1"`
	TrackingURL    string         `json:"tracking_url,omitempty" jsonschema:"format=uri,pattern=^https?://"`
	Lines          []ShipmentLine `json:"lines" jsonschema:"minItems=1"`
}

// ShipmentLine is a quantity of one line in a shipment.
type ShipmentLine struct {
	LineID   string `json:"line_id" jsonschema:"minLength=1"`
	Quantity int    `json:"quantity" jsonschema:"minimum=1"`
}

// PendingLine is a line still to ship after a partial shipment.
type PendingLine struct {
	LineID   string `json:"line_id" jsonschema:"minLength=1"`
	Quantity int    `json:"quantity" jsonschema:"minimum=1"`
	ETA      *When  `json:"eta"`
}

// PartiallyShippedData is the data of order.partially_shipped.
type PartiallyShippedData struct {
	OrderData
	Shipment     *Shipment     `json:"shipment"`
	PendingLines []PendingLine `json:"pending_lines,omitempty"`
}

// ShippedData is the data of order.shipped (the last shipment).
type ShippedData struct {
	OrderData
	Shipment *Shipment `json:"shipment"`
}

// CanceledData is the data of order.canceled. Notify asks notifyd to tell the customer
// itself; by default the shop confirms its own cancellations and notifyd sends nothing.
type CanceledData struct {
	OrderData
	Reason string `json:"reason,omitempty"`
	Notify bool   `json:"notify,omitempty"`
}

// WindowExpiredData is the data of backorder.window_expired. Without LineIDs every
// backordered line of the order is checked.
type WindowExpiredData struct {
	OrderData
	LineIDs []string `json:"line_ids,omitempty"`
}
