package manifest

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

// scanAll scans doc with a reader buffer of bufSize bytes, keeping all text,
// and returns its tokens as "<name r=.. t=.. s=..", "/name" and "text",
// adjacent texts joined.
func scanAll(t *testing.T, doc string, bufSize int) ([]string, error) {
	t.Helper()
	sc := newXMLScanner(bufio.NewReaderSize(strings.NewReader(doc), bufSize), 1<<10)
	var toks []string
	for range 10 * (len(doc) + 1) {
		tok, err := sc.next(true)
		if err != nil {
			return toks, err
		}

		switch tok {
		case xmlEOF:
			return toks, nil
		case xmlStart:
			attrs, err := scanAttrs(sc)
			if err != nil {
				return toks, err
			}
			toks = append(toks, "<"+string(sc.name)+attrs)
		case xmlEnd:
			toks = append(toks, "/"+string(sc.name))
		case xmlText:
			if n := len(toks) - 1; n >= 0 && strings.HasPrefix(toks[n], "'") {
				toks[n] = toks[n][:len(toks[n])-1] + string(sc.text) + "'"
				continue
			}
			toks = append(toks, "'"+string(sc.text)+"'")
		}
	}
	t.Fatalf("scanning %q does not end", doc)
	return nil, nil
}

// scanAttrs returns the attributes r, t and s of the current start tag that
// are present, as " r=value".
func scanAttrs(sc *xmlScanner) (string, error) {
	var b strings.Builder
	for _, name := range []string{"r", "t", "s"} {
		v, err := sc.attr(name)
		if err != nil {
			return "", err
		}
		if v != nil {
			b.WriteString(" " + name + "=" + string(v))
		}
	}
	return b.String(), nil
}

func TestXMLScanner(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    string // tokens joined by "|"
		wantErr string
	}{
		{name: "cell with attributes",
			doc:  `<row r="2" spans="1:3"><c r="B2" s="3" t="s"><v>7</v></c></row>`,
			want: `<row r=2|<c r=B2 t=s s=3|<v|'7'|/v|/c|/row`},
		{name: "prefixes and self-closing",
			doc:  `<x:row r='3'/><x:c r="A3" t = "n" /><x:c/>`,
			want: `<row r=3|/row|<c r=A3 t=n|/c|<c|/c`},
		{name: "prefixed attributes",
			doc:  `<c x:r="C9" xmlns:x="u"></c>`,
			want: `<c r=C9|/c`},
		{name: "entities and character references",
			doc:  `<t>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#10;&#x41;&#xe9;</t>`,
			want: "<t|'a & b <c> \"d\" 'e' \nAé'|/t"},
		{name: "reference in an attribute",
			doc:  `<c r="&#65;1" t="in&#x6C;ineStr"/>`,
			want: `<c r=A1 t=inlineStr|/c`},
		{name: "line ends normalised",
			doc:  "<t>a\r\nb\rc&#13;</t>",
			want: "<t|'a\nb\nc\r'|/t"},
		{name: "comments and instructions skipped",
			doc:  `<?xml version="1.0"?><!-- <c> --><t>a<!-- b -> -- -->c<?pi ?>d</t>`,
			want: `<t|'acd'|/t`},
		{name: "CDATA kept as written",
			doc:  `<t><![CDATA[<&amp;>]]]]><![CDATA[]]>x</t>`,
			want: `<t|'<&amp;>]]x'|/t`},
		{name: "greater-than in attribute and text",
			doc:  `<c r="A1" foo="a>b" bar='"'>x>y</c>`,
			want: `<c r=A1|'x>y'|/c`},
		{name: "white space in tags",
			doc:  "<c\n r=\"A1\"\t></c >",
			want: `<c r=A1|/c`},
		{name: "text after the end", doc: `<a/>tail`, want: `<a|/a|'tail'`},
		{name: "empty", doc: ``, want: ``},
		{name: "unknown entity", doc: `<t>&nbsp;</t>`, wantErr: "invalid reference"},
		{name: "unterminated reference", doc: `<t>a & b</t>`, wantErr: "invalid reference"},
		{name: "reference to a forbidden character", doc: `<t>&#0;</t>`, wantErr: "invalid reference"},
		{name: "huge character reference", doc: `<t>&#x110000;</t>`, wantErr: "invalid reference"},
		{name: "control character", doc: "<t>a\x01</t>", wantErr: "illegal character"},
		{name: "invalid UTF-8", doc: "<t>a\xff</t>", wantErr: "invalid UTF-8"},
		{name: "unclosed tag", doc: `<row r="2"`, wantErr: "unexpected EOF"},
		{name: "unclosed quote", doc: `<c r="A1>x</c>`, wantErr: "unexpected EOF"},
		{name: "unclosed comment", doc: `<!-- x`, wantErr: "unexpected EOF"},
		{name: "unclosed CDATA", doc: `<t><![CDATA[x`, wantErr: "unexpected EOF"},
		{name: "DOCTYPE", doc: `<!DOCTYPE x><a/>`, wantErr: "unsupported declaration"},
		{name: "empty tag", doc: `<>`, wantErr: "invalid start tag"},
		{name: "space before name", doc: `< c>`, wantErr: "invalid start tag"},
		{name: "empty end tag", doc: `<a></>`, wantErr: "invalid end tag"},
		{name: "unquoted attribute", doc: `<c r=A1>`, wantErr: "unquoted value"},
		{name: "attribute without value", doc: `<c hidden r="A1">`, wantErr: "invalid attribute"},
		{name: "text too long", doc: `<t>` + strings.Repeat("x", 2000) + `</t>`, wantErr: "text is longer"},
	}
	for _, tt := range tests {
		for _, size := range []int{16, 4096} {
			t.Run(tt.name, func(t *testing.T) {
				toks, err := scanAll(t, tt.doc, size)
				if tt.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Fatalf("buffer %d: error %v, want it to contain %q (tokens %q)",
							size, err, tt.wantErr, toks)
					}
					return
				}
				if err != nil {
					t.Fatalf("buffer %d: %v", size, err)
				}
				if got := strings.Join(toks, "|"); got != tt.want {
					t.Errorf("buffer %d:\ngot  %s\nwant %s", size, got, tt.want)
				}
			})
		}
	}
}

