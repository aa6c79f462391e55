package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

const saveAsUTF8 = `save the sheet again as "CSV UTF-8 (Comma delimited)" (Excel) ` +
	`or CSV with character set UTF-8 (LibreOffice, Google Sheets)`

// ReadCSV reads a CSV manifest: comma, semicolon or tab separated (found from
// the header line), UTF-8 with or without a byte order mark, with quoted
// fields that may span lines. Rows shorter than the header get empty cells.
func ReadCSV(r io.Reader, opts ReadOptions) (*Manifest, error) {
	opts = opts.withDefaults()

	data, err := io.ReadAll(io.LimitReader(r, opts.MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read CSV: %w", err)
	}
	if int64(len(data)) > opts.MaxFileBytes {
		return nil, tooBig(int64(len(data)), opts.MaxFileBytes)
	}
	sum := sha256.Sum256(data)

	data, err = checkEncoding(data)
	if err != nil {
		return nil, err
	}

	b := newBuilder(FormatCSV, opts)
	if err := readRecords(data, detectDelimiter(data), b); err != nil {
		return nil, err
	}
	m, err := b.finish()
	if err != nil {
		return nil, err
	}
	m.SHA256 = hex.EncodeToString(sum[:])
	return m, nil
}

// checkEncoding rejects UTF-16 and text that is not UTF-8, and strips a UTF-8
// byte order mark.
func checkEncoding(data []byte) ([]byte, error) {
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) ||
		looksUTF16(data) {
		return nil, errors.New("the file is UTF-16 text (Excel's \"Unicode Text\"), not UTF-8: " + saveAsUTF8)
	}
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))

	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, fmt.Errorf("line %d holds a NUL byte: this is not a CSV text file; %s",
			lineAt(data, i), saveAsUTF8)
	}
	if !utf8.Valid(data) {
		i := firstInvalidUTF8(data)
		return nil, fmt.Errorf("line %d is not valid UTF-8 (likely Windows-1252 or Latin-1 text): %s",
			lineAt(data, i), saveAsUTF8)
	}
	return data, nil
}

// looksUTF16 reports whether the start of data has the NUL bytes that every
// other byte of UTF-16 text without a byte order mark has.
func looksUTF16(data []byte) bool {
	n := min(len(data), 64) &^ 1
	if n < 4 {
		return false
	}
	evenNUL, oddNUL := 0, 0
	for i := 0; i < n; i += 2 {
		if data[i] == 0 {
			evenNUL++
		}
		if data[i+1] == 0 {
			oddNUL++
		}
	}
	half := n / 2
	return evenNUL*4 >= half*3 || oddNUL*4 >= half*3
}

func firstInvalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(data)
}

// lineAt returns the 1-based line of the byte at offset i.
func lineAt(data []byte, i int) int {
	return bytes.Count(data[:i], []byte("\n")) + 1
}

// detectDelimiter picks comma, semicolon or tab: whichever the header line
// holds most often outside quotes. Comma wins a tie.
func detectDelimiter(data []byte) rune {
	counts := map[byte]int{}
	inQuotes := false
	for _, c := range data {
		if c == '"' {
			inQuotes = !inQuotes
			continue
		}
		if inQuotes {
			continue
		}
		if c == '\n' {
			break
		}
		counts[c]++
	}

	best, bestN := byte(','), counts[',']
	for _, c := range []byte{';', '\t'} {
		if counts[c] > bestN {
			best, bestN = c, counts[c]
		}
	}
	return rune(best)
}

// readRecords feeds every record to b with the row number a spreadsheet shows
// for it: blank lines count as rows, and a quoted cell spanning several lines
// stays in one row.
func readRecords(data []byte, comma rune, b *builder) error {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	row, prevEnd, linesBefore := 0, 0, 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return csvError(err)
		}

		// Blank lines between two records are rows of their own.
		start, _ := cr.FieldPos(0)
		row += 1 + max(0, start-linesBefore-1)
		end := int(cr.InputOffset())
		linesBefore += bytes.Count(data[prevEnd:end], []byte("\n"))
		prevEnd = end

		if err := b.add(row, rec); err != nil {
			return err
		}
	}
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		hint := ""
		if errors.Is(pe.Err, csv.ErrBareQuote) || errors.Is(pe.Err, csv.ErrQuote) {
			hint = `: a cell with a quote (") must be wrapped in quotes, with the quote doubled ("")`
		}
		return fmt.Errorf("CSV line %d, column %d: %w%s", pe.Line, pe.Column, pe.Err, hint)
	}
	return fmt.Errorf("read CSV: %w", err)
}
