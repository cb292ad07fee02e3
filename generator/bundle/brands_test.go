package bundle

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

const sampleBrands = `{
  "version": 1,
  "themes": ["classic"],
  "brands": [
    {
      "id": "acme",
      "name": "Acme Shop",
      "theme": "classic",
      "match": {
        "hosts": ["acme.test", "*.acme.test"],
        "namespaces": ["acme"],
        "ingresses": ["acme-web"],
        "services": ["acme-api"],
        "apps": ["acme-web"]
      },
      "overrides": ["404", "503-maintenance"]
    },
    {
      "id": "globex",
      "name": "Globex",
      "match": {
        "hosts": ["globex.test"]
      }
    }
  ]
}
`

func TestReadBrands(t *testing.T) {
	b, err := ReadBrands(fstest.MapFS{BrandsName: {Data: []byte(sampleBrands)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Brands) != 2 || b.Brands[0].ID != "acme" || b.Brands[1].Theme != "" {
		t.Fatalf("brands %+v", b.Brands)
	}
	m := b.Brands[0].Match
	if m.Hosts[1] != "*.acme.test" || m.Namespaces[0] != "acme" || m.Ingresses[0] != "acme-web" ||
		m.Services[0] != "acme-api" || m.Apps[0] != "acme-web" || b.Brands[0].Overrides[1] != "503-maintenance" {
		t.Errorf("acme %+v", b.Brands[0])
	}
	out, err := MarshalBrands(b)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ReadBrands(fstest.MapFS{BrandsName: {Data: out}})
	if err != nil || !reflect.DeepEqual(again, b) {
		t.Errorf("MarshalBrands then ReadBrands gives %+v, %v; want %+v", again, err, b)
	}
}

func TestReadBrandsNone(t *testing.T) {
	b, err := ReadBrands(fstest.MapFS{"classic/" + ManifestName: {Data: []byte("{}")}})
	if b != nil || err != nil {
		t.Fatalf("no brands.json gives %v, %v; want nil, nil", b, err)
	}
}

func TestReadBrandsRefuses(t *testing.T) {
	for name, tc := range map[string]struct{ old, new, want string }{
		"syntax":          {`"themes": [`, `"themes": [,`, "brands.json:3:14: invalid character ','"},
		"type":            {`"version": 1`, `"version": "1"`, "brands.json:2:17: json: cannot unmarshal string"},
		"unknown field":   {`"id": "acme"`, `"id": "acme", "colour": "red"`, `brands.json:6:21: json: unknown field "colour"`},
		"trailing data":   {"}\n  ]\n}\n", "}\n  ]\n}\n{}", "brands.json:27:1: data after the top-level object"},
		"version":         {`"version": 1`, `"version": 2`, "brands.json:2:14: version: 2, want 1"},
		"no themes":       {`["classic"]`, `[]`, "brands.json:3:13: themes: empty"},
		"bad theme":       {`["classic"]`, `["Classic"]`, `brands.json:3:14: themes[0]: bad theme name "Classic"`},
		"bad id":          {`"id": "acme"`, `"id": "Acme"`, `brands.json:6:13: brands[0].id: bad brand id "Acme"`},
		"long id":         {`"id": "acme"`, `"id": "` + strings.Repeat("a", 64) + `"`, `brands[0].id: bad brand id`},
		"id default":      {`"id": "acme"`, `"id": "default"`, `brands[0].id: brand id "default" names the site itself`},
		"id is a theme":   {`"id": "acme"`, `"id": "classic"`, `brands[0].id: brand id "classic" is also a theme name`},
		"id twice":        {`"id": "globex"`, `"id": "acme"`, `brands[1].id: brand "acme" listed twice`},
		"unknown theme":   {`"theme": "classic"`, `"theme": "modern"`, `brands[0].theme: "modern" is not one of the themes [classic]`},
		"bad override":    {`"404", `, `"../404", `, `brands.json:16:21: brands[0].overrides[0]: bad page id "../404"`},
		"host port":       {`"acme.test",`, `"acme.test:8080",`, `brands.json:10:19: brands[0].match.hosts[0]: bad host "acme.test:8080"`},
		"host case":       {`"acme.test",`, `"Acme.test",`, `brands[0].match.hosts[0]: bad host "Acme.test"`},
		"host dot":        {`"acme.test",`, `"acme.test.",`, `brands[0].match.hosts[0]: bad host`},
		"host wildcard":   {`"*.acme.test"`, `"*acme.test"`, `brands[0].match.hosts[1]: bad host "*acme.test"`},
		"host bare *":     {`"*.acme.test"`, `"*."`, `brands[0].match.hosts[1]: bad host "*."`},
		"bad namespace":   {`"namespaces": ["acme"]`, `"namespaces": ["Acme"]`, `brands[0].match.namespaces[0]: bad value "Acme"`},
		"empty app":       {`"apps": ["acme-web"]`, `"apps": [""]`, `brands[0].match.apps[0]: bad value ""`},
		"host twice":      {`"hosts": ["globex.test"]`, `"hosts": ["acme.test"]`, `brands.json:22:19: brands[1].match.hosts[0]: "acme.test" is claimed by both brand "acme" and brand "globex"`},
		"wildcard twice":  {`"hosts": ["globex.test"]`, `"hosts": ["*.acme.test"]`, `brands[1].match.hosts[0]: "*.acme.test" is claimed by both`},
		"namespace twice": {`"hosts": ["globex.test"]`, `"namespaces": ["acme"]`, `brands[1].match.namespaces[0]: "acme" is claimed by both brand "acme" and brand "globex"`},
		"ingress twice":   {`"hosts": ["globex.test"]`, `"ingresses": ["acme-web"]`, `brands[1].match.ingresses[0]: "acme-web" is claimed by both`},
		"service twice":   {`"hosts": ["globex.test"]`, `"services": ["acme-api"]`, `brands[1].match.services[0]: "acme-api" is claimed by both`},
		"app twice":       {`"hosts": ["globex.test"]`, `"apps": ["acme-web"]`, `brands[1].match.apps[0]: "acme-web" is claimed by both`},
		"same brand":      {`"hosts": ["globex.test"]`, `"hosts": ["globex.test", "globex.test"]`, `brands[1].match.hosts[1]: "globex.test" listed twice`},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(sampleBrands, tc.old) {
				t.Fatalf("sample has no %q", tc.old)
			}
			raw := strings.Replace(sampleBrands, tc.old, tc.new, 1)
			_, err := ReadBrands(fstest.MapFS{BrandsName: {Data: []byte(raw)}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestReadBrandsAllowsExactAndWildcardOfOneName(t *testing.T) {
	raw := strings.Replace(sampleBrands, `"hosts": ["globex.test"]`, `"hosts": ["shop.acme.test"]`, 1)
	if _, err := ReadBrands(fstest.MapFS{BrandsName: {Data: []byte(raw)}}); err != nil {
		t.Errorf("an exact host below another brand's wildcard is no conflict: %v", err)
	}
}
