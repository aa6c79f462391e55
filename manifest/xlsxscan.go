package manifest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// xmlScanner splits the XML of a worksheet into start tags, end tags and
// character data, and nothing more.
//
// It exists because the standard XML decoder is the bottleneck for large
// manifests: it allocates several tokens per cell, and most of the time of
// reading a sheet of 100,000 rows went into it. The scanner works on the
// buffered bytes of a bufio.Reader, allocates nothing per element, and knows
// only what a worksheet uses: elements (with namespace prefixes), attributes,
// the five XML entities and character references, CDATA sections, comments
// and processing instructions, the last two skipped. It does not check that
// end tags match start tags, nor the names and text it does not keep; what it
// keeps, it checks as the decoder would: valid UTF-8 and XML characters.
type xmlScanner struct {
	r *bufio.Reader
	// maxRaw bounds the bytes of character data kept for one token, before
	// references are decoded.
	maxRaw int

	name   []byte // local name of the current tag
	attrs  []byte // attributes of the current start tag, as written
	text   []byte // decoded character data of the current text token
	raw    []byte // character data as written, reused
	tag    []byte // a tag longer than the reader's buffer, reused
	recent []byte // the last bytes read by readPast
	// closing is true after a self-closing start tag: its end comes next.
	closing bool
	// markup is true when a '<' has been read and what follows has not.
	markup bool
}

// xmlToken is the kind of what xmlScanner.next read.
type xmlToken int

const (
	xmlEOF xmlToken = iota
	xmlStart
	xmlEnd
	xmlText
	xmlSkip // a comment, a processing instruction, or CDATA not kept
)

// maxTagBytes bounds the length of one tag, attributes included.
const maxTagBytes = 1 << 20

// errTextTooLong is returned when character data to keep is longer than
// the scanner's bound.
var errTextTooLong = errors.New("the text is longer than allowed")

func newXMLScanner(r *bufio.Reader, maxRaw int) *xmlScanner {
	return &xmlScanner{r: r, maxRaw: maxRaw}
}

// next reads the next token. Character data is returned as a token, in
// s.text, only when keepText is true and it is not empty; otherwise it is
// skipped. The end of the input outside markup is xmlEOF.
func (s *xmlScanner) next(keepText bool) (xmlToken, error) {
	if s.closing {
		s.closing = false
		return xmlEnd, nil
	}

	for {
		// Character data runs up to the next '<', which readText consumes.
		if !s.markup {
			found, err := s.readText(keepText)
			if err != nil {
				return xmlEOF, err
			}
			if len(s.text) > 0 {
				s.markup = found
				return xmlText, nil
			}
			if !found {
				return xmlEOF, nil
			}
		}

		s.markup = false
		tok, err := s.readMarkup(keepText)
		if err != nil || tok != xmlSkip {
			return tok, err
		}
	}
}

