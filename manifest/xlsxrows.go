package manifest

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

const (
	// xlsxMaxColumn is the last column a worksheet may have (XFD).
	xlsxMaxColumn = 16384
	// rawTextRatio bounds the character data of a cell, as written, as a
	// multiple of MaxCellBytes: a reference such as "&quot;" writes one byte
	// in six.
	rawTextRatio = 8
)

// readSheet streams the rows of sheet into b, numbered as the spreadsheet
// numbers them. It scans the worksheet XML as it unpacks, so memory stays
// bounded by one row whatever the size of the sheet.
func readSheet(wb *workbook, sheet sheetInfo, cf *cellFormatter, b *builder) error {
	zf := wb.file(sheet.part)
	if sheet.part == "" || zf == nil {
		return fmt.Errorf("open worksheet: the workbook has no part for it")
	}
	rc, err := zf.Open()
	if err != nil {
		return fmt.Errorf("open worksheet %q: %w", sheet.part, err)
	}
	defer rc.Close()

	s := &sheetStream{
		wb:      wb,
		cf:      cf,
		b:       b,
		sc:      newXMLScanner(bufio.NewReaderSize(rc, 64<<10), rawTextRatio*b.opts.MaxCellBytes+64),
		maxLine: 2*b.opts.MaxRows + 1000,
	}
	if err := s.run(); err != nil {
		return fmt.Errorf("read worksheet %q: %w", sheet.part, err)
	}
	return nil
}

// sheetStream holds the state of one pass over a worksheet: the row and the
// cell being read.
type sheetStream struct {
	wb      *workbook
	cf      *cellFormatter
	b       *builder
	sc      *xmlScanner
	maxLine int

	line  int      // number of the current row
	cells []string // values of the current row, reused from row to row
	cell  xlsxCell // the current cell
	// text points at the buffer that character data goes to, or is nil.
	text     *[]byte
	inCell   bool
	phonetic int // depth of phonetic runs, whose text is not the value
}

// xlsxCell is a cell as written in the worksheet XML.
type xlsxCell struct {
	col    int // 1-based
	typ    string
	style  int
	v      []byte
	is     []byte
	inline bool
}

// run reads tokens up to the end of the sheet data.
func (s *sheetStream) run() error {
	for {
		tok, err := s.sc.next(s.text != nil)
		if errors.Is(err, errTextTooLong) {
			return s.tooLong()
		}
		if err != nil {
			return err
		}

		switch tok {
		case xmlEOF:
			return nil
		case xmlStart:
			err = s.start(s.sc.name)
		case xmlEnd:
			if string(s.sc.name) == "sheetData" {
				return nil
			}
			err = s.end(s.sc.name)
		case xmlText:
			err = s.charData(s.sc.text)
		}
		if err != nil {
			return err
		}
	}
}

// start handles a start tag; name is only valid up to the next token.
func (s *sheetStream) start(name []byte) error {
	switch string(name) {
	case "row":
		return s.startRow()
	case "c":
		return s.startCell()
	case "v":
		if s.inCell {
			s.text = &s.cell.v
		}
	case "is":
		s.cell.inline = s.inCell
	case "rPh":
		s.phonetic++
	case "t":
		if s.inCell && s.cell.inline && s.phonetic == 0 {
			s.text = &s.cell.is
		}
	}
	return nil
}

func (s *sheetStream) end(name []byte) error {
	switch string(name) {
	case "v", "t":
		s.text = nil
	case "rPh":
		s.phonetic = max(s.phonetic-1, 0)
	case "c":
		return s.endCell()
	case "row":
		if err := s.b.add(s.line, s.cells); err != nil {
			return err
		}
		s.cells = s.cells[:0]
	}
	return nil
}

func (s *sheetStream) charData(t []byte) error {
	if s.text == nil {
		return nil
	}
	if len(*s.text)+len(t) > s.b.opts.MaxCellBytes {
		return s.tooLong()
	}
	*s.text = append(*s.text, t...)
	return nil
}

func (s *sheetStream) tooLong() error {
	return fmt.Errorf("row %d, %s: the cell holds more than the %d bytes allowed",
		s.line, columnLetter(s.cell.col-1), s.b.opts.MaxCellBytes)
}

// startRow takes the row number from the attribute r, or follows the
// previous row. Rows must come in increasing order, and not so far down
// that walking the blank rows above would be the work.
func (s *sheetStream) startRow() error {
	line := s.line + 1
	r, err := s.sc.attr("r")
	if err != nil {
		return fmt.Errorf("row %d: %w", line, err)
	}
	if len(r) > 0 {
		n, ok := positiveInt(r)
		if !ok {
			return fmt.Errorf("row %d: the row number %q is not valid", line, r)
		}
		line = n
	}

	if line <= s.line {
		return fmt.Errorf("row %d comes after row %d: the rows of the sheet are out of order", line, s.line)
	}
	if line > s.maxLine {
		return fmt.Errorf("row %d: the sheet reaches further down than a manifest of at most %d rows may",
			line, s.b.opts.MaxRows)
	}
	s.line, s.cells, s.cell.col = line, s.cells[:0], 0
	return nil
}

