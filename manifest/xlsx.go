package manifest

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

const (
	// unzipXMLLimit is the size above which excelize unpacks a worksheet or
	// the shared strings to a temporary file instead of memory, when it opens
	// the workbook to format styled cells.
	unzipXMLLimit = 16 << 20
	// unzipRatio bounds the unpacked size of a workbook as a multiple of
	// MaxFileBytes: ordinary sheets compress about ten to one.
	unzipRatio = 20
	// maxInMemoryParts bounds the parts kept in memory (styles, workbook,
	// drawings...), everything except large sheets and strings.
	maxInMemoryParts = 128 << 20
	// stringRatio bounds the memory the shared strings may take as a multiple
	// of MaxFileBytes.
	stringRatio = 4
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
	zr, err := checkZip(r, size, unzipLimit)
	if err != nil {
		return nil, err
	}

	wb, err := openWorkbook(zr, stringRatio*opts.MaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("open XLSX workbook: %w", err)
	}
	sheet, err := pickSheet(wb.sheets, opts.Sheet)
	if err != nil {
		return nil, err
	}

	cf := newCellFormatter(r, size, unzipLimit)
	defer cf.close()
	b := newBuilder(FormatXLSX, opts)
	if err := readSheet(wb, sheet, cf, b); err != nil {
		return nil, fmt.Errorf("sheet %q: %w", sheet.name, err)
	}
	m, err := b.finish()
	if err != nil {
		return nil, fmt.Errorf("sheet %q: %w", sheet.name, err)
	}
	m.Sheet = sheet.name
	m.SHA256 = hex.EncodeToString(digest.Sum(nil))
	return m, nil
}

// checkZip reads the zip directory and refuses a workbook whose parts claim
// more unpacked bytes than limit, or whose in-memory parts are too large. The
// zip reader later fails on a part that unpacks to more than it claims.
func checkZip(r io.ReaderAt, size, limit int64) (*zip.Reader, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("open XLSX workbook: the file is not a valid XLSX (zip) file: %w", err)
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
		return nil, fmt.Errorf("open XLSX workbook: it unpacks to %s, more than the %s allowed; "+
			"this is not an ordinary manifest (save the sheet alone as a new workbook or as CSV UTF-8)",
			megabytes(int64(min(total, 1<<62))), megabytes(limit))
	}
	return zr, nil
}

// pickSheet returns the sheet to read: the one named (matched without regard
// to case), or the first visible sheet.
func pickSheet(sheets []sheetInfo, name string) (sheetInfo, error) {
	if len(sheets) == 0 {
		return sheetInfo{}, errors.New("the workbook has no sheet")
	}

	if name != "" {
		for _, s := range sheets {
			if s.name == name {
				return s, nil
			}
		}
		for _, s := range sheets {
			if strings.EqualFold(s.name, name) {
				return s, nil
			}
		}
		names := make([]string, len(sheets))
		for i, s := range sheets {
			names[i] = s.name
		}
		return sheetInfo{}, fmt.Errorf("the workbook has no sheet %q; its sheets are %s",
			name, quoteList(names))
	}

	for _, s := range sheets {
		if !s.hidden {
			return s, nil
		}
	}
	return sheets[0], nil
}
