package crashlog

import (
	"bytes"
	"regexp"
)

// wordSpans walks text word by word (a word is a run of letters, digits and
// _ . -) and adds the secrets each word starts or names: token shapes,
// bearer credentials, header values, URL passwords, assignments.
func wordSpans(text []byte, spans []span) []span {
	for i := 0; i < len(text); {
		if !isIdent(text[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(text) && isIdent(text[j]) {
			j++
		}
		if i > 0 && isIdent(text[i-1]) {
			i = j // not a word start (only after a skipped value)
			continue
		}
		word := text[i:j]
		if k := tokenEnd(text, i); tokenShaped(text[i:k]) {
			spans = add(spans, text, i, k)
			i = k
			continue
		}
		next := j
		switch {
		case bytes.EqualFold(word, []byte("bearer")):
			spans = bearer(spans, text, j)
		case bytes.EqualFold(word, []byte("authorization")) || bytes.EqualFold(word, []byte("proxy-authorization")):
			spans = authorization(spans, text, j)
		case bytes.EqualFold(word, []byte("cookie")) || bytes.EqualFold(word, []byte("set-cookie")):
			spans = cookie(spans, text, j)
		case bytes.HasPrefix(text[j:], []byte("://")):
			spans = urlPassword(spans, text, j+3)
		default:
			spans, next = assignment(spans, text, i, j)
		}
		if j < len(text) && text[j] == ':' {
			spans = dsnPassword(spans, text, j+1)
		}
		i = next
	}
	return spans
}

func isIdent(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-'
}

// isTokenByte reports whether c may appear in a token: base64, base64url,
// dots and the like.
func isTokenByte(c byte) bool {
	return isIdent(c) || c == '+' || c == '/' || c == '=' || c == '~'
}

// tokenEnd returns the end of the token starting at text[i].
func tokenEnd(text []byte, i int) int {
	for i < len(text) && isTokenByte(text[i]) {
		i++
	}
	return i
}

// tokenRules are the shapes of well-known credentials, by first byte. Each
// matches the start of a token; the whole token is redacted.
var tokenRules = map[byte][]*regexp.Regexp{
	'A': {
		regexp.MustCompile(`^(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA)[A-Z0-9]{16}(?:[^A-Za-z0-9]|$)`),
		regexp.MustCompile(`^AIza[0-9A-Za-z_-]{35}`),
		regexp.MustCompile(`^AGE-SECRET-KEY-1[0-9A-Z]{50,}`),
	},
	'e': {regexp.MustCompile(`^eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.`)},
	'g': {
		regexp.MustCompile(`^gh[pousr]_[A-Za-z0-9]{30,}`),
		regexp.MustCompile(`^github_pat_[A-Za-z0-9_]{20,}`),
		regexp.MustCompile(`^glpat-[A-Za-z0-9_-]{20,}`),
	},
	'x': {regexp.MustCompile(`^x(?:ox[abposr]|app)-[A-Za-z0-9-]{10,}`)},
	's': {regexp.MustCompile(`^(?:sk_live_|sk_test_|sk-)[A-Za-z0-9_-]{16,}`)},
	'r': {regexp.MustCompile(`^rk_(?:live|test)_[A-Za-z0-9]{16,}`)},
	'w': {regexp.MustCompile(`^whsec_[A-Za-z0-9+/=]{16,}`)},
	'n': {regexp.MustCompile(`^npm_[A-Za-z0-9]{36}`)},
	'p': {regexp.MustCompile(`^pypi-[A-Za-z0-9_-]{50,}`)},
	'S': {regexp.MustCompile(`^SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}`)},
	'T': {regexp.MustCompile(`^T[A-Z0-9]{8,}/B[A-Z0-9]{8,}/[A-Za-z0-9]{16,}`)}, // Slack webhook path
}

// tokenShaped reports whether tok is a well-known credential.
func tokenShaped(tok []byte) bool {
	if len(tok) < 20 {
		return false
	}
	for _, re := range tokenRules[tok[0]] {
		if re.Match(tok) {
			return true
		}
	}
	return false
}

// skipSpace returns the index of the first byte at or after i that is not a
// space or a tab.
func skipSpace(text []byte, i int) int {
	for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
		i++
	}
	return i
}

// bearer redacts the token after "Bearer" at text[i:], if it is one.
func bearer(spans []span, text []byte, i int) []span {
	j := skipSpace(text, i)
	if j == i {
		return spans
	}
	if k := tokenEnd(text, j); k-j >= 8 {
		spans = add(spans, text, j, k)
	}
	return spans
}

// authSchemes are the Authorization schemes whose credential is one token;
// after any other word followed by a blank (Digest, AWS4-HMAC-SHA256), the
// rest of the value is the credential.
var authSchemes = [][]byte{[]byte("bearer"), []byte("basic"), []byte("token"), []byte("negotiate"), []byte("ntlm"), []byte("apikey"), []byte("sso-key")}

// authorization redacts the value of an Authorization header (or field)
// whose name ends just before text[i], keeping its scheme.
func authorization(spans []span, text []byte, i int) []span {
	j, end, ok := headerValue(text, i)
	if !ok {
		return spans
	}
	k := j
	for k < len(text) && isIdent(text[k]) {
		k++
	}
	if k == j || k >= len(text) || text[k] != ' ' {
		return add(spans, text, j, restOfValue(text, j, end))
	}
	v := skipSpace(text, k)
	for _, s := range authSchemes {
		if bytes.EqualFold(text[j:k], s) {
			e := v
			for e < len(text) && !isSpace(text[e]) && !isQuote(text[e]) && text[e] != ']' && text[e] != '\\' {
				e++
			}
			return add(spans, text, v, e)
		}
	}
	return add(spans, text, v, restOfValue(text, v, end))
}

// cookie redacts the value of a Cookie or Set-Cookie header whose name ends
// just before text[i].
func cookie(spans []span, text []byte, i int) []span {
	if j, end, ok := headerValue(text, i); ok {
		spans = add(spans, text, j, restOfValue(text, j, end))
	}
	return spans
}

// headerValue finds the value of a header or field whose name ends just
// before text[i]: `Name: v`, `"Name": "v"`, `Name=v`, Go's `Name:[v]`. end
// is the byte that closes the value (its quote, ']'), or 0 for the end of
// the line.
func headerValue(text []byte, i int) (j int, end byte, ok bool) {
	if i < len(text) && text[i] == '\\' {
		i++
	}
	if i < len(text) && isQuote(text[i]) {
		i++
	}
	i = skipSpace(text, i)
	if i >= len(text) || text[i] != ':' && text[i] != '=' {
		return 0, 0, false
	}
	i = skipSpace(text, i+1)
	if i < len(text) && text[i] == '[' {
		i, end = i+1, ']'
	}
	if i < len(text) && text[i] == '\\' {
		i++
	}
	if i < len(text) && isQuote(text[i]) {
		i, end = i+1, text[i]
	}
	return skipSpace(text, i), end, true
}

// restOfValue returns the end of a value starting at text[i]: at the byte
// end (or a backslash escaping it, in JSON in a string), else at the end of
// the line, without trailing blanks.
func restOfValue(text []byte, i int, end byte) int {
	e := i
	for e < len(text) && text[e] != '\n' && (end == 0 || text[e] != end && text[e] != '\\') {
		e++
	}
	for e > i && isSpace(text[e-1]) {
		e--
	}
	return e
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }
func isQuote(c byte) bool { return c == '"' || c == '\'' || c == '`' }

// urlEnd returns the end of the URL whose authority starts at text[i].
func urlEnd(text []byte, i int) int {
	for i < len(text) && text[i] > ' ' && !isQuote(text[i]) && text[i] != '<' && text[i] != '>' && text[i] != 0x7f {
		i++
	}
	return i
}

// urlPassword redacts the password of the URL whose authority starts at
// text[i]. Like net/url, the user information runs to the last @ before the
// path; a password holding a raw '/' is found too, unless what precedes the
// '/' looks like a port.
func urlPassword(spans []span, text []byte, i int) []span {
	end := urlEnd(text, i)
	u := text[i:end]
	auth := u
	if k := bytes.IndexAny(u, "/?#"); k >= 0 {
		auth = u[:k]
	}
	at := bytes.LastIndexByte(auth, '@')
	if at < 0 {
		at = bytes.IndexByte(u, '@')
	}
	if at < 0 {
		return spans
	}
	c := bytes.IndexByte(u[:at], ':')
	if c < 0 || bytes.ContainsAny(u[:c], "/?#") {
		return spans
	}
	pass := u[c+1 : at]
	if at >= len(auth) && portLike(pass) {
		return spans // host:port/path?q=a@b, not a password
	}
	return add(spans, text, i+c+1, i+at)
}

// portLike reports whether s starts with a port number ending the authority.
func portLike(s []byte) bool {
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i == len(s) || s[i] == '/' || s[i] == '?' || s[i] == '#'
}

// dsnPassword redacts the password of a Go MySQL DSN, user:pass@tcp(host),
// whose password starts at text[i].
func dsnPassword(spans []span, text []byte, i int) []span {
	end := urlEnd(text, i)
	at := bytes.IndexByte(text[i:end], '@')
	if at < 0 {
		return spans
	}
	rest := text[i+at+1 : end]
	for _, p := range []string{"tcp(", "unix(", "udp(", "tcp6(", "tcp4("} {
		if bytes.HasPrefix(rest, []byte(p)) {
			return add(spans, text, i, i+at)
		}
	}
	return spans
}
