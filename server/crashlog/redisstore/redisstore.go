// Package redisstore keeps crashlogs in Redis, so that every replica of
// ouchie serve shows a log pushed to any of them, and a restart of ouchie
// loses none. Logs arrive sanitized (the admin API sanitizes before it
// stores): Redis never holds a raw log.
//
// Reads cost no network round trip: the client (rueidis) keeps what it read
// in memory and Redis tells it when a key changes (RESP3 client tracking),
// so a page request reads memory and a new log shows on every replica as
// soon as Redis has sent the invalidation. A Redis that is down or slow
// delays a page by at most Options.Timeout; after a failure lookups skip
// Redis for Options.Cooldown, then one request probes it again.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"

	"github.com/ouchie/ouchie/server/crashlog"
)

// Keys: KeyPrefix+app holds app's log; IndexKey is a sorted set of those
// keys by the time they were stored (Unix ms), which bounds their number.
const (
	KeyPrefix = "ouchie:crashlog:"
	IndexKey  = "ouchie:crashlogs"
)

// Defaults of Options.
const (
	DefaultTTL          = 24 * time.Hour
	DefaultTimeout      = 50 * time.Millisecond
	DefaultWriteTimeout = 2 * time.Second
	DefaultCooldown     = 2 * time.Second
	DefaultLogEvery     = time.Minute
)

// cacheTTL is the longest a log read stays in the client's memory when no
// invalidation comes; Redis invalidates a changed key at once, and the
// client never keeps a key longer than its own TTL.
const cacheTTL = time.Minute

// cacheBytes bounds the client's memory of what it read: room for all
// DefaultMaxApps logs at 32 KiB, or 512 of the largest.
const cacheBytes = 32 << 20

// Options configures Open. Zero values take the defaults.
type Options struct {
	// URL is redis://[user:password@]host:port/db, or rediss:// for TLS.
	URL string
	// Password, when set, replaces the URL's (from a file, so it stays out
	// of the process's command line and environment).
	Password string
	// TTL is how long a log is kept after it was pushed; default 24h.
	TTL time.Duration
	// MaxApps bounds how many logs Redis holds, the oldest dropped first;
	// default crashlog.DefaultMaxApps.
	MaxApps int
	// Timeout bounds a page's lookup when the log is not in memory; default 50ms.
	Timeout time.Duration
	// WriteTimeout bounds an admin API operation; default 2s.
	WriteTimeout time.Duration
	// Cooldown is how long lookups skip Redis after a failure; default 2s.
	Cooldown time.Duration
	// LogEvery is the least time between two reports of failures; default 1m.
	LogEvery time.Duration
	// Log receives those reports; default discards them.
	Log *slog.Logger
}

// Store is a crashlog.Source and a crashlog.Keeper backed by Redis. It is
// safe for concurrent use.
type Store struct {
	client rueidis.Client
	opts   Options
	where  string // the URL without its password, for messages

	skipUntil atomic.Int64 // Unix ns until which lookups skip Redis; 0: Redis is up
	errs      atomic.Uint64
	skipped   atomic.Uint64
	lastLog   atomic.Int64  // Unix ns of the last failure report
	unlogged  atomic.Uint64 // failures since that report
}

// ErrUnreachable wraps the error of an Open whose first connection failed
// for a reason other than Redis's answer (refused, timed out): the store is
// returned with it and keeps trying to connect.
var ErrUnreachable = errors.New("redis unreachable")

// Open connects to Redis. A bad URL, a refused password or a Redis that
// cannot track keys (before 6.0) is an error and no store. A Redis that
// cannot be reached returns the store and an error wrapping ErrUnreachable:
// pages are served without crashlogs until it can, and the store connects
// by itself.
func Open(opts Options) (*Store, error) {
	setDefault(&opts.TTL, DefaultTTL)
	setDefault(&opts.MaxApps, crashlog.DefaultMaxApps)
	setDefault(&opts.Timeout, DefaultTimeout)
	setDefault(&opts.WriteTimeout, DefaultWriteTimeout)
	setDefault(&opts.Cooldown, DefaultCooldown)
	setDefault(&opts.LogEvery, DefaultLogEvery)
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.TTL < time.Second {
		return nil, fmt.Errorf("crashlog ttl %s: at least 1s", opts.TTL)
	}
	co, where, err := clientOptions(opts.URL)
	if err != nil {
		return nil, err
	}
	if opts.Password != "" {
		co.Password = opts.Password
	}
	s := &Store{opts: opts, where: where}
	s.client, err = rueidis.NewClient(co)
	switch {
	case err == nil:
		return s, nil
	case s.client != nil && !answered(err):
		return s, fmt.Errorf("%s: %w: %w", where, ErrUnreachable, err)
	}
	if s.client != nil {
		s.client.Close()
	}
	if errors.Is(err, rueidis.ErrNoCache) {
		return nil, fmt.Errorf("%s: client-side caching unsupported (Redis 6 or later needed): %w", where, err)
	}
	return nil, fmt.Errorf("%s: %w", where, err)
}

// clientOptions parses a redis:// or rediss:// URL. The description
// returned, and every error, leave the password out.
func clientOptions(raw string) (rueidis.ClientOption, string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return rueidis.ClientOption{}, "", errors.New("want redis://[user:password@]host:port/db, or rediss://... for TLS")
	}
	where := u.Redacted()
	co, err := rueidis.ParseURL(raw)
	if err != nil {
		// ParseURL's messages name the bad part only, never the password.
		return co, "", fmt.Errorf("%s: %w", where, err)
	}
	co.ClientName = "ouchie"
	co.ForceSingleClient = true // no cluster probe; a Redis down at start is retried
	co.DisableRetry = true      // a page waits Timeout at most, not a retry's delays
	co.PipelineMultiplex = -1   // one connection, so one cache
	co.CacheSizeEachConn = cacheBytes
	setDefault(&co.Dialer.Timeout, 2*time.Second)
	co.ConnWriteTimeout = 5 * time.Second
	return co, where, nil
}

