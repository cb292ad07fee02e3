package sanitize

import (
	"bytes"
	"regexp"
	"slices"
)

// Redaction rules. A secret's value is replaced by "[redacted]"; what names
// it (the key, the header, the URL's user, the PEM markers) stays, so the
// log still says what was there. Two sets of rules find secrets: ouchie's
// own, which know the contexts a log puts secrets in, and the default rules
// of gitleaks (gitleaks_rules.go), a maintained set of some 200 vendor
// token formats.
//
// ouchie's own rules:
//
//   - PEM private keys: the body between "-----BEGIN ... PRIVATE KEY-----"
//     and its END line. A BEGIN without an END is redacted to the end of the
//     text, an END without a BEGIN (its block began before the window) from
//     the start of the text.
//   - Assignments whose name says secret: env style (KEY=value, export
//     KEY="value"), logfmt, INI (key = value), YAML and header style
//     (key: value at the start of a line, to its end), JSON ("key": "value",
//     also escaped inside a JSON string), Go's %v (Key:value, Key:[value]),
//     Python, Ruby and PHP printing, flags (--password=value and --password
//     value). A value on the line after its key is found too: a JSON key
//     ending its line, a YAML key whose value is indented under it, a YAML
//     block scalar (key: |). A name says secret when, ignoring case, it
//     contains PASSWORD, PASSWD, PASSPHRASE, SECRET, TOKEN, CREDENTIAL or
//     APIKEY, is PASS or ends in _PASS or -PASS, ends in _PWD, -PWD or
//     _AUTH, or ends in _KEY or -KEY (or, in camel case, in Key after a
//     lower-case letter or digit: apiKey); a JSON key "auth" (Docker's
//     config.json) and the URL query parameters key, sig, signature,
//     X-Amz-Signature, X-Goog-Signature and auth say secret too. So MONKEY,
//     KEY_ID, PWD and keyboard are not secret names; token_count and
//     TOKENIZER are, and their values go too: the rule looks at names,
//     never at values, because a counter lost costs less than a credential
//     shown. Names ending in _FILE, _PATH or _DIR (or -file...) are exempt:
//     they say where a secret is, not what; so are names ending in Error or
//     Exception (JsonWebTokenError: invalid signature). Not assignments
//     either, to keep crash reports readable: "refresh token: context
//     deadline exceeded", prose (a plain word such as token or Password
//     followed by ": " in the middle of a line has its value redacted only
//     when quoted, or when it is a single word with a digit or a symbol in
//     it, or 16 characters or more); a file in a path
//     (/run/secrets/db_password: no such file); a position (token.go:42);
//     a source line quoted by a traceback whose value is a call or an index
//     (token = os.environ["TOKEN"]), or in Python's, a dotted name
//     (client_secret=settings.OAUTH_SECRET).
//   - Command lines and statements: curl -u and --user (the password after
//     the user's colon), SQL's IDENTIFIED BY '...' and PASSWORD '...' (a
//     doubled quote is one quote), netrc's password (after login on its
//     line, or alone on a line when it has a digit or a symbol or is long).
//   - Authorization and Proxy-Authorization values (after a scheme such as
//     Bearer or Basic, the credential, also on the next line), Cookie and
//     Set-Cookie values, and any "Bearer <token>" of 8 characters or more,
//     or a token alone on the line after "Bearer".
//   - URL passwords (scheme://user:[redacted]@host, quotes included) and Go
//     MySQL DSNs (user:[redacted]@tcp(host)); the token of a webhook path
//     (/webhooks/<id>/<token>, Discord).
//   - Token shapes wherever they stand: AWS access key ids (AKIA, ASIA...
//     and 16 more, also glued to a word: user_AKIA...), JWTs
//     (eyJ....eyJ....sig), GitHub (ghp_, gho_, ghu_, ghs_, ghr_,
//     github_pat_), GitLab (glpat-), Slack (xoxb-... and webhook paths),
//     Stripe (sk_live_, rk_live_, whsec_), OpenAI-style (sk-...), Google API
//     keys (AIza), npm (npm_), PyPI (pypi-), SendGrid (SG.x.y) and age
//     secret keys.
//   - Base64 (standard or URL-safe, 16 characters or more) whose decoded
//     text holds a secret by these rules: the whole run goes.
//   - A secret that ends its line carries on over the lines after it that
//     hold nothing but one run of base64 characters with a digit and a
//     letter: a token a terminal wrapped.
//
// The gitleaks rules are tried where one of their keywords stands: on its
// line and the next, 512 bytes before it and 4 KiB after. They are adapted
// to logs: a token may end at punctuation as well as a blank, and the part
// of a pattern that matches the name before a key (reported by gitleaks,
// never redacted) is dropped, which makes them several times faster. Rules
// that need a file path are left out, and two are left to ouchie's own
// rules (see ownRules).
//
// Not detected: secrets with nothing around them to recognise (a bare
// 40-character AWS secret, a hex key); a URL password holding both a raw
// '/' and a leading run of digits; a value on the line after its key when
// the key's line was cut off by the window.
func redact(text []byte) []byte {
	spans := secretSpans(text, nil, 0)
	if len(spans) == 0 {
		return text
	}
	slices.SortFunc(spans, func(a, b span) int { return a.lo - b.lo })
	out := make([]byte, 0, len(text))
	at := 0
	for i := 0; i < len(spans); {
		lo, hi := spans[i].lo, spans[i].hi
		for i++; i < len(spans) && spans[i].lo <= hi; i++ {
			hi = max(hi, spans[i].hi)
		}
		if lo < at {
			lo = at
		}
		out = append(out, text[at:lo]...)
		out = append(out, redacted...)
		at = hi
	}
	return append(out, text[at:]...)
}

