package kube

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	k8stesting "k8s.io/client-go/testing"

	"github.com/ouchie/ouchie/internal/testkit"
	"github.com/ouchie/ouchie/server/crashlog"
)

// rawLog is what the fake API answers for a log: a secret and a terminal
// escape, so the test sees the log sanitized as every log is.
const rawLog = "\x1b[31mstarting\x1b[0m\nDATABASE_URL=postgres://app:hunter2@db/app\npanic: boom\n"

const shownLog = "starting\nDATABASE_URL=postgres://app:[redacted]@db/app\npanic: boom\n"

// fakeAPI is a fake clientset holding a namespace, a Service and its
// crash-looping pod, counting the log reads the source makes.
type fakeAPI struct {
	*fake.Clientset
	logReads atomic.Int64
	fail     atomic.Pointer[error] // when set, log reads fail with it
}

func newFakeAPI(t *testing.T, svcAnnotations, nsAnnotations map[string]string) *fakeAPI {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Annotations: nsAnnotations}}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "cart", Namespace: "shop", Annotations: svcAnnotations},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "cart"}},
	}
	api := &fakeAPI{Clientset: fake.NewClientset(ns, svc,
		crashingPod("cart-7d9f-abcde", "uid-1", map[string]string{"app": "cart"}, 3),
		healthyPod("web-1", map[string]string{"app": "web"}))}
	api.PrependReactor("get", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "log" {
			return false, nil, nil
		}
		api.logReads.Add(1)
		if err := api.fail.Load(); err != nil {
			return true, nil, *err
		}
		opts := a.(k8stesting.GenericAction).GetValue().(*corev1.PodLogOptions)
		if !opts.Previous || opts.Container != "app" || opts.TailLines == nil || *opts.TailLines != 200 || opts.LimitBytes == nil {
			t.Errorf("log options %+v: want the previous run of app, 200 lines, a byte limit", opts)
		}
		return true, &runtime.Unknown{Raw: []byte(rawLog)}, nil
	})
	return api
}

// crashingPod is a pod whose container "app" is in CrashLoopBackOff after
// restarts runs that exited 1.
func crashingPod(name, uid string, lbls map[string]string, restarts int32) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", UID: types.UID(uid), Labels: lbls},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
			Name:         "app",
			RestartCount: restarts,
			State:        corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: 1, Reason: "Error", FinishedAt: metav1.NewTime(time.Unix(1700000000+int64(restarts), 0))}},
		}}},
	}
}

func healthyPod(name string, lbls map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", UID: types.UID("uid-" + name), Labels: lbls},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
			Name: "app", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
		}}},
	}
}

// fakeCore is the fake clientset's core client, saying (as the clientset
// does) that its watches cannot stream the initial list.
type fakeCore struct{ corev1client.CoreV1Interface }

func (fakeCore) IsWatchListSemanticsUnSupported() bool { return true }

// start starts a source on api and waits for its first lists.
func start(t *testing.T, api *fakeAPI, o Options) *Source {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s := New(fakeCore{api.CoreV1()}, o)
	s.Start(ctx)
	if !s.WaitForSync(ctx) {
		t.Fatal("informers did not sync")
	}
	return s
}

