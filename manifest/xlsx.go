package manifest

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

const (
	// unzipXMLLimit is the size above which excelize unpacks a worksheet or
	// the shared strings to a temporary file instead of memory.
	unzipXMLLimit = 16 << 20
	// unzipRatio bounds the unpacked size of a workbook as a multiple of
	// MaxFileBytes: ordinary sheets compress about ten to one.
	unzipRatio = 20
	// maxInMemoryParts bounds the parts excelize keeps in memory (styles,
	// workbook, drawings...), everything except large sheets and strings.
	maxInMemoryParts = 128 << 20
)

// ReadXLSX reads an XLSX manifest: the sheet named by opts.Sheet, or the first
// visible sheet. It streams the rows, with cell values formatted as the
// spreadsheet shows them, and refuses a workbook that would unpack to more
// than the limits allow before unpacking it.
func ReadXLSX(r io.ReaderAt, size int64, opts ReadOptions) (*Manifest, error) {
	opts = opts.withDefaults()
	if size > opts.MaxFileBytes {
		return nil, tooBig(size, opts.MaxFileBytes)
	}

	digest := sha256.New()
	if _, err := io.Copy(digest, io.NewSectionReader(r, 0, size)); err != nil {
		return nil, fmt.Errorf("read XLSX: %w", err)
	}
	unzipLimit := unzipRatio * opts.MaxFileBytes
	if err := checkZip(r, size, unzipLimit); err != nil {
		return nil, err
	}

	f, err := excelize.OpenReader(io.NewSectionReader(r, 0, size), excelize.Options{
		UnzipSizeLimit:    unzipLimit,
		UnzipXMLSizeLimit: min(unzipXMLLimit, unzipLimit),
	})
	if err != nil {
		return nil, fmt.Errorf("open XLSX workbook: %w", err)
	}
	defer f.Close()

	sheet, err := pickSheet(f, opts.Sheet)
	if err != nil {
		return nil, err
	}
	b := newBuilder(FormatXLSX, opts)
	if err := readSheet(f, sheet, b); err != nil {
		return nil, err
	}
	m, err := b.finish()
	if err != nil {
		return nil, fmt.Errorf("sheet %q: %w", sheet, err)
	}
	m.Sheet = sheet
	m.SHA256 = hex.EncodeToString(digest.Sum(nil))
	return m, nil
}

// checkZip reads the zip directory and refuses a workbook whose parts claim
// more unpacked bytes than limit, or whose in-memory parts are too large. The
// zip reader later fails on a part that unpacks to more than it claims.
func checkZip(r io.ReaderAt, size, limit int64) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return fmt.Errorf("open XLSX workbook: the file is not a valid XLSX (zip) file: %w", err)
	}

	var total, inMemory uint64
	for _, zf := range zr.File {
		total += zf.UncompressedSize64
		name := strings.ToLower(zf.Name)
		streamed := strings.HasPrefix(name, "xl/worksheets/sheet") || name == "xl/sharedstrings.xml"
		if !streamed || zf.UncompressedSize64 <= unzipXMLLimit {
			inMemory += zf.UncompressedSize64
		}
	}
	if total > uint64(limit) || inMemory > maxInMemoryParts {
		return fmt.Errorf("open XLSX workbook: it unpacks to %s, more than the %s allowed; "+
			"this is not an ordinary manifest (save the sheet alone as a new workbook or as CSV UTF-8)",
			megabytes(int64(min(total, 1<<62))), megabytes(limit))
	}
	return nil
}

// pickSheet returns the sheet to read: the one named (matched without regard
// to case), or the first visible sheet.
func pickSheet(f *excelize.File, name string) (string, error) {
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return "", errors.New("the workbook has no sheet")
	}

	if name != "" {
		for _, s := range sheets {
			if s == name {
				return s, nil
			}
		}
		for _, s := range sheets {
			if strings.EqualFold(s, name) {
				return s, nil
			}
		}
		return "", fmt.Errorf("the workbook has no sheet %q; its sheets are %s", name, quoteList(sheets))
	}

	for _, s := range sheets {
		if visible, err := f.GetSheetVisible(s); err == nil && visible {
			return s, nil
		}
	}
	return sheets[0], nil
}

// readSheet streams the rows of sheet into b. The n-th call to Next is row n
// of the sheet, blank rows included.
func readSheet(f *excelize.File, sheet string, b *builder) error {
	var sci []cellRef
	maxLine := 2*b.opts.MaxRows + 1000
	err := eachRow(f, sheet, excelize.Options{}, func(line int, cells []string) error {
		// A row numbered far below the data would make the stream walk every
		// blank row above it.
		if line > maxLine {
			return fmt.Errorf("row %d: the sheet reaches further down than a manifest of at most %d rows may",
				line, b.opts.MaxRows)
		}
		for i, c := range cells {
			if sciNumber.MatchString(c) {
				sci = append(sci, cellRef{line: line, col: i})
			}
		}
		return b.add(line, cells)
	})
	if err != nil || len(sci) == 0 {
		return err
	}
	return restoreNumbers(f, sheet, b, sci)
}

// sciNumber matches a number that the General format shows in scientific
// notation, such as a long numeric id typed into a cell: 1.23457E+15.
var sciNumber = regexp.MustCompile(`^-?\d(\.\d+)?E[+-]\d+$`)

type cellRef struct{ line, col int }

// restoreNumbers replaces the cells that the General format showed in
// scientific notation by their whole value (1234567890123456, not
// 1.23456789012346E+15), reading the sheet a second time for their raw values.
// Only rows with such cells pay for it.
func restoreNumbers(f *excelize.File, sheet string, b *builder, refs []cellRef) error {
	rowAt := make(map[int]*Row, len(refs))
	for i := range b.m.Rows {
		rowAt[b.m.Rows[i].Line] = &b.m.Rows[i]
	}
	want := make(map[int][]int)
	for _, ref := range refs {
		if rowAt[ref.line] != nil {
			want[ref.line] = append(want[ref.line], ref.col)
		}
	}

	return eachRow(f, sheet, excelize.Options{RawCellValue: true}, func(line int, cells []string) error {
		for _, col := range want[line] {
			r := rowAt[line]
			if col >= len(cells) || col >= len(r.Values) {
				continue
			}
			if v, ok := wholeNumber(cells[col]); ok {
				r.Values[col] = v
				b.refill(r)
			}
		}
		return nil
	})
}

// wholeNumber formats a raw numeric cell value without an exponent when it is
// a whole number.
func wholeNumber(raw string) (string, bool) {
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) >= 1e21 {
		return "", false
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}

// eachRow calls fn with the cells of every row of sheet, numbered as the
// spreadsheet numbers them.
func eachRow(f *excelize.File, sheet string, opts excelize.Options,
	fn func(line int, cells []string) error) error {
	rows, err := f.Rows(sheet)
	if err != nil {
		return fmt.Errorf("read sheet %q: %w", sheet, err)
	}
	defer rows.Close()

	line := 0
	for rows.Next() {
		line++
		cells, err := rows.Columns(opts)
		if err != nil {
			return fmt.Errorf("read sheet %q, row %d: %w", sheet, line, err)
		}
		if err := fn(line, cells); err != nil {
			return fmt.Errorf("sheet %q: %w", sheet, err)
		}
	}
	if err := rows.Error(); err != nil {
		return fmt.Errorf("read sheet %q: %w", sheet, err)
	}
	return nil
}
