package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// crashEnv names the environment variable that makes dsclone kill itself with
// SIGKILL at a chosen moment, to prove that a crash there loses nothing and
// duplicates nothing. Its value is NAME:N, the Nth time the runner passes the
// crash point NAME ("intent", "answer", "poll" or "report"). It is a testing
// aid: unset, it costs nothing.
const crashEnv = "DSCLONE_CRASHPOINT"

// crashpointFromEnv returns the crash point hook that crashEnv asks for, or
// nil.
func crashpointFromEnv() (func(string), error) {
	v := os.Getenv(crashEnv)
	if v == "" {
		return nil, nil
	}
	name, count, ok := strings.Cut(v, ":")
	n, err := strconv.Atoi(count)
	if !ok || err != nil || n < 1 {
		return nil, usageErrorf("%s=%q: want NAME:N, N at least 1", crashEnv, v)
	}

	var mu sync.Mutex
	seen := 0
	return func(point string) {
		if point != name {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		seen++
		if seen == n {
			fmt.Fprintf(os.Stderr, "dsclone: crash point %s:%d reached, killing myself\n", name, n)
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}, nil
}
