package manifest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
)

// maxMetaPart bounds the unpacked size of the small parts read whole: the
// workbook, its relationships and the styles.
const maxMetaPart = 16 << 20

// workbook is what the reader needs from the parts of an XLSX package: the
// sheets in order with the part that holds each, the shared strings and the
// number format of each cell style.
type workbook struct {
	zip    *zip.Reader
	sheets []sheetInfo
	// strings is the shared string table; a cell of type "s" holds an index.
	strings []string
	// formatted is true for the cell styles whose number format is not
	// General: their values are shown through excelize's formatting.
	formatted []bool
}

type sheetInfo struct {
	name   string
	hidden bool
	part   string // the worksheet part, such as "xl/worksheets/sheet1.xml"
}

// openWorkbook reads the workbook, its relationships, the styles and the
// shared strings of the package zr. The shared strings may use at most
// stringBudget bytes of memory.
func openWorkbook(zr *zip.Reader, stringBudget int64) (*workbook, error) {
	wb := &workbook{zip: zr}

	wbPart := wb.officeDocument()
	rels, err := wb.relationships(wbPart)
	if err != nil {
		return nil, err
	}
	if err := wb.readSheets(wbPart, rels); err != nil {
		return nil, err
	}

	if err := wb.readStyles(rels.byType("styles", path.Dir(wbPart)+"/styles.xml")); err != nil {
		return nil, err
	}
	sst := rels.byType("sharedStrings", path.Dir(wbPart)+"/sharedStrings.xml")
	if err := wb.readSharedStrings(sst, stringBudget); err != nil {
		return nil, err
	}
	return wb, nil
}

// file returns the part named name, compared without regard to case as zip
// tools disagree on it, or nil.
func (wb *workbook) file(name string) *zip.File {
	name = strings.TrimPrefix(name, "/")
	for _, zf := range wb.zip.File {
		if zf.Name == name {
			return zf
		}
	}
	for _, zf := range wb.zip.File {
		if strings.EqualFold(zf.Name, name) {
			return zf
		}
	}
	return nil
}

// readWhole returns the unpacked bytes of the part name, which must exist and
// unpack to at most maxMetaPart bytes.
func (wb *workbook) readWhole(name string) ([]byte, error) {
	zf := wb.file(name)
	if zf == nil {
		return nil, fmt.Errorf("open XLSX part %q: the workbook has no such part", name)
	}
	if zf.UncompressedSize64 > maxMetaPart {
		return nil, fmt.Errorf("open XLSX part %q: it unpacks to %s, more than the %s allowed",
			name, megabytes(int64(min(zf.UncompressedSize64, 1<<62))), megabytes(maxMetaPart))
	}

	rc, err := zf.Open()
	if err != nil {
		return nil, fmt.Errorf("open XLSX part %q: %w", name, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxMetaPart+1))
	if err != nil {
		return nil, fmt.Errorf("read XLSX part %q: %w", name, err)
	}
	return data, nil
}

// officeDocument returns the workbook part named by the package
// relationships, or the usual "xl/workbook.xml".
func (wb *workbook) officeDocument() string {
	rels, err := wb.relationships("")
	if err == nil {
		if p := rels.byType("officeDocument", ""); p != "" {
			return p
		}
	}
	return "xl/workbook.xml"
}

// rels maps the relationship ids of a part to their targets, resolved to
// part names.
type rels struct {
	targets map[string]string
	types   map[string]string // the last word of the type URI, by target
}

