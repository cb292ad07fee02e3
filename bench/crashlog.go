package main

import (
	"bytes"
	"fmt"
	"strings"
)

// crashlogMarker ends the benchmark's crashlog; finding it on the page shows
// the whole log got there.
const crashlogMarker = "bench: end of crashlog"

// crashlogSize is the size of the log pushed: 64 KiB, in exactly the 200
// lines ouchie shows at most, so none of it is cut.
const (
	crashlogSize  = 64 << 10
	crashlogLines = 200
)

// benchCrashlog returns a 64 KiB log of a web process failing to boot: JSON
// log lines (quotes, which every format must escape) and Go panic traces,
// with no secret in it, so what is shown is what was pushed.
func benchCrashlog() []byte {
	var lines []string
	for i := 0; len(lines) < crashlogLines-1; i++ {
		switch i % 4 {
		case 0, 1:
			lines = append(lines, fmt.Sprintf(`{"time":"2026-11-25T18:21:%02d.%03dZ","level":"error","app":"web","pid":%d,`+
				`"msg":"connect to database failed; retrying","attempt":%d,"addr":"db.internal:5432",`+
				`"err":"dial tcp 10.0.3.7:5432: connect: connection refused","caller":"store/postgres.go:118"}`,
				i%60, i*7%1000, 4000+i, i))
		case 2:
			lines = append(lines, fmt.Sprintf("panic: runtime error: invalid memory address or nil pointer dereference "+
				"[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x%x] <- in main.(*Server).Open", 0x6b3c20+i))
		case 3:
			lines = append(lines, fmt.Sprintf("\tgithub.com/example/web/internal/store.(*Postgres).Ping(0x0, {0x9f2c40, 0xc000%05x}) "+
				"/app/internal/store/postgres.go:%d +0x1f3 && retry #%d", i*64, 100+i, i))
		}
	}
	// Pad each line so the log comes to exactly crashlogSize with the
	// marker line last.
	body := strings.Join(lines, "\n") + "\n"
	last := crashlogMarker + "\n"
	pad := crashlogSize - len(body) - len(last)
	if pad < 0 {
		panic("bench: crashlog lines too long")
	}
	var b bytes.Buffer
	per, extra := pad/len(lines), pad%len(lines)
	for i, l := range lines {
		b.WriteString(l)
		n := per
		if i < extra {
			n++
		}
		if n > 0 {
			b.WriteByte(' ')
			b.WriteString(strings.Repeat(".", n-1))
		}
		b.WriteByte('\n')
	}
	b.WriteString(last)
	return b.Bytes()
}
