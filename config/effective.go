package config

import (
	"fmt"
	"io"
	"net/url"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Warnings lists what is valid but probably not meant: channels left off, features
// that cannot work as configured.
func (c *Config) Warnings() []string {
	var w []string
	if c.OutboxDir != "" {
		w = append(w, fmt.Sprintf("NOTIFYD_OUTBOX_DIR is set: messages are written to %s, not sent", c.OutboxDir))
	} else {
		if !c.SMTPEnabled() {
			w = append(w, "NOTIFYD_SMTP_URL not set: email disabled")
		}
		if !c.TwilioEnabled() {
			w = append(w, "NOTIFYD_TWILIO_ACCOUNT_SID not set: SMS disabled")
		}
	}
	if u, err := url.Parse(c.PublicURL); err == nil && u.Scheme != "https" {
		w = append(w, "NOTIFYD_PUBLIC_URL is not https: List-Unsubscribe-Post (RFC 8058 one-click) is left out")
	}
	if c.CommerceWebhookURL == "" {
		w = append(w, "NOTIFYD_COMMERCE_WEBHOOK_URL not set: customer choices and auto-cancellations are not sent to the shop")
	}
	if len(c.Brands) == 0 {
		w = append(w, "no brands configured: every event will be rejected")
	}
	return w
}

// WriteEffective prints the effective configuration as YAML: every NOTIFYD_* variable
// with its value, then the brands and each brand's resolved policy. Secrets, and
// passwords inside URLs, are printed as [redacted].
func (c *Config) WriteEffective(w io.Writer) error {
	doc := &yaml.Node{Kind: yaml.MappingNode}
	for _, e := range envVars {
		v := e.get(c)
		switch {
		case e.secret && v != "":
			v = redacted
		case e.url:
			v = redactURL(v)
		}
		addPair(doc, e.name, scalar(v))
	}

	brands := &yaml.Node{}
	if err := brands.Encode(c.Brands); err != nil {
		return fmt.Errorf("print brands: %w", err)
	}
	addPair(doc, "brands", pruneEmpty(brands))

	policies := &yaml.Node{Kind: yaml.MappingNode}
	addPair(policies, "default", policyNode(c.Policies.Default))
	for _, b := range c.Brands {
		addPair(policies, b.ID, policyNode(c.Policies.For(b.ID)))
	}
	addPair(doc, "policies", policies)

	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("print configuration: %w", err)
	}
	return enc.Close()
}

func policyNode(p Policy) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range policyKeys {
		addPair(n, k.name, scalar(k.get(&p)))
	}
	return n
}

// scalar is s as a YAML value: numbers plain, any other text a string (quoted where
// YAML would read it otherwise).
func scalar(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		n.Tag = ""
	}
	return n
}

func addPair(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, scalar(key), v)
}

// pruneEmpty drops the keys of unset brand fields so the printout shows what is set.
func pruneEmpty(n *yaml.Node) *yaml.Node {
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			pruneEmpty(c)
		}
	case yaml.MappingNode:
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			v := pruneEmpty(n.Content[i+1])
			empty := v.Tag == "!!null" || v.Kind == yaml.ScalarNode && v.Value == "" || v.Kind == yaml.MappingNode && len(v.Content) == 0
			if !empty {
				kept = append(kept, n.Content[i], v)
			}
		}
		n.Content = kept
	}
	return n
}
