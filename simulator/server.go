// Package simulator is a faithful fake of Docusign's Admin API account cloning
// endpoints and of its OAuth server, served on loopback. It keeps its state in
// memory, moves every clone through Docusign's statuses over a drawn duration,
// enforces the one-active-clone-per-lane rule and the rate limits, injects
// faults on demand, and counts what it saw so that tests and benchmarks can
// judge a client. It is written from the API reference alone, never from the
// client package, so that each checks the other.
package simulator

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Scopes a token may carry; the cloning calls need the asset_group ones.
const (
	ScopeSignature     = "signature"
	ScopeImpersonation = "impersonation"
	ScopeAccountRead   = "asset_group_account_read"
	ScopeCloneWrite    = "asset_group_account_clone_write"
	ScopeCloneRead     = "asset_group_account_clone_read"
	ScopeOrgRead       = "organization_read"
)

// allScopes are the scopes of the session token in Credentials.
var allScopes = []string{
	ScopeSignature, ScopeImpersonation, ScopeAccountRead, ScopeCloneWrite, ScopeCloneRead,
	ScopeOrgRead,
}

// Credentials are what a client needs to call the simulator.
type Credentials struct {
	OrgID          string `json:"org_id"`
	AccessToken    string `json:"access_token"` // ready to use, with every scope
	IntegrationKey string `json:"integration_key"`
	UserID         string `json:"user_id"`
	PrivateKeyPEM  []byte `json:"-"` // PKCS #1 RSA key registered for the JWT grant
}

// Stats counts what the simulator saw since it was created.
type Stats struct {
	ClonePosts              int                `json:"clone_posts"`
	ClonesAccepted          int                `json:"clones_accepted"`
	RejectedBusy            int                `json:"rejected_busy"`
	RejectedInvalid         int                `json:"rejected_invalid"`
	RateLimited             int                `json:"rate_limited"`
	Duplicates              int                `json:"duplicates"`
	MaxActivePerAssetGroup  int                `json:"max_active_per_asset_group"`
	BusySecondsByAssetGroup map[string]float64 `json:"busy_seconds_by_asset_group"`
	RequestsByEndpoint      map[string]int     `json:"requests_by_endpoint"`
	FaultsInjected          map[string]int     `json:"faults_injected"`
	Requests                int                `json:"requests"`
	// TokensIssued counts the access tokens granted by POST /oauth/token.
	TokensIssued int `json:"tokens_issued"`
}

// user is someone who can obtain a token: the simulator has one.
type user struct {
	id, name, email string
}

// token is an access token the simulator issued.
type token struct {
	userID  string
	scopes  map[string]bool
	expires time.Time // zero: never
}

// Server is a running or runnable simulator. All its methods are safe for
// concurrent use.
type Server struct {
	opts     Options
	org      Org
	accounts map[string]Account // by lowercase account id
	admins   map[string]bool
	user     user
	creds    Credentials
	start    time.Time

	mu      sync.Mutex
	rng     *mrand.Rand
	keys    map[string]*rsa.PublicKey // integration key -> public key
	consent map[string]bool           // user ids that have not consented
	tokens  map[string]token
	clones  map[string]*clone   // by work id
	order   []*clone            // in creation order
	lanes   map[string][]*clone // by lane key
	groups  map[string][]*clone // by asset group id
	triples map[string]int      // accepted clones per (source, name, email)
	limits  limiter
	stats   Stats

	httpSrv *http.Server
	addr    string
}

