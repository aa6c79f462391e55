package docusign

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Environments and their hosts.
const (
	EnvDemo       = "demo"
	EnvProduction = "production"
)

var envHosts = map[string]struct{ base, auth string }{
	EnvDemo:       {"https://api-d.docusign.net/Management", "https://account-d.docusign.com"},
	EnvProduction: {"https://api.docusign.net/Management", "https://account.docusign.com"},
}

// DefaultRedirectURI is the redirect URI of the consent URL when Config has
// none: Docusign's own page, registered on many integration keys.
const DefaultRedirectURI = "https://developers.docusign.com/platform/auth/consent"

// The names of the settings a user can give, used in error messages.
const (
	EnvIntegrationKey = "DOCUSIGN_INTEGRATION_KEY"
	EnvUserID         = "DOCUSIGN_USER_ID"
	EnvPrivateKeyFile = "DOCUSIGN_PRIVATE_KEY_FILE"
	EnvOrgID          = "DOCUSIGN_ORG_ID"
	EnvAccessToken    = "DOCUSIGN_ACCESS_TOKEN"
)

// Scopes are the OAuth scopes dsclone asks for.
var Scopes = []string{
	"signature", "impersonation", "asset_group_account_read",
	"asset_group_account_clone_write", "asset_group_account_clone_read", "organization_read",
}

// ErrMissingCredential marks a Config that lacks a credential. The message
// names the environment variable to set.
var ErrMissingCredential = errors.New("missing credential")

// Config configures a Client. Only the credentials are required.
type Config struct {
	// Env is "demo" (the default) or "production"; it picks the hosts.
	Env string
	// BaseURL overrides the Admin API base, e.g. "http://127.0.0.1:8089/Management".
	BaseURL string
	// AuthURL overrides the OAuth base, e.g. "http://127.0.0.1:8089". The JWT
	// audience is its host.
	AuthURL string
	// OrgID is the organization the cloning calls address.
	OrgID string

	// IntegrationKey, UserID and PrivateKeyFile (or PrivateKeyPEM) are the JWT
	// grant trio. The key file is refused when group or others can read it.
	IntegrationKey string
	UserID         string
	PrivateKeyFile string
	PrivateKeyPEM  []byte
	// AccessToken is a ready token used instead of the JWT grant.
	AccessToken Secret
	// RedirectURI is the one registered on the integration key, for the
	// consent URL (default DefaultRedirectURI).
	RedirectURI string

	// HTTPClient supplies the transport (default: a clone of
	// http.DefaultTransport). Its transport must report connections through
	// net/http/httptrace (GotConn), as http.Transport does: a POST is taken
	// for never sent, and retried, only when no connection was obtained.
	HTTPClient *http.Client
	// Timeout bounds each request (default 30s).
	Timeout time.Duration
	// MaxAttempts bounds the attempts of a GET (default 6).
	MaxAttempts int
	// BaseDelay and MaxDelay bound the jittered exponential backoff
	// (defaults 500ms and 30s).
	BaseDelay, MaxDelay time.Duration
	// MaxRetryAfter caps the wait a Retry-After header asks for (default 60s).
	MaxRetryAfter time.Duration

	// Budget is the run's shared rate budget; nil gives the client its own.
	Budget *Budget
	// Trace receives one JSON line per HTTP exchange, secrets redacted.
	Trace io.Writer
	// Logger receives one debug line per request; silent by default.
	Logger zerolog.Logger
	// Sleep waits between attempts (default: a timer that ctx interrupts).
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock of the client's own budget (default time.Now).
	Now func() time.Time
}

// settings is a Config with its defaults filled and its values checked.
type settings struct {
	Config
	base *url.URL
	auth *url.URL
	key  []byte // PEM of the private key, nil with an access token
}

// resolve fills the defaults of cfg and checks it.
func resolve(cfg Config) (*settings, error) {
	s := &settings{Config: cfg}
	if err := s.resolveHosts(); err != nil {
		return nil, err
	}
	if err := s.resolveCredentials(); err != nil {
		return nil, err
	}

	setDur := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	setDur(&s.Timeout, 30*time.Second)
	setDur(&s.BaseDelay, 500*time.Millisecond)
	setDur(&s.MaxDelay, 30*time.Second)
	setDur(&s.MaxRetryAfter, 60*time.Second)
	if s.MaxAttempts <= 0 {
		s.MaxAttempts = 6
	}
	if s.RedirectURI == "" {
		s.RedirectURI = DefaultRedirectURI
	}
	if s.Sleep == nil {
		s.Sleep = sleepContext
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	return s, nil
}

// resolveHosts picks the hosts of the environment and applies the overrides.
func (s *settings) resolveHosts() error {
	if s.Env == "" {
		s.Env = EnvDemo
	}
	hosts, ok := envHosts[strings.ToLower(s.Env)]
	if !ok {
		return fmt.Errorf("environment %q: use %s or %s", s.Env, EnvDemo, EnvProduction)
	}
	s.Env = strings.ToLower(s.Env)

	var err error
	if s.base, err = parseBase("base URL", s.BaseURL, hosts.base); err != nil {
		return err
	}
	s.auth, err = parseBase("auth URL", s.AuthURL, hosts.auth)
	return err
}

// parseBase parses a base URL: https, or http on a loopback host only.
func parseBase(what, raw, def string) (*url.URL, error) {
	if raw == "" {
		raw = def
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%s %q: not an absolute URL", what, raw)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		return nil, fmt.Errorf("%s %q: use https (http only on loopback)", what, raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s %q: no user, query or fragment allowed", what, raw)
	}
	return u, nil
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// resolveCredentials checks that a token or the whole JWT trio is there, and
// reads the private key.
func (s *settings) resolveCredentials() error {
	if s.AccessToken != "" {
		return nil
	}

	missing := func(what, env, flag string) error {
		return fmt.Errorf("%w: no %s: set %s%s (or %s to use a ready access token)",
			ErrMissingCredential, what, env, flag, EnvAccessToken)
	}
	switch {
	case s.IntegrationKey == "":
		return missing("integration key", EnvIntegrationKey, "")
	case s.UserID == "":
		return missing("user id", EnvUserID, "")
	case s.PrivateKeyFile == "" && len(s.PrivateKeyPEM) == 0:
		return missing("private key", EnvPrivateKeyFile, "")
	}

	key := s.PrivateKeyPEM
	if len(key) == 0 {
		var err error
		if key, err = readPrivateKeyFile(s.PrivateKeyFile); err != nil {
			return err
		}
	}
	if err := checkPrivateKey(key); err != nil {
		return err
	}
	s.key = key
	return nil
}

// readPrivateKeyFile reads a key file that only its owner can read.
func readPrivateKeyFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("private key file %q: %w", path, err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("private key file %q: mode %04o lets others read it: "+
			"run chmod 600 %q", path, perm, path)
	}

	key, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read private key file %q: %w", path, err)
	}
	return key, nil
}

// checkPrivateKey makes sure key is a PEM RSA private key, without ever
// putting any of its bytes into the error.
func checkPrivateKey(key []byte) error {
	block, _ := pem.Decode(key)
	if block == nil {
		return errors.New("private key: not PEM (expected -----BEGIN RSA PRIVATE KEY-----)")
	}
	if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return nil
	}
	if key, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if _, ok := key.(*rsa.PrivateKey); ok {
			return nil
		}
	}
	return fmt.Errorf("private key: the %s block is not an RSA private key", block.Type)
}

// sleepContext waits for d or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
