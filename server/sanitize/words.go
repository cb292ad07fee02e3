package sanitize

import (
	"bytes"
	"regexp"
)

// wordSpans walks text word by word (a word is a run of letters, digits and
// _ . -) and adds the secrets each word starts or names: token shapes,
// bearer credentials, header values, URL passwords, assignments.
func wordSpans(text []byte, spans []span) []span {
	runEnd := 0 // end of the token run the scan is in
	urlRun := 0 // end of the run a URL starting in it could span
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
		if runEnd <= i {
			runEnd = tokenEnd(text, i)
		}
		if tokenShaped(text[i:runEnd]) {
			spans = add(spans, text, i, runEnd)
			i = runEnd
			continue
		}
		if k := gluedKey(text, i, j, runEnd); k > 0 {
			spans = add(spans, text, k, k+20)
			i = j
			continue
		}
		word, next := text[i:j], j
		switch {
		case len(word) == 6 && bytes.EqualFold(word, []byte("bearer")):
			spans, next = bearer(spans, text, j)
		case len(word) == 13 && bytes.EqualFold(word, []byte("authorization")),
			len(word) == 19 && bytes.EqualFold(word, []byte("proxy-authorization")):
			spans, next = authorization(spans, text, j)
		case len(word) == 6 && bytes.EqualFold(word, []byte("cookie")),
			len(word) == 10 && bytes.EqualFold(word, []byte("set-cookie")):
			spans, next = cookie(spans, text, j)
		case isWord(word, "webhooks"):
			spans, next = webhook(spans, text, j)
		case bytes.HasPrefix(text[j:], []byte("://")):
			if urlRun <= j {
				urlRun = urlEnd(text, j)
			}
			n := len(spans)
			spans = urlPassword(spans, text, j+3, min(urlRun, j+3+maxURL))
			if len(spans) == n {
				spans = quotedURLPassword(spans, text, j+3, urlRun)
			}
		default:
			n := len(spans)
			spans, next = assignment(spans, text, i, j)
			if len(spans) == n && next == j {
				spans, next = spaced(spans, text, i, j)
			}
		}
		if j < len(text) && text[j] == ':' {
			if urlRun <= j {
				urlRun = urlEnd(text, j)
			}
			spans = dsnPassword(spans, text, j+1, min(urlRun, j+1+maxURL))
		}
		i = max(next, j)
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

// tokenRule is the shape of a well-known credential: a literal prefix and
// a pattern for the start of the token. The whole token is redacted.
type tokenRule struct {
	prefixes []string
	re       *regexp.Regexp
}

// awsKey is the shape of AWS access key ids.
var awsKey = tokenRule{[]string{"AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "APKA", "AROA"},
	regexp.MustCompile(`^A[A-Z]{3}[A-Z0-9]{16}(?:[^A-Za-z0-9]|$)`)}

var tokenRules = []tokenRule{
	awsKey,
	{[]string{"AIza"}, regexp.MustCompile(`^AIza[0-9A-Za-z_-]{35}`)}, // Google API keys
	{[]string{"AGE-SECRET-KEY-1"}, regexp.MustCompile(`^AGE-SECRET-KEY-1[0-9A-Z]{50}`)},
	{[]string{"eyJ"}, regexp.MustCompile(`^eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.`)}, // JWTs
	{[]string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}, regexp.MustCompile(`^gh[pousr]_[A-Za-z0-9]{30}`)},
	{[]string{"github_pat_"}, regexp.MustCompile(`^github_pat_[A-Za-z0-9_]{20}`)},
	{[]string{"glpat-"}, regexp.MustCompile(`^glpat-[A-Za-z0-9_-]{20}`)},
	{[]string{"xox", "xapp-"}, regexp.MustCompile(`^x(?:ox[abposr]|app)-[A-Za-z0-9-]{10}`)}, // Slack
	{[]string{"T"}, regexp.MustCompile(`^T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{16}`)}, // Slack webhook path
	{[]string{"sk_live_", "sk_test_", "rk_live_", "rk_test_"}, regexp.MustCompile(`^[sr]k_(?:live|test)_[A-Za-z0-9]{16}`)},
	{[]string{"sk-"}, regexp.MustCompile(`^sk-[A-Za-z0-9_-]{20}`)}, // OpenAI, Anthropic
	{[]string{"whsec_"}, regexp.MustCompile(`^whsec_[A-Za-z0-9+/=]{16}`)},
	{[]string{"npm_"}, regexp.MustCompile(`^npm_[A-Za-z0-9]{36}`)},
	{[]string{"pypi-"}, regexp.MustCompile(`^pypi-[A-Za-z0-9_-]{50}`)},
	{[]string{"SG."}, regexp.MustCompile(`^SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16}`)}, // SendGrid
}

// maxTokenLook is how much of a token the patterns look at: enough for a
// JWT's header.
const maxTokenLook = 1 << 10

// tokenShaped reports whether tok is a well-known credential.
func tokenShaped(tok []byte) bool {
	if len(tok) < 20 {
		return false
	}
	for _, r := range tokenRules {
		if tokenMatches(r, tok) {
			return true
		}
	}
	return false
}

// tokenMatches reports whether tok starts as r says.
func tokenMatches(r tokenRule, tok []byte) bool {
	for _, p := range r.prefixes {
		if bytes.HasPrefix(tok, []byte(p)) {
			return r.re.Match(tok[:min(len(tok), maxTokenLook)])
		}
	}
	return false
}

// gluedKey returns where an AWS access key id glued to the word before it
// (user_AKIA...) starts in the word text[i:j], or 0. The token the word
// starts ends at text[end].
func gluedKey(text []byte, i, j, end int) int {
	for k := i + 1; k+20 <= j; k++ {
		if text[k] == 'A' && (text[k-1] == '_' || text[k-1] == '-') && tokenMatches(awsKey, text[k:end]) {
			return k
		}
	}
	return 0
}

// skipSpace returns the index of the first byte at or after i that is not a
// space or a tab.
func skipSpace(text []byte, i int) int {
	for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
		i++
	}
	return i
}

