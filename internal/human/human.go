// Package human writes numbers the way ouchie shows them to people.
package human

import (
	"fmt"
	"strconv"
)

// Bytes writes a byte count in B, KiB, MiB or GiB, one decimal above bytes:
// "512 B", "116.9 KiB", "1.0 MiB".
func Bytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// Count writes n and the noun, in the plural unless n is 1: "1 theme",
// "3 themes".
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
