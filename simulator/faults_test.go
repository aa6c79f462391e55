package simulator

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRequestFaults(t *testing.T) {
	tests := []struct {
		fault   string
		post    bool
		status  int // 0: the connection is cut
		html    bool
		bodyHas string
	}{
		{Fault429, false, 429, false, codeBurstLimit},
		{Fault500, false, 500, false, "INTERNAL_SERVER_ERROR"},
		{Fault502HTML, false, 502, true, "502 Bad Gateway"},
		{FaultReset, false, 0, false, ""},
		{FaultSlow, false, 200, false, "assetGroupAccounts"},
		{FaultLostAnswer, true, 0, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			h := start(t, Options{
				Faults: map[string]float64{tt.fault: 1}, SlowDelay: 20 * time.Millisecond,
			})

			url := h.srv.BaseURL() + h.org("/assetGroups/accounts")
			method, body := "GET", any(nil)
			if tt.post {
				url = h.srv.BaseURL() + h.org("/assetGroups/accountClone")
				method, body = "POST", cloneBody(accOne, "Faulty", testAdmin)
			}
			resp, err := h.try(method, url, h.token, body)

			if tt.status == 0 {
				if err == nil {
					t.Fatalf("got status %d, want the connection cut", resp.status)
				}
			} else {
				if err != nil {
					t.Fatalf("request: %v", err)
				}
				if resp.status != tt.status || !strings.Contains(string(resp.body), tt.bodyHas) {
					t.Fatalf("status %d body %s, want %d with %q", resp.status, resp.body, tt.status, tt.bodyHas)
				}
				if isHTML := resp.header.Get("Content-Type") == "text/html"; isHTML != tt.html {
					t.Errorf("content type %q", resp.header.Get("Content-Type"))
				}
			}
			if tt.fault == Fault429 && resp.header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}

			st := h.srv.Stats()
			if st.FaultsInjected[tt.fault] != 1 {
				t.Errorf("faults_injected %v, want %s counted once", st.FaultsInjected, tt.fault)
			}
			if tt.fault == FaultLostAnswer {
				if st.ClonesAccepted != 1 {
					t.Errorf("lost answer: %d clones accepted, want 1", st.ClonesAccepted)
				}
				h.clock.Advance(time.Second)
				if got := h.list(""); len(got) != 1 {
					t.Errorf("lost answer: list has %d clones, want the created one", len(got))
				}
			}
		})
	}
}

func TestLostAnswerOnlyOnPost(t *testing.T) {
	h := start(t, Options{Faults: map[string]float64{FaultLostAnswer: 1}})
	if resp := h.call("GET", h.org("/assetGroups/accounts"), nil); resp.status != http.StatusOK {
		t.Errorf("GET status %d, want 200", resp.status)
	}
	if got := h.srv.Stats().FaultsInjected[FaultLostAnswer]; got != 0 {
		t.Errorf("lost-answer drawn %d times for a GET", got)
	}
}

func TestSlowFaultHonoursCancel(t *testing.T) {
	h := start(t, Options{Faults: map[string]float64{FaultSlow: 1}, SlowDelay: time.Hour})

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", h.srv.BaseURL()+h.org("/assetGroups/accounts"), nil)
	req.Header.Set("Authorization", "Bearer "+h.token)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("got status %d, want the wait cut by the deadline", resp.StatusCode)
	}

	// Close must not wait an hour for the slow handler.
	done := make(chan struct{})
	go func() { _ = h.srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for the slow handler")
	}
}

func TestRateLimits(t *testing.T) {
	tests := []struct {
		name       string
		opts       Options
		calls      int // calls admitted before the limit
		code       string
		status     int
		retryAfter bool
		reopen     time.Duration // advancing this much admits again
	}{
		{"hourly", Options{HourlyLimit: 3}, 3, codeHourlyLimit, 400, false, time.Hour},
		{"burst", Options{BurstLimit: 2}, 2, codeBurstLimit, 400, false, 30 * time.Second},
		{"hourly as 429", Options{HourlyLimit: 1, LimitStatus: 429}, 1, codeHourlyLimit, 429, true, time.Hour},
		{"short windows", Options{BurstLimit: 1, BurstWindow: time.Second}, 1, codeBurstLimit, 400, false, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, tt.opts)
			path := h.org("/assetGroups/accounts")

			for i := range tt.calls {
				resp := h.call("GET", path, nil)
				if resp.status != http.StatusOK {
					t.Fatalf("call %d: status %d", i, resp.status)
				}
				checkLimitHeaders(t, resp, h.srv.opts)
			}

			resp := h.call("GET", path, nil)
			e := resp.apiErr(t)
			if resp.status != tt.status || e.ErrorCode != tt.code {
				t.Fatalf("over the limit: status %d %+v, want %d %s", resp.status, e, tt.status, tt.code)
			}
			if got := resp.header.Get("Retry-After") != ""; got != tt.retryAfter {
				t.Errorf("Retry-After %q", resp.header.Get("Retry-After"))
			}
			if h.srv.Stats().RateLimited != 1 {
				t.Errorf("rate_limited %d, want 1", h.srv.Stats().RateLimited)
			}

			h.clock.Advance(tt.reopen)
			if resp := h.call("GET", path, nil); resp.status != http.StatusOK {
				t.Errorf("after the window: status %d", resp.status)
			}
		})
	}
}

// checkLimitHeaders checks that a response carries every limit header.
func checkLimitHeaders(t *testing.T, resp response, opts Options) {
	t.Helper()
	for _, name := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
		"X-BurstLimit-Limit", "X-BurstLimit-Remaining"} {
		if _, err := strconv.ParseInt(resp.header.Get(name), 10, 64); err != nil {
			t.Errorf("header %s = %q", name, resp.header.Get(name))
		}
	}
	if got := resp.header.Get("X-RateLimit-Limit"); got != strconv.Itoa(opts.HourlyLimit) {
		t.Errorf("X-RateLimit-Limit %s, want %d", got, opts.HourlyLimit)
	}
}

func TestRateLimitHeadersCountDown(t *testing.T) {
	h := start(t, Options{HourlyLimit: 10, BurstLimit: 5})
	for want := 4; want >= 2; want-- {
		resp := h.call("GET", h.org("/assetGroups/accounts"), nil)
		if got := resp.header.Get("X-BurstLimit-Remaining"); got != strconv.Itoa(want) {
			t.Errorf("burst remaining %s, want %d", got, want)
		}
		if got := resp.header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(want+5) {
			t.Errorf("hourly remaining %s, want %d", got, want+5)
		}
	}
	reset, _ := strconv.ParseInt(h.call("GET", h.org("/assetGroups/accounts"), nil).header.Get("X-RateLimit-Reset"), 10, 64)
	if want := h.clock.Now().Add(time.Hour).Unix(); reset != want {
		t.Errorf("reset %d, want %d", reset, want)
	}
}
