package reports

import (
	"encoding/csv"
	"fmt"
	"io"
)

// WriteCSV writes the Results table as CSV: every job in manifest order,
// removed rows last, with the same columns as the workbook's Results sheet.
// Times are UTC. A value that a spreadsheet could take for a formula gets a
// leading apostrophe.
func WriteCSV(w io.Writer, in Input) error {
	s := summarize(in)
	cw := csv.NewWriter(w)

	header := resultsHeader(in.Run.Headers)
	for i, h := range header {
		header[i] = csvSafe(h)
	}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write CSV header: %w", err)
	}

	for _, j := range s.jobs {
		rec := resultRecord(j, len(in.Run.Headers))
		fields := make([]string, len(rec))
		for i, c := range rec {
			fields[i] = csvValue(c)
		}
		if err := cw.Write(fields); err != nil {
			return fmt.Errorf("write CSV row %d: %w", j.Row.Line, err)
		}
	}

	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}
