package manifest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// fuzzOpts keeps each fuzzed read small, so that any input is bounded work.
var fuzzOpts = ReadOptions{MaxFileBytes: 1 << 20, MaxRows: 1000, MaxCellBytes: 4096}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte(hdr + "\n" + guidA + ",Acme,Ann,Lee,ann@acme.com,US\n"))
	f.Add([]byte("\xEF\xBB\xBFa;b;\"c\nd\"\r\n1;2;3\r\n\r\n"))
	f.Add([]byte("\xFF\xFEa\x00"))
	f.Add([]byte(`"unterminated`))

	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadCSV(bytes.NewReader(data), fuzzOpts)
		if err != nil {
			return
		}
		checkManifest(t, m)
	})
}

func FuzzReadXLSX(f *testing.F) {
	sample, err := os.ReadFile(filepath.Join("..", "samples", "manifest.xlsx"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample)
	f.Add([]byte("PK\x03\x04"))

	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadXLSX(bytes.NewReader(data), int64(len(data)), fuzzOpts)
		if err != nil {
			return
		}
		checkManifest(t, m)
	})
}

// checkManifest checks what every read manifest promises: rows in increasing
// line order below the header, each as wide as the header, and a validation
// that does not fail.
func checkManifest(t *testing.T, m *Manifest) {
	t.Helper()
	last := 1
	for _, r := range m.Rows {
		if r.Line <= last-1 || r.Line < 2 {
			t.Fatalf("row at line %d after line %d", r.Line, last)
		}
		last = r.Line + 1
		if len(r.Values) != len(m.Headers) {
			t.Fatalf("row %d has %d values for %d headers", r.Line, len(r.Values), len(m.Headers))
		}
	}
	if len(m.Rows) > fuzzOpts.MaxRows {
		t.Fatalf("%d rows, more than the limit", len(m.Rows))
	}
	Validate(m, ValidateOptions{Env: EnvDemo})
}
