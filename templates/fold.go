package templates

import (
	"bytes"
	"errors"
	htmltemplate "html/template"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	texttemplate "text/template"
	"text/template/parse"
)

// Constant folding. A set is one brand × kind × locale, so a catalog string such as
// {{t "button.status"}} or {{t "label" (t "heading.items")}} has the same value at
// every render; text/template would still call t through reflect each time and, in
// HTML, an escaper after it. When a set is loaded, fold evaluates every action whose
// pipeline is such a constant and replaces it with its output as literal text, and
// replaces every constant parenthesised argument with a string literal.
//
// It is exact by construction: the value is computed with the set's own func map by
// text/template itself, and in HTML only after html/template has escaped the tree
// (its escapers are appended to each pipeline at the first execution, done at load)
// and only when the pipeline ends in one escaper that a probe template reproduces —
// the probe is html/template escaping the same value in the same kind of context. A
// pipeline whose value is an error (a missing translation) is left alone, so it
// still fails at render with its path:line.

// pureFuncs depend on their arguments and the set only (its catalogs and locale);
// the builtins listed depend on their arguments only.
var pureFuncs = map[string]bool{
	"t": true, "plural": true, "par": true, "number": true, "money": true, "short": true,
	"eq": true, "ne": true, "not": true, "and": true, "or": true,
}

// pageConsts are the page fields that are the same at every render of a set: the
// set is keyed by the brand (but its time zone, which no template prints), the kind
// and the lines' backorder type.
var pageConsts = map[string]bool{"Brand": true, "Kind": true, "Lang": true, "Update": true, "Colors": true, "Type": true}

// folder evaluates constant pipelines with one func map.
type folder struct {
	html   bool  // trees escaped by html/template: fold actions ending in a probed escaper
	consts *page // the set's constant page fields
	eval   *texttemplate.Template
	got    any
	onPage map[string]bool // templates whose data is always the page
}

func newFolder(funcs map[string]any, html bool, consts *page) *folder {
	f := &folder{html: html, consts: consts}
	fm := make(map[string]any, len(funcs)+1)
	for k, v := range funcs {
		fm[k] = v
	}
	fm["__fold"] = func(v any) string { f.got = v; return "" }
	f.eval = texttemplate.New("fold").Funcs(fm)
	return f
}

// treeOf finds a template's parse tree by name.
type treeOf func(name string) *parse.Tree

// foldText folds every template of a text/template set; roots are the templates
// the set executes on the page.
func foldText(t *texttemplate.Template, funcs map[string]any, consts *page, roots ...string) {
	f := newFolder(funcs, false, consts)
	f.run(func(name string) *parse.Tree {
		if x := t.Lookup(name); x != nil {
			return x.Tree
		}
		return nil
	}, roots)
}

// foldHTML escapes an html/template set (as its first execution would) and folds
// every escaped template. An escaping error is left for the render to report.
func foldHTML(t *htmltemplate.Template, funcs map[string]any, consts *page) {
	var escErr *htmltemplate.Error
	if err := t.Execute(io.Discard, nil); errors.As(err, &escErr) {
		return
	}
	f := newFolder(funcs, true, consts)
	f.run(func(name string) *parse.Tree {
		if x := t.Lookup(name); x != nil {
			return x.Tree
		}
		return nil
	}, []string{t.Name()})
}

func (f *folder) run(tree treeOf, roots []string) {
	f.onPage = dataIsPage(tree, roots)
	seen := map[*parse.Tree]bool{}
	// Every reachable template folds; only those executed on the page fold the
	// page's constant fields.
	for _, name := range allNames(tree, roots) {
		tr := tree(name)
		if tr == nil || seen[tr] {
			continue
		}
		seen[tr] = true
		p := f.onPage[name]
		f.list(tr.Root, scope{dot: p, dollar: p})
	}
}

// scope says whether dot and $ are the page where a node executes.
type scope struct{ dot, dollar bool }

// dataIsPage returns the templates that are executed on the page only: the roots,
// and templates every {{template}} call of which (from templates reachable from
// the roots) passes the page, as . or $ where those are the page.
func dataIsPage(tree treeOf, roots []string) map[string]bool {
	yes, no := map[string]bool{}, map[string]bool{}
	for _, r := range roots {
		yes[r] = true
	}
	for changed := true; changed; {
		changed = false
		for _, name := range allNames(tree, roots) {
			tr := tree(name)
			if tr == nil {
				continue
			}
			p := yes[name] && !no[name]
			calls(tr.Root, scope{dot: p, dollar: p}, func(n *parse.TemplateNode, page bool) {
				m := yes
				if !page {
					m = no
				}
				if !m[n.Name] {
					m[n.Name], changed = true, true
				}
			})
		}
	}
	for n := range no {
		delete(yes, n)
	}
	return yes
}

// allNames lists the roots and every template they call, transitively.
func allNames(tree treeOf, roots []string) []string {
	var out []string
	seen := map[string]bool{}
	var visit func(string)
	visit = func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		out = append(out, name)
		if tr := tree(name); tr != nil {
			calls(tr.Root, scope{}, func(n *parse.TemplateNode, _ bool) { visit(n.Name) })
		}
	}
	for _, r := range roots {
		visit(r)
	}
	return out
}

