package docusign

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock whose Sleep records the wait and moves time on.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleeps = append(f.sleeps, d)
	f.t = f.t.Add(d)
	return ctx.Err()
}

func (f *fakeClock) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

// answer is one canned HTTP answer.
type answer struct {
	status int
	ctype  string
	body   string
	header map[string]string
}

// scripted serves the answers in order, repeating the last, and counts the
// requests.
type scripted struct {
	mu      sync.Mutex
	answers []answer
	n       int
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	a := s.answers[min(s.n, len(s.answers)-1)]
	s.n++
	s.mu.Unlock()

	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	if a.ctype == "" {
		a.ctype = "application/json"
	}
	w.Header().Set("Content-Type", a.ctype)
	w.WriteHeader(a.status)
	_, _ = w.Write([]byte(a.body))
}

func (s *scripted) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// serveScript starts a loopback server answering answers in order.
func serveScript(t *testing.T, answers ...answer) (*httptest.Server, *scripted) {
	t.Helper()
	sc := &scripted{answers: answers}
	srv := httptest.NewServer(sc)
	t.Cleanup(srv.Close)
	return srv, sc
}

// testClient builds a client with a static token against baseURL, a fake
// clock, and cfg's other fields as given.
func testClient(t *testing.T, baseURL string, clock *fakeClock, cfg Config) *Client {
	t.Helper()
	cfg.BaseURL = baseURL + "/Management"
	cfg.AuthURL = baseURL
	cfg.OrgID = "org-1"
	if cfg.AccessToken == "" {
		cfg.AccessToken = "static-test-token-123"
	}
	cfg.Sleep, cfg.Now = clock.Sleep, clock.Now
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}
