#!/usr/bin/env bash
# run.sh checks the simulator against Docusign's Node Admin SDK: it builds
# dsclone, starts `dsclone sim` on a free loopback port, installs the pinned
# docusign-admin package in a temporary directory, runs check.js and stops
# the simulator.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
sim_pid=""

cleanup() {
	if [[ -n "$sim_pid" ]]; then
		kill "$sim_pid" 2>/dev/null || true
		wait "$sim_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

(cd "$root" && go build -o "$work/dsclone" ./cmd/dsclone)

"$work/dsclone" sim --addr 127.0.0.1:0 --clone-time 2s --log-format json \
	>"$work/sim.out" 2>"$work/sim.err" &
sim_pid=$!

for _ in $(seq 1 100); do
	[[ -s "$work/sim.out" ]] && break
	if ! kill -0 "$sim_pid" 2>/dev/null; then
		cat "$work/sim.err" >&2
		echo "sdk check: dsclone sim exited" >&2
		exit 1
	fi
	sleep 0.1
done
info="$(head -n 1 "$work/sim.out")"
if [[ -z "$info" ]]; then
	echo "sdk check: dsclone sim printed nothing" >&2
	exit 1
fi

cp "$here/package.json" "$here/check.js" "$work/"
(cd "$work" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
(cd "$work" && node check.js "$info")
