package main

import (
	"errors"
	"strings"
)

func asExit(err error, target **exitError) bool { return errors.As(err, target) }

// isUsage recognises cobra's own argument and command errors.
func isUsage(err error) bool {
	msg := err.Error()
	for _, s := range []string{"unknown command", "unknown flag", "accepts ", "requires at least", "invalid argument", "flag needs an argument"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
