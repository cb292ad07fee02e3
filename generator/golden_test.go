package generator

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ouchie/ouchie/generator/bundle"
)

func marshal(b *bundle.Bundle) ([]byte, error) { return bundle.MarshalManifest(&b.Manifest) }

// TestGolden builds testdata/base.txtar and compares every output file, and the
// manifest, with testdata/golden/<theme>/. Run with -update to rewrite them.
func TestGolden(t *testing.T) {
	bundles, err := Build(baseSite(t), Options{Formats: bundle.Formats})
	if err != nil {
		t.Fatal(formatErr(err))
	}
	for _, b := range bundles {
		dir := filepath.Join("testdata", "golden", b.Manifest.Theme)
		files := map[string][]byte{}
		for name, data := range b.Files {
			files[name] = data
		}
		m, err := marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		files[bundle.ManifestName] = m
		if *update {
			_ = os.RemoveAll(dir)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, data := range files {
				if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			continue
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatalf("%v (run go test -update to write the golden files)", err)
		}
		var onDisk []string
		for _, e := range entries {
			onDisk = append(onDisk, e.Name())
		}
		built := slices.Sorted(maps.Keys(files))
		if !slices.Equal(onDisk, built) {
			t.Fatalf("golden files differ:\n on disk %v\n built   %v", onDisk, built)
		}
		for _, name := range built {
			want, _ := os.ReadFile(filepath.Join(dir, name))
			if !bytes.Equal(files[name], want) {
				t.Errorf("%s differs from its golden file (go test -update rewrites it)\n%s", name, firstDiff(files[name], want))
			}
		}
	}
}

// firstDiff describes where two byte slices first differ.
func firstDiff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	clip := func(b []byte) string {
		end := min(len(b), i+60)
		return strings.ReplaceAll(string(b[max(0, i-20):end]), "\n", `\n`)
	}
	return "at byte " + strconv.Itoa(i) + ":\n got  …" + clip(got) + "\n want …" + clip(want)
}