// eventually looks q up until it finds a log (the first lookups may return
// before the fetch ends), at most n times.
func eventually(s *Source, q crashlog.Query) ([]byte, bool) {
	for range 200 {
		if log, ok := s.Lookup(q); ok {
			return log, true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil, false
}

var cart = crashlog.Query{Namespace: "shop", Service: "cart"}

func TestLookupOptIn(t *testing.T) {
	on := map[string]string{Annotation: "true"}
	tests := []struct {
		name      string
		svc, ns   map[string]string
		q         crashlog.Query
		want      bool
		wantReads int64
	}{
		{"service annotated", on, nil, cart, true, 1},
		{"namespace annotated", nil, on, cart, true, 1},
		{"not annotated", nil, nil, cart, false, 0},
		{"annotated false", map[string]string{Annotation: "false"}, nil, cart, false, 0},
		{"viewer holds the token", nil, nil, crashlog.Query{Namespace: "shop", Service: "cart", Viewer: true}, true, 1},
		{"healthy service", on, nil, crashlog.Query{Namespace: "shop", Service: "web"}, false, 0},
		{"unknown service", on, nil, crashlog.Query{Namespace: "shop", Service: "nope"}, false, 0},
		{"other namespace", on, nil, crashlog.Query{Namespace: "other", Service: "cart"}, false, 0},
		{"app only", on, on, crashlog.Query{App: "cart"}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, tt.svc, tt.ns)
			// the healthy service
			_, _ = api.CoreV1().Services("shop").Create(context.Background(), &corev1.Service{
				ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", Annotations: on},
				Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "web"}},
			}, metav1.CreateOptions{})
			s := start(t, api, Options{})
			log, ok := s.Lookup(tt.q)
			if tt.want {
				log, ok = eventually(s, tt.q)
			}
			if ok != tt.want {
				t.Fatalf("found %v, want %v", ok, tt.want)
			}
			if ok && string(log) != shownLog {
				t.Errorf("log %q, want %q (sanitized)", log, shownLog)
			}
			if n := api.logReads.Load(); n != tt.wantReads {
				t.Errorf("%d log reads, want %d", n, tt.wantReads)
			}
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 500 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition never held")
}

// TestCrashStorm: 10,000 requests for a crash-looping Service read its log
// once per restart.
func TestCrashStorm(t *testing.T) {
	api := newFakeAPI(t, map[string]string{Annotation: "true"}, nil)
	s := start(t, api, Options{})
	storm := func() int64 {
		var wg sync.WaitGroup
		var shown atomic.Int64
		for range 50 {
			wg.Go(func() {
				for range 200 {
					if _, ok := s.Lookup(cart); ok {
						shown.Add(1)
					}
				}
			})
		}
		wg.Wait()
		return shown.Load()
	}
	storm()
	if _, ok := eventually(s, cart); !ok {
		t.Fatal("no log after the storm")
	}
	if n := api.logReads.Load(); n != 1 {
		t.Fatalf("%d log reads for one restart, want 1", n)
	}

	// The container restarts and crashes again: one more read.
	_, err := api.CoreV1().Pods("shop").UpdateStatus(context.Background(),
		crashingPod("cart-7d9f-abcde", "uid-1", map[string]string{"app": "cart"}, 4), metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		p, err := s.pods.Pods("shop").Get("cart-7d9f-abcde")
		return err == nil && p.Status.ContainerStatuses[0].RestartCount == 4
	})
	storm()
	if _, ok := eventually(s, cart); !ok {
		t.Fatal("no log after the restart")
	}
	if n := api.logReads.Load(); n != 2 {
		t.Fatalf("%d log reads for two restarts, want 2", n)
	}
}

// TestFetchFails: a forbidden (or failing) log read shows no log, is counted
// and logged once, and is not retried until Options.Retry has passed.
func TestFetchFails(t *testing.T) {
	api := newFakeAPI(t, map[string]string{Annotation: "true"}, nil)
	forbidden := error(apierrors.NewForbidden(schema.GroupResource{Resource: "pods/log"}, "cart-7d9f-abcde",
		errors.New(`User "system:serviceaccount:ouchie:ouchie" cannot get resource "pods/log"`)))
	api.fail.Store(&forbidden)
	var logged testkit.Buffer
	s := start(t, api, Options{Retry: time.Hour, Log: slog.New(slog.NewTextHandler(&logged, nil))})
	for range 1000 {
		if log, ok := s.Lookup(cart); ok {
			t.Fatalf("log %q shown though its read failed", log)
		}
	}
	waitFor(t, func() bool { return s.fetchErrors.Load() == 1 })
	for range 1000 {
		s.Lookup(cart)
	}
	if n := api.logReads.Load(); n != 1 {
		t.Errorf("%d log reads, want 1 (no retry before Options.Retry)", n)
	}
	var m strings.Builder
	s.WriteMetrics(&m)
	if !strings.Contains(m.String(), `ouchie_crashlog_kubernetes_errors_total{op="log"} 1`+"\n") {
		t.Errorf("metrics do not count the error:\n%s", m.String())
	}
	if n := strings.Count(logged.String(), "kubernetes log fetch failed"); n != 1 {
		t.Errorf("error logged %d times, want 1:\n%s", n, logged.String())
	}
	if !strings.Contains(logged.String(), "pods/log") {
		t.Errorf("a forbidden read's message does not name the permission:\n%s", logged.String())
	}
}

