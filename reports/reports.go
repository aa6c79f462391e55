// Package reports writes the results of a run for the people who read them:
// an XLSX workbook (Summary, Results and Failed sheets) for the account
// manager and the operator, and CSV and JSON twins of its Results sheet for
// scripts. It reads the store's types and never talks to Docusign.
package reports

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/dsclone/dsclone/store"
)

// Input is everything a report is made from.
type Input struct {
	Run  store.Run   // Headers holds the manifest's original headers
	Jobs []store.Job // any order; reports sort by Job.Order (manifest order)
	Now  time.Time   // the report time
}

// Format names a report format.
type Format string

// The report formats.
const (
	XLSX Format = "xlsx"
	CSV  Format = "csv"
	JSON Format = "json"
)

// ParseFormat checks a format name given by a user.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case XLSX, CSV, JSON:
		return f, nil
	}
	return "", fmt.Errorf("report format %q: use xlsx, csv or json", s)
}

// Write writes the report in format to path atomically: it writes a temporary
// file in the same directory, syncs it, renames it over path and syncs the
// directory, so that path always holds either the previous report or the new
// one, complete. The file is created with mode 0600.
func Write(path string, format Format, in Input) error {
	write, err := writerFor(format)
	if err != nil {
		return err
	}

	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary report in %q: %w", dir, err)
	}
	tmpName := tmp.Name()
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()

	if err := writeSynced(tmp, write, in); err != nil {
		return fmt.Errorf("write report %q: %w", path, err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("replace report %q: %w", path, err)
	}
	committed = true

	if err := syncDir(dir); err != nil {
		return fmt.Errorf("sync directory of report %q: %w", path, err)
	}
	return nil
}

// writerFor returns the function that writes format.
func writerFor(format Format) (func(io.Writer, Input) error, error) {
	switch format {
	case XLSX:
		return WriteXLSX, nil
	case CSV:
		return WriteCSV, nil
	case JSON:
		return WriteJSON, nil
	}
	return nil, fmt.Errorf("report format %q: use xlsx, csv or json", format)
}

// writeSynced writes the report to f, flushes, syncs and closes it.
func writeSynced(f *os.File, write func(io.Writer, Input) error, in Input) error {
	if err := f.Chmod(0o600); err != nil {
		return err
	}

	bw := bufio.NewWriterSize(f, 1<<16)
	if err := write(bw, in); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}

	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
