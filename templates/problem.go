package templates

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a template file, at a line when known.
type Problem struct {
	Path string
	Line int // 0 = the whole file
	Msg  string
}

func (p *Problem) Error() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.Path, p.Line, p.Msg)
	}
	return p.Path + ": " + p.Msg
}

// tmplErr matches text/template and html/template errors: "template: NAME:LINE[:COL]: MSG"
// and "html/template:NAME:LINE:COL: MSG".
var tmplErr = regexp.MustCompile(`^(?:html/)?template: ?(.+?):(\d+)(?::\d+)?: (.*)$`)

// problemOf turns a template error into a Problem naming path:line; fallback is the
// path used when the error names none.
func problemOf(err error, fallback string) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	msg := err.Error()
	if m := tmplErr.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[2])
		return &Problem{Path: m[1], Line: n, Msg: tidyMsg(m[3])}
	}
	msg = strings.TrimPrefix(strings.TrimPrefix(msg, "html/template:"), "template:")
	return &Problem{Path: fallback, Msg: strings.TrimSpace(msg)}
}

// tidyMsg drops text/template's `executing "NAME" at <…>: ` prefix's noise but keeps
// the action, which tells the author what failed.
func tidyMsg(m string) string {
	if i := strings.Index(m, "error calling "); i >= 0 {
		return m[i:]
	}
	return m
}