// calls reports every {{template}} node under n and whether it passes the page.
func calls(n parse.Node, sc scope, fn func(*parse.TemplateNode, bool)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				calls(c, sc, fn)
			}
		}
	case *parse.IfNode:
		calls(n.List, sc, fn)
		calls(n.ElseList, sc, fn)
	case *parse.RangeNode:
		calls(n.List, scope{dollar: sc.dollar}, fn)
		calls(n.ElseList, sc, fn)
	case *parse.WithNode:
		calls(n.List, scope{dollar: sc.dollar}, fn)
		calls(n.ElseList, sc, fn)
	case *parse.TemplateNode:
		fn(n, passesPage(n.Pipe, sc))
	}
}

func passesPage(p *parse.PipeNode, sc scope) bool {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return false
	}
	switch a := p.Cmds[0].Args[0].(type) {
	case *parse.DotNode:
		return sc.dot
	case *parse.VariableNode:
		return sc.dollar && len(a.Ident) == 1 && a.Ident[0] == "$"
	}
	return false
}

func (f *folder) list(l *parse.ListNode, sc scope) {
	if l == nil {
		return
	}
	out := make([]parse.Node, 0, len(l.Nodes))
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			f.args(n.Pipe, sc)
			if s, ok := f.action(n.Pipe); ok {
				out = appendText(out, n.Pos, s)
				continue
			}
		case *parse.IfNode:
			f.branch(&n.BranchNode, sc, sc)
			if branch, ok := f.decided(&n.BranchNode); ok {
				for _, c := range branch {
					if t, ok := c.(*parse.TextNode); ok {
						out = appendText(out, t.Pos, string(t.Text))
					} else {
						out = append(out, c)
					}
				}
				continue
			}
		case *parse.RangeNode:
			f.branch(&n.BranchNode, scope{dollar: sc.dollar}, sc)
		case *parse.WithNode:
			f.branch(&n.BranchNode, scope{dollar: sc.dollar}, sc)
		case *parse.TemplateNode:
			f.args(n.Pipe, sc)
		case *parse.ListNode:
			f.list(n, sc)
		}
		out = append(out, n)
	}
	l.Nodes = out
}

// appendText appends s as text, merged with the text node before it if any.
func appendText(out []parse.Node, pos parse.Pos, s string) []parse.Node {
	if len(out) > 0 {
		if prev, ok := out[len(out)-1].(*parse.TextNode); ok {
			out[len(out)-1] = &parse.TextNode{NodeType: parse.NodeText, Pos: prev.Pos, Text: append(append([]byte(nil), prev.Text...), s...)}
			return out
		}
	}
	return append(out, &parse.TextNode{NodeType: parse.NodeText, Pos: pos, Text: []byte(s)})
}

func (f *folder) branch(b *parse.BranchNode, body, outer scope) {
	f.args(b.Pipe, outer)
	f.list(b.List, body)
	f.list(b.ElseList, outer)
}

// decided returns the branch an {{if}} with a constant condition always takes,
// unless that branch declares a variable (its scope would then widen).
func (f *folder) decided(b *parse.BranchNode) ([]parse.Node, bool) {
	p := b.Pipe
	if len(p.Decl) > 0 || p.IsAssign || !constant(p.Cmds, len(p.Cmds)) {
		return nil, false
	}
	v, ok := f.value(p.Pos, p.Cmds)
	if !ok {
		return nil, false
	}
	truth, ok := texttemplate.IsTrue(v)
	if !ok {
		return nil, false
	}
	l := b.List
	if !truth {
		l = b.ElseList
	}
	if l == nil {
		return nil, true
	}
	for _, n := range l.Nodes {
		if a, ok := n.(*parse.ActionNode); ok && len(a.Pipe.Decl) > 0 && !a.Pipe.IsAssign {
			return nil, false
		}
	}
	return l.Nodes, true
}

// args replaces, in p's commands, the page's constant fields (where . or $ is the
// page) and constant parenthesised arguments by string or bool literals.
func (f *folder) args(p *parse.PipeNode, sc scope) {
	if p == nil {
		return
	}
	for _, c := range p.Cmds {
		for i, a := range c.Args {
			var v any
			var ok bool
			switch a := a.(type) {
			case *parse.FieldNode:
				if sc.dot && pageConsts[a.Ident[0]] {
					v, ok = f.value(a.Pos, []*parse.CommandNode{{NodeType: parse.NodeCommand, Pos: a.Pos, Args: []parse.Node{a}}})
				}
			case *parse.VariableNode:
				if sc.dollar && len(a.Ident) > 1 && a.Ident[0] == "$" && pageConsts[a.Ident[1]] {
					v, ok = f.value(a.Pos, []*parse.CommandNode{{NodeType: parse.NodeCommand, Pos: a.Pos, Args: []parse.Node{a}}})
				}
			case *parse.PipeNode:
				f.args(a, sc)
				if len(a.Decl) == 0 && constant(a.Cmds, len(a.Cmds)) {
					v, ok = f.value(a.Pos, a.Cmds)
				}
			}
			if !ok {
				continue
			}
			switch x := v.(type) {
			case string:
				if reflect.TypeOf(v) == reflect.TypeFor[string]() {
					c.Args[i] = &parse.StringNode{NodeType: parse.NodeString, Pos: a.Position(), Quoted: strconv.Quote(x), Text: x}
				}
			case bool:
				c.Args[i] = &parse.BoolNode{NodeType: parse.NodeBool, Pos: a.Position(), True: x}
			}
		}
	}
}

