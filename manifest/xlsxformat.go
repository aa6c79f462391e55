package manifest

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

const (
	// scratchSheet is the sheet, added to the in-memory copy of the workbook
	// only, where the formatter writes a value to read it back formatted.
	scratchSheet = "dsclone format"
	// maxFormatCache bounds the formatted values kept for reuse.
	maxFormatCache = 1 << 16
)

// cellFormatter shows the values of cells whose style has a number format
// (a date, a percentage, fixed decimals) as the spreadsheet shows them. It
// leaves that to excelize, which opens the workbook only when a first such
// cell is met: most manifests have none.
type cellFormatter struct {
	r          io.ReaderAt
	size       int64
	unzipLimit int64

	f     *excelize.File
	err   error
	cache map[styledValue]string
}

type styledValue struct {
	style    int
	typ, raw string
}

func newCellFormatter(r io.ReaderAt, size, unzipLimit int64) *cellFormatter {
	return &cellFormatter{r: r, size: size, unzipLimit: unzipLimit, cache: map[styledValue]string{}}
}

// format returns raw, a value of the cell type typ ("n", "s" or
// "inlineStr"), as the cell style shows it.
func (cf *cellFormatter) format(style int, typ, raw string) (string, error) {
	key := styledValue{style: style, typ: typ, raw: raw}
	if v, ok := cf.cache[key]; ok {
		return v, nil
	}
	if err := cf.open(); err != nil {
		return "", err
	}

	// Write the value as the same type of cell, give it the style, and read
	// it back as excelize shows it.
	var err error
	if typ == "n" {
		err = cf.f.SetCellDefault(scratchSheet, "A1", raw)
	} else {
		err = cf.f.SetCellStr(scratchSheet, "A1", raw)
	}
	if err == nil {
		err = cf.f.SetCellStyle(scratchSheet, "A1", "A1", style)
	}
	if err != nil {
		// A style that excelize refuses shows the value as it is.
		return raw, nil
	}
	v, err := cf.f.GetCellValue(scratchSheet, "A1")
	if err != nil {
		return "", fmt.Errorf("format cell value: %w", err)
	}

	if len(cf.cache) < maxFormatCache {
		cf.cache[key] = v
	}
	return v, nil
}

// open opens the workbook with excelize, once, with the same unpacking limits
// as the stream, and adds the scratch sheet.
func (cf *cellFormatter) open() error {
	if cf.f != nil || cf.err != nil {
		return cf.err
	}
	f, err := excelize.OpenReader(io.NewSectionReader(cf.r, 0, cf.size), excelize.Options{
		UnzipSizeLimit:    cf.unzipLimit,
		UnzipXMLSizeLimit: min(unzipXMLLimit, cf.unzipLimit),
	})
	if err != nil {
		cf.err = fmt.Errorf("open XLSX workbook to format cells: %w", err)
		return cf.err
	}
	if _, err := f.NewSheet(scratchSheet); err != nil {
		f.Close()
		cf.err = fmt.Errorf("open XLSX workbook to format cells: %w", err)
		return cf.err
	}
	cf.f = f
	return nil
}

func (cf *cellFormatter) close() {
	if cf.f != nil {
		cf.f.Close()
	}
}
