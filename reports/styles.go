package reports

import (
	"github.com/xuri/excelize/v2"
)

// textNumFmt is the built-in "@" (Text) number format: a cell with it stays
// text when a user edits it.
const textNumFmt = 49

// dateFormat shows times as readable date-time cells.
const dateFormat = "yyyy-mm-dd hh:mm:ss"

// outcomeColours are the fill and font colours of each outcome's cell.
var outcomeColours = map[string][2]string{
	OutcomeCompleted:   {"C6EFCE", "006100"},
	OutcomeFailed:      {"FFC7CE", "9C0006"},
	OutcomeNeedsReview: {"FFEB9C", "9C5700"},
}

// otherColours are those of every other outcome.
var otherColours = [2]string{"E7E6E6", "3A3A3A"}

// chartColours are the stronger colours of each outcome in charts, where pale
// fills would be hard to tell apart.
var chartColours = map[string]string{
	OutcomeCompleted:   "70AD47",
	OutcomeFailed:      "C00000",
	OutcomeNeedsReview: "FFC000",
	OutcomeInProgress:  "5B9BD5",
	OutcomeNotStarted:  "A5A5A5",
	OutcomeRemoved:     "595959",
	"other":            "A5A5A5",
}

// fontFamily is the workbook's font, named in every style so that
// spreadsheets that substitute fonts render bold cells in the same face.
const fontFamily = "Calibri"

// styles holds the workbook's style ids.
type styles struct {
	header, headerText int
	text, date         int
	title, label, note int
	section, command   int
	outcome            map[string]int
}

// newStyles registers the workbook's styles.
func newStyles(f *excelize.File) (styles, error) {
	st := styles{outcome: map[string]int{}}
	dateFmt := dateFormat
	border := []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}}
	headerFill := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}}
	defs := []struct {
		id    *int
		style excelize.Style
	}{
		{&st.header, excelize.Style{Font: font(true, 11, ""), Fill: headerFill,
			Border: border}},
		{&st.headerText, excelize.Style{Font: font(true, 11, ""), Fill: headerFill,
			Border: border, NumFmt: textNumFmt}},
		{&st.text, excelize.Style{NumFmt: textNumFmt}},
		{&st.date, excelize.Style{CustomNumFmt: &dateFmt}},
		{&st.title, excelize.Style{Font: font(true, 16, "")}},
		{&st.label, excelize.Style{Font: font(true, 11, "")}},
		{&st.note, excelize.Style{Font: &excelize.Font{Family: fontFamily, Italic: true,
			Color: "595959"}}},
		{&st.section, excelize.Style{Font: font(true, 13, ""),
			Border: border}},
		{&st.command, excelize.Style{Font: &excelize.Font{Family: "Courier New"},
			NumFmt: textNumFmt}},
	}
	for _, d := range defs {
		id, err := f.NewStyle(&d.style)
		if err != nil {
			return st, err
		}
		*d.id = id
	}

	for _, o := range outcomes {
		id, err := f.NewStyle(outcomeStyle(o))
		if err != nil {
			return st, err
		}
		st.outcome[o] = id
	}
	return st, nil
}

// outcomeStyle is the coloured style of an outcome's cell.
func outcomeStyle(o string) *excelize.Style {
	c, ok := outcomeColours[o]
	if !ok {
		c = otherColours
	}
	return &excelize.Style{
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c[0]}},
		Font: font(true, 11, c[1]),
	}
}

// font is the workbook's font with the given settings.
func font(bold bool, size float64, colour string) *excelize.Font {
	return &excelize.Font{Family: fontFamily, Bold: bold, Size: size, Color: colour}
}

// headerFor is the style of a header cell holding h.
func (st styles) headerFor(h string) int {
	if risky(h) {
		return st.headerText
	}
	return st.header
}

// value turns a cell into what the stream writer writes. Strings stay
// strings, so that nothing becomes a formula; one that starts like a formula
// also gets the Text format, so that editing it in Excel keeps it text.
func (st styles) value(c cell) any {
	switch c.kind {
	case numberCell:
		return c.n
	case timeCell:
		if c.empty() {
			return nil
		}
		return excelize.Cell{StyleID: st.date, Value: c.t.UTC()}
	case outcomeCell:
		return excelize.Cell{StyleID: st.outcome[c.s], Value: c.s}
	}
	if risky(c.s) {
		return excelize.Cell{StyleID: st.text, Value: c.s}
	}
	return c.s
}
