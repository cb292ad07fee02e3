package kube

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// container names one run of one container: the log to show.
type container struct {
	namespace, pod string
	key            containerKey
	restarts       int32
	// previous says the log is the previous run's (the container is
	// waiting to restart); else the current run's, which has ended.
	previous bool
}

// containerKey names a container of a pod for the log cache; a pod's UID
// is unique over the cluster's life, unlike its name.
type containerKey struct {
	uid  types.UID
	name string
}

// failing picks, among pods, the container whose failure ended last: one
// waiting to restart after a run that crashed (CrashLoopBackOff, or any
// wait after a non-zero exit), or one that has exited non-zero and stays
// so (restartPolicy Never or OnFailure's last try). Init containers count:
// a pod stuck in Init:CrashLoopBackOff serves nothing either.
func failing(pods []*corev1.Pod) (container, bool) {
	var best container
	var bestAt int64
	found := false
	for _, p := range pods {
		for _, list := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
			for i := range list {
				cs := &list[i]
				t, previous := failed(cs)
				if t == nil {
					continue
				}
				at := t.FinishedAt.UnixNano()
				if found && (at < bestAt || at == bestAt && p.Name+"/"+cs.Name > best.pod+"/"+best.key.name) {
					continue
				}
				best = container{namespace: p.Namespace, pod: p.Name, key: containerKey{p.UID, cs.Name},
					restarts: cs.RestartCount, previous: previous}
				bestAt, found = at, true
			}
		}
	}
	return best, found
}

// failed returns the termination of a failed run of the container and
// whether it is the previous run, or nil when the container is not failing.
func failed(cs *corev1.ContainerStatus) (*corev1.ContainerStateTerminated, bool) {
	if w := cs.State.Waiting; w != nil {
		t := cs.LastTerminationState.Terminated
		if t != nil && (w.Reason == "CrashLoopBackOff" || t.ExitCode != 0) {
			return t, true
		}
		return nil, false
	}
	if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
		return t, false
	}
	return nil, false
}
