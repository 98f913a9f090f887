package templates

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// File is one template source as a Source returns it.
type File struct {
	Path string // where it came from, as problems name it ("default/fr/shipped.email.tmpl")
	Data []byte
}

// Source finds template files by their relative path ("fr/shipped.email.tmpl",
// "layout.html.tmpl", "en/messages.txt") for a brand. ok is false when this source has
// no such file; a database layer for marketing's edits implements the same interface.
type Source interface {
	Lookup(brand, name string) (f File, ok bool, err error)
}

// FSSource serves files from an fs.FS, for every brand; Prefix names them in problems.
type FSSource struct {
	FS     fs.FS
	Prefix string
}

// Lookup implements Source.
func (s FSSource) Lookup(_, name string) (File, bool, error) {
	b, err := fs.ReadFile(s.FS, name)
	if errors.Is(err, fs.ErrNotExist) {
		return File{}, false, nil
	}
	if err != nil {
		return File{}, false, err
	}
	return File{Path: path.Join(s.Prefix, name), Data: b}, true, nil
}

// DirSource is an override directory (NOTIFYD_TEMPLATES_DIR). With PerBrand it serves
// DIR/brands/<brand>/NAME (one brand's overrides), else DIR/NAME (every brand's). Files
// are read when looked up; the Renderer caches what it loaded.
type DirSource struct {
	Dir      string
	PerBrand bool
}

// Lookup implements Source.
func (s DirSource) Lookup(brand, name string) (File, bool, error) {
	if !s.PerBrand {
		return readFile(filepath.Join(s.Dir, filepath.FromSlash(name)))
	}
	if brand == "" || !validBrandID(brand) {
		return File{}, false, nil
	}
	return readFile(filepath.Join(s.Dir, "brands", brand, filepath.FromSlash(name)))
}

func readFile(p string) (File, bool, error) {
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return File{}, false, nil
	}
	if err != nil {
		return File{}, false, fmt.Errorf("templates: %w", err)
	}
	return File{Path: p, Data: b}, true, nil
}

// validBrandID keeps a brand id from walking out of brands/.
func validBrandID(id string) bool {
	return !strings.ContainsAny(id, `/\`) && id != "." && id != ".."
}

// chain looks a file up in each source in turn.
type chain []Source

func (c chain) Lookup(brand, name string) (File, bool, error) {
	for _, s := range c {
		f, ok, err := s.Lookup(brand, name)
		if err != nil || ok {
			return f, ok, err
		}
	}
	return File{}, false, nil
}

// lookupAll returns the file from every source that has it, most specific first (the
// catalogs merge every layer).
func (c chain) lookupAll(brand, name string) ([]File, error) {
	var fs []File
	for _, s := range c {
		f, ok, err := s.Lookup(brand, name)
		if err != nil {
			return nil, err
		}
		if ok {
			fs = append(fs, f)
		}
	}
	return fs, nil
}

// The relative paths of the template files.
const (
	layoutHTML  = "layout.html.tmpl"
	layoutText  = "layout.text.tmpl"
	catalogFile = "messages.txt"
)

// TemplatePath is the relative path of kind's template for channel in locale
// ("fr/shipped.email.tmpl").
func TemplatePath(kind, channel, locale string) string {
	return locale + "/" + kind + "." + channel + ".tmpl"
}
