package sanitize

import "bytes"

// assignment redacts the value assigned to the word text[i:j] when the word
// names a secret (see secretName). It returns where the scan resumes.
func assignment(spans []span, text []byte, i, j int) ([]span, int) {
	if i > 0 && text[i-1] == '/' {
		return spans, j // a file in a path (/run/secrets/db_password: ...)
	}
	p, quotedKey := j, false
	switch {
	case bytes.HasPrefix(text[p:], []byte(`\"`)):
		p, quotedKey = p+2, true
	case p < len(text) && (text[p] == '"' || text[p] == '\''):
		p, quotedKey = p+1, true
	}
	afterName := p
	p = skipSpace(text, p)
	if p+1 >= len(text) {
		return spans, j
	}
	sep, spacedSep := text[p], p > afterName
	switch {
	case sep == '=' && text[p+1] == '>': // Ruby, PHP, Perl
		p += 2
	case sep == '=' && text[p+1] != '=' && text[p+1] != '~':
		p++
	case sep == ':' && text[p+1] != ':' && text[p+1] != '=' && text[p+1] != '/':
		p++
	default:
		return spans, j
	}
	name := text[i:j]
	if p >= len(text) || !secretName(name) && !(quotedKey && isWord(name, "auth")) && !(sep == '=' && queryName(text, i)) {
		return spans, j
	}
	spaced := text[p] == ' ' || text[p] == '\t'
	if sep == ':' && !spaced && isDigit(text[p]) && bytes.IndexByte(name, '.') >= 0 {
		return spans, j // a position, token.go:42
	}
	v := skipSpace(text, p)
	if v < len(text) && text[v] == '\n' && sep == ':' && (quotedKey || lineStart(text, i)) {
		return nextLineValue(spans, text, i, v, quotedKey)
	}
	if v >= len(text) || text[v] == '\n' || bytes.HasPrefix(text[v:], []byte(redacted)) {
		return spans, j // no value, or one already redacted
	}
	if sep == '=' && (spacedSep && spaced || pythonSource(text, i)) && code(text, v) {
		return spans, j // token = os.environ["TOKEN"], a source line
	}
	if lo, hi, ok := quoted(text, v); ok {
		return add(spans, text, lo, hi), hi
	}
	switch {
	case sep != ':' || quotedKey || !spaced:
		// KEY=value, "key": value, Key:value
	case lineStart(text, i):
		// key: value, as YAML or a header: the rest of the line.
		if blockScalar(text, v) {
			return nextLineValue(spans, text, i, v, false)
		}
		e := bytes.IndexByte(text[v:], '\n')
		if e < 0 {
			e = len(text) - v
		}
		e += v
		for e > v && isSpace(text[e-1]) {
			e--
		}
		return add(spans, text, v, e), e
	case !identifierLike(name):
		// "refresh token: context deadline exceeded" is prose.
		e := wordValueEnd(text, v)
		if proseSecret(text, v, e) {
			spans = add(spans, text, v, e)
		}
		return spans, e
	}
	if text[v] == '[' { // Go's map and slice printing, Key:[value]
		if e := bytes.IndexAny(text[v:], "]\n"); e > 0 && text[v+e] == ']' {
			return add(spans, text, v+1, v+e), v + e
		}
	}
	e := wordValueEnd(text, v)
	return add(spans, text, v, e), e
}

// quoted finds a quoted value starting at text[v]: "v", 'v', `v` or, inside
// a JSON string, \"v\". It ends at its closing quote or at the end of the
// line.
func quoted(text []byte, v int) (lo, hi int, ok bool) {
	if bytes.HasPrefix(text[v:], []byte(`\"`)) {
		lo = v + 2
		for hi = lo; hi < len(text) && text[hi] != '\n'; hi++ {
			if text[hi] == '\\' && hi+1 < len(text) && text[hi+1] == '"' {
				break
			}
		}
		return lo, hi, true
	}
	q := text[v]
	if !isQuote(q) {
		return 0, 0, false
	}
	lo = v + 1
	for hi = lo; hi < len(text) && text[hi] != '\n' && text[hi] != q; hi++ {
		if text[hi] == '\\' && q != '\'' && hi+1 < len(text) && text[hi+1] != '\n' {
			hi++
		}
	}
	return lo, hi, true
}

// wordValueEnd returns the end of an unquoted value starting at text[v]: at
// a blank, a quote or &, or at one of , ; ) } ] > when what follows it ends
// the value too (so a,b stays one value and "a, b" does not) and it closes
// no bracket the value opened (so xK9[mP2q] stays whole).
func wordValueEnd(text []byte, v int) int {
	e, depth := v, 0
	for ; e < len(text); e++ {
		c := text[e]
		if isSpace(c) || isQuote(c) || c == '&' {
			break
		}
		switch c {
		case '(', '[', '{', '<':
			depth++
			continue
		}
		if closer(c) && depth > 0 && c != ',' && c != ';' {
			depth--
			continue
		}
		if closer(c) && (e+1 == len(text) || isSpace(text[e+1]) || isQuote(text[e+1]) || closer(text[e+1]) || text[e+1] == '\\') {
			break
		}
	}
	return e
}

