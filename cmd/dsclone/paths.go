package main

import (
	"strings"
)

// statePath returns the state file for a manifest: the --state flag when set,
// otherwise <manifest>.dsclone.db beside the manifest.
func statePath(manifestPath, stateFlag string) (string, error) {
	if stateFlag != "" {
		return stateFlag, nil
	}
	if manifestPath == "" {
		return "", usageErrorf("no state file: give the MANIFEST argument or --state FILE")
	}
	return manifestPath + ".dsclone.db", nil
}

// resultsPath returns the results workbook for a manifest or state file: the
// --out flag when set, otherwise <manifest>.results.xlsx beside the manifest.
func resultsPath(manifestPath, statePath, outFlag string) string {
	if outFlag != "" {
		return outFlag
	}
	if manifestPath != "" {
		return manifestPath + ".results.xlsx"
	}
	return strings.TrimSuffix(statePath, ".dsclone.db") + ".results.xlsx"
}
