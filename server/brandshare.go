package server

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/ouchie/ouchie/generator/bundle"
)

// What brands share: a thousand brands built from one site have the same
// router keys, languages, file names and slot lists, and many of the same
// outputs, which the brand cache holds once by outKey.

// outKey says what makes two outputs the same: their bytes, and what the
// manifest says about them that a response carries (where the slots are,
// as a hash).
type outKey struct {
	sum              [sha256.Size]byte
	page, lang, vary string
	slots            uint64
	format           bundle.Format
	retry            int
}

// keyOf returns the key of output v, the file f of page bp in format fi.
func keyOf(bp *bundle.Page, fi bundle.Format, f bundle.File, v *output) outKey {
	k := outKey{page: bp.ID, vary: v.hVary[0], format: fi, retry: bp.RetryAfter}
	_, _ = hex.Decode(k.sum[:], []byte(f.SHA256)) // checked: the manifest's, or the bundle's own
	if v.hLang != nil {
		k.lang = v.hLang[0]
	}
	h := fnv.New64a()
	h.Write([]byte(slotsSignature(f.Slots)))
	k.slots = h.Sum64()
	return k
}

// slotsSignature describes a file's slots: the same string for the same
// slots.
func slotsSignature(slots []bundle.Slot) string {
	var sig strings.Builder
	for _, s := range slots {
		fmt.Fprintf(&sig, "%s@%d+%d%q%q;", s.Name, s.Offset, s.Len, s.Before, s.After)
	}
	return sig.String()
}

// languagesFor returns the shared languages of tags (nil for one language).
func (c *brandCache) languagesFor(tags []string) *languages {
	if len(tags) < 2 {
		return nil
	}
	return lookupOrAdd(&c.mu, c.langs, strings.Join(tags, ","), func() *languages { return newLanguages(tags) })
}

// share returns f as a slot keeps it: without its checksum, its name and
// slots shared with every file that has the same.
func (c *brandCache) share(f bundle.File) bundle.File {
	sig := slotsSignature(f.Slots)
	c.mu.Lock()
	defer c.mu.Unlock()
	if name, ok := c.names[f.Name]; ok {
		f.Name = name
	} else {
		c.names[f.Name] = f.Name
	}
	if slots, ok := c.slots[sig]; ok {
		f.Slots = slots
	} else {
		c.slots[sig] = f.Slots
	}
	f.SHA256 = ""
	return f
}

// keysFor returns the shared keys of a brand's pages (see newKeys).
func (c *brandCache) keysFor(pages []bundle.Page, defaultStatus int) (*keys, error) {
	var sig strings.Builder
	fmt.Fprint(&sig, defaultStatus)
	for _, p := range pages {
		fmt.Fprintf(&sig, "|%s %d %s %t %q", p.ID, p.Status, p.Variant, p.Fallback, p.Aliases)
	}
	c.mu.Lock()
	k, ok := c.keys[sig.String()]
	c.mu.Unlock()
	if ok {
		return k, nil
	}
	k, err := newKeys(pages, defaultStatus)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.keys[sig.String()] = k
	c.mu.Unlock()
	return k, nil
}
