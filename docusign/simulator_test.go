package docusign

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/dsclone/dsclone/simulator"
)

var (
	simKeyOnce sync.Once
	simKey     *rsa.PrivateKey
)

// startSim serves a simulator on loopback for the test, sharing one RSA key
// between all of them.
func startSim(t *testing.T, opts simulator.Options) *simulator.Server {
	t.Helper()
	simKeyOnce.Do(func() {
		var err error
		if simKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	opts.PrivateKey = simKey

	s, err := simulator.New(opts)
	if err != nil {
		t.Fatalf("simulator.New: %v", err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("simulator Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// jwtClient is a client of s that uses the JWT grant.
func jwtClient(t *testing.T, s *simulator.Server, cfg Config) *Client {
	t.Helper()
	creds := s.Credentials()
	cfg.BaseURL, cfg.AuthURL, cfg.OrgID = s.BaseURL(), s.AuthURL(), creds.OrgID
	cfg.IntegrationKey, cfg.UserID = creds.IntegrationKey, creds.UserID
	if cfg.PrivateKeyPEM == nil {
		cfg.PrivateKeyPEM = creds.PrivateKeyPEM
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// tokenClient is a client of s that uses its ready access token.
func tokenClient(t *testing.T, s *simulator.Server, cfg Config) *Client {
	t.Helper()
	creds := s.Credentials()
	cfg.BaseURL, cfg.AuthURL, cfg.OrgID = s.BaseURL(), s.AuthURL(), creds.OrgID
	cfg.AccessToken = Secret(creds.AccessToken)
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// sourceRequest asks to clone the i-th compliant account of s's organization.
func sourceRequest(t *testing.T, s *simulator.Server, i int, name string) CloneRequest {
	t.Helper()
	var compliant []simulator.Account
	for _, a := range s.Org().Accounts {
		if a.Compliant {
			compliant = append(compliant, a)
		}
	}
	return CloneRequest{
		SourceAccountID: compliant[i].AccountID, TargetName: name, CountryCode: "US",
		Admin: Admin{FirstName: "Ada", LastName: "Lovelace", Email: s.Org().Admins[0], Locale: "en"},
	}
}

func TestSimulatorEveryCall(t *testing.T) {
	s := startSim(t, simulator.Options{CloneTime: time.Hour, Seed: 1})
	c := jwtClient(t, s, Config{})
	ctx := context.Background()

	orgs, err := c.ListOrganizations(ctx)
	if err != nil || len(orgs) != 1 || orgs[0].ID != c.OrgID() {
		t.Fatalf("ListOrganizations = %+v, %v; want the org %s", orgs, err, c.OrgID())
	}

	accounts, err := c.ListAssetGroupAccounts(ctx, true)
	if err != nil {
		t.Fatalf("ListAssetGroupAccounts: %v", err)
	}
	if len(accounts) != 6 {
		t.Errorf("got %d compliant accounts, want 6", len(accounts))
	}
	for _, a := range accounts {
		if !a.Compliant || a.AccountID == "" || a.AssetGroupID == "" || a.AccountName == "" {
			t.Errorf("incomplete account %+v", a)
		}
	}

	before := time.Now().Add(-time.Minute)
	req := sourceRequest(t, s, 0, "Acme Retail")
	clone, err := c.CloneAccount(ctx, req)
	if err != nil {
		t.Fatalf("CloneAccount: %v", err)
	}
	if clone.WorkID == "" || clone.AssetGroupID != accounts[0].AssetGroupID ||
		clone.SourceAccountID != req.SourceAccountID || clone.TargetName != req.TargetName ||
		clone.AdminEmail != req.Admin.Email || !clone.Status.InFlight() || clone.TargetAccountID != "" {
		t.Errorf("CloneAccount = %+v", clone)
	}

	got, err := c.GetClone(ctx, clone.AssetGroupID, clone.WorkID)
	if err != nil || got.WorkID != clone.WorkID || got.TargetName != req.TargetName {
		t.Errorf("GetClone = %+v, %v", got, err)
	}

	list, err := c.ListClones(ctx, before)
	if err != nil {
		t.Fatalf("ListClones: %v", err)
	}
	if len(list) != 1 || list[0].WorkID != clone.WorkID || list[0].AdminEmail != req.Admin.Email {
		t.Errorf("ListClones = %+v, want the one clone", list)
	}

	if st := c.Budget().Stats(); st.HourlyLimit != 3000 || st.BurstLimit != 500 || st.Calls != 5 {
		t.Errorf("budget stats %+v: want the simulator's limits learned and 5 calls", st)
	}
}

func TestSimulatorCloneCompletes(t *testing.T) {
	s := startSim(t, simulator.Options{CloneTime: 50 * time.Millisecond, Seed: 2})
	c := tokenClient(t, s, Config{})
	ctx := context.Background()

	clone, err := c.CloneAccount(ctx, sourceRequest(t, s, 1, "Done Soon"))
	if err != nil {
		t.Fatalf("CloneAccount: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !clone.Status.Completed() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		if clone, err = c.GetClone(ctx, clone.AssetGroupID, clone.WorkID); err != nil {
			t.Fatalf("GetClone: %v", err)
		}
	}
	if !clone.Status.Completed() || clone.TargetAccountID == "" {
		t.Fatalf("clone %+v did not complete with a new account id", clone)
	}
}

func TestSimulatorTokenRenewal(t *testing.T) {
	tests := []struct {
		name       string
		lifetime   time.Duration
		expire     bool // expire every token on the server between the calls
		wantTokens int
	}{
		{"reused while valid", time.Hour, false, 1},
		{"renewed before expiry", 30 * time.Second, false, 3},
		{"renewed after the server expired it", time.Hour, true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startSim(t, simulator.Options{TokenLifetime: tt.lifetime})
			c := jwtClient(t, s, Config{})

			for i := range 3 {
				if tt.expire && i == 2 {
					s.ExpireTokens()
				}
				if _, err := c.ListOrganizations(context.Background()); err != nil {
					t.Fatalf("call %d: %v", i+1, err)
				}
			}
			if got := s.Stats().TokensIssued; got != tt.wantTokens {
				t.Errorf("%d tokens issued, want %d", got, tt.wantTokens)
			}
		})
	}
}

func TestSimulatorConsentRequired(t *testing.T) {
	s := startSim(t, simulator.Options{})
	s.RequireConsent(s.Credentials().UserID)
	c := jwtClient(t, s, Config{})

	_, err := c.ListOrganizations(context.Background())
	var consent *ConsentRequiredError
	if !errors.As(err, &consent) {
		t.Fatalf("error %v is not a ConsentRequiredError", err)
	}
	want := ConsentURL(s.AuthURL(), s.Credentials().IntegrationKey, DefaultRedirectURI, Scopes)
	if consent.URL != want || !strings.Contains(err.Error(), want) {
		t.Errorf("consent URL %q (error %q), want %q", consent.URL, err, want)
	}
	if ClassOf(err) != ClassAuth {
		t.Errorf("class %v, want auth", ClassOf(err))
	}

	_, err = c.CloneAccount(context.Background(), sourceRequest(t, s, 0, "No Consent"))
	if !errors.As(err, &consent) || errors.Is(err, ErrNotSent) || errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("CloneAccount error %v: want the consent error alone", err)
	}

	s.GrantConsent(s.Credentials().UserID)
	if _, err := c.ListOrganizations(context.Background()); err != nil {
		t.Errorf("after consent: %v", err)
	}
}

func TestSimulatorInvalidGrant(t *testing.T) {
	s := startSim(t, simulator.Options{})
	c := jwtClient(t, s, Config{PrivateKeyPEM: testKeyPEM(t)})

	_, err := c.ListOrganizations(context.Background())
	var e *Error
	if !errors.As(err, &e) || e.Class != ClassAuth || e.Code != "invalid_grant" {
		t.Fatalf("error %v: want an invalid_grant auth error", err)
	}
	if !strings.Contains(e.Hint, "key pair") || !strings.Contains(e.Hint, "environment") {
		t.Errorf("hint %q does not say what to check", e.Hint)
	}
}

func TestSimulatorWrongBasePath(t *testing.T) {
	s := startSim(t, simulator.Options{})
	c := tokenClient(t, s, Config{})
	c.s.base.Path = "/restapi"

	_, err := c.ListOrganizations(context.Background())
	var e *Error
	if !errors.As(err, &e) || !e.HTML || e.HTTPStatus != http.StatusNotFound {
		t.Fatalf("error %v: want an HTML 404 *Error", err)
	}
	if !strings.Contains(err.Error(), "base URI or path is probably wrong") {
		t.Errorf("message %q does not point at the base URI", err)
	}
}

func TestSimulatorPostFaults(t *testing.T) {
	tests := []struct {
		name      string
		opts      simulator.Options
		busyFirst bool // clone the same asset group once before
		warmup    bool // list the organizations once before
		req       func(CloneRequest) CloneRequest
		wantIs    error // ErrOutcomeUnknown, ErrNotSent or nil
		wantClass Class // for a definite answer
		wantPosts int   // POST requests the simulator received
	}{
		{name: "reset", opts: faults(simulator.FaultReset), wantIs: ErrOutcomeUnknown, wantPosts: 1},
		{name: "lost answer", opts: faults(simulator.FaultLostAnswer), wantIs: ErrOutcomeUnknown, wantPosts: 1},
		{name: "500", opts: faults(simulator.Fault500), wantIs: ErrOutcomeUnknown, wantClass: ClassServer, wantPosts: 1},
		{name: "502 html", opts: faults(simulator.Fault502HTML), wantIs: ErrOutcomeUnknown, wantClass: ClassServer,
			wantPosts: 1},
		{name: "slow past the timeout", opts: withSlow(faults(simulator.FaultSlow)), wantIs: ErrOutcomeUnknown,
			wantPosts: 1},
		{name: "429 always", opts: faults(simulator.Fault429), wantClass: ClassRateLimited,
			wantPosts: maxLimitedRetries + 1},
		{name: "hourly limit used up", opts: simulator.Options{HourlyLimit: 1}, warmup: true,
			wantClass: ClassRateLimited, wantPosts: maxLimitedRetries + 1},
		{name: "validation", req: func(r CloneRequest) CloneRequest { r.TargetName = strings.Repeat("x", 101); return r },
			wantClass: ClassRejected, wantPosts: 1},
		{name: "busy", busyFirst: true, wantClass: ClassLaneBusy, wantPosts: 2},
		{name: "processing error is accepted", opts: faults(simulator.FaultProcessingError), wantPosts: 1},
		{name: "permanent failure is accepted", opts: faults(simulator.FaultPermanentFailure), wantPosts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.CloneTime, tt.opts.Seed = time.Hour, 7
			s := startSim(t, tt.opts)
			clock := newFakeClock()
			c := tokenClient(t, s, Config{Timeout: 300 * time.Millisecond, Sleep: clock.Sleep, Now: clock.Now})
			ctx := context.Background()

			if tt.warmup {
				if _, err := c.ListOrganizations(ctx); err != nil {
					t.Fatalf("warm-up call: %v", err)
				}
			}
			if tt.busyFirst {
				if _, err := c.CloneAccount(ctx, sourceRequest(t, s, 0, "First")); err != nil {
					t.Fatalf("first clone: %v", err)
				}
			}
			req := sourceRequest(t, s, 3, "Second") // same asset group as account 0
			if tt.req != nil {
				req = tt.req(req)
			}
			clone, err := c.CloneAccount(ctx, req)
			checkPostOutcome(t, clone, err, tt.wantIs, tt.wantClass)

			if got := s.Stats().RequestsByEndpoint[simulator.EndpointClonePost]; got != tt.wantPosts {
				t.Errorf("simulator received %d POSTs, want %d", got, tt.wantPosts)
			}
			if d := s.Stats().Duplicates; d != 0 {
				t.Errorf("%d duplicate clones", d)
			}
		})
	}
}

// checkPostOutcome checks that err wraps exactly the expected outcome.
func checkPostOutcome(t *testing.T, clone Clone, err, wantIs error, wantClass Class) {
	t.Helper()
	switch {
	case wantIs == nil && wantClass == ClassOther:
		if err != nil || clone.WorkID == "" {
			t.Fatalf("CloneAccount = %+v, %v; want an accepted clone", clone, err)
		}
		return
	case err == nil:
		t.Fatalf("CloneAccount accepted %+v; want an error", clone)
	}

	unknown, notSent := errors.Is(err, ErrOutcomeUnknown), errors.Is(err, ErrNotSent)
	if unknown != (wantIs == ErrOutcomeUnknown) || notSent != (wantIs == ErrNotSent) {
		t.Errorf("error %v: outcome unknown %v, not sent %v; want %v", err, unknown, notSent, wantIs)
	}
	if wantClass != ClassOther && ClassOf(err) != wantClass {
		t.Errorf("error %v: class %v, want %v", err, ClassOf(err), wantClass)
	}
}

func faults(name string) simulator.Options {
	return simulator.Options{Faults: map[string]float64{name: 1}}
}

func withSlow(o simulator.Options) simulator.Options {
	o.SlowDelay = 2 * time.Second
	return o
}

func TestSimulatorClosedPortIsNotSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	clock := newFakeClock()
	c, err := New(Config{
		BaseURL: "http://" + addr + "/Management", AuthURL: "http://" + addr, OrgID: "org",
		AccessToken: "token-for-closed-port", Sleep: clock.Sleep, Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CloneAccount(context.Background(), testCloneRequest())
	if !errors.Is(err, ErrNotSent) || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("error %v: want ErrNotSent only", err)
	}
	if got := len(clock.Sleeps()); got != maxNotSentAttempts-1 {
		t.Errorf("waited %d times between attempts, want %d", got, maxNotSentAttempts-1)
	}
}

func TestSimulatorBudgetUnderConcurrency(t *testing.T) {
	const (
		burstLimit = 60
		burstWin   = time.Second
		workers    = 50
		callsEach  = 4
	)
	s := startSim(t, simulator.Options{BurstLimit: burstLimit, BurstWindow: burstWin})
	budget := NewBudgetWindows(time.Hour, burstWin)
	c := tokenClient(t, s, Config{Budget: budget})

	var wg sync.WaitGroup
	var failures atomic.Int32
	for range workers {
		wg.Go(func() {
			for range callsEach {
				if _, err := c.ListClones(context.Background(), time.Time{}); err != nil {
					failures.Add(1)
					t.Errorf("ListClones: %v", err)
				}
			}
		})
	}
	wg.Wait()

	total := workers * callsEach
	limited := s.Stats().RateLimited
	if limited*100 > total {
		t.Errorf("%d of %d requests were rate limited, want at most 1%%", limited, total)
	}
	if st := budget.Stats(); st.Calls != total+limited || st.BurstLimit != burstLimit {
		t.Errorf("budget stats %+v: want %d calls and the burst limit learned", st, total+limited)
	}
}

func TestSecretsReachNoLogErrorOrTrace(t *testing.T) {
	s := startSim(t, simulator.Options{CloneTime: time.Hour})
	var logs, trace bytes.Buffer
	log := zerolog.New(&logs).Level(zerolog.TraceLevel)
	c := jwtClient(t, s, Config{Logger: log, Trace: &trace})
	ctx := context.Background()

	var errs []string
	record := func(err error) {
		if err != nil {
			errs = append(errs, err.Error(), fmt.Sprintf("%+v %#v", err, err))
		}
	}
	_, err := c.ListOrganizations(ctx)
	record(err)
	_, err = c.ListAssetGroupAccounts(ctx, true)
	record(err)
	clone, err := c.CloneAccount(ctx, sourceRequest(t, s, 0, "Canary Co"))
	record(err)
	_, err = c.CloneAccount(ctx, sourceRequest(t, s, 3, "Busy Co"))
	record(err)
	_, err = c.GetClone(ctx, clone.AssetGroupID, "00000000-0000-0000-0000-00000000dead")
	record(err)
	s.ExpireTokens()
	_, err = c.ListClones(ctx, time.Time{})
	record(err)
	if len(errs) == 0 {
		t.Fatal("the sequence produced no error to inspect")
	}

	token, err := c.tokens.token()
	if err != nil {
		t.Fatal(err)
	}
	keyBody := strings.Split(string(s.Credentials().PrivateKeyPEM), "\n")[3]
	canaries := map[string]string{"access token": token, "private key": keyBody, "JWT": "eyJ",
		"session token": s.Credentials().AccessToken}
	outputs := map[string]string{"log": logs.String(), "trace": trace.String(), "errors": strings.Join(errs, "\n")}
	for what, canary := range canaries {
		for where, text := range outputs {
			if strings.Contains(text, canary) {
				t.Errorf("the %s appears in the %s", what, where)
			}
		}
	}
	if !strings.Contains(trace.String(), `access_token\":\"[redacted]`) ||
		!strings.Contains(trace.String(), "assertion=[redacted]") {
		t.Errorf("the trace lacks the redacted token exchange:\n%s", trace.String())
	}
	if strings.Count(logs.String(), `"message":"docusign request"`) < 6 {
		t.Errorf("want one debug line per request, got:\n%s", logs.String())
	}
}

func TestStaticCanaryTokenNeverShown(t *testing.T) {
	const canary = "CANARY-static-token-5f2e9c"
	s := startSim(t, simulator.Options{CloneTime: time.Hour})
	real := s.Credentials().AccessToken

	// A proxy that swaps the canary for the real token and echoes it back in
	// an error body, the worst a server could do.
	proxy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "echo") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"errorCode":"BAD","message":"token %s refused"}`,
				strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
			return
		}
		r.Header.Set("Authorization", "Bearer "+real)
		s.Handler().ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: proxy}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	var logs, trace bytes.Buffer
	base := "http://" + ln.Addr().String()
	c, err := New(Config{
		BaseURL: base + "/Management", AuthURL: base, OrgID: s.Credentials().OrgID,
		AccessToken: canary, Logger: zerolog.New(&logs).Level(zerolog.TraceLevel), Trace: &trace,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err1 := c.ListAssetGroupAccounts(ctx, true)
	_, err2 := c.CloneAccount(ctx, sourceRequest(t, s, 0, "Canary"))
	_, err3 := c.WithOrg("echo").ListClones(ctx, time.Time{})
	if err1 != nil || err2 != nil || err3 == nil {
		t.Fatalf("calls: %v, %v, %v; want the last to fail", err1, err2, err3)
	}

	for where, text := range map[string]string{"log": logs.String(), "trace": trace.String(),
		"error": fmt.Sprintf("%v %+v", err3, err3), "config": fmt.Sprintf("%v %+v %#v", c.s.Config, c.s.Config, c.s.Config)} {
		if strings.Contains(text, canary) {
			t.Errorf("the canary token appears in the %s", where)
		}
	}
}
