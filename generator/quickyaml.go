package generator

import (
	"bytes"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
)

// Front matter is nearly always a few lines of "key: value". quickDecode
// decodes that plain subset of YAML without building a syntax tree, which
// costs a fraction of go-yaml's parse and decode; everything else is left to
// decodeYAML's full path, which also finds and reports every error. The
// subset, line by line:
//
//   - blank lines, and comments starting with "#";
//   - key: value, the key at column 1 and one of the struct's fields, set
//     once; the value one line long and followed by nothing but a comment;
//   - values: a plain scalar that YAML reads as text and nothing else
//     (not a number, true/false, null, or anything starting with an
//     indicator), a single- or double-quoted one (escapes only \" and \\),
//     a whole number without leading zeros, true or false, and a list of
//     plain words, [a, b] or "- a" lines below the key.
//
// A field whose type has its own UnmarshalYAML([]byte) takes a word of
// letters and digits, maybe quoted, and no comment: go-yaml passes that as
// written. On every input quickDecode accepts, its results are go-yaml's
// (TestQuickDecodeCases, TestQuickDecodeIndicators, FuzzQuickDecode).

// quickDecode decodes src into v, a pointer to a struct, when src is in the
// subset above, and returns the keys it set (slices of src). ok is false,
// and v untouched, for anything else.
func quickDecode(src []byte, v any) (keys [][]byte, ok bool) {
	if !quickChars(src) {
		return nil, false
	}
	dst := reflect.ValueOf(v).Elem()
	fields := quickFields(dst.Type())
	out := reflect.New(dst.Type()).Elem() // set on success only
	out.Set(dst)
	for rest := src; len(rest) > 0; {
		var line []byte
		line, rest = nextLine(rest)
		if blankOrComment(line) {
			continue
		}
		key, val, ok := cutKey(line)
		if !ok {
			return nil, false
		}
		for _, k := range keys {
			if bytes.Equal(k, key) {
				return nil, false // go-yaml reports the duplicate
			}
		}
		f, ok := field(fields, key)
		if !ok {
			return nil, false
		}
		if len(val) == 0 { // a block list, or null
			var items [][]byte
			if items, rest, ok = blockList(rest); !ok || !setList(out.Field(f.index), f.kind, items) {
				return nil, false
			}
		} else if !setValue(out.Field(f.index), f.kind, val) {
			return nil, false
		}
		keys = append(keys, key)
	}
	if len(keys) == 0 && len(bytes.TrimSpace(src)) > 0 {
		return nil, false // comments only, which go-yaml refuses
	}
	dst.Set(out)
	return keys, true
}

// quickChars reports whether src holds only characters whose reading in
// YAML is plain: no tab, control character, byte-order mark, Unicode line
// or paragraph separator, or invalid UTF-8. A carriage return may only end
// a line.
func quickChars(src []byte) bool {
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n' && c != '\r') || c == 0x7f || (c == '\r' && (i+1 == len(src) || src[i+1] != '\n')) {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError || r <= 0x9f || r == 0x2028 || r == 0x2029 || r == 0xfeff {
			return false
		}
		i += size
	}
	return true
}

// nextLine cuts the first line off src, without its line ending.
func nextLine(src []byte) (line, rest []byte) {
	line, rest, _ = bytes.Cut(src, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r")), rest
}

// blankOrComment reports a line of spaces, maybe followed by a comment.
func blankOrComment(line []byte) bool {
	line = bytes.TrimLeft(line, " ")
	return len(line) == 0 || line[0] == '#'
}

// cutKey splits "key: value # comment" into key and value, or "key:" into
// key and an empty value.
func cutKey(line []byte) (key, val []byte, ok bool) {
	i := 0
	for i < len(line) && (line[i] == '_' || 'a' <= line[i] && line[i] <= 'z' || 'A' <= line[i] && line[i] <= 'Z' ||
		i > 0 && '0' <= line[i] && line[i] <= '9') {
		i++
	}
	if i == 0 || i == len(line) || line[i] != ':' {
		return nil, nil, false
	}
	key, val = line[:i], line[i+1:]
	if len(val) > 0 && val[0] != ' ' {
		return nil, nil, false
	}
	return key, bytes.Trim(val, " "), true
}

// quickField is what quickDecode knows of a struct field.
type quickField struct {
	name  string // its key
	index int
	kind  quickKind
}

// quickKind is how quickDecode sets a field.
type quickKind int

const (
	quickNone   quickKind = iota // it does not: go-yaml does
	quickText                    // a string
	quickNumber                  // an int
	quickFlag                    // a bool
	quickWords                   // a slice of strings
	quickSelf                    // its type's UnmarshalYAML([]byte)
)

// quickTypes holds the fields of each struct type quickDecode has decoded
// into, by reflect.Type: reading a type's tags costs more than decoding.
var quickTypes sync.Map

// quickFields returns the fields of struct type t that have a yaml key.
func quickFields(t reflect.Type) []quickField {
	if fs, ok := quickTypes.Load(t); ok {
		return fs.([]quickField)
	}
	var fs []quickField
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		ft, kind := t.Field(i).Type, quickNone
		switch {
		case reflect.PointerTo(ft).Implements(bytesUnmarshaler):
			kind = quickSelf
		case hasUnmarshaler(ft):
		case ft.Kind() == reflect.String:
			kind = quickText
		case ft.Kind() == reflect.Int:
			kind = quickNumber
		case ft.Kind() == reflect.Bool:
			kind = quickFlag
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.String && !hasUnmarshaler(ft.Elem()):
			kind = quickWords
		}
		fs = append(fs, quickField{name: name, index: i, kind: kind})
	}
	quickTypes.Store(t, fs)
	return fs
}