// relationships reads the relationships of the part owner ("" for the
// package). A part without relationships has none.
func (wb *workbook) relationships(owner string) (rels, error) {
	r := rels{targets: map[string]string{}, types: map[string]string{}}
	dir, base := path.Split(owner)
	name := dir + "_rels/" + base + ".rels"
	if wb.file(name) == nil {
		return r, nil
	}
	data, err := wb.readWhole(name)
	if err != nil {
		return r, err
	}

	var doc struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
			Mode   string `xml:"TargetMode,attr"`
		} `xml:"Relationship"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		return r, fmt.Errorf("read XLSX part %q: %w", name, err)
	}
	for _, rel := range doc.Rel {
		if rel.Mode == "External" {
			continue
		}
		target := rel.Target
		if !strings.HasPrefix(target, "/") {
			target = path.Join(dir, target)
		}
		target = strings.TrimPrefix(path.Clean(target), "/")
		r.targets[rel.ID] = target
		r.types[target] = path.Base(rel.Type)
	}
	return r, nil
}

// byType returns the target of the first relationship of the given type, or
// fallback.
func (r rels) byType(typ, fallback string) string {
	for target, t := range r.types {
		if t == typ {
			return target
		}
	}
	return fallback
}

// readSheets reads the list of sheets from the workbook part.
func (wb *workbook) readSheets(wbPart string, r rels) error {
	data, err := wb.readWhole(wbPart)
	if err != nil {
		return err
	}

	var doc struct {
		Sheets []struct {
			Name  string     `xml:"name,attr"`
			State string     `xml:"state,attr"`
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("read XLSX part %q: %w", wbPart, err)
	}

	for _, s := range doc.Sheets {
		// The relationship id is the attribute "id" of the relationships
		// namespace, whatever its prefix.
		var part string
		for _, a := range s.Attrs {
			if a.Name.Local == "id" {
				part = r.targets[a.Value]
			}
		}
		hidden := s.State == "hidden" || s.State == "veryHidden"
		wb.sheets = append(wb.sheets, sheetInfo{name: s.Name, hidden: hidden, part: part})
	}
	return nil
}

// readStyles notes which cell styles have a number format other than
// General. A workbook without styles has none.
func (wb *workbook) readStyles(name string) error {
	if wb.file(name) == nil {
		return nil
	}
	data, err := wb.readWhole(name)
	if err != nil {
		return err
	}

	var doc struct {
		Xf []struct {
			NumFmtID int `xml:"numFmtId,attr"`
		} `xml:"cellXfs>xf"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("read XLSX part %q: %w", name, err)
	}
	wb.formatted = make([]bool, len(doc.Xf))
	for i, xf := range doc.Xf {
		wb.formatted[i] = xf.NumFmtID != 0
	}
	return nil
}

// readSharedStrings loads the shared string table of part name, refusing one
// that would use more than budget bytes of memory: the count it claims is not
// trusted, each string is counted as it is read.
func (wb *workbook) readSharedStrings(name string, budget int64) error {
	zf := wb.file(name)
	if zf == nil {
		return nil
	}
	rc, err := zf.Open()
	if err != nil {
		return fmt.Errorf("open XLSX part %q: %w", name, err)
	}
	defer rc.Close()

	// Each string costs its bytes and a string header.
	const header = 16
	var used int64
	sc := newXMLScanner(bufio.NewReaderSize(rc, 64<<10), int(min(budget, math.MaxInt32)))
	err = eachText(sc, "si", func(s string) error {
		used += int64(len(s)) + header
		if used > budget {
			return fmt.Errorf("the shared strings need more than the %s allowed", megabytes(budget))
		}
		wb.strings = append(wb.strings, s)
		return nil
	})
	if errors.Is(err, errTextTooLong) {
		err = fmt.Errorf("the shared strings need more than the %s allowed", megabytes(budget))
	}
	if err != nil {
		return fmt.Errorf("read XLSX part %q: %w", name, err)
	}
	return nil
}

// eachText calls fn with the text of every element named item (a shared
// string "si" or an inline string "is"), the concatenation of its "t"
// elements, phonetic runs left out.
func eachText(sc *xmlScanner, item string, fn func(string) error) error {
	var (
		buf           []byte
		inItem, inT   bool
		phoneticDepth int
	)
	for {
		tok, err := sc.next(inT)
		if err != nil {
			return err
		}

		switch tok {
		case xmlEOF:
			return nil
		case xmlStart:
			switch string(sc.name) {
			case item:
				inItem, buf = true, buf[:0]
			case "rPh":
				phoneticDepth++
			case "t":
				inT = inItem && phoneticDepth == 0
			}
		case xmlEnd:
			switch string(sc.name) {
			case item:
				inItem = false
				if err := fn(unescapeBSTR(string(buf))); err != nil {
					return err
				}
			case "rPh":
				phoneticDepth = max(phoneticDepth-1, 0)
			case "t":
				inT = false
			}
		case xmlText:
			if len(buf)+len(sc.text) > sc.maxRaw {
				return errTextTooLong
			}
			buf = append(buf, sc.text...)
		}
	}
}

// unescapeBSTR decodes the _xHHHH_ escapes with which XLSX writes characters
// that XML cannot hold, as excelize does: "_x000D_" is a carriage return and
// "_x005F_" a literal underscore.
func unescapeBSTR(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b bytes.Buffer
	for i := 0; i < len(s); {
		if r, ok := bstrAt(s, i); ok {
			// A lone surrogate is dropped, as excelize drops it.
			if r < 0xD800 || r > 0xDFFF {
				b.WriteRune(r)
			}
			i += 7
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// bstrAt decodes an escape "_xHHHH_" at s[i:].
func bstrAt(s string, i int) (rune, bool) {
	if i+7 > len(s) || s[i] != '_' || s[i+1] != 'x' || s[i+6] != '_' {
		return 0, false
	}
	n, err := strconv.ParseUint(s[i+2:i+6], 16, 16)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}
