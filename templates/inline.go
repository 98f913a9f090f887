package templates

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/vanng822/go-premailer/premailer"
)

// action matches one template action, {{…}}, trim markers included.
var action = regexp.MustCompile(`(?s)\{\{.*?\}\}`)

// control reports whether an action (trim markers and spaces removed) steers the
// template rather than printing a value: those may sit between table rows, where
// net/html would move text, so they become comments, which it keeps in place.
func control(a string) bool {
	inner := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(strings.TrimPrefix(a, "{{"), "}}"), "-"), "-"))
	for _, kw := range []string{"if ", "else", "end", "range ", "with ", "template ", "block ", "define ", "break", "continue", "/*"} {
		if strings.HasPrefix(inner, kw) {
			return true
		}
	}
	return false
}

// inlineCSS inlines the <style> rules of an HTML template into style attributes with
// premailer, protecting template actions with placeholder tokens: control actions
// become <!--tplN--> comments, value actions tplNx words (valid in text, attributes
// and CSS). Rules premailer cannot inline (media queries) stay in a <style> block.
func inlineCSS(src string) (string, error) {
	var actions []string
	protected := action.ReplaceAllStringFunc(src, func(a string) string {
		actions = append(actions, a)
		if control(a) {
			return fmt.Sprintf("<!--tpl%d-->", len(actions)-1)
		}
		return fmt.Sprintf("tpl%dx", len(actions)-1)
	})
	pm, err := premailer.NewPremailerFromString(protected, premailer.NewOptions(premailer.WithKeepBangImportant(true)))
	if err != nil {
		return "", fmt.Errorf("inline css: %w", err)
	}
	out, err := pm.Transform()
	if err != nil {
		return "", fmt.Errorf("inline css: %w", err)
	}
	pairs := make([]string, 0, 6*len(actions))
	for i, a := range actions {
		pairs = append(pairs,
			fmt.Sprintf("<!--tpl%d-->", i), a,
			fmt.Sprintf("&lt;!--tpl%d--&gt;", i), a,
			fmt.Sprintf("tpl%dx", i), a)
	}
	out = strings.NewReplacer(pairs...).Replace(out)
	if strings.Contains(out, "tpl") && regexp.MustCompile(`tpl\d+x|<!--tpl\d+-->`).MatchString(out) {
		return "", fmt.Errorf("inline css: a template action was lost")
	}
	return out, nil
}
