package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/notifyd/notifyd/store"
)

// TokenStore is what auth needs of the store.
type TokenStore interface {
	TokenByHash(ctx context.Context, hash string) (*store.Token, error)
	TouchToken(ctx context.Context, id string, at time.Time) error
}

// TokenPrefix starts every API token, so a leaked one is easy to recognise and scan for.
const TokenPrefix = "ntd_"

// NewTokenSecret returns a fresh random API token and the hash to store.
func NewTokenSecret() (secret, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	secret = TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashToken(secret), nil
}

// HashToken is the stored form of a token: hex SHA-256. The token has 256 bits of
// entropy, so a fast hash is enough (no password stretching is needed).
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// HasRole reports whether a token of role have may use a route needing role need.
func HasRole(have, need string) bool { return have == need || have == store.RoleAdmin }

// requireRole wraps h so that it runs only for a valid, unrevoked bearer token whose
// role allows need: 401 without a usable token, 403 with one of the wrong role.
func (s *Server) requireRole(need string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || secret == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="notifyd"`)
			writeProblem(w, Problem{Type: problemUnauthorized, Title: "Unauthorized", Status: http.StatusUnauthorized,
				Detail: "an Authorization: Bearer token is required (create one with `notifyd tokens create`)"})
			return
		}
		tok, err := s.Store.TokenByHash(r.Context(), HashToken(strings.TrimSpace(secret)))
		if errors.Is(err, store.ErrNotFound) || (err == nil && tok.RevokedAt != nil) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="notifyd", error="invalid_token"`)
			writeProblem(w, Problem{Type: problemUnauthorized, Title: "Unauthorized", Status: http.StatusUnauthorized,
				Detail: "the bearer token is unknown or revoked"})
			return
		}
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		if !HasRole(tok.Role, need) {
			writeProblem(w, Problem{Type: problemForbidden, Title: "Forbidden", Status: http.StatusForbidden,
				Detail: "this route needs a token with role " + need + " (or admin); this token has role " + tok.Role})
			return
		}
		if err := s.Store.TouchToken(r.Context(), tok.ID, s.Now()); err != nil {
			s.Logger.Warn("touch token", "token_id", tok.ID, "err", err)
		}
		h(w, r)
	}
}
