package crashlog

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"
	"os"
	"syscall"
)

// MinTokenLen is the shortest admin or viewing token LoadToken accepts.
const MinTokenLen = 16

// maxTokenFile is the largest token file LoadToken reads.
const maxTokenFile = 4 << 10

// Token is a secret a request must present: the admin API's bearer token or
// the viewing token of crashlogs. Every check of a presented token goes
// through Matches. The zero Token matches nothing.
type Token struct {
	sum [sha256.Size]byte
	set bool
}

// NewToken returns the Token for secret; an empty secret gives the zero
// Token, which matches nothing.
func NewToken(secret []byte) Token {
	if len(secret) == 0 {
		return Token{}
	}
	return Token{sum: sha256.Sum256(secret), set: true}
}

// IsSet reports whether t holds a secret.
func (t Token) IsSet() bool { return t.set }

// Matches reports whether given is the secret. SHA-256 sums are compared
// in constant time, so neither the secret's content nor its length leaks
// through the time a check takes.
func (t Token) Matches(given string) bool {
	sum := sha256.Sum256([]byte(given))
	return subtle.ConstantTimeCompare(sum[:], t.sum[:]) == 1 && t.set && given != ""
}

// LoadToken reads a token from file: its content without surrounding
// whitespace, which must be one word of at least MinTokenLen bytes. The
// file must be a regular file (a named pipe or a device is refused at once,
// without waiting for a writer). A file readable by group or others is
// accepted with a warning on log (nil: none): Kubernetes mounts Secrets
// 0644 unless the volume's defaultMode says otherwise.
func LoadToken(file string, log *slog.Logger) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
	// writer; the mode of what was opened is checked before any read.
	f, err := os.OpenFile(file, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("token file %s: not a regular file (%s)", file, fileKind(st.Mode()))
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 && log != nil {
		log.Warn("token file is readable by group or others; chmod 600 it "+
			"(a Kubernetes Secret volume is 0644 unless its defaultMode is 0400)", "file", file, "mode", fmt.Sprintf("%#o", perm))
	}
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return nil, fmt.Errorf("token file %s: %w", file, err)
	}
	if len(b) > maxTokenFile {
		return nil, fmt.Errorf("token file %s: larger than 4 KiB, not a token", file)
	}
	tok := bytes.TrimSpace(b)
	switch {
	case len(tok) == 0:
		return nil, fmt.Errorf("token file %s: empty", file)
	case bytes.IndexFunc(tok, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
		return nil, fmt.Errorf("token file %s: the token holds blanks or control characters", file)
	case len(tok) < MinTokenLen:
		return nil, fmt.Errorf("token file %s: token of %d bytes, at least %d needed", file, len(tok), MinTokenLen)
	}
	return tok, nil
}

// fileKind names the kind of a file that is not a regular one.
func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.String()
}