// readText reads up to and including the next '<', and reports whether
// there was one. With keep, the text before it is decoded into s.text.
func (s *xmlScanner) readText(keep bool) (bool, error) {
	s.raw, s.text = s.raw[:0], s.text[:0]
	for {
		chunk, err := s.r.ReadSlice('<')
		if keep {
			if err := s.keepRaw(chunk); err != nil {
				return false, err
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			return false, s.decodeText(keep, s.raw)
		}
		if err != nil {
			return false, err
		}
		return true, s.decodeText(keep, s.raw[:max(len(s.raw)-1, 0)])
	}
}

// keepRaw appends data to s.raw within the bound.
func (s *xmlScanner) keepRaw(data []byte) error {
	if len(s.raw)+len(data) > s.maxRaw {
		return errTextTooLong
	}
	s.raw = append(s.raw, data...)
	return nil
}

// readMarkup reads what follows a '<': a tag, or a comment, a processing
// instruction or a CDATA section.
func (s *xmlScanner) readMarkup(keepText bool) (xmlToken, error) {
	head, err := s.r.Peek(1)
	if err != nil {
		return xmlEOF, unexpectedEOF(err)
	}

	switch head[0] {
	case '/':
		return s.readEndTag()
	case '?':
		return s.skipMarkup("?", "?>")
	case '!':
		return s.readBang(keepText)
	}
	return s.readStartTag()
}

// readBang reads a comment or a CDATA section; other declarations, such as a
// DOCTYPE, have no place in a worksheet.
func (s *xmlScanner) readBang(keepText bool) (xmlToken, error) {
	const cdata = "![CDATA["
	if head, _ := s.r.Peek(3); string(head) == "!--" {
		return s.skipMarkup("!--", "-->")
	}
	if head, _ := s.r.Peek(len(cdata)); string(head) != cdata {
		return xmlEOF, errors.New("XML syntax error: unsupported declaration (<!DOCTYPE or similar)")
	}

	s.r.Discard(len(cdata))
	s.raw, s.text = s.raw[:0], s.text[:0]
	if err := s.readPast("]]>", keepText); err != nil {
		return xmlEOF, err
	}
	raw := s.raw[:max(len(s.raw)-len("]]>"), 0)]
	if len(raw) == 0 {
		return xmlSkip, nil
	}
	if err := checkChars(raw); err != nil {
		return xmlEOF, err
	}
	s.text = append(s.text, raw...)
	return xmlText, nil
}

// skipMarkup skips a comment or processing instruction that opens with
// open and closes with close.
func (s *xmlScanner) skipMarkup(open, close string) (xmlToken, error) {
	s.r.Discard(len(open))
	if err := s.readPast(close, false); err != nil {
		return xmlEOF, err
	}
	return xmlSkip, nil
}

// readPast reads up to and including term. With keep, what it read,
// term included, is appended to s.raw.
func (s *xmlScanner) readPast(term string, keep bool) error {
	s.recent = s.recent[:0]
	for {
		chunk, err := s.r.ReadSlice(term[len(term)-1])
		if keep {
			if err := s.keepRaw(chunk); err != nil {
				return err
			}
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return unexpectedEOF(err)
		}

		// Keep the last bytes read, to find term across chunks.
		s.recent = append(s.recent, chunk[max(len(chunk)-len(term), 0):]...)
		s.recent = s.recent[max(len(s.recent)-len(term), 0):]
		if err == nil && string(s.recent) == term {
			return nil
		}
	}
}

// readEndTag reads "/name>".
func (s *xmlScanner) readEndTag() (xmlToken, error) {
	tag, err := s.readTag()
	if err != nil {
		return xmlEOF, err
	}
	name := trimSpace(tag[1 : len(tag)-1])
	if len(name) == 0 || bytes.ContainsAny(name, " \t\r\n\"'") {
		return xmlEOF, fmt.Errorf("XML syntax error: invalid end tag <%.40s", tag)
	}
	s.name = localName(name)
	return xmlEnd, nil
}

// readStartTag reads "name attr="value"...>" or its self-closing form.
func (s *xmlScanner) readStartTag() (xmlToken, error) {
	tag, err := s.readTag()
	if err != nil {
		return xmlEOF, err
	}
	body := tag[:len(tag)-1]
	if bytes.HasSuffix(body, []byte("/")) {
		body, s.closing = body[:len(body)-1], true
	}

	end := 0
	for end < len(body) && !isSpace(body[end]) {
		end++
	}
	if end == 0 || bytes.ContainsAny(body[:end], "\"'=<") {
		return xmlEOF, fmt.Errorf("XML syntax error: invalid start tag <%.40s", tag)
	}
	s.name, s.attrs = localName(body[:end]), body[end:]
	return xmlStart, nil
}

// readTag reads up to and including the '>' that closes a tag, one outside
// quoted attribute values. The bytes stay valid up to the next read.
func (s *xmlScanner) readTag() ([]byte, error) {
	var quote byte
	s.tag = s.tag[:0]
	for {
		chunk, err := s.r.ReadSlice('>')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return nil, unexpectedEOF(err)
		}
		quote = skipQuoted(chunk, quote)
		if err == nil && quote == 0 && len(s.tag) == 0 {
			// The whole tag is in the reader's buffer, the usual case.
			return chunk, nil
		}

		if len(s.tag)+len(chunk) > maxTagBytes {
			return nil, errors.New("XML syntax error: a tag is too long")
		}
		s.tag = append(s.tag, chunk...)
		if err == nil && quote == 0 {
			return s.tag, nil
		}
	}
}

// skipQuoted returns the quote open at the end of chunk, given the one open
// at its start (0 for none).
func skipQuoted(chunk []byte, quote byte) byte {
	for _, c := range chunk {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		}
	}
	return quote
}

