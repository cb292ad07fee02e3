package generator

import (
	"testing"

	"github.com/ouchie/ouchie/generator/bundle"
)

// BenchmarkBuildDefaultSite builds the embedded default site, every theme,
// every format, in memory.
func BenchmarkBuildDefaultSite(b *testing.B) {
	root := defaultSite()
	defer root.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(root.FS(), Options{Formats: bundle.Formats}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuild1000Pages builds a generated site of 1,000 pages with the
// base theme, every format.
func BenchmarkBuild1000Pages(b *testing.B) {
	site := generatedSite(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		bundles, err := Build(site, Options{Formats: bundle.Formats})
		if err != nil {
			b.Fatal(err)
		}
		if len(bundles[0].Manifest.Pages) != 1005 {
			b.Fatal("pages missing")
		}
	}
	b.ReportMetric(float64(1005*b.N)/b.Elapsed().Seconds(), "pages/s")
}
