package docusign

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Default limits, used until the first response tells the real ones: the
// documented 3,000 calls per hour and the demo environment's burst of 200
// calls per 30 seconds.
const (
	DefaultHourlyLimit  = 3000
	DefaultBurstLimit   = 200
	DefaultHourlyWindow = time.Hour
	DefaultBurstWindow  = 30 * time.Second
)

// budgetShare is the part of each limit the budget lets callers use.
const budgetShare = 0.9

// probeTimeout bounds how long callers wait for the first response before
// going on with the default limits.
const probeTimeout = 10 * time.Second

// BudgetStats is a snapshot of a Budget.
type BudgetStats struct {
	Calls           int       // calls let through
	RateLimited     int       // answers that said a limit was exceeded
	HourlyLimit     int       // calls per hour, as last advertised
	HourlyRemaining int       // calls left this hour, as last advertised or counted
	BurstLimit      int       // calls per burst window, as last advertised
	BurstRemaining  int       // calls left in the burst window, as last advertised
	Reset           time.Time // end of the hourly window, zero when not yet known
	PausedUntil     time.Time // callers wait until then after a limit answer
}

// Budget is the rate budget of one run, shared by every goroutine and every
// call. It learns the hourly and burst limits from the X-RateLimit-* and
// X-BurstLimit-* headers and lets callers through so that usage stays under
// 90% of each limit. Until the first response arrives only one call goes out,
// so that a burst of callers cannot overrun limits nobody has seen yet.
//
// The burst limit is kept on a sliding window in which a call counts from the
// moment it is sent until one window after its answer arrived. Whatever the
// alignment of the server's own windows and whatever the network delays, no
// window of the server then sees more than 90% of the limit from this budget.
type Budget struct {
	now          func() time.Time
	sleep        func(ctx context.Context, d time.Duration) error // nil: real timers
	hourlyWindow time.Duration
	burstWindow  time.Duration

	mu              sync.Mutex
	changed         chan struct{} // closed and replaced when waiters may go on
	hourlyLimit     int
	burstLimit      int
	hourlyRemaining int // -1 until advertised
	burstRemaining  int // -1 until advertised
	reset           time.Time
	hourlyStart     time.Time // start of the counted hour while reset is unknown
	hourlyUsed      int
	inFlight        int
	finished        []time.Time // answer times of calls still inside the burst window
	pausedUntil     time.Time
	learned         bool
	probeSince      time.Time // zero when no probe is out
	calls           int
	rateLimited     int
}

// NewBudget returns a budget with the documented windows: one hour, and 30
// seconds for the burst limit.
func NewBudget() *Budget {
	return NewBudgetWindows(DefaultHourlyWindow, DefaultBurstWindow)
}

// NewBudgetWindows returns a budget for a server whose hourly and burst
// windows have the given lengths (a simulator with scaled-down windows). The
// headers carry the limits but not the windows.
func NewBudgetWindows(hourly, burst time.Duration) *Budget {
	return newBudget(hourly, burst, time.Now, nil)
}

func newBudget(hourly, burst time.Duration, now func() time.Time,
	sleep func(context.Context, time.Duration) error) *Budget {
	if hourly <= 0 {
		hourly = DefaultHourlyWindow
	}
	if burst <= 0 {
		burst = DefaultBurstWindow
	}
	return &Budget{
		now: now, sleep: sleep, hourlyWindow: hourly, burstWindow: burst,
		changed:     make(chan struct{}),
		hourlyLimit: DefaultHourlyLimit, burstLimit: DefaultBurstLimit,
		hourlyRemaining: -1, burstRemaining: -1,
	}
}

// Wait blocks until one more call fits in the budget, or ctx ends, and counts
// that call as sent now. The client calls it before every request.
func (b *Budget) Wait(ctx context.Context) error {
	t, err := b.acquire(ctx)
	if err != nil {
		return err
	}
	t.finish(nil)
	return nil
}

// Stats returns a snapshot of the budget.
func (b *Budget) Stats() BudgetStats {
	b.mu.Lock()
	defer b.mu.Unlock()

	st := BudgetStats{
		Calls: b.calls, RateLimited: b.rateLimited,
		HourlyLimit: b.hourlyLimit, BurstLimit: b.burstLimit,
		HourlyRemaining: b.hourlyRemaining, BurstRemaining: b.burstRemaining,
		Reset: b.reset, PausedUntil: b.pausedUntil,
	}
	if st.HourlyRemaining < 0 {
		st.HourlyRemaining = max(b.hourlyLimit-b.hourlyUsed, 0)
	}
	if st.BurstRemaining < 0 {
		st.BurstRemaining = b.burstLimit
	}
	return st
}

// ticket is one call let through by the budget.
type ticket struct {
	b     *Budget
	probe bool
}

// acquire waits until a call fits and reserves it.
func (b *Budget) acquire(ctx context.Context) (*ticket, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}

		b.mu.Lock()
		now := b.now()
		delay := b.delayLocked(now)
		if delay == 0 {
			t := b.reserveLocked(now)
			b.mu.Unlock()
			return t, nil
		}
		changed := b.changed
		b.mu.Unlock()

		if err := b.pause(ctx, delay, changed); err != nil {
			return nil, err
		}
	}
}

// pause waits for delay, for a change of the budget or for ctx to end.
func (b *Budget) pause(ctx context.Context, delay time.Duration, changed <-chan struct{}) error {
	if b.sleep != nil {
		return b.sleep(ctx, delay)
	}

	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
	case <-changed:
	}
	return nil
}

