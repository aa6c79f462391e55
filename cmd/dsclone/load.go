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

// load reads and validates the manifest. Problems are printed on stderr;
// any error among them makes the manifest invalid (exit 3), warnings are
// printed and accepted.
func (f *manifestFlags) load(a *app, path, env string) (*manifest.Manifest, error) {
	m, err := manifest.Read(path, manifest.ReadOptions{Sheet: f.sheet})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, usageErrorf("manifest %q does not exist", path)
	}
	if err != nil {
		return nil, withCode(exitInvalid, err)
	}

	problems := manifest.Validate(m, manifest.ValidateOptions{Env: env})
	for _, p := range problems {
		fmt.Fprintf(a.stderr, "%s: row %d, %s: %s\n", p.Severity, p.Line, p.Column, p.Message)
	}
	if manifest.HasErrors(problems) {
		return nil, withCode(exitInvalid, fmt.Errorf("manifest %q is invalid: nothing was submitted; fix the rows above (dsclone validate %s)", path, path))
	}
	if len(m.Rows) == 0 {
		return nil, withCode(exitInvalid, fmt.Errorf("manifest %q has no rows", path))
	}
	return m, nil
}