// decoderTokens returns the tokens of doc as encoding/xml reads them, in the
// form scanAll gives, or an error if the decoder refuses doc.
func decoderTokens(doc string) ([]string, error) {
	dec := xml.NewDecoder(strings.NewReader(doc))
	var toks []string
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			return toks, nil
		}
		if err != nil {
			return nil, err
		}

		switch tok := tok.(type) {
		case xml.StartElement:
			toks = append(toks, "<"+tok.Name.Local+decoderAttrs(tok.Attr))
		case xml.EndElement:
			toks = append(toks, "/"+tok.Name.Local)
		case xml.CharData:
			if len(tok) == 0 {
				continue
			}
			if n := len(toks) - 1; n >= 0 && strings.HasPrefix(toks[n], "'") {
				toks[n] = toks[n][:len(toks[n])-1] + string(tok) + "'"
				continue
			}
			toks = append(toks, "'"+string(tok)+"'")
		}
	}
}

func decoderAttrs(attrs []xml.Attr) string {
	var b strings.Builder
	for _, name := range []string{"r", "t", "s"} {
		for _, a := range attrs {
			if a.Name.Local == name {
				b.WriteString(" " + name + "=" + a.Value)
				break
			}
		}
	}
	return b.String()
}

// FuzzScanSheet scans arbitrary bytes as worksheet XML: the scanner must
// end without panicking, and read what encoding/xml reads the same way.
func FuzzScanSheet(f *testing.F) {
	f.Add(`<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>` +
		`</sheetData><mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells></worksheet>`)
	f.Add(`<?xml version="1.0"?><x:c x:r="B2" t='s'><x:v>1&amp;&#10;&#x41;</x:v></x:c>`)
	f.Add("<is><r><t xml:space=\"preserve\"> a\r\n</t></r><rPh><t>b</t></rPh></is><!-- c -->")
	f.Add(`<t><![CDATA[<x>]]></t><f>SUM(A1:A2)</f><extLst><ext uri="{x}"/></extLst>`)

	f.Fuzz(func(t *testing.T, doc string) {
		got, err := scanAll(t, doc, 16)
		want, decErr := decoderTokens(doc)
		if err != nil || decErr != nil {
			// The scanner is laxer than the decoder in what it skips; it
			// refuses only what the decoder refuses, or declarations.
			if err != nil && decErr == nil && !errors.Is(err, errTextTooLong) &&
				!bytes.Contains([]byte(doc), []byte("<!")) {
				t.Fatalf("the scanner refuses what the decoder reads: %v", err)
			}
			return
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("scanner and decoder differ:\nscanner %q\ndecoder %q", got, want)
		}
	})
}