// New builds a Server from opts, filling defaults and checking them.
func New(opts Options) (*Server, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("simulator options: %w", err)
	}

	org := opts.Org.normalized()
	if len(org.Accounts) == 0 {
		org = DefaultOrg()
	}
	if err := org.validate(); err != nil {
		return nil, fmt.Errorf("simulator organization: %w", err)
	}

	key, err := signingKey(opts.PrivateKey)
	if err != nil {
		return nil, err
	}

	s := &Server{
		opts:     opts,
		org:      org,
		accounts: map[string]Account{},
		admins:   map[string]bool{},
		start:    opts.clock(),
		rng:      mrand.New(mrand.NewPCG(uint64(opts.Seed), 0x5eed)),
		keys:     map[string]*rsa.PublicKey{},
		consent:  map[string]bool{},
		tokens:   map[string]token{},
		clones:   map[string]*clone{},
		lanes:    map[string][]*clone{},
		groups:   map[string][]*clone{},
		triples:  map[string]int{},
		stats: Stats{
			BusySecondsByAssetGroup: map[string]float64{},
			RequestsByEndpoint:      map[string]int{},
			FaultsInjected:          map[string]int{},
		},
	}
	s.limits = newLimiter(opts, s.start)
	for _, acc := range org.Accounts {
		s.accounts[acc.AccountID] = acc
	}
	for _, admin := range org.Admins {
		s.admins[admin] = true
	}

	s.user = user{id: randomGUID(s.rng), name: "Simulator Admin", email: "admin@example.com"}
	if len(org.Admins) > 0 {
		s.user.email = org.Admins[0]
	}
	s.creds = Credentials{
		OrgID:          org.OrgID,
		AccessToken:    secretToken(),
		IntegrationKey: randomGUID(s.rng),
		UserID:         s.user.id,
		PrivateKeyPEM: pem.EncodeToMemory(&pem.Block{
			Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key),
		}),
	}
	s.keys[s.creds.IntegrationKey] = &key.PublicKey
	s.tokens[s.creds.AccessToken] = token{userID: s.user.id, scopes: scopeSet(allScopes)}
	return s, nil
}

// signingKey returns key, or a new 2048-bit RSA key when key is nil.
func signingKey(key *rsa.PrivateKey) (*rsa.PrivateKey, error) {
	if key != nil {
		return key, nil
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate simulator signing key: %w", err)
	}
	return key, nil
}

// secretToken is an unguessable access token.
func secretToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return "sim." + hex.EncodeToString(b)
}

// Handler serves the Admin API, the OAuth endpoints and /_sim/stats.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

// Start listens on addr (port 0 picks a free port) and serves in the
// background until Close.
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}

	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	s.httpSrv = srv
	s.addr = ln.Addr().String()
	s.mu.Unlock()

	go func() { _ = srv.Serve(ln) }() // Serve returns when Close shuts it down
	return nil
}

// Close stops serving, cutting open connections. It does nothing when the
// server was never started.
func (s *Server) Close() error {
	s.mu.Lock()
	srv := s.httpSrv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("stop simulator: %w", err)
	}
	return srv.Close()
}

// BaseURL is the Admin API base of a started server, for example
// "http://127.0.0.1:8089/Management".
func (s *Server) BaseURL() string { return s.AuthURL() + "/Management" }

// AuthURL is the OAuth base of a started server, for example
// "http://127.0.0.1:8089"; the token endpoint is AuthURL()+"/oauth/token".
func (s *Server) AuthURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "http://" + s.addr
}

// Credentials returns the organization id, a ready access token and the JWT
// grant trio registered with the simulator.
func (s *Server) Credentials() Credentials {
	c := s.creds
	c.PrivateKeyPEM = append([]byte(nil), s.creds.PrivateKeyPEM...)
	return c
}

// Org returns the organization the server serves.
func (s *Server) Org() Org { return s.org }

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()

	st := s.stats
	st.BusySecondsByAssetGroup = copyMap(s.stats.BusySecondsByAssetGroup)
	st.RequestsByEndpoint = copyMap(s.stats.RequestsByEndpoint)
	st.FaultsInjected = copyMap(s.stats.FaultsInjected)
	st.Duplicates = 0
	for _, n := range s.triples {
		if n > 1 {
			st.Duplicates++
		}
	}
	return st
}

// RequireConsent marks userID as not having consented: the JWT grant for it
// answers consent_required until GrantConsent.
func (s *Server) RequireConsent(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.consent[strings.ToLower(userID)] = true
}

// GrantConsent records that userID has consented.
func (s *Server) GrantConsent(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.consent, strings.ToLower(userID))
}

// ExpireTokens expires every access token issued so far, the session token of
// Credentials included: the next Admin API call with any of them gets 401.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()

	past := s.opts.clock().Add(-time.Second)
	for k, t := range s.tokens {
		t.expires = past
		s.tokens[k] = t
	}
}

// AddIntegrationKey registers another integration key and the public key that
// verifies its JWT assertions.
func (s *Server) AddIntegrationKey(integrationKey string, pub *rsa.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[integrationKey] = pub
}

func scopeSet(scopes []string) map[string]bool {
	set := make(map[string]bool, len(scopes))
	for _, sc := range scopes {
		set[sc] = true
	}
	return set
}

func copyMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
