package sanitize

import (
	"bytes"
	"encoding/base64"
	"unicode/utf8"
)

// Forms of secrets that are no assignment: flags and their value, curl's
// user, SQL, netrc, values on the line after their key, webhook paths,
// base64 of text holding a secret, and tokens wrapped onto the next line.

// spaced redacts the value after the word text[i:j] when the word names it
// with a blank between them: --password VALUE, curl -u user:pass, SQL's
// IDENTIFIED BY 'x' and PASSWORD 'x', netrc's password. It returns where
// the scan resumes.
func spaced(spans []span, text []byte, i, j int) ([]span, int) {
	word := text[i:j]
	if j+1 >= len(text) || text[j] != ' ' && text[j] != '=' {
		return spans, j
	}
	v := j + 1
	switch {
	case (isWord(word, "-u") || isWord(word, "--user")) && onLineBefore(text, i, "curl"):
		lo, hi := flagValue(text, v)
		if c := bytes.IndexByte(text[lo:hi], ':'); c >= 0 {
			spans = add(spans, text, lo+c+1, hi)
		}
		return spans, hi
	case text[j] != ' ':
		return spans, j
	case bytes.HasPrefix(word, []byte("--")) && secretName(word[2:]):
		if text[v] == '-' || isSpace(text[v]) {
			return spans, j // another flag follows: this one takes no value
		}
		lo, hi := flagValue(text, v)
		return add(spans, text, lo, hi), hi
	case isWord(word, "by") && wordBefore(text, i, "identified"),
		(isWord(word, "password") || isWord(word, "passwd")) && text[v] == '\'':
		if lo, hi, ok := sqlQuoted(text, v); ok {
			return add(spans, text, lo, hi), hi
		}
	case isWord(word, "password") || isWord(word, "passwd"):
		// netrc: machine h login u password p, or password p on its own
		// line; a sentence (password changed) is left alone.
		e := wordValueEnd(text, v)
		if onLineBefore(text, i, "login ") || lineStart(text, i) && proseSecret(text, v, e) {
			return add(spans, text, v, e), e
		}
	}
	return spans, j
}

// isWord reports whether word is w, ignoring case.
func isWord(word []byte, w string) bool {
	return len(word) == len(w) && bytes.EqualFold(word, []byte(w))
}

// onLineBefore reports whether s comes before text[i] on its line.
func onLineBefore(text []byte, i int, s string) bool {
	start := bytes.LastIndexByte(text[:i], '\n') + 1
	return bytes.Contains(bytes.ToLower(text[start:i]), []byte(s))
}

// wordBefore reports whether the word before text[i], across one blank, is
// w, ignoring case.
func wordBefore(text []byte, i int, w string) bool {
	k := i - 1
	for k >= 0 && (text[k] == ' ' || text[k] == '\t') {
		k--
	}
	return k+1 >= len(w) && k+1 < i && isWord(text[k+1-len(w):k+1], w) && (k+1 == len(w) || !isIdent(text[k-len(w)]))
}

// flagValue returns the bounds of a command-line value at text[v]: quoted,
// or a word.
func flagValue(text []byte, v int) (lo, hi int) {
	if lo, hi, ok := quoted(text, v); ok {
		return lo, hi
	}
	return v, wordValueEnd(text, v)
}

// sqlQuoted finds an SQL string at text[v], where a doubled quote stands
// for one: 'it”s'.
func sqlQuoted(text []byte, v int) (lo, hi int, ok bool) {
	if v >= len(text) || text[v] != '\'' && text[v] != '"' {
		return 0, 0, false
	}
	q := text[v]
	for hi = v + 1; hi < len(text) && text[hi] != '\n'; hi++ {
		if text[hi] == q {
			if hi+1 < len(text) && text[hi+1] == q {
				hi++
				continue
			}
			break
		}
	}
	return v + 1, hi, true
}

// nextLineValue redacts a value that follows its key on the next lines: a
// JSON key ("password":) and its value on the line after it, a YAML key
// (password:) and the lines indented under it, or a YAML block scalar
// (password: |). key is where the key's line starts its key, v where its
// line ends or the block indicator stands.
func nextLineValue(spans []span, text []byte, key, v int, quotedKey bool) ([]span, int) {
	if quotedKey {
		w := skipSpace(text, v+1)
		if w >= len(text) {
			return spans, v
		}
		if lo, hi, ok := quoted(text, w); ok {
			return add(spans, text, lo, hi), hi
		}
		if text[w] == '{' || text[w] == '[' || text[w] == '\n' {
			return spans, v
		}
		e := wordValueEnd(text, w)
		return add(spans, text, w, e), e
	}
	block := text[v] == '|' || text[v] == '>'
	indent := key - (bytes.LastIndexByte(text[:key], '\n') + 1)
	at := bytes.IndexByte(text[v:], '\n')
	if at < 0 {
		return spans, v
	}
	at += v + 1
	for first := true; at < len(text); first = false {
		w := skipSpace(text, at)
		if w-at <= indent || w >= len(text) || text[w] == '\n' {
			break
		}
		e := bytes.IndexByte(text[w:], '\n')
		if e < 0 {
			e = len(text) - w
		}
		e += w
		if first && !block && (text[w] == '-' || mappingLine(text[w:e])) {
			break // nested keys or a list: each is judged on its own
		}
		spans = add(spans, text, w, e)
		at = e + 1
	}
	return spans, at
}