// field returns the field of fs whose key is key.
func field(fs []quickField, key []byte) (quickField, bool) {
	for _, f := range fs {
		if f.name == string(key) {
			return f, true
		}
	}
	return quickField{}, false
}

// bytesUnmarshaler is go-yaml's interface for a type decoding itself.
var bytesUnmarshaler = reflect.TypeFor[yaml.BytesUnmarshaler]()

// setValue sets f, of kind k, from a value written on its key's line.
func setValue(f reflect.Value, k quickKind, val []byte) bool {
	switch k {
	case quickSelf:
		if word := bytes.Trim(val, `"'`); !isWord(word) || len(word) != len(val) && (len(word)+2 != len(val) || val[0] != val[len(val)-1]) {
			return false
		}
		return f.Addr().Interface().(yaml.BytesUnmarshaler).UnmarshalYAML(val) == nil
	case quickText:
		s, ok := scalarText(val)
		if ok {
			f.SetString(s)
		}
		return ok
	case quickNumber:
		word := bareWord(val)
		if len(word) == 0 || len(word) > 9 || word[0] == '0' && len(word) > 1 || bytes.ContainsFunc(word, notDigit) {
			return false
		}
		n, _ := strconv.Atoi(string(word))
		f.SetInt(int64(n))
		return true
	case quickFlag:
		switch string(bareWord(val)) {
		case "true":
			f.SetBool(true)
		case "false":
			f.SetBool(false)
		default:
			return false
		}
		return true
	case quickWords:
		items, ok := flowList(val)
		return ok && setList(f, k, items)
	}
	return false
}

func notDigit(r rune) bool { return r < '0' || r > '9' }

// hasUnmarshaler reports a type that decodes itself in a way quickDecode
// does not follow.
func hasUnmarshaler(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	for _, m := range []string{"UnmarshalYAML", "UnmarshalText", "UnmarshalJSON"} {
		if _, ok := pt.MethodByName(m); ok {
			return true
		}
	}
	return false
}

// setList sets f, of kind k, to items.
func setList(f reflect.Value, k quickKind, items [][]byte) bool {
	if k != quickWords {
		return false
	}
	list := reflect.MakeSlice(f.Type(), len(items), len(items))
	for i, it := range items {
		s, ok := scalarText(it)
		if !ok {
			return false
		}
		list.Index(i).SetString(s)
	}
	f.Set(list)
	return true
}

// flowList splits "[a, b]" (maybe followed by a comment) into its items,
// which must be bare words.
func flowList(val []byte) ([][]byte, bool) {
	if len(val) == 0 || val[0] != '[' {
		return nil, false
	}
	end := bytes.IndexByte(val, ']')
	if end < 0 || !onlyComment(val[end+1:]) {
		return nil, false
	}
	inner := bytes.Trim(val[1:end], " ")
	items := [][]byte{}
	if len(inner) == 0 {
		return items, true
	}
	for it := range bytes.SplitSeq(inner, []byte(",")) {
		it = bytes.Trim(it, " ")
		if !isWord(it) {
			return nil, false
		}
		items = append(items, it)
	}
	return items, true
}