// answered reports whether err is Redis's answer (a refused password, an
// unknown command) rather than a failure to reach it.
func answered(err error) bool {
	var re *rueidis.RedisError
	return errors.As(err, &re) || errors.Is(err, rueidis.ErrNoCache)
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Close closes the connection.
func (s *Store) Close() { s.client.Close() }

func key(app string) string { return KeyPrefix + app }

// Lookup returns the log of the query's app, from memory unless Redis
// invalidated it; a query without an app has none. When Redis fails or does
// not answer within Options.Timeout it returns none; then lookups return
// none at once for Options.Cooldown, after which one probes Redis again
// while the others still skip it.
func (s *Store) Lookup(q crashlog.Query) ([]byte, bool) {
	app := q.App
	if app == "" {
		return nil, false
	}
	probe := false
	if until := s.skipUntil.Load(); until != 0 {
		now := time.Now().UnixNano()
		if now < until || !s.skipUntil.CompareAndSwap(until, now+int64(s.opts.Cooldown)) {
			s.skipped.Add(1)
			return nil, false
		}
		probe = true
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.Timeout)
	// A hit in the client's memory returns the same bytes each time (one
	// string, seen as bytes), so the server's escaped-log cache, keyed by
	// the slice, escapes a log once; a new value is a new string.
	log, err := s.client.DoCache(ctx, s.client.B().Get().Key(key(app)).Cache(), cacheTTL).AsBytes()
	cancel()
	if err != nil && !rueidis.IsRedisNil(err) {
		s.fail(err)
		return nil, false
	}
	if probe {
		s.up()
	}
	return log, len(log) > 0
}

// Failures counts the lookups that failed and those skipped, for /metrics.
func (s *Store) Failures() crashlog.Failures {
	return crashlog.Failures{Errors: s.errs.Load(), Skipped: s.skipped.Load()}
}

// fail counts a failure, opens the breaker and reports, at most once per
// Options.LogEvery.
func (s *Store) fail(err error) {
	s.errs.Add(1)
	n := s.unlogged.Add(1)
	now := time.Now().UnixNano()
	s.skipUntil.Store(now + int64(s.opts.Cooldown))
	last := s.lastLog.Load()
	if now-last < int64(s.opts.LogEvery) || !s.lastLog.CompareAndSwap(last, now) {
		return
	}
	s.unlogged.Add(-n)
	s.opts.Log.Warn("crashlog store failing: pages are served without crashlogs", "store", s.where, "err", err,
		"failures", n, "retry_every", s.opts.Cooldown)
}

// up closes the breaker after a success.
func (s *Store) up() {
	if s.skipUntil.Swap(0) != 0 {
		s.opts.Log.Info("crashlog store reachable again", "store", s.where)
	}
}

// write runs op with Options.WriteTimeout, counting its failure.
func (s *Store) write(ctx context.Context, op func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.WriteTimeout)
	defer cancel()
	if err := op(ctx); err != nil {
		s.fail(err)
		return fmt.Errorf("%s: %w", s.where, err)
	}
	s.up()
	return nil
}

// keepScript stores a log with its TTL, indexes it, and drops the index's
// expired entries and its oldest logs beyond the bound, atomically.
// KEYS: the log's key, the index. ARGV: the log, TTL ms, now ms, max apps.
var keepScript = rueidis.NewLuaScript(`
local had = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (tonumber(ARGV[3]) - tonumber(ARGV[2])))
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if over > 0 then
  local old = redis.call('ZRANGE', KEYS[2], 0, over - 1)
  redis.call('DEL', unpack(old))
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return had
`)

// Keep stores the sanitized log as app's for Options.TTL, for the admin
// API, and reports whether app had none.
func (s *Store) Keep(ctx context.Context, app string, log []byte) (created bool, err error) {
	if !crashlog.ValidApp(app) {
		return false, fmt.Errorf("app %q: %w", app, crashlog.ErrBadApp)
	}
	err = s.write(ctx, func(ctx context.Context) error {
		had, err := keepScript.Exec(ctx, s.client, []string{key(app), IndexKey}, []string{
			string(log), strconv.FormatInt(s.opts.TTL.Milliseconds(), 10),
			strconv.FormatInt(time.Now().UnixMilli(), 10), strconv.Itoa(s.opts.MaxApps),
		}).AsInt64()
		created = had == 0
		return err
	})
	return created, err
}

// Fetch reads app's log from Redis, for the admin API.
func (s *Store) Fetch(ctx context.Context, app string) (log []byte, ok bool, err error) {
	err = s.write(ctx, func(ctx context.Context) error {
		log, err = s.client.Do(ctx, s.client.B().Get().Key(key(app)).Build()).AsBytes()
		if rueidis.IsRedisNil(err) {
			return nil
		}
		return err
	})
	return log, len(log) > 0, err
}

// Remove deletes app's log, for the admin API, and reports whether there
// was one.
func (s *Store) Remove(ctx context.Context, app string) (ok bool, err error) {
	err = s.write(ctx, func(ctx context.Context) error {
		res := s.client.DoMulti(ctx,
			s.client.B().Del().Key(key(app)).Build(),
			s.client.B().Zrem().Key(IndexKey).Member(key(app)).Build())
		n, err := res[0].AsInt64()
		if err == nil {
			err = res[1].Error()
		}
		ok = n > 0
		return err
	})
	return ok, err
}

// String describes the store: its URL without the password.
func (s *Store) String() string { return s.where }