// bearer redacts the token after "Bearer" at text[i:], if it is one, and
// returns where the scan resumes.
func bearer(spans []span, text []byte, i int) ([]span, int) {
	if lo, hi, ok := nextLineToken(text, i); ok {
		return add(spans, text, lo, hi), hi
	}
	j := skipSpace(text, i)
	if j == i {
		return spans, i
	}
	k := tokenEnd(text, j)
	if k-j < 8 {
		return spans, i
	}
	return add(spans, text, j, k), k
}

// authSchemes are the Authorization schemes whose credential is one token;
// after any other word followed by a blank (Digest, AWS4-HMAC-SHA256), the
// rest of the value is the credential.
var authSchemes = [][]byte{[]byte("bearer"), []byte("basic"), []byte("token"), []byte("negotiate"), []byte("ntlm"), []byte("apikey"), []byte("sso-key")}

// authorization redacts the value of an Authorization header (or field)
// whose name ends just before text[i], keeping its scheme, and returns
// where the scan resumes.
func authorization(spans []span, text []byte, i int) ([]span, int) {
	j, end, ok := headerValue(text, i)
	if !ok {
		return spans, i
	}
	k := j
	for k < len(text) && isIdent(text[k]) {
		k++
	}
	if k > j && authScheme(text[j:k]) {
		if lo, hi, ok := nextLineToken(text, k); ok {
			return add(spans, text, lo, hi), hi // the credential on the next line
		}
	}
	if k == j || k >= len(text) || text[k] != ' ' {
		e := restOfValue(text, j, end)
		return add(spans, text, j, e), e
	}
	v := skipSpace(text, k)
	if authScheme(text[j:k]) {
		e := v
		for e < len(text) && !isSpace(text[e]) && !isQuote(text[e]) && text[e] != ']' && text[e] != '\\' {
			e++
		}
		return add(spans, text, v, e), e
	}
	e := restOfValue(text, v, end)
	return add(spans, text, v, e), e
}

// authScheme reports whether word is one of authSchemes.
func authScheme(word []byte) bool {
	for _, s := range authSchemes {
		if bytes.EqualFold(word, s) {
			return true
		}
	}
	return false
}

// cookie redacts the value of a Cookie or Set-Cookie header whose name ends
// just before text[i], and returns where the scan resumes.
func cookie(spans []span, text []byte, i int) ([]span, int) {
	j, end, ok := headerValue(text, i)
	if !ok {
		return spans, i
	}
	e := restOfValue(text, j, end)
	return add(spans, text, j, e), e
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

// maxURL bounds how far a URL is looked at for its password.
const maxURL = 2 << 10

// urlEnd returns the end of the run of bytes a URL at text[i] could span.
func urlEnd(text []byte, i int) int {
	for i < len(text) && text[i] > ' ' && !isQuote(text[i]) && text[i] != '<' && text[i] != '>' && text[i] != 0x7f {
		i++
	}
	return i
}

// urlPassword redacts the password of the URL whose authority starts at
// text[i] and that ends by text[end]. Like net/url, the user information runs to the last @ before the
// path; a password holding a raw '/' is found too, unless what precedes the
// '/' looks like a port.
func urlPassword(spans []span, text []byte, i, end int) []span {
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

// quotedURLPassword redacts the password of the URL whose authority starts
// at text[i] when the password holds a quote, at which the URL seemed to
// end (text[end]): scheme://user:pa'ss@host. What follows the quote up to
// the @ must hold no blank and none of = , ; which would say the quote did
// end the URL.
func quotedURLPassword(spans []span, text []byte, i, end int) []span {
	if end >= len(text) || !isQuote(text[end]) || i >= end {
		return spans
	}
	c := bytes.IndexByte(text[i:end], ':')
	if c < 0 || bytes.ContainsAny(text[i:i+c], "/?#@") {
		return spans
	}
	for k := end; k < min(len(text), i+maxURL); k++ {
		switch b := text[k]; {
		case b == '@':
			return add(spans, text, i+c+1, k)
		case b <= ' ' || b == '=' || b == ',' || b == ';' || b == '/' || b == '<' || b == '>':
			return spans
		}
	}
	return spans
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
// whose password starts at text[i] and that ends by text[end].
func dsnPassword(spans []span, text []byte, i, end int) []span {
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