// startCell takes the column, type and style of a cell. A cell without a
// reference follows the previous one.
func (s *sheetStream) startCell() error {
	c := xlsxCell{col: s.cell.col + 1, v: s.cell.v[:0], is: s.cell.is[:0]}
	r, err := s.sc.attr("r")
	if err != nil {
		return fmt.Errorf("row %d: %w", s.line, err)
	}
	if len(r) > 0 {
		col, ok := columnNumber(r)
		if !ok {
			return fmt.Errorf("row %d: the cell reference %q is not valid", s.line, r)
		}
		c.col = col
	}

	typ, err := s.sc.attr("t")
	if err != nil {
		return fmt.Errorf("row %d: %w", s.line, err)
	}
	c.typ = cellType(typ)
	st, err := s.sc.attr("s")
	if err != nil {
		return fmt.Errorf("row %d: %w", s.line, err)
	}
	c.style, _ = positiveInt(st)

	s.cell, s.inCell, s.text = c, true, nil
	return nil
}

// cellType returns the type attribute of a cell as a string, without
// allocating for the types a worksheet uses.
func cellType(t []byte) string {
	switch string(t) {
	case "":
		return ""
	case "s":
		return "s"
	case "inlineStr":
		return "inlineStr"
	case "n":
		return "n"
	case "b":
		return "b"
	case "str":
		return "str"
	case "e":
		return "e"
	case "d":
		return "d"
	}
	return string(t)
}

// positiveInt parses a decimal number of at most nine digits, greater than
// zero.
func positiveInt(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n > 0
}

// endCell places the value of the cell in the row. Empty cells are left
// out, so that formatting alone does not widen a row.
func (s *sheetStream) endCell() error {
	s.inCell, s.text = false, nil
	v, err := s.value(&s.cell)
	if err != nil {
		return fmt.Errorf("row %d, %s: %w", s.line, columnLetter(s.cell.col-1), err)
	}
	if v == "" {
		return nil
	}

	if s.cell.col > maxColumns {
		return fmt.Errorf("row %d has a value in %s, beyond the %d columns a manifest may have",
			s.line, columnLetter(s.cell.col-1), maxColumns)
	}
	for len(s.cells) < s.cell.col {
		s.cells = append(s.cells, "")
	}
	s.cells[s.cell.col-1] = v
	return nil
}

// value returns the cell's value as the spreadsheet shows it.
func (s *sheetStream) value(c *xlsxCell) (string, error) {
	styled := c.style > 0 && c.style < len(s.wb.formatted) && s.wb.formatted[c.style]

	switch c.typ {
	case "s":
		text, err := s.sharedString(string(c.v))
		if err != nil || !styled || text == "" {
			return text, err
		}
		return s.cf.format(c.style, c.typ, text)
	case "inlineStr":
		text := unescapeBSTR(string(c.is))
		if !c.inline {
			text = string(c.v)
		}
		if !styled || text == "" {
			return text, nil
		}
		return s.cf.format(c.style, c.typ, text)
	case "b":
		return boolValue(string(c.v)), nil
	case "str", "e", "d":
		return string(c.v), nil
	}
	return s.number(string(c.v), c.style, styled)
}

// number returns a numeric cell as the spreadsheet shows it, except that a
// whole number shown in scientific notation, such as a long numeric id
// (1.23457E+15), is given whole (1234567890123456).
func (s *sheetStream) number(raw string, style int, styled bool) (string, error) {
	shown := generalNumber(raw)
	if styled && raw != "" {
		var err error
		if shown, err = s.cf.format(style, "n", raw); err != nil {
			return "", err
		}
	}

	if sciNumber.MatchString(shown) {
		if whole, ok := wholeNumber(raw); ok {
			return whole, nil
		}
	}
	return shown, nil
}

func (s *sheetStream) sharedString(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	i, err := strconv.Atoi(v)
	if err != nil || i < 0 || i >= len(s.wb.strings) {
		return "", fmt.Errorf("the shared string %q does not exist", v)
	}
	return s.wb.strings[i], nil
}

// sciNumber matches a number that the General format shows in scientific
// notation, such as a long numeric id typed into a cell: 1.23457E+15.
var sciNumber = regexp.MustCompile(`^-?\d(\.\d+)?E[+-]\d+$`)

// generalNumber formats a numeric value as the General format shows it, as
// excelize does: fifteen significant digits at most, in scientific notation
// when more would be needed.
func generalNumber(raw string) string {
	if strings.Contains(raw, "_") {
		return raw
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return raw
	}

	plain := strconv.FormatFloat(f, 'f', -1, 64)
	digits := len(plain) - strings.Count(plain, ".")
	if digits > 15 && !zeroFilled(raw) {
		return strconv.FormatFloat(f, 'G', 15, 64)
	}
	return plain
}

// zeroFilled reports whether raw is an integer whose digits after the
// fifteenth are all zero.
func zeroFilled(raw string) bool {
	if strings.ContainsAny(raw, ".Ee") {
		return false
	}
	raw = strings.TrimLeft(raw, "+-0")
	return len(strings.TrimRight(raw, "0")) <= 15
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

func boolValue(v string) string {
	switch v {
	case "1":
		return "TRUE"
	case "0":
		return "FALSE"
	}
	return v
}

// columnNumber returns the 1-based column of a cell reference such as "C5".
func columnNumber(ref []byte) (int, bool) {
	col, i := 0, 0
	for ; i < len(ref); i++ {
		ch := ref[i] | 0x20 // lower case
		if ch < 'a' || ch > 'z' {
			break
		}
		col = col*26 + int(ch-'a'+1)
		if col > xlsxMaxColumn {
			return 0, false
		}
	}
	return col, i > 0
}
