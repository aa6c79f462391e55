package main

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/pflag"

	"github.com/dsclone/dsclone/manifest"
)

// manifestFlags are the flags of the commands that read a manifest.
type manifestFlags struct {
	sheet string
}

func (f *manifestFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.sheet, "sheet", "", "XLSX sheet to read (default the first sheet)")
}

// readManifest reads a manifest: a missing file is a usage error (exit 2),
// one that cannot be read as a manifest is invalid (exit 3).
func readManifest(path, sheet string) (*manifest.Manifest, error) {
	m, err := manifest.Read(path, manifest.ReadOptions{Sheet: sheet})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, usageErrorf("manifest %q does not exist", path)
	}
	if err != nil {
		return nil, withCode(exitInvalid, err)
	}
	return m, nil
}

// load reads and validates the manifest before anything is sent. Problems
// are printed on stderr as `dsclone validate` prints them; an error among
// them makes the manifest invalid (exit 3), warnings are accepted.
func (f *manifestFlags) load(a *app, path, env string) (*manifest.Manifest, error) {
	m, err := readManifest(path, f.sheet)
	if err != nil {
		return nil, err
	}

	problems := manifest.Validate(m, manifest.ValidateOptions{Env: env})
	if len(problems) > 0 {
		if err := printProblems(a.stderr, summarize(m, problems)); err != nil {
			return nil, fmt.Errorf("print the manifest's problems: %w", err)
		}
	}
	if manifest.HasErrors(problems) {
		return nil, withCode(exitInvalid, fmt.Errorf("manifest %q is invalid: nothing was submitted", path))
	}
	if len(m.Rows) == 0 {
		return nil, withCode(exitInvalid, fmt.Errorf("manifest %q has no rows", path))
	}
	return m, nil
}