// mappingLine reports whether line starts a YAML mapping entry (name: ...).
func mappingLine(line []byte) bool {
	k := 0
	for k < len(line) && isIdent(line[k]) {
		k++
	}
	return k > 0 && k < len(line) && line[k] == ':' && (k+1 == len(line) || line[k+1] == ' ')
}

// nextLineToken finds a token standing alone on the line after text[i],
// where only blanks are left of its line: Bearer followed by a line break.
func nextLineToken(text []byte, i int) (lo, hi int, ok bool) {
	i = skipSpace(text, i)
	if i >= len(text) || text[i] != '\n' {
		return 0, 0, false
	}
	lo = skipSpace(text, i+1)
	hi = tokenEnd(text, lo)
	if hi-lo < 8 || skipSpace(text, hi) < len(text) && text[skipSpace(text, hi)] != '\n' {
		return 0, 0, false
	}
	return lo, hi, true
}

// webhook redacts the token of a webhook path, /webhooks/<id>/<token>,
// whose word "webhooks" ends just before text[j] (Discord).
func webhook(spans []span, text []byte, j int) ([]span, int) {
	if j >= len(text) || text[j] != '/' {
		return spans, j
	}
	k := j + 1
	for k < len(text) && isDigit(text[k]) {
		k++
	}
	if k-j-1 < 15 || k >= len(text) || text[k] != '/' {
		return spans, j
	}
	e := k + 1
	for e < len(text) && (isIdent(text[e]) && text[e] != '.') {
		e++
	}
	if e-k-1 < 40 {
		return spans, j
	}
	return add(spans, text, k+1, e), e
}

// Base64 text is decoded and redacted in turn when it is at least
// minEncoded characters long; what it holds is looked into maxDepth deep.
const (
	minEncoded = 16
	maxDepth   = 2
)

// encodedSpans adds every run of base64 in text whose decoded text holds a
// secret: a credential base64-encoded in a header, a cookie or a blob.
func encodedSpans(text []byte, spans []span, depth int) []span {
	if depth >= maxDepth {
		return spans
	}
	for i := 0; i < len(text); {
		if !isBase64(text[i]) || i > 0 && isBase64(text[i-1]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isBase64(text[j]) {
			j++
		}
		e := j
		for e < len(text) && e-j < 2 && text[e] == '=' {
			e++
		}
		if j-i >= minEncoded {
			if plain, ok := decode(text[i:j]); ok && len(secretSpans(plain, nil, depth+1)) > 0 {
				spans = add(spans, text, i, e)
			}
		}
		i = e
	}
	return spans
}

func isBase64(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_'
}

// decode decodes standard or URL-safe base64 without padding, and reports
// whether the result is text.
func decode(s []byte) ([]byte, bool) {
	enc := base64.RawStdEncoding
	if bytes.ContainsAny(s, "-_") {
		if bytes.ContainsAny(s, "+/") {
			return nil, false
		}
		enc = base64.RawURLEncoding
	}
	if len(s)%4 == 1 {
		return nil, false
	}
	out := make([]byte, enc.DecodedLen(len(s)))
	n, err := enc.Decode(out, s)
	if err != nil || !utf8.Valid(out[:n]) {
		return nil, false
	}
	for _, c := range out[:n] {
		if c < 0x20 && c != '\n' && c != '\t' && c != '\r' || c == 0x7f {
			return nil, false
		}
	}
	return out[:n], true
}

// wrapped adds the lines after a secret that ends its line when they
// carry on the same token: a long value a terminal or a logger wrapped.
// Such a line is one run of base64 characters holding a digit and a
// letter, with nothing else on it.
func wrapped(spans []span, text []byte) []span {
	for _, s := range spans {
		for at := s.hi; at < len(text) && text[at] == '\n'; {
			lo := at + 1
			hi := lo
			digit, letter := false, false
			for hi < len(text) && isBase64(text[hi]) {
				digit = digit || isDigit(text[hi])
				letter = letter || 'a' <= text[hi]|0x20 && text[hi]|0x20 <= 'z'
				hi++
			}
			for hi < len(text) && text[hi] == '=' {
				hi++
			}
			if hi-lo < 8 || !digit || !letter || hi < len(text) && text[hi] != '\n' {
				break
			}
			spans = add(spans, text, lo, hi)
			at = hi
		}
	}
	return spans
}
