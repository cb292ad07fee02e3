package human

import "testing"

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{
		0:             "0 B",
		1023:          "1023 B",
		1024:          "1.0 KiB",
		1536:          "1.5 KiB",
		1<<20 - 1:     "1024.0 KiB",
		1 << 20:       "1.0 MiB",
		5<<30 + 1<<29: "5.5 GiB",
		3 << 40:       "3072.0 GiB",
	} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 themes", 1: "1 theme", 2: "2 themes", 28: "28 themes"} {
		if got := Count(n, "theme"); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}
