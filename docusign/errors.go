package docusign

import (
	"errors"
	"fmt"
	"time"
)

// Class sorts API errors by what the caller should do about them.
type Class int

// The error classes.
const (
	// ClassOther is any error that fits no class below.
	ClassOther Class = iota
	// ClassRateLimited: over the hourly or burst limit; wait for the reset.
	ClassRateLimited
	// ClassLaneBusy: the asset group (or source account) already has its
	// maximum of active clones; wait and try again.
	ClassLaneBusy
	// ClassRejected: the request's own data was refused (400 with a message).
	ClassRejected
	// ClassAuth: bad or expired credentials, missing consent, scope or role.
	ClassAuth
	// ClassNotFound: unknown organization, account or work id.
	ClassNotFound
	// ClassServer: 5xx, or HTML where JSON was expected.
	ClassServer
)

var classNames = [...]string{"other", "rate_limited", "lane_busy", "rejected", "auth", "not_found", "server"}

// String names the class in snake_case.
func (c Class) String() string {
	if c < 0 || int(c) >= len(classNames) {
		return "other"
	}
	return classNames[c]
}

// Error is an answer from Docusign that is not a success.
type Error struct {
	// Op names the call, for example "clone account".
	Op         string
	HTTPStatus int
	// Code and Message come from either error shape of the API:
	// {"errorCode","message"} or {"error","error_description"}.
	Code       string
	Message    string
	TraceToken string
	// Excerpt is the start of the body with secrets redacted.
	Excerpt string
	Class   Class
	// HTML is set when the body was an HTML page where JSON was expected.
	HTML bool
	// RetryAfter is the wait the server asked for, if any.
	RetryAfter time.Duration
	// Hint says in one line what the user can do.
	Hint string
}

// Error formats the error with everything a user needs to report it.
func (e *Error) Error() string {
	msg := fmt.Sprintf("%s: HTTP %d", e.Op, e.HTTPStatus)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.TraceToken != "" {
		msg += " (trace token " + e.TraceToken + ")"
	}
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// ErrNotSent marks a POST that certainly never reached the server (dial, DNS,
// connection refused): retrying it cannot create a duplicate.
var ErrNotSent = errors.New("request not sent")

// ErrOutcomeUnknown marks a POST that may have reached the server but whose
// answer was not seen (timeout after writing, reset, 5xx, HTML). It must not be
// sent again blindly: look for the clone in the organization's list first.
var ErrOutcomeUnknown = errors.New("outcome unknown")

// ClassOf returns the class of err, or ClassOther when err is not an *Error.
func ClassOf(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return ClassOther
}