// delayLocked returns how long a call sent at now must wait, 0 when it fits.
func (b *Budget) delayLocked(now time.Time) time.Duration {
	if now.Before(b.pausedUntil) {
		return b.pausedUntil.Sub(now)
	}

	if !b.learned && !b.probeSince.IsZero() && now.Sub(b.probeSince) < probeTimeout {
		return b.probeSince.Add(probeTimeout).Sub(now)
	}

	b.rollHourLocked(now)
	if b.hourlyUsed >= share(b.hourlyLimit) {
		end := b.reset
		if end.IsZero() {
			end = b.hourlyStart.Add(b.hourlyWindow)
		}
		return max(end.Sub(now), time.Millisecond)
	}

	b.pruneLocked(now)
	if b.inFlight+len(b.finished) >= share(b.burstLimit) {
		if len(b.finished) == 0 {
			return b.burstWindow // woken when an answer arrives
		}
		return max(b.finished[0].Add(b.burstWindow).Sub(now), time.Millisecond)
	}
	return 0
}

// share is the part of limit that callers may use, at least one call.
func share(limit int) int {
	return max(int(float64(limit)*budgetShare), 1)
}

// rollHourLocked starts a new hourly count once the current window is over.
func (b *Budget) rollHourLocked(now time.Time) {
	switch {
	case !b.reset.IsZero() && !now.Before(b.reset):
		b.reset = time.Time{}
		b.hourlyStart = now
		b.hourlyUsed = 0
		b.hourlyRemaining = -1
	case b.reset.IsZero() && (b.hourlyStart.IsZero() || now.Sub(b.hourlyStart) >= b.hourlyWindow):
		b.hourlyStart = now
		b.hourlyUsed = 0
	}
}

// pruneLocked forgets answers older than one burst window.
func (b *Budget) pruneLocked(now time.Time) {
	cut := 0
	for cut < len(b.finished) && !b.finished[cut].Add(b.burstWindow).After(now) {
		cut++
	}
	b.finished = b.finished[cut:]
}

// reserveLocked counts a call sent at now.
func (b *Budget) reserveLocked(now time.Time) *ticket {
	b.calls++
	b.hourlyUsed++
	b.inFlight++

	t := &ticket{b: b}
	if !b.learned && b.probeSince.IsZero() {
		b.probeSince = now
		t.probe = true
	}
	return t
}

// finish records the answer of the call, learning the limits from its
// headers (nil when there was no answer).
func (t *ticket) finish(h http.Header) {
	b := t.b
	b.mu.Lock()
	defer b.mu.Unlock()

	now := b.now()
	b.inFlight--
	b.finished = append(b.finished, now)
	b.learnLocked(h, now)
	if t.probe {
		b.learned = true
		b.probeSince = time.Time{}
	}
	b.signalLocked()
}

// learnLocked reads the rate-limit headers of an answer.
func (b *Budget) learnLocked(h http.Header, now time.Time) {
	if h == nil {
		return
	}

	if limit, ok := headerInt(h, "X-RateLimit-Limit"); ok && limit > 0 {
		b.learned = true
		b.hourlyLimit = limit
		b.learnHourLocked(h, limit)
	}

	if limit, ok := headerInt(h, "X-BurstLimit-Limit"); ok && limit > 0 {
		b.learned = true
		b.burstLimit = limit
		remaining, ok := headerInt(h, "X-BurstLimit-Remaining")
		if !ok {
			return
		}
		b.burstRemaining = remaining

		// The server counts more calls than this budget let through: someone
		// else uses the account. Leave them room for half a window.
		b.pruneLocked(now)
		if limit-remaining > b.inFlight+len(b.finished) && remaining < limit-share(limit) {
			b.pauseUntilLocked(now.Add(b.burstWindow / 2))
		}
	}
}

// learnHourLocked follows the server's count of the hourly window.
func (b *Budget) learnHourLocked(h http.Header, limit int) {
	remaining, ok := headerInt(h, "X-RateLimit-Remaining")
	if !ok {
		return
	}
	used := max(limit-remaining, 0)

	var reset time.Time
	if secs, ok := headerInt(h, "X-RateLimit-Reset"); ok && secs > 0 {
		// The header has whole seconds: the window may end up to a second
		// later, and a call sent in that second still counts against it.
		reset = time.Unix(int64(secs)+1, 0)
	}
	switch {
	case reset.After(b.reset):
		// A new window, or the first header: the server's count wins.
		b.reset = reset
		b.hourlyUsed = used
		b.hourlyRemaining = remaining
	case reset.Equal(b.reset):
		b.hourlyUsed = max(b.hourlyUsed, used)
		b.hourlyRemaining = min(remaining, max(limit-b.hourlyUsed, 0))
	}
}

// limited records a rate-limit answer: every caller waits until until.
func (b *Budget) limited(until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()

	b.rateLimited++
	b.pauseUntilLocked(until)
}

func (b *Budget) pauseUntilLocked(until time.Time) {
	if until.After(b.pausedUntil) {
		b.pausedUntil = until
	}
}

// signalLocked wakes the callers waiting for a change.
func (b *Budget) signalLocked() {
	close(b.changed)
	b.changed = make(chan struct{})
}

// headerInt parses an integer header.
func headerInt(h http.Header, name string) (int, bool) {
	v := h.Get(name)
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}
