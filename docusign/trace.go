package docusign

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"
)

// traceBodyLen bounds each body in the trace file.
const traceBodyLen = 8 << 10

// traceKey carries a traceInfo in a request's context.
type traceKey struct{}

// traceInfo names the call an HTTP exchange belongs to.
type traceInfo struct {
	op      string
	attempt int
}

// traceEntry is one line of the trace file.
type traceEntry struct {
	Time         time.Time `json:"time"`
	Op           string    `json:"op,omitempty"`
	Attempt      int       `json:"attempt,omitempty"`
	Method       string    `json:"method"`
	URL          string    `json:"url"`
	Status       int       `json:"status,omitempty"`
	DurationMS   int64     `json:"duration_ms"`
	TraceToken   string    `json:"trace_token,omitempty"`
	RequestBody  string    `json:"request_body,omitempty"`
	ResponseBody string    `json:"response_body,omitempty"`
	Error        string    `json:"error,omitempty"`
}

// traceWriter writes whole lines, one exchange at a time.
type traceWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func newTraceWriter(w io.Writer) *traceWriter {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &traceWriter{enc: enc}
}

func (t *traceWriter) write(e traceEntry) {
	t.mu.Lock()
	defer t.mu.Unlock()
	_ = t.enc.Encode(e) // a failing trace file must not fail the call it describes
}

// traceTransport records every exchange, with its bodies, in the trace file.
// Headers are not recorded, so the Authorization header never is; bodies and
// errors go through the redactor.
type traceTransport struct {
	next http.RoundTripper
	w    *traceWriter
	red  *redactor
}

// RoundTrip sends req and records the exchange.
func (t *traceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	info, _ := req.Context().Value(traceKey{}).(traceInfo)
	e := traceEntry{
		Time: start.UTC(), Op: info.op, Attempt: info.attempt,
		Method: req.Method, URL: t.red.redact(req.URL.String()),
		RequestBody: t.requestBody(req),
	}

	resp, err := t.next.RoundTrip(req)
	e.DurationMS = time.Since(start).Milliseconds()
	if err != nil {
		e.Error = t.red.redact(err.Error())
		t.w.write(e)
		return nil, err
	}

	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if readErr == nil && len(body) == maxBodyBytes {
		// Too large to trace whole: the client still reads all of it.
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
	} else {
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	if readErr != nil {
		e.Error = t.red.redact(readErr.Error())
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{readErr}))
	}

	e.Status = resp.StatusCode
	e.TraceToken = resp.Header.Get(traceTokenHeader)
	e.ResponseBody = t.clip(body)
	e.DurationMS = time.Since(start).Milliseconds()
	t.w.write(e)
	return resp, nil
}

// requestBody returns the redacted start of the request body.
func (t *traceTransport) requestBody(req *http.Request) string {
	if req.Body == nil || req.GetBody == nil {
		return ""
	}
	rc, err := req.GetBody()
	if err != nil {
		return ""
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, maxBodyBytes))
	return t.clip(b)
}

// clip redacts body and cuts it to traceBodyLen.
func (t *traceTransport) clip(body []byte) string {
	s := t.red.redact(string(body))
	if len(s) > traceBodyLen {
		s = s[:traceBodyLen] + "...(truncated)"
	}
	return s
}

// errReader replays a read error after the part of a body that was read.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
