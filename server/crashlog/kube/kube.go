// Package kube is the Kubernetes crashlog source: for the Service that
// ingress-nginx names in X-Namespace and X-Service-Name, it finds a
// container of the Service's pods that crash-loops or exited with an error,
// and shows its previous run's log, read through the API once per restart.
//
// Services, pods and namespaces come from informers (one watch each, not a
// request per page); logs are fetched in the background, one fetch per pod,
// container and restart count, with a bounded context, so a page never waits
// for the API longer than Options.Wait. A log is shown only for a Service
// that opted in (it or its namespace carries the annotation
// ouchie.dev/show-crashlog: "true") or to a viewer holding the viewing token.
package kube

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/ouchie/ouchie/server/crashlog"
)

// Annotation opts a Service, or every Service of a namespace, in to
// showing its crashlog to every visitor when its value is "true".
const Annotation = "ouchie.dev/show-crashlog"

// Options configures a Source. Zero values take the defaults noted.
type Options struct {
	// Namespace limits the watch to one namespace; "" watches all.
	Namespace string
	// Wait is how long a page request waits for a log fetch in flight
	// (50ms); the fetch goes on in the background and a later request
	// shows its log.
	Wait time.Duration
	// FetchTimeout bounds a log fetch (10s).
	FetchTimeout time.Duration
	// Retry is how long a failed fetch is remembered before the log is asked
	// for again (30s).
	Retry time.Duration
	// LogInterval is the least time between two error messages (1m); the
	// errors between are counted in the metrics only.
	LogInterval time.Duration
	// Log receives the error messages; default discards them.
	Log *slog.Logger
}

// Source finds crashlogs through the Kubernetes API; see the package
// comment. It is safe for concurrent use.
type Source struct {
	client corev1client.CoreV1Interface
	opts   Options

	informers  []cache.SharedIndexInformer
	services   listers.ServiceLister
	pods       listers.PodLister
	namespaces listers.NamespaceLister
	ctx        context.Context // ends with Start's context: fetches stop

	logs logs

	// Metrics.
	fetches     atomic.Uint64
	fetchErrors atomic.Uint64
	watchErrors atomic.Uint64
	lastLogged  atomic.Int64 // unix nanoseconds of the last error message
}

// New returns a Source reading through client. Nothing is watched until
// Start.
func New(client corev1client.CoreV1Interface, o Options) *Source {
	setDefault(&o.Wait, 50*time.Millisecond)
	setDefault(&o.FetchTimeout, 10*time.Second)
	setDefault(&o.Retry, 30*time.Second)
	setDefault(&o.LogInterval, time.Minute)
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	s := &Source{client: client, opts: o, ctx: context.Background()}
	s.logs.entries = map[containerKey]*fetch{}

	ns := o.Namespace // "" lists every namespace
	svc := s.newInformer(client, func(ctx context.Context, lo metav1.ListOptions) (runtime.Object, error) {
		return client.Services(ns).List(ctx, lo)
	}, func(ctx context.Context, lo metav1.ListOptions) (watch.Interface, error) {
		return client.Services(ns).Watch(ctx, lo)
	}, &corev1.Service{})
	pod := s.newInformer(client, func(ctx context.Context, lo metav1.ListOptions) (runtime.Object, error) {
		return client.Pods(ns).List(ctx, lo)
	}, func(ctx context.Context, lo metav1.ListOptions) (watch.Interface, error) {
		return client.Pods(ns).Watch(ctx, lo)
	}, &corev1.Pod{})
	// Namespaces are cluster-scoped: with one namespace watched, only that
	// one is listed.
	only := func(lo *metav1.ListOptions) {
		if ns != "" {
			lo.FieldSelector = fields.OneTermEqualSelector("metadata.name", ns).String()
		}
	}
	nsi := s.newInformer(client, func(ctx context.Context, lo metav1.ListOptions) (runtime.Object, error) {
		only(&lo)
		return client.Namespaces().List(ctx, lo)
	}, func(ctx context.Context, lo metav1.ListOptions) (watch.Interface, error) {
		only(&lo)
		return client.Namespaces().Watch(ctx, lo)
	}, &corev1.Namespace{})
	s.informers = []cache.SharedIndexInformer{svc, pod, nsi}
	for _, inf := range s.informers {
		_ = inf.SetTransform(slim)
		_ = inf.SetWatchErrorHandlerWithContext(s.watchFailed)
	}
	s.services = listers.NewServiceLister(svc.GetIndexer())
	s.pods = listers.NewPodLister(pod.GetIndexer())
	s.namespaces = listers.NewNamespaceLister(nsi.GetIndexer())
	return s
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Start starts watching and returns at once; the watches and fetches stop
// when ctx ends. Until the first lists arrive, and while the API is down,
// Lookup finds nothing (or what was seen last).
func (s *Source) Start(ctx context.Context) {
	s.ctx = ctx
	for _, inf := range s.informers {
		go inf.RunWithContext(ctx)
	}
}

// newInformer watches one kind of object through client, indexed by
// namespace; it never resyncs (nothing here acts on events). As client-go's
// own informers, it streams the initial list (WatchList) unless the client
// says it cannot (the fake clientset of tests). Every failed list or watch
// request is counted (the reflector retries some without telling).
func (s *Source) newInformer(client any, listFn cache.ListWithContextFunc, watchFn cache.WatchFuncWithContext, obj runtime.Object) cache.SharedIndexInformer {
	counted := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, lo metav1.ListOptions) (runtime.Object, error) {
			o, err := listFn(ctx, lo)
			s.apiFailed(ctx, err)
			return o, err
		},
		WatchFuncWithContext: func(ctx context.Context, lo metav1.ListOptions) (watch.Interface, error) {
			w, err := watchFn(ctx, lo)
			s.apiFailed(ctx, err)
			return w, err
		},
	}
	lw := cache.ToListWatcherWithWatchListSemantics(counted, client)
	return cache.NewSharedIndexInformer(lw, obj, 0, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
}