// attr returns the decoded value of the attribute name of the current start
// tag, compared without its namespace prefix, or nil.
func (s *xmlScanner) attr(name string) ([]byte, error) {
	rest := s.attrs
	for {
		rest = trimSpace(rest)
		if len(rest) == 0 {
			return nil, nil
		}

		// name = "value" or 'value'
		eq := bytes.IndexByte(rest, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("XML syntax error: invalid attribute %.40q", rest)
		}
		key := trimSpace(rest[:eq])
		if bytes.ContainsAny(key, " \t\r\n\"'") {
			return nil, fmt.Errorf("XML syntax error: invalid attribute %.40q", rest)
		}
		rest = trimSpace(rest[eq+1:])
		if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
			return nil, fmt.Errorf("XML syntax error: unquoted value of attribute %q", key)
		}
		end := bytes.IndexByte(rest[1:], rest[0])
		if end < 0 {
			return nil, fmt.Errorf("XML syntax error: unclosed value of attribute %q", key)
		}
		value := rest[1 : end+1]
		rest = rest[end+2:]

		if string(localName(key)) == name {
			return decodeAttr(value)
		}
	}
}

// decodeAttr decodes the references in an attribute value.
func decodeAttr(value []byte) ([]byte, error) {
	if bytes.IndexByte(value, '&') < 0 {
		return value, checkChars(value)
	}
	return appendDecoded(nil, value)
}

// decodeText decodes raw into s.text, if keep.
func (s *xmlScanner) decodeText(keep bool, raw []byte) error {
	if !keep {
		return nil
	}
	var err error
	s.text, err = appendDecoded(s.text, raw)
	return err
}

// trimSpace trims XML white space.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

// localName strips a namespace prefix, as in "x:c".
func localName(name []byte) []byte {
	if i := bytes.IndexByte(name, ':'); i > 0 && i < len(name)-1 {
		return name[i+1:]
	}
	return name
}

// appendDecoded appends raw character data to dst with its entity and
// character references decoded and its line ends normalised to "\n", as an
// XML parser must. It refuses invalid UTF-8 and characters XML forbids.
func appendDecoded(dst, raw []byte) ([]byte, error) {
	if err := checkChars(raw); err != nil {
		return dst, err
	}
	for len(raw) > 0 {
		i := indexRef(raw)
		if i < 0 {
			return append(dst, raw...), nil
		}
		dst, raw = append(dst, raw[:i]...), raw[i:]

		if raw[0] == '\r' {
			// "\r\n" and a lone "\r" both end a line.
			dst, raw = append(dst, '\n'), raw[1:]
			if len(raw) > 0 && raw[0] == '\n' {
				raw = raw[1:]
			}
			continue
		}

		end := bytes.IndexByte(raw, ';')
		if end < 0 || end > 16 {
			return dst, fmt.Errorf("XML syntax error: invalid reference %.16q", raw)
		}
		r, ok := reference(raw[1:end])
		if !ok {
			return dst, fmt.Errorf("XML syntax error: invalid reference %q", raw[:end+1])
		}
		dst, raw = utf8.AppendRune(dst, r), raw[end+1:]
	}
	return dst, nil
}

// indexRef returns the index of the first '&' or '\r' in raw, or -1.
func indexRef(raw []byte) int {
	for i, c := range raw {
		if c == '&' || c == '\r' {
			return i
		}
	}
	return -1
}

// reference returns the character of a reference without its '&' and ';':
// an entity such as "amp", or a number such as "#10" or "#x41".
func reference(ref []byte) (rune, bool) {
	switch string(ref) {
	case "amp":
		return '&', true
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "quot":
		return '"', true
	case "apos":
		return '\'', true
	}
	if len(ref) < 2 || ref[0] != '#' {
		return 0, false
	}

	digits, base := ref[1:], 10
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	n, err := strconv.ParseUint(string(digits), base, 32)
	if err != nil || !xmlChar(rune(n)) {
		return 0, false
	}
	return rune(n), true
}

// checkChars refuses data that is not UTF-8 or holds a control character
// XML does not allow.
func checkChars(data []byte) error {
	ascii := true
	for _, c := range data {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return fmt.Errorf("XML syntax error: illegal character code %U", rune(c))
		}
		ascii = ascii && c < utf8.RuneSelf
	}
	if !ascii && !utf8.Valid(data) {
		return errors.New("XML syntax error: invalid UTF-8")
	}
	return nil
}

// xmlChar reports whether r is a character XML allows.
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= utf8.MaxRune
}

// unexpectedEOF turns the end of the input inside markup into an error.
func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return errors.New("XML syntax error: unexpected EOF")
	}
	return err
}