// blockList reads the "- item" lines that follow a key with no value on its
// line. A key followed by none is null, which quickDecode leaves to go-yaml.
func blockList(src []byte) (items [][]byte, rest []byte, ok bool) {
	indent := -1
	for rest = src; len(rest) > 0; {
		line, after := nextLine(rest)
		trimmed := bytes.TrimLeft(line, " ")
		if len(trimmed) == 0 || trimmed[0] == '#' {
			rest = after
			continue
		}
		if !bytes.HasPrefix(trimmed, []byte("- ")) {
			break // the next key
		}
		if n := len(line) - len(trimmed); indent < 0 {
			indent = n
		} else if n != indent {
			return nil, nil, false
		}
		items = append(items, bytes.Trim(trimmed[2:], " "))
		rest = after
	}
	return items, rest, len(items) > 0
}

// scalarText returns the text of a scalar value (plain or quoted, maybe
// followed by a comment) that YAML reads as text and nothing else.
func scalarText(val []byte) (string, bool) {
	if len(val) == 0 {
		return "", false
	}
	switch val[0] {
	case '"':
		return doubleQuoted(val)
	case '\'':
		return singleQuoted(val)
	}
	plain := val
	if i := bytes.Index(val, []byte(" #")); i >= 0 {
		plain = bytes.TrimRight(val[:i], " ")
	}
	if !readsAsText(plain) {
		return "", false
	}
	return string(plain), true
}

// readsAsText reports whether a plain scalar reads as text: it does not start
// with an indicator or with what could make it a number, null or boolean,
// it is not a word that YAML 1.1 or 1.2 reads as one, and it holds no ": "
// (a mapping) and no trailing ":".
func readsAsText(s []byte) bool {
	if len(s) == 0 || bytes.IndexByte([]byte("-?:,[]{}#&*!|>'\"%@`~+.0123456789"), s[0]) >= 0 ||
		bytes.Contains(s, []byte(": ")) || s[len(s)-1] == ':' {
		return false
	}
	for _, w := range []string{"null", "true", "false", "yes", "no", "on", "off", "y", "n", "nan", "inf"} {
		if len(s) == len(w) && bytes.EqualFold(s, []byte(w)) {
			return false
		}
	}
	return true
}

// doubleQuoted returns the text of "...", whose escapes may only be \" and
// \\, followed by nothing but a comment.
func doubleQuoted(val []byte) (string, bool) {
	if end := bytes.IndexAny(val[1:], `"\`); end >= 0 && val[1+end] == '"' { // no escapes
		if !onlyComment(val[2+end:]) {
			return "", false
		}
		return string(val[1 : 1+end]), true
	}
	var b []byte
	for i := 1; i < len(val); i++ {
		switch c := val[i]; c {
		case '"':
			if !onlyComment(val[i+1:]) {
				return "", false
			}
			return string(b), true
		case '\\':
			if i+1 == len(val) || (val[i+1] != '"' && val[i+1] != '\\') {
				return "", false
			}
			i++
			b = append(b, val[i])
		default:
			b = append(b, c)
		}
	}
	return "", false
}

// singleQuoted returns the text of '...', where a quote is written twice,
// followed by nothing but a comment.
func singleQuoted(val []byte) (string, bool) {
	var b []byte
	for i := 1; i < len(val); i++ {
		if val[i] != '\'' {
			b = append(b, val[i])
			continue
		}
		if i+1 < len(val) && val[i+1] == '\'' {
			b = append(b, '\'')
			i++
			continue
		}
		if !onlyComment(val[i+1:]) {
			return "", false
		}
		return string(b), true
	}
	return "", false
}

// onlyComment reports whether what follows a value is nothing, or spaces
// and a comment.
func onlyComment(s []byte) bool {
	t := bytes.TrimLeft(s, " ")
	return len(t) == 0 || (t[0] == '#' && len(t) < len(s))
}

// bareWord returns val without a trailing comment.
func bareWord(val []byte) []byte {
	if i := bytes.Index(val, []byte(" #")); i >= 0 {
		return bytes.TrimRight(val[:i], " ")
	}
	return val
}

// isWord reports a letter or digit followed by letters, digits, "_" and
// "-" only: a value go-yaml passes to a type's UnmarshalYAML as it is
// written. A leading "-" can start a list ("status: -"), a leading "_" is
// left to go-yaml too.
func isWord(s []byte) bool {
	if len(s) == 0 || s[0] == '-' || s[0] == '_' {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c == '-' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