// TestRetryAfterFailure: once Options.Retry has passed, a failed read is
// tried again, and its log shown when it succeeds.
func TestRetryAfterFailure(t *testing.T) {
	api := newFakeAPI(t, map[string]string{Annotation: "true"}, nil)
	down := error(errors.New("connection refused"))
	api.fail.Store(&down)
	s := start(t, api, Options{Retry: time.Nanosecond})
	s.Lookup(cart)
	waitFor(t, func() bool { return s.fetchErrors.Load() == 1 })
	api.fail.Store(nil)
	if log, ok := eventually(s, cart); !ok || string(log) != shownLog {
		t.Errorf("after recovery: %q, %v", log, ok)
	}
}

// TestFailing: which container of which pod is the failing one.
func TestFailing(t *testing.T) {
	at := func(sec int64) metav1.Time { return metav1.NewTime(time.Unix(sec, 0)) }
	waiting := func(reason string, exit int32, finished int64) corev1.ContainerStatus {
		return corev1.ContainerStatus{Name: "c", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: exit, FinishedAt: at(finished)}}}
	}
	terminated := func(exit int32) corev1.ContainerStatus {
		return corev1.ContainerStatus{Name: "c", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: exit, FinishedAt: at(5)}}}
	}
	pod := func(name string, init []corev1.ContainerStatus, cs ...corev1.ContainerStatus) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(name)},
			Status: corev1.PodStatus{InitContainerStatuses: init, ContainerStatuses: cs}}
	}
	tests := []struct {
		name     string
		pods     []*corev1.Pod
		pod      string
		previous bool
	}{
		{"crash loop", []*corev1.Pod{pod("a", nil, waiting("CrashLoopBackOff", 1, 1))}, "a", true},
		{"crash loop after exit 0", []*corev1.Pod{pod("a", nil, waiting("CrashLoopBackOff", 0, 1))}, "a", true},
		{"waiting after an error", []*corev1.Pod{pod("a", nil, waiting("ContainerCreating", 137, 1))}, "a", true},
		{"waiting after a clean exit", []*corev1.Pod{pod("a", nil, waiting("ContainerCreating", 0, 1))}, "", false},
		{"terminated non-zero", []*corev1.Pod{pod("a", nil, terminated(2))}, "a", false},
		{"terminated zero", []*corev1.Pod{pod("a", nil, terminated(0))}, "", false},
		{"running", []*corev1.Pod{pod("a", nil, corev1.ContainerStatus{Name: "c", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}})}, "", false},
		{"init container", []*corev1.Pod{pod("a", []corev1.ContainerStatus{waiting("CrashLoopBackOff", 1, 1)})}, "a", true},
		{"latest failure wins", []*corev1.Pod{pod("a", nil, waiting("CrashLoopBackOff", 1, 1)), pod("b", nil, waiting("CrashLoopBackOff", 1, 9))}, "b", true},
		{"tie: first by name", []*corev1.Pod{pod("b", nil, waiting("CrashLoopBackOff", 1, 1)), pod("a", nil, waiting("CrashLoopBackOff", 1, 1))}, "a", true},
		{"no pods", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := failing(tt.pods)
			if ok != (tt.pod != "") || ok && (c.pod != tt.pod || c.previous != tt.previous) {
				t.Errorf("failing = %+v, %v; want pod %q previous %v", c, ok, tt.pod, tt.previous)
			}
		})
	}
}
