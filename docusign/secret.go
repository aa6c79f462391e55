package docusign

import (
	"regexp"
	"strings"
	"sync"
)

// redacted replaces every secret in logs, errors and traces.
const redacted = "[redacted]"

// Secret is a credential. It prints, marshals and logs as "[redacted]"; only
// an explicit string conversion reveals it.
type Secret string

// String returns "[redacted]".
func (Secret) String() string { return redacted }

// GoString returns "[redacted]", so %#v hides the secret too.
func (Secret) GoString() string { return redacted }

// MarshalJSON returns the JSON string "[redacted]".
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText returns "[redacted]".
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// secretPatterns find things that look like credentials in free text: JSON
// or form fields that carry one, bearer headers, JWTs and PEM blocks.
var secretPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)("(?:access_token|refresh_token|id_token|assertion|token|` +
		`client_secret|password|private_key)"\s*:\s*")[^"]*(")`),
	regexp.MustCompile(`(?i)((?:^|[?&\s])(?:access_token|refresh_token|assertion|code|` +
		`client_secret|password)=)[^&\s"]*()`),
	regexp.MustCompile(`(?i)(bearer\s+)[A-Za-z0-9\-._~+/=]+()`),
	regexp.MustCompile(`(?i)("?authorization"?\s*[:=]\s*"?)[^"\n]*()`),
	regexp.MustCompile(`()eyJ[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*()`),
	regexp.MustCompile(`(?s)(-----BEGIN [A-Z ]*PRIVATE KEY-----).*?(-----END [A-Z ]*PRIVATE KEY-----|$)`),
}

// redactor removes known secrets and secret-looking text from strings. The
// client registers every token it holds, so that even a token with no
// recognisable shape is removed wherever it appears.
type redactor struct {
	mu    sync.RWMutex
	known []string
}

// add registers a secret to remove literally. Short strings are ignored so
// that redaction cannot eat ordinary words.
func (r *redactor) add(secret string) {
	if len(secret) < 8 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range r.known {
		if k == secret {
			return
		}
	}
	r.known = append(r.known, secret)
}

// redact returns s with every known secret and secret-looking part replaced.
func (r *redactor) redact(s string) string {
	if r != nil {
		r.mu.RLock()
		for _, k := range r.known {
			s = strings.ReplaceAll(s, k, redacted)
		}
		r.mu.RUnlock()
	}
	for _, re := range secretPatterns {
		s = re.ReplaceAllString(s, "${1}"+redacted+"${2}")
	}
	return s
}

// excerpt returns the first n bytes of body, redacted and on one line.
func (r *redactor) excerpt(body []byte, n int) string {
	s := r.redact(string(body))
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "..."
	}
	return strings.Join(strings.Fields(s), " ")
}
