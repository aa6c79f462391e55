package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dsclone/dsclone/docusign"
	"github.com/dsclone/dsclone/runner"
)

// Exit codes, listed in the root command's help.
const (
	exitOK          = 0   // every row completed
	exitIncomplete  = 1   // some rows failed or need review
	exitUsage       = 2   // usage or configuration error
	exitInvalid     = 3   // manifest invalid, nothing submitted
	exitLocked      = 4   // state file locked by another dsclone
	exitInterrupted = 130 // interrupted; run again to resume
)

const exitCodesHelp = `Exit codes:
  0    every row completed (or the command succeeded)
  1    some rows failed or need review
  2    usage or configuration error
  3    manifest invalid, nothing submitted
  4    state file locked by another dsclone
  130  interrupted; run the same command again to resume`

// exitError carries an exit code out of a command, with the message to print.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withCode wraps err so that the command exits with code. A nil err with a
// non-zero code exits quietly.
func withCode(code int, err error) error {
	return &exitError{code: code, err: err}
}

// usageErrorf is a usage or configuration error: exit 2.
func usageErrorf(format string, args ...any) error {
	return withCode(exitUsage, fmt.Errorf(format, args...))
}

// codeOf returns the exit code for an error returned by a command: its own
// code, 2 for cobra's complaints about arguments, 1 for anything else.
func codeOf(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if isArgsError(err) || isConfigError(err) {
		return exitUsage
	}
	return exitIncomplete
}

// isConfigError recognises what the user must fix in the configuration:
// missing or refused credentials, a state file of another organization.
func isConfigError(err error) bool {
	return errors.Is(err, docusign.ErrMissingCredential) ||
		errors.Is(err, runner.ErrOtherTarget) ||
		docusign.ClassOf(err) == docusign.ClassAuth
}

// isArgsError recognises cobra's errors about commands and arguments, which
// it returns as plain errors.
func isArgsError(err error) bool {
	msg := err.Error()
	for _, s := range []string{"unknown command", "accepts ", "requires at least", "invalid argument"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
