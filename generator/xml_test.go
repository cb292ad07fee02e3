package generator

import (
	"bytes"
	"encoding/xml"
	"io"
	"path"
	"testing"

	"github.com/ouchie/ouchie/generator/bundle"
)

// checkXML decodes every .xml file of the bundles, to the end.
func checkXML(t *testing.T, bundles []*bundle.Bundle) {
	t.Helper()
	n := 0
	for _, b := range bundles {
		for name, data := range b.Files {
			if path.Ext(name) != ".xml" {
				continue
			}
			n++
			d := xml.NewDecoder(bytes.NewReader(data))
			for {
				_, err := d.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Errorf("%s/%s is not well-formed XML: %v", b.Manifest.Theme, name, err)
					break
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no XML files built")
	}
}

// Every XML file the default site, the base site and a site with unusual but
// allowed text build into is well-formed.
func TestXMLOutputsParse(t *testing.T) {
	root := defaultSite()
	defer root.Close()
	sites := map[string]func() (*Site, error){
		"default": func() (*Site, error) { return Load(root.FS()) },
		"base":    func() (*Site, error) { return Load(baseSite(t)) },
		"unusual": func() (*Site, error) {
			site := baseSite(t)
			site["content/404.md"].Data = []byte("---\nstatus: 404\n" +
				"title: \"Tabs\\tand <tags> & \\\"quotes\\\" ]]> \u200f\u05e9\u05dc\u05d5\u05dd\u200e \U0001F600\"\n" +
				"summary: \"\ufffd replacement and \u00a0 no-break space\"\nsource: client\n---\nBody.\n")
			return Load(site)
		},
	}
	for name, load := range sites {
		t.Run(name, func(t *testing.T) {
			s, err := load()
			if err != nil {
				t.Fatal(formatErr(err))
			}
			bundles, err := s.Build(Options{Formats: bundle.Formats})
			if err != nil {
				t.Fatal(formatErr(err))
			}
			checkXML(t, bundles)
		})
	}
}
