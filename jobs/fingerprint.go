package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/notifyd/notifyd/templates"
)

// updateKinds are the kinds that count toward max_updates_per_day.
func updateKinds() []string {
	var ks []string
	for _, k := range templates.Kinds {
		if !templates.Required(k) {
			ks = append(ks, k)
		}
	}
	return ks
}

// fingerprint is what the customer would notice in decision d (CONTRACT.md §6): the
// kind, each line with its quantity and its ETA as a date in the brand's time zone,
// the lines still pending, the parcel, for a legal notice its offer, and for a
// choice_confirmation the choice. Two messages with equal fingerprints are the same
// news.
func fingerprint(d decision, loc *time.Location) string {
	var parts []string
	add := func(prefix string, lines []templates.Line) {
		for _, l := range lines {
			parts = append(parts, fmt.Sprintf("%s%s×%d@%s", prefix, l.ID, l.Quantity, dateOf(l.ETA, loc)))
		}
	}
	add("", d.lines)
	add("pending:", d.pending)
	sort.Strings(parts)
	parts = append([]string{d.kind}, parts...)
	if d.shipment != nil {
		parts = append(parts, "parcel:"+d.shipment.TrackingNumber)
	}
	for _, s := range d.parcels {
		parts = append(parts, "parcels:"+s.TrackingNumber)
	}
	if d.offerID != "" {
		parts = append(parts, "offer:"+d.offerID)
	}
	if d.offer != nil && d.offer.Choice != "" {
		// A choice_confirmation's news is the choice: a switch (§8.6) is told.
		parts = append(parts, "choice:"+d.offer.Choice)
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\n")))
	return hex.EncodeToString(sum[:16])
}

func dateOf(t *time.Time, loc *time.Location) string {
	if t == nil {
		return "unknown"
	}
	return t.In(loc).Format("2006-01-02")
}

// markTold records that the customer now knows the ETAs decision d announced, so the
// next change is measured against them.
func (o *orderState) markTold(d decision) {
	switch d.kind {
	case templates.KindBackorderNotice, templates.KindEtaUpdate, templates.KindDelayOptionOffer:
		o.tell(d.lines)
	case templates.KindPartialShipment:
		o.tell(d.pending)
	}
}

// tellReserved records that the customer now knows the units reserved for lines
// (a restock_notice decided, or the same news was their last message).
func (o *orderState) tellReserved(lines []templates.Line) {
	for _, vl := range lines {
		if l := o.lineState(vl.ID); l != nil {
			l.ReservedTold = true
		}
	}
}

func (o *orderState) tell(lines []templates.Line) {
	for _, vl := range lines {
		if l := o.lineState(vl.ID); l != nil {
			l.ToldETA = vl.ETA
		}
	}
}