// WaitForSync waits until every watch has its first list or ctx ends, and
// reports whether they all have.
func (s *Source) WaitForSync(ctx context.Context) bool {
	synced := make([]cache.InformerSynced, len(s.informers))
	for i, inf := range s.informers {
		synced[i] = inf.HasSynced
	}
	return cache.WaitForCacheSync(ctx.Done(), synced...)
}

// Lookup returns the sanitized previous-run log of a failing container of
// the query's Service, when the Service opted in or the viewer holds the
// token; false when there is none, or its fetch has not finished within
// Options.Wait.
func (s *Source) Lookup(q crashlog.Query) ([]byte, bool) {
	if q.Service == "" || q.Namespace == "" || s.opts.Namespace != "" && q.Namespace != s.opts.Namespace {
		return nil, false
	}
	svc, err := s.services.Services(q.Namespace).Get(q.Service)
	if err != nil || len(svc.Spec.Selector) == 0 {
		return nil, false
	}
	if !q.Viewer && !s.optedIn(svc) {
		return nil, false
	}
	pods, err := s.pods.Pods(q.Namespace).List(labels.SelectorFromSet(svc.Spec.Selector))
	if err != nil {
		return nil, false
	}
	c, ok := failing(pods)
	if !ok {
		return nil, false
	}
	return s.log(c)
}

// optedIn reports whether the Service or its namespace carries the
// annotation.
func (s *Source) optedIn(svc *corev1.Service) bool {
	if svc.Annotations[Annotation] == "true" {
		return true
	}
	ns, err := s.namespaces.Get(svc.Namespace)
	return err == nil && ns.Annotations[Annotation] == "true"
}

// slim drops what ouchie never reads from watched objects, so the caches
// of a large cluster stay small: managed fields everywhere, and a pod's
// spec.
func slim(obj any) (any, error) {
	if m, ok := obj.(metav1.ObjectMetaAccessor); ok {
		m.GetObjectMeta().SetManagedFields(nil)
	}
	if p, ok := obj.(*corev1.Pod); ok {
		p.Spec = corev1.PodSpec{}
	}
	return obj, nil
}

// apiFailed counts a list or watch request that failed, and logs it at
// most once per interval. The informer retries by itself, backing off.
func (s *Source) apiFailed(ctx context.Context, err error) {
	if err == nil || ctx.Err() != nil {
		return
	}
	s.watchErrors.Add(1)
	s.logError("kubernetes list or watch failed; retrying", err)
}

// watchFailed logs a watch that ended with an error (its request was
// counted by apiFailed, or it broke off later), in place of client-go's own
// message, at most once per interval.
func (s *Source) watchFailed(_ context.Context, r *cache.Reflector, err error) {
	if err == io.EOF {
		return // closed normally
	}
	s.logError("kubernetes watch failed; retrying", err, "watch", r.TypeDescription())
}

// logError logs err unless another error was logged within LogInterval.
func (s *Source) logError(msg string, err error, args ...any) {
	now := time.Now().UnixNano()
	last := s.lastLogged.Load()
	if now-last < int64(s.opts.LogInterval) || !s.lastLogged.CompareAndSwap(last, now) {
		return
	}
	s.opts.Log.Warn(msg, append(args, "err", err, "errors_since",
		s.fetchErrors.Load()+s.watchErrors.Load())...)
}

// WriteMetrics writes the source's counters for /metrics.
func (s *Source) WriteMetrics(w io.Writer) {
	entries := s.logs.len()
	fmt.Fprintf(w, "# HELP ouchie_crashlog_kubernetes_fetches_total Container logs read from the Kubernetes API.\n"+
		"# TYPE ouchie_crashlog_kubernetes_fetches_total counter\nouchie_crashlog_kubernetes_fetches_total %d\n", s.fetches.Load())
	fmt.Fprintf(w, "# HELP ouchie_crashlog_kubernetes_errors_total Kubernetes API errors, by what failed: a log read or a watch.\n"+
		"# TYPE ouchie_crashlog_kubernetes_errors_total counter\n"+
		"ouchie_crashlog_kubernetes_errors_total{op=\"log\"} %d\nouchie_crashlog_kubernetes_errors_total{op=\"watch\"} %d\n",
		s.fetchErrors.Load(), s.watchErrors.Load())
	fmt.Fprintf(w, "# HELP ouchie_crashlog_kubernetes_logs Container logs held, fetched or being fetched.\n"+
		"# TYPE ouchie_crashlog_kubernetes_logs gauge\nouchie_crashlog_kubernetes_logs %d\n", entries)
}
