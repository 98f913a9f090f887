package httpapi

import (
	"context"
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/notifyd/notifyd/config"
	"github.com/notifyd/notifyd/store"
)

// TwilioInboundPath is where Twilio posts SMS replies.
const TwilioInboundPath = "/webhooks/twilio/inbound"

// SMSChoices applies an SMS reply to the most recent open offer sent to a number.
type SMSChoices interface {
	// ReplyChoice applies text (trimmed, upper-cased) from phone. handled is false
	// when there is no open offer for that number or text is none of its keywords.
	ReplyChoice(ctx context.Context, phone, text string) (answer string, handled bool, err error)
}

// Opt-out and help keywords (CTIA, and the words Twilio's own opt-out handling uses).
// CANCEL is an opt-out: Twilio treats it as STOP, so no choice keyword may use it.
var (
	stopWords  = map[string]bool{"STOP": true, "STOPALL": true, "UNSUBSCRIBE": true, "CANCEL": true, "END": true, "QUIT": true}
	startWords = map[string]bool{"START": true, "UNSTOP": true, "YES": true}
	helpWords  = map[string]bool{"HELP": true, "INFO": true}
)

type twiml struct {
	XMLName xml.Name `xml:"Response"`
	Message string   `xml:"Message,omitempty"`
}

// twilioInbound answers an SMS reply with TwiML: STOP words suppress SMS and confirm
// once; START words lift it; HELP answers with the brand, its contact and the rates
// notice; choice keywords go to the sender's most recent open offer; anything else
// gets a short helpful answer.
func (s *Server) twilioInbound(w http.ResponseWriter, r *http.Request) {
	params := s.verifyTwilio(w, r, TwilioInboundPath)
	if params == nil {
		return
	}
	from := params["From"]
	text := strings.ToUpper(strings.TrimSpace(params["Body"]))
	brand := s.brandForNumber(params["To"])
	answer, err := s.inboundAnswer(r.Context(), from, text, brand)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(twiml{Message: answer})
}

func (s *Server) inboundAnswer(ctx context.Context, from, text string, brand *config.Brand) (string, error) {
	name := brand.Name
	if brand.SMS.SenderName != "" {
		name = brand.SMS.SenderName
	}
	switch {
	case stopWords[text]:
		already, err := s.hasStop(ctx, from)
		if err != nil || already {
			return "", err // a single confirmation: a repeated STOP gets none
		}
		err = s.Store.AddSuppression(ctx, &store.Suppression{Channel: store.ChannelSMS, Address: from,
			Kind: store.SuppressStop, Reason: "replied " + text, CreatedAt: s.Now()})
		return name + ": you will receive no more SMS from us. Legal notices about your orders will come by email. Reply START to receive SMS again.", err
	case startWords[text]:
		_, err := s.Store.DeleteSuppressions(ctx, store.ChannelSMS, from)
		return name + ": you will receive SMS about your orders again. Reply STOP to opt out.", err
	case helpWords[text]:
		return name + " order updates. Help: " + contact(brand) + ". Msg & data rates may apply. Reply STOP to opt out.", nil
	}
	if s.Choices != nil {
		answer, handled, err := s.Choices.ReplyChoice(ctx, from, text)
		if err != nil || handled {
			return answer, err
		}
	}
	return name + ": we could not read that reply. To answer a delay offer, use the link in our message or reply with one of the words it lists. Help: " + contact(brand) + ".", nil
}

func (s *Server) hasStop(ctx context.Context, phone string) (bool, error) {
	ss, err := s.Store.Suppressions(ctx, store.ChannelSMS, phone)
	if err != nil {
		return false, err
	}
	for _, x := range ss {
		if x.Kind == store.SuppressStop {
			return true, nil
		}
	}
	return false, nil
}

// brandForNumber is the brand whose SMS sender is to, or the first brand.
func (s *Server) brandForNumber(to string) *config.Brand {
	for i := range s.Config.Brands {
		if b := &s.Config.Brands[i]; b.SMS.From != "" && b.SMS.From == to {
			return b
		}
	}
	if len(s.Config.Brands) > 0 {
		return &s.Config.Brands[0]
	}
	return &config.Brand{Name: "notifyd"}
}

func contact(b *config.Brand) string {
	var parts []string
	for _, c := range []string{b.Support.Phone, b.Support.Email, b.Support.URL} {
		if c != "" {
			parts = append(parts, c)
		}
	}
	if len(parts) == 0 {
		return "reply to this message"
	}
	return strings.Join(parts, ", ")
}
