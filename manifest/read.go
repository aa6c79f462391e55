package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
)

// Default limits of ReadOptions.
const (
	DefaultMaxFileBytes = 50 << 20
	DefaultMaxRows      = 200_000
	DefaultMaxCellBytes = 32 << 10

	// maxColumns bounds the width of a row: a manifest has about ten columns,
	// and a cell far to the right of them is a sign of a damaged file.
	maxColumns = 1000
)

// ReadOptions sets the sheet to read and the limits that keep a damaged or
// hostile file from using unbounded memory. Zero values take the defaults.
type ReadOptions struct {
	Sheet        string // XLSX sheet name; default the first visible sheet
	MaxFileBytes int64  // default 50 MiB
	MaxRows      int    // default 200,000 data rows
	MaxCellBytes int    // default 32 KiB
}

func (o ReadOptions) withDefaults() ReadOptions {
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = DefaultMaxFileBytes
	}
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxRows
	}
	if o.MaxCellBytes <= 0 {
		o.MaxCellBytes = DefaultMaxCellBytes
	}
	return o
}

// Format names of Manifest.Format.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// Read reads a CSV or XLSX manifest, chosen by content: the XLSX zip magic,
// else CSV. Structural problems (an unreadable file, UTF-16, invalid UTF-8, a
// zip bomb, no such sheet, no header, missing required columns) are returned
// as an error; problems in the rows are left to Validate.
func Read(path string, opts ReadOptions) (*Manifest, error) {
	opts = opts.withDefaults()

	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open manifest %q: %w", path, err)
	}
	defer f.Close()

	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat manifest %q: %w", path, err)
	}
	if info.IsDir() {
		return nil, fmt.Errorf("read manifest %q: it is a directory, not a CSV or XLSX file", path)
	}
	if info.Size() > opts.MaxFileBytes {
		return nil, fmt.Errorf("read manifest %q: %w", path, tooBig(info.Size(), opts.MaxFileBytes))
	}

	// Sniff the format from the first bytes.
	head := make([]byte, 8)
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read manifest %q: %w", path, err)
	}
	head = head[:n]

	var m *Manifest
	switch {
	case bytes.HasPrefix(head, zipMagic):
		m, err = ReadXLSX(f, info.Size(), opts)
	case bytes.HasPrefix(head, oleMagic):
		err = errors.New("this is an Excel 97-2003 (.xls) or password-protected workbook: " +
			"save it as Excel Workbook (.xlsx) or CSV UTF-8, without a password")
	default:
		m, err = ReadCSV(f, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("read manifest %q: %w", path, err)
	}
	m.Path = path
	return m, nil
}

func tooBig(size, limit int64) error {
	return fmt.Errorf("the file is %s, more than the %s a manifest may be; split it into smaller manifests",
		megabytes(size), megabytes(limit))
}

func megabytes(n int64) string {
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// builder turns the rows of a sheet, header first, into a Manifest.
type builder struct {
	opts     ReadOptions
	m        *Manifest
	cols     map[string]int
	header   bool
	dataRows int
}

func newBuilder(format string, opts ReadOptions) *builder {
	return &builder{opts: opts, m: &Manifest{Format: format}}
}

// add takes the cells of the spreadsheet row numbered line. Empty rows are
// skipped; the first non-empty row is the header.
func (b *builder) add(line int, cells []string) error {
	cells = trimTrailingEmpty(cells)
	if len(cells) == 0 {
		return nil
	}
	if err := b.checkCells(line, cells); err != nil {
		return err
	}

	if !b.header {
		return b.setHeader(cells)
	}

	b.dataRows++
	if b.dataRows > b.opts.MaxRows {
		return fmt.Errorf("row %d: the manifest has more than %d rows; split it into smaller manifests",
			line, b.opts.MaxRows)
	}
	if len(cells) > len(b.m.Headers) {
		b.m.Headers = append(b.m.Headers, make([]string, len(cells)-len(b.m.Headers))...)
	}
	b.m.Rows = append(b.m.Rows, b.row(line, cells))
	return nil
}

func (b *builder) checkCells(line int, cells []string) error {
	if len(cells) > maxColumns {
		return fmt.Errorf("row %d has a value in %s, beyond the %d columns a manifest may have",
			line, columnLetter(len(cells)-1), maxColumns)
	}
	for i, c := range cells {
		if len(c) > b.opts.MaxCellBytes {
			return fmt.Errorf("row %d, %s: the cell holds %d bytes, more than the %d allowed",
				line, columnLetter(i), len(c), b.opts.MaxCellBytes)
		}
	}
	return nil
}

func (b *builder) setHeader(cells []string) error {
	headers := make([]string, len(cells))
	for i, c := range cells {
		headers[i] = strings.TrimSpace(c)
	}
	cols, err := matchColumns(headers)
	if err != nil {
		return err
	}
	b.m.Headers, b.cols, b.header = headers, cols, true
	b.m.Columns = cols
	return nil
}

// row builds a Row from the cells, filling the canonical fields trimmed and
// normalised, and keeping every cell as written.
func (b *builder) row(line int, cells []string) Row {
	r := Row{Line: line, Values: append([]string(nil), cells...)}
	b.refill(&r)
	return r
}

// refill sets the canonical fields of r from its Values.
func (b *builder) refill(r *Row) {
	field := func(col string) string {
		i, ok := b.cols[col]
		if !ok || i >= len(r.Values) {
			return ""
		}
		return cleanSpace(r.Values[i])
	}

	r.SourceAccountID = normalizeGUID(field(ColSourceAccountID))
	r.TargetAccountName = field(ColTargetAccountName)
	r.AdminFirstName = field(ColAdminFirstName)
	r.AdminLastName = field(ColAdminLastName)
	r.AdminEmail = field(ColAdminEmail)
	r.CountryCode = normalizeCountry(field(ColCountryCode))
	r.Region = strings.ToUpper(field(ColRegion))
	r.AssetGroupID = normalizeGUID(field(ColAssetGroupID))
	r.AdminLocale = normalizeLocale(field(ColAdminLocale))
}

// finish pads every row to the width of the header and returns the manifest.
func (b *builder) finish() (*Manifest, error) {
	if !b.header {
		return nil, errors.New("the file has no header row: it is empty; " +
			"the first row must name the columns (" + strings.Join(Columns, ", ") + ")")
	}
	for i := range b.m.Rows {
		v := b.m.Rows[i].Values
		if len(v) < len(b.m.Headers) {
			b.m.Rows[i].Values = append(v, make([]string, len(b.m.Headers)-len(v))...)
		}
	}
	return b.m, nil
}

func trimTrailingEmpty(cells []string) []string {
	n := len(cells)
	for n > 0 && cleanSpace(cells[n-1]) == "" {
		n--
	}
	return cells[:n]
}

// cleanSpace trims white space, including the non-breaking and zero-width
// spaces that copying from web pages leaves behind.
func cleanSpace(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' || r == '\u2060'
	})
}
