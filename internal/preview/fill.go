package preview

import (
	"github.com/ouchie/ouchie/generator/bundle"
)

// SampleRequestID is the request id shown by ?request_id= with no value.
const SampleRequestID = "7f3c9a1e-5d2b-4c8e-9f06-b1a2c3d4e5f6"

// SampleCrashlog is a realistic boot failure: what ?crashlog=1 fills in. It
// has a line far wider than any phone, so a theme's log must scroll.
const SampleCrashlog = `2026-03-14T09:26:53.118Z app[web.1]: Starting process with command ` + "`node server.js`" + `
2026-03-14T09:26:54.402Z app[web.1]: > shop-api@4.12.0 start
2026-03-14T09:26:54.409Z app[web.1]: [config] loading environment (NODE_ENV=production, PORT=5000)
2026-03-14T09:26:55.731Z app[web.1]: [db] connecting to postgres://shop@db.internal:5432/shop (pool 10, ssl required)
2026-03-14T09:27:25.744Z app[web.1]: Error: connect ETIMEDOUT 10.0.4.17:5432 while opening pool "primary" after 30000 ms; retries exhausted (attempts=3, backoff=exponential, lastError="timeout expired", host=db.internal, sslmode=require, application_name=shop-api, statement_timeout=15000)
2026-03-14T09:27:25.745Z app[web.1]:     at Connection.<anonymous> (/app/node_modules/pg/lib/connection.js:205:22)
2026-03-14T09:27:25.745Z app[web.1]:     at Pool.connect (/app/src/db/pool.js:41:11)
2026-03-14T09:27:25.745Z app[web.1]:     at async boot (/app/src/server.js:18:3)
2026-03-14T09:27:25.812Z app[web.1]: Process exited with status 1
2026-03-14T09:27:25.840Z heroku[web.1]: State changed from starting to crashed`

// Fill returns a page file with its slots filled from v, as ouchie serve
// fills them (see bundle.Layout). The crashlog, when v has one, is the raw
// log: Fill escapes it for the file's format.
func Fill(data []byte, f bundle.File, format bundle.Format, log string, v bundle.Values) ([]byte, error) {
	l, err := bundle.NewLayout(data, f, format)
	if err != nil {
		return nil, err
	}
	if log != "" {
		v.Crashlog = bundle.AppendValue(nil, format, bundle.KindCrashlog, log, bundle.MaxCrashlog)
	}
	return l.Append(make([]byte, 0, len(data)+len(log)), &v), nil
}