// secretSpans adds the secrets of text. depth is how many base64 decodings
// text went through.
func secretSpans(text []byte, spans []span, depth int) []span {
	spans = pemSpans(text, spans)
	spans = wordSpans(text, spans)
	spans = leakSpans(text, spans)
	spans = encodedSpans(text, spans, depth)
	return wrapped(spans, text)
}

// redacted replaces a secret.
const redacted = "[redacted]"

// span is a secret at text[lo:hi].
type span struct{ lo, hi int }

// add appends the span [lo, hi) unless it is empty or already redacted.
func add(spans []span, text []byte, lo, hi int) []span {
	if lo >= hi || bytes.HasPrefix(text[lo:hi], []byte(redacted)) {
		return spans
	}
	return append(spans, span{lo, hi})
}

var pemMarker = regexp.MustCompile(`-----(BEGIN|END) [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----`)

// pemSpans finds the bodies of private keys.
func pemSpans(text []byte, spans []span) []span {
	if !bytes.Contains(text, []byte("PRIVATE KEY")) {
		return spans
	}
	// Before the first marker the text may already be inside a body that
	// began before it; after a BEGIN it is inside one; after an END, outside.
	const (
		unknown = iota
		inside
		outside
	)
	state, from := unknown, 0
	for _, m := range pemMarker.FindAllSubmatchIndex(text, -1) {
		begin := text[m[2]] == 'B'
		switch {
		case begin && state != inside:
			state, from = inside, m[1]
		case !begin && state != outside:
			spans = pemBody(spans, text, from, m[0])
			state = outside
		}
	}
	if state == inside {
		spans = pemBody(spans, text, from, len(text))
	}
	return spans
}

// pemBody adds the body text[lo:hi], keeping the newlines around it.
func pemBody(spans []span, text []byte, lo, hi int) []span {
	if lo < hi && text[lo] == '\n' {
		lo++
	}
	if lo < hi && text[hi-1] == '\n' {
		hi--
	}
	return add(spans, text, lo, hi)
}
