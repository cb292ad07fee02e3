//go:build !unix

package crashlog

// openFlags: only Unix has FIFOs to fear; the mode check does the rest.
const openFlags = 0
