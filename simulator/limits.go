package simulator

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// Error codes of the rate limits.
const (
	codeHourlyLimit = "HOURLY_APIINVOCATION_LIMIT_EXCEEDED"
	codeBurstLimit  = "BURST_APIINVOCATION_LIMIT_EXCEEDED"
)

// window is a fixed rate-limit window aligned to the server's start.
type window struct {
	size  time.Duration
	limit int
	index int64 // which window since start the count belongs to
	used  int
}

// roll moves the window to the one holding now, clearing the count.
func (w *window) roll(start, now time.Time) {
	idx := int64(now.Sub(start) / w.size)
	if idx != w.index {
		w.index = idx
		w.used = 0
	}
}

// end is when the current window closes.
func (w *window) end(start time.Time) time.Time {
	return start.Add(time.Duration(w.index+1) * w.size)
}

func (w *window) remaining() int { return max(w.limit-w.used, 0) }

// limiter holds the hourly and burst windows of every Admin API call.
type limiter struct {
	start  time.Time
	hourly window
	burst  window
}

func newLimiter(opts Options, start time.Time) limiter {
	return limiter{
		start:  start,
		hourly: window{size: opts.HourlyWindow, limit: opts.HourlyLimit},
		burst:  window{size: opts.BurstWindow, limit: opts.BurstLimit},
	}
}

// verdict is the outcome of one call against the limits.
type verdict struct {
	code       string // empty when admitted
	retryAfter time.Duration
	headers    http.Header
}

// admit counts a call at now unless a window is full, and returns the
// headers the response carries either way.
func (l *limiter) admit(now time.Time) verdict {
	l.hourly.roll(l.start, now)
	l.burst.roll(l.start, now)

	var v verdict
	switch {
	case l.hourly.used >= l.hourly.limit:
		v.code = codeHourlyLimit
		v.retryAfter = l.hourly.end(l.start).Sub(now)
	case l.burst.used >= l.burst.limit:
		v.code = codeBurstLimit
		v.retryAfter = l.burst.end(l.start).Sub(now)
	default:
		l.hourly.used++
		l.burst.used++
	}

	v.headers = http.Header{}
	v.headers.Set("X-RateLimit-Limit", strconv.Itoa(l.hourly.limit))
	v.headers.Set("X-RateLimit-Remaining", strconv.Itoa(l.hourly.remaining()))
	v.headers.Set("X-RateLimit-Reset", strconv.FormatInt(l.hourly.end(l.start).Unix(), 10))
	v.headers.Set("X-BurstLimit-Limit", strconv.Itoa(l.burst.limit))
	v.headers.Set("X-BurstLimit-Remaining", strconv.Itoa(l.burst.remaining()))
	return v
}

// retryAfterSeconds rounds d up to whole seconds, at least one.
func retryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(max(int(math.Ceil(d.Seconds())), 1))
}