// action returns the output of an action whose pipeline is constant.
func (f *folder) action(p *parse.PipeNode) (string, bool) {
	if len(p.Decl) > 0 || p.IsAssign {
		return "", false
	}
	n, esc := len(p.Cmds), ""
	if f.html {
		// html/template appended its escapers; fold only behind exactly one that
		// a probe reproduces.
		for n > 0 && escaperName(p.Cmds[n-1]) != "" {
			n--
		}
		if len(p.Cmds)-n != 1 {
			return "", false
		}
		esc = escaperName(p.Cmds[n])
	}
	if n == 0 || !constant(p.Cmds, n) {
		return "", false
	}
	v, ok := f.value(p.Pos, p.Cmds[:n])
	if !ok || reflect.ValueOf(v).Kind() != reflect.String {
		return "", false
	}
	if !f.html {
		return reflect.ValueOf(v).String(), true
	}
	return probe(esc, v)
}

// constant reports whether the first n commands are calls of pure funcs (or
// literals) with literal arguments.
func constant(cmds []*parse.CommandNode, n int) bool {
	for _, c := range cmds[:n] {
		for i, a := range c.Args {
			switch a := a.(type) {
			case *parse.IdentifierNode:
				if i > 0 || !pureFuncs[a.Ident] {
					return false
				}
			case *parse.StringNode, *parse.NumberNode, *parse.BoolNode:
			default:
				return false
			}
		}
	}
	return true
}

// value evaluates commands with the set's funcs on its constant page fields; ok is
// false when they fail.
func (f *folder) value(pos parse.Pos, cmds []*parse.CommandNode) (any, bool) {
	capture := &parse.CommandNode{NodeType: parse.NodeCommand, Pos: pos, Args: []parse.Node{parse.NewIdentifier("__fold").SetPos(pos)}}
	pipe := &parse.PipeNode{NodeType: parse.NodePipe, Pos: pos, Cmds: append(append([]*parse.CommandNode(nil), cmds...), capture)}
	tree := &parse.Tree{Name: "fold", Root: &parse.ListNode{NodeType: parse.NodeList, Pos: pos,
		Nodes: []parse.Node{&parse.ActionNode{NodeType: parse.NodeAction, Pos: pos, Pipe: pipe}}}}
	t, err := f.eval.AddParseTree("fold", tree)
	if err != nil {
		return nil, false
	}
	f.got = nil
	if err := t.Execute(io.Discard, f.consts); err != nil || f.got == nil {
		return nil, false
	}
	return f.got, true
}

func escaperName(c *parse.CommandNode) string {
	if len(c.Args) != 1 {
		return ""
	}
	if id, ok := c.Args[0].(*parse.IdentifierNode); ok && strings.HasPrefix(id.Ident, "_html_template_") {
		return id.Ident
	}
	return ""
}

// probes reproduce one html/template escaper each: the template escapes {{.}} with
// exactly that escaper, between a fixed prefix and suffix.
var probes = sync.OnceValue(func() map[string]*probeT {
	m := map[string]*probeT{}
	for _, p := range []struct{ esc, pre, post string }{
		{"_html_template_htmlescaper", "<p>", "</p>"},
		{"_html_template_attrescaper", `<p title="`, `">`},
		{"_html_template_rcdataescaper", "<title>", "</title>"},
	} {
		t := htmltemplate.Must(htmltemplate.New("probe").Parse(p.pre + "{{.}}" + p.post))
		if t.Execute(io.Discard, "") != nil {
			continue
		}
		// Keep the probe only if html/template gave its action that one escaper.
		for _, n := range t.Tree.Root.Nodes {
			if a, ok := n.(*parse.ActionNode); ok && len(a.Pipe.Cmds) == 2 && escaperName(a.Pipe.Cmds[1]) == p.esc {
				m[p.esc] = &probeT{t: t, pre: p.pre, post: p.post}
			}
		}
	}
	return m
})

type probeT struct {
	t         *htmltemplate.Template
	pre, post string
}

// probe escapes v as html/template's escaper esc does.
func probe(esc string, v any) (string, bool) {
	p := probes()[esc]
	if p == nil {
		return "", false
	}
	var b bytes.Buffer
	if err := p.t.Execute(&b, v); err != nil {
		return "", false
	}
	s, ok := strings.CutPrefix(b.String(), p.pre)
	if !ok {
		return "", false
	}
	return strings.CutSuffix(s, p.post)
}