// code reports whether the value at text[v] is an expression of a program,
// as a traceback quotes its source lines: a name, maybe dotted, called or
// indexed, closing at the end of the line (os.environ["TOKEN"], getpass()),
// or on a line a Python traceback quotes, a dotted name
// (settings.OAUTH_SECRET).
func code(text []byte, v int) bool {
	e := v
	for e < len(text) && (isIdent(text[e]) && text[e] != '-') {
		e++
	}
	if e > v && !isDigit(text[v]) && bytes.IndexByte(text[v:e], '.') > 0 && pythonSource(text, v) &&
		(e == len(text) || text[e] == ',' || text[e] == ')' || isSpace(text[e])) {
		return true
	}
	if e == v || isDigit(text[v]) || e >= len(text) || text[e] != '(' && text[e] != '[' {
		return false
	}
	end := bytes.IndexByte(text[e:], '\n')
	if end < 0 {
		end = len(text) - e
	}
	line := bytes.TrimRight(text[e:e+end], " \t;")
	return len(line) > 0 && (line[len(line)-1] == ')' || line[len(line)-1] == ']')
}

func closer(c byte) bool {
	return c == ',' || c == ';' || c == ')' || c == '}' || c == ']' || c == '>'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// pythonSource reports whether text[i] is on a line of source a Python
// traceback quotes: the line after File "...", line N.
func pythonSource(text []byte, i int) bool {
	end := bytes.LastIndexByte(text[:i], '\n')
	if end < 0 {
		return false
	}
	prev := bytes.TrimLeft(text[bytes.LastIndexByte(text[:end], '\n')+1:end], " \t")
	return bytes.HasPrefix(prev, []byte(`File "`)) && bytes.Contains(prev, []byte(`", line `))
}

// blockScalar reports whether a YAML block scalar starts at text[v]: | or
// >, maybe with indicators, ending the line.
func blockScalar(text []byte, v int) bool {
	if text[v] != '|' && text[v] != '>' {
		return false
	}
	k := v + 1
	for k < len(text) && (text[k] == '-' || text[k] == '+' || isDigit(text[k])) {
		k++
	}
	k = skipSpace(text, k)
	return k == len(text) || text[k] == '\n'
}

// queryNames are the URL query parameters that carry a secret although
// their name does not say so (see secretName).
var queryNames = []string{"key", "sig", "signature", "x-amz-signature", "x-goog-signature", "auth"}

// queryName reports whether the word at text[i] is the name of a secret
// URL query parameter: after ? or & (or # for a fragment).
func queryName(text []byte, i int) bool {
	if i == 0 || text[i-1] != '?' && text[i-1] != '&' && text[i-1] != '#' {
		return false
	}
	j := i
	for j < len(text) && isIdent(text[j]) {
		j++
	}
	for _, n := range queryNames {
		if isWord(text[i:j], n) {
			return true
		}
	}
	return false
}

// lineStart reports whether only blanks, list dashes and comment marks come
// before text[i] on its line.
func lineStart(text []byte, i int) bool {
	k := i - 1
	for k >= 0 && (text[k] == ' ' || text[k] == '\t' || text[k] == '-' || text[k] == '#') {
		k--
	}
	return k < 0 || text[k] == '\n'
}

// identifierLike reports whether name reads as an identifier (DB_PASSWORD,
// apiToken, PASSWORD) rather than a word of prose (token, Password).
func identifierLike(name []byte) bool {
	for k, c := range name {
		if c == '_' || c == '-' || c == '.' || isDigit(c) || k > 0 && 'A' <= c && c <= 'Z' {
			return true
		}
	}
	return false
}

// proseSecret reports whether the value text[v:e] after "word: " in prose
// is a secret: the last word of its clause, with a digit or a symbol in it,
// or long.
func proseSecret(text []byte, v, e int) bool {
	for e > v && bytes.IndexByte([]byte(".,;:!?)"), text[e-1]) >= 0 {
		e--
	}
	if e == v {
		return false
	}
	rest := skipSpace(text, e)
	for rest < len(text) && (closer(text[rest]) || isQuote(text[rest]) || text[rest] == '.') {
		rest++
	}
	if rest = skipSpace(text, rest); rest < len(text) && text[rest] != '\n' {
		return false // more words follow: a sentence
	}
	if e-v >= 16 {
		return true
	}
	for _, c := range text[v:e] {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return true
		}
	}
	return false
}

// secretWords make a name secret wherever they appear in it.
var secretWords = []string{"password", "passwd", "passphrase", "secret", "token", "credential", "apikey"}

// secretName reports whether an assignment to name is a secret; see the
// rules in redact.go.
func secretName(name []byte) bool {
	var buf [64]byte
	l := buf[:0]
	for _, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		l = append(l, c)
	}
	for _, s := range []string{"_file", "-file", "_path", "-path", "_dir", "-dir", "error", "exception"} {
		if bytes.HasSuffix(l, []byte(s)) {
			return false
		}
	}
	for _, s := range secretWords {
		if bytes.Contains(l, []byte(s)) {
			return true
		}
	}
	for _, s := range []string{"_pass", "-pass", "_key", "-key", "_pwd", "-pwd", "_auth"} {
		if bytes.HasSuffix(l, []byte(s)) {
			return true
		}
	}
	if string(l) == "pass" {
		return true
	}
	n := len(name)
	return n > 3 && string(name[n-3:]) == "Key" && ('a' <= name[n-4] && name[n-4] <= 'z' || isDigit(name[n-4]))
}
