package main

import (
	"context"
	"crypto/tls"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	nodefast "sigs.k8s.io/kwok/kustomize/stage/node/fast"
	nodeheartbeat "sigs.k8s.io/kwok/kustomize/stage/node/heartbeat-with-lease"
	podfast "sigs.k8s.io/kwok/kustomize/stage/pod/fast"
)

// Fake cluster networking. Nothing routes to these addresses: kwok only
// writes them into Node/Pod status, and every connection kube-apiserver could
// make to them (webhooks, aggregated APIs, pods|services/proxy, kubelet
// logs/exec/port-forward) goes through the egress guard, which only lets
// loopback destinations through (see egress.go).
const (
	serviceCIDR = "10.96.0.0/16" // first IP 10.96.0.1 is in the serving cert
	podCIDR     = "10.244.0.0/16"
	nodeIP      = "10.88.0.10"
	saIssuer    = "https://kubernetes.default.svc.cluster.local"
)

//go:embed kwok-volume-stages.yaml
var kwokVolumeStages string

type upOptions struct {
	dir          string
	nodes        int
	timeout      time.Duration
	verbosity    int
	kwok         bool
	volumes      bool
	extraAPIArgs multiFlag
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// readyInfo is printed as one JSON line on stdout and written to DIR/ready
// once the cluster is usable.
type readyInfo struct {
	Server         string         `json:"server"`
	Kubeconfig     string         `json:"kubeconfig"`
	Dir            string         `json:"dir"`
	PID            int            `json:"pid"`
	Version        string         `json:"version"`
	Nodes          []string       `json:"nodes"`
	Ports          map[string]int `json:"ports"`
	PIDs           map[string]int `json:"pids"`
	StartupSeconds float64        `json:"startupSeconds"`
}

type child struct {
	name     string
	cmd      *exec.Cmd
	logPath  string
	done     chan struct{}
	err      error
	expected bool // killed on purpose (SIGUSR1): not a failure
}

type supervisor struct {
	self     string
	dir      string
	mu       sync.Mutex
	children []*child
	failed   chan *child // an unexpected exit
	stopping bool
}

func (s *supervisor) start(name string, env []string, args ...string) (*child, error) {
	logPath := filepath.Join(s.dir, name+".log")
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(s.self, args...)
	if _, err := os.Stat("/proc/self/exe"); err == nil {
		// Re-exec through the kernel's handle on our own image: keeps working
		// if the binary file is replaced or deleted (build cache pruning)
		// while the cluster runs. argv[0] stays the readable path.
		cmd.Path = "/proc/self/exe"
	}
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Stdin = nil
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = childSysProcAttr()
	fmt.Fprintf(lf, "+ %s %s\n", s.self, strings.Join(args, " "))
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	s.mu.Lock()
	s.children = append(s.children, c)
	s.mu.Unlock()
	logf("started %s (pid %d), log %s", name, cmd.Process.Pid, logPath)
	go func() {
		c.err = cmd.Wait()
		lf.Close()
		close(c.done)
		s.mu.Lock()
		stopping := s.stopping || c.expected
		s.mu.Unlock()
		if !stopping {
			select {
			case s.failed <- c:
			default:
			}
		}
	}()
	return c, nil
}

// stop terminates children in reverse start order, in groups: first the
// clients of the apiserver (kwok, scheduler, controller-manager) together,
// then the apiserver, then etcd.
func (s *supervisor) stop() {
	s.mu.Lock()
	s.stopping = true
	children := append([]*child(nil), s.children...)
	s.mu.Unlock()
	var groups [][]*child
	var clients []*child
	for _, c := range children {
		switch c.name {
		case "etcd", "kube-apiserver":
		default:
			clients = append(clients, c)
		}
	}
	groups = append(groups, clients)
	for _, n := range []string{"kube-apiserver", "etcd"} {
		for _, c := range children {
			if c.name == n {
				groups = append(groups, []*child{c})
			}
		}
	}
	for _, g := range groups {
		var wg sync.WaitGroup
		for _, c := range g {
			wg.Add(1)
			go func(c *child) {
				defer wg.Done()
				terminate(c, 15*time.Second)
			}(c)
		}
		wg.Wait()
	}
}

func terminate(c *child, grace time.Duration) {
	select {
	case <-c.done:
		return
	default:
	}
	pid := c.cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGTERM) // children lead their own process group
	_ = syscall.Kill(pid, syscall.SIGTERM)
	select {
	case <-c.done:
		logf("stopped %s", c.name)
	case <-time.After(grace):
		logf("%s did not stop within %s, killing", c.name, grace)
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		_ = syscall.Kill(pid, syscall.SIGKILL)
		<-c.done
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "plinth-cp up: "+format+"\n", args...)
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freePorts reserves n distinct loopback ports (all held open at once so
// they differ), then releases them for the children to bind.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func runUp() {
	var o upOptions
	fs := flag.NewFlagSet("up", flag.ExitOnError)
	fs.StringVar(&o.dir, "dir", "", "state directory (required; created if missing). Gets kubeconfig, ready, pki/, etcd/, *.log")
	fs.IntVar(&o.nodes, "nodes", 1, "number of fake (kwok) nodes, named kwok-node-0..N-1")
	fs.DurationVar(&o.timeout, "timeout", 180*time.Second, "give up if the cluster is not ready within this time")
	fs.IntVar(&o.verbosity, "v", 1, "klog verbosity of kube-apiserver, kube-controller-manager and kube-scheduler")
	fs.BoolVar(&o.kwok, "kwok", true, "run kwok and create the fake nodes")
	fs.BoolVar(&o.volumes, "volumes", true, "with kwok: default StorageClass kwok-volume whose PVCs kwok binds to fake PVs at once")
	fs.Var(&o.extraAPIArgs, "apiserver-arg", "extra kube-apiserver flag, e.g. --apiserver-arg=--feature-gates=Foo=true (repeatable)")
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: plinth-cp up --dir DIR [flags]\n\n"+
			"Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok as child\n"+
			"processes, waits until the cluster is usable, then prints one JSON line to stdout\n"+
			"(also written to DIR/ready) and runs until SIGTERM/SIGINT, when it stops every child.\n"+
			"If a child exits on its own, up stops the rest and exits 1.\n\n")
		fs.PrintDefaults()
	}
	_ = fs.Parse(os.Args[1:])
	if o.dir == "" || fs.NArg() != 0 {
		fs.Usage()
		os.Exit(2)
	}
	os.Exit(up(o))
}

func up(o upOptions) int {
	t0 := time.Now()
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		logf("%v", err)
		return 1
	}
	// A fresh cluster each time: a reused etcd would hold objects signed by
	// an old CA / service-account key. Other files in DIR are fine.
	for _, n := range []string{"etcd", "pki", "kubeconfig"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			logf("--dir %s already holds a cluster (%s); use a new directory", dir, n)
			return 2
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		logf("%v", err)
		return 1
	}
	self, err := os.Executable()
	if err != nil {
		logf("%v", err)
		return 1
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)

	s := &supervisor{self: self, dir: dir, failed: make(chan *child, 16)}
	// Always stop whatever was started, whichever way we leave.
	defer s.stop()

	ports, err := freePorts(5)
	if err != nil {
		logf("pick ports: %v", err)
		return 1
	}
	p := map[string]int{"etcd-client": ports[0], "etcd-peer": ports[1], "kube-apiserver": ports[2],
		"kube-controller-manager": ports[3], "kube-scheduler": ports[4]}
	server := "https://127.0.0.1:" + strconv.Itoa(p["kube-apiserver"])
	pk := newPKIPaths(dir)
	if err := writePKI(pk, server); err != nil {
		logf("pki: %v", err)
		return 1
	}

	guard, err := startEgressGuard(dir)
	if err != nil {
		logf("egress guard: %v", err)
		return 1
	}
	defer guard.Close()
	egressCfg := filepath.Join(pk.PKI, "egress-selector.yaml")
	if err := writeFile(egressCfg, []byte(egressSelectorConfig(guard.socket)), 0o644); err != nil {
		logf("%v", err)
		return 1
	}

	// failFast wraps a readiness wait: it gives up on timeout, on a signal
	// and when any child exits.
	deadline := t0.Add(o.timeout)
	wait := func(what string, probe func(context.Context) error) error {
		var last error
		for {
			pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
			last = probe(pctx)
			pcancel()
			if last == nil {
				logf("%s (%.1fs)", what, time.Since(t0).Seconds())
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("timed out after %s waiting for %s: %v", o.timeout, what, last)
			}
			select {
			case sig := <-sigs:
				return fmt.Errorf("got %s while waiting for %s", sig, what)
			case c := <-s.failed:
				return fmt.Errorf("%s exited (%v) while waiting for %s; last log lines:\n%s", c.name, c.err, what, tail(c.logPath, 40))
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	fail := func(err error) int {
		logf("FAILED: %v", err)
		return 1
	}
	v := strconv.Itoa(o.verbosity)

	// etcd
	etcdClient := fmt.Sprintf("http://127.0.0.1:%d", p["etcd-client"])
	if _, err := s.start("etcd", nil, "etcd", "--name=plinth", "--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdClient,
		fmt.Sprintf("--listen-peer-urls=http://127.0.0.1:%d", p["etcd-peer"])); err != nil {
		return fail(err)
	}
	plain := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{Proxy: nil}}
	if err := wait("etcd healthy", func(ctx context.Context) error {
		return httpOK(ctx, plain, etcdClient+"/health", `"health":"true"`)
	}); err != nil {
		return fail(err)
	}

	// kube-apiserver
	apiArgs := []string{"kube-apiserver",
		"--etcd-servers=" + etcdClient,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(p["kube-apiserver"]),
		"--cert-dir=" + filepath.Join(pk.PKI, "kube-apiserver"),
		"--tls-cert-file=" + pk.APIServerCert, "--tls-private-key-file=" + pk.APIServerKey,
		"--client-ca-file=" + pk.CACert,
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=NodeRestriction",
		"--service-account-issuer=" + saIssuer,
		"--service-account-key-file=" + pk.SAPub,
		"--service-account-signing-key-file=" + pk.SAKey,
		"--service-cluster-ip-range=" + serviceCIDR,
		"--endpoint-reconciler-type=none",
		"--allow-privileged=true",
		"--egress-selector-config-file=" + egressCfg,
		"--requestheader-client-ca-file=" + pk.FrontProxyCA,
		"--requestheader-allowed-names=front-proxy-client",
		"--requestheader-username-headers=X-Remote-User",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file=" + pk.FrontProxyClientCert,
		"--proxy-client-key-file=" + pk.FrontProxyKey,
		"--profiling=false",
		"--v=" + v,
	}
	apiArgs = append(apiArgs, o.extraAPIArgs...)
	if _, err := s.start("kube-apiserver", nil, apiArgs...); err != nil {
		return fail(err)
	}
	restCfg, err := clientcmd.BuildConfigFromFlags("", pk.AdminKubeconfig)
	if err != nil {
		return fail(err)
	}
	restCfg.QPS, restCfg.Burst = 50, 100
	cs, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return fail(err)
	}
	if err := wait("kube-apiserver /readyz", func(ctx context.Context) error {
		_, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err
	}); err != nil {
		return fail(err)
	}

	// kube-controller-manager, kube-scheduler, kwok
	kcmArgs := []string{"kube-controller-manager",
		"--kubeconfig=" + pk.KCMKubeconfig,
		"--authentication-kubeconfig=" + pk.KCMKubeconfig,
		"--authorization-kubeconfig=" + pk.KCMKubeconfig,
		"--bind-address=127.0.0.1", "--secure-port=" + strconv.Itoa(p["kube-controller-manager"]),
		"--cert-dir=" + filepath.Join(pk.PKI, "kube-controller-manager"),
		// default /usr/libexec/kubernetes/kubelet-plugins/volume/exec/ is created on the host
		"--flex-volume-plugin-dir=" + filepath.Join(dir, "kube-controller-manager", "volume-plugins"),
		"--leader-elect=false",
		"--use-service-account-credentials=true",
		"--root-ca-file=" + pk.CACert,
		"--service-account-private-key-file=" + pk.SAKey,
		"--cluster-signing-cert-file=" + pk.CACert, "--cluster-signing-key-file=" + pk.CAKey,
		"--service-cluster-ip-range=" + serviceCIDR,
		"--kube-api-qps=100", "--kube-api-burst=200",
		"--profiling=false",
		"--v=" + v,
	}
	if _, err := s.start("kube-controller-manager", nil, kcmArgs...); err != nil {
		return fail(err)
	}
	if _, err := s.start("kube-scheduler", nil, "kube-scheduler",
		"--kubeconfig="+pk.SchedulerKubeconfig,
		"--authentication-kubeconfig="+pk.SchedulerKubeconfig,
		"--authorization-kubeconfig="+pk.SchedulerKubeconfig,
		"--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(p["kube-scheduler"]),
		"--leader-elect=false",
		"--profiling=false",
		"--v="+v); err != nil {
		return fail(err)
	}
	var nodes []string
	if o.kwok {
		kwokHome := filepath.Join(dir, "kwok")
		if err := os.MkdirAll(kwokHome, 0o700); err != nil {
			return fail(err)
		}
		stages := filepath.Join(kwokHome, "stages.yaml")
		docs := []string{
			nodefast.DefaultNodeInit,
			nodeheartbeat.DefaultNodeHeartbeatWithLease,
			podfast.DefaultPodReady,
			podfast.DefaultPodComplete,
			podfast.DefaultPodDelete,
		}
		if o.volumes {
			docs = append(docs, kwokVolumeStages)
		}
		if err := writeFile(stages, []byte(strings.Join(docs, "\n---\n")), 0o644); err != nil {
			return fail(err)
		}
		if o.volumes {
			if err := wait("StorageClass kwok-volume (default)", func(ctx context.Context) error {
				_, err := cs.StorageV1().StorageClasses().Create(ctx, kwokStorageClass(), metav1.CreateOptions{})
				if apierrors.IsAlreadyExists(err) {
					return nil
				}
				return err
			}); err != nil {
				return fail(err)
			}
		}
		// HOME: kwok auto-loads ~/.kwok/kwok.yaml; keep it inside DIR.
		if _, err := s.start("kwok", []string{"HOME=" + kwokHome}, "kwok",
			"--kubeconfig="+pk.AdminKubeconfig,
			"--config="+stages,
			"--manage-all-nodes=false",
			"--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
			"--manage-nodes-with-label-selector=",
			"--manage-single-node=",
			"--cidr="+podCIDR,
			"--node-ip="+nodeIP,
			"--node-lease-duration-seconds=40"); err != nil {
			return fail(err)
		}
		for i := range o.nodes {
			name := fmt.Sprintf("kwok-node-%d", i)
			nodes = append(nodes, name)
			if err := wait("node "+name+" created", func(ctx context.Context) error {
				_, err := cs.CoreV1().Nodes().Create(ctx, fakeNode(name), metav1.CreateOptions{})
				if apierrors.IsAlreadyExists(err) {
					return nil
				}
				return err
			}); err != nil {
				return fail(err)
			}
		}
	}

	// Components healthy and the cluster usable.
	insecure := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{Proxy: nil,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // loopback, self-signed component certs
	for _, c := range []string{"kube-controller-manager", "kube-scheduler"} {
		url := fmt.Sprintf("https://127.0.0.1:%d/healthz", p[c])
		if err := wait(c+" /healthz", func(ctx context.Context) error {
			return httpOK(ctx, insecure, url, "ok")
		}); err != nil {
			return fail(err)
		}
	}
	if err := wait("ServiceAccount default/default (controller-manager working)", func(ctx context.Context) error {
		_, err := cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err
	}); err != nil {
		return fail(err)
	}
	if err := wait("ConfigMap default/kube-root-ca.crt", func(ctx context.Context) error {
		_, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
		return err
	}); err != nil {
		return fail(err)
	}
	for _, name := range nodes {
		if err := wait("node "+name+" Ready", func(ctx context.Context) error {
			n, err := cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			for _, c := range n.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
					if len(n.Spec.Taints) == 0 {
						return nil
					}
					return fmt.Errorf("node Ready but still tainted: %v", n.Spec.Taints)
				}
			}
			return errors.New("node not Ready yet")
		}); err != nil {
			return fail(err)
		}
	}

	info := readyInfo{
		Server: server, Kubeconfig: pk.AdminKubeconfig, Dir: dir, PID: os.Getpid(),
		Version: version, Nodes: nodes, Ports: p, PIDs: map[string]int{},
		StartupSeconds: float64(time.Since(t0).Milliseconds()) / 1000,
	}
	if info.Nodes == nil {
		info.Nodes = []string{}
	}
	s.mu.Lock()
	for _, c := range s.children {
		info.PIDs[c.name] = c.cmd.Process.Pid
	}
	s.mu.Unlock()
	line, _ := json.Marshal(info)
	if err := writeFile(filepath.Join(dir, "ready"), append(line, '\n'), 0o644); err != nil {
		return fail(err)
	}
	logf("ready in %.1fs: KUBECONFIG=%s", info.StartupSeconds, info.Kubeconfig)
	os.Stdout.Write(append(line, '\n'))

	// SIGUSR1 crashes kube-apiserver (SIGKILL) and starts it again on the same port and etcd, so tests
	// can check that clients converge after losing the API server in the middle of their work.
	crash := make(chan os.Signal, 1)
	signal.Notify(crash, syscall.SIGUSR1)
	for {
		select {
		case sig := <-sigs:
			logf("got %s, stopping", sig)
			s.stop()
			_ = os.Remove(filepath.Join(dir, "ready"))
			logf("stopped")
			return 0
		case c := <-s.failed:
			logf("FAILED: %s exited unexpectedly (%v); last log lines:\n%s", c.name, c.err, tail(c.logPath, 40))
			_ = os.Remove(filepath.Join(dir, "ready"))
			return 1
		case <-crash:
			if err := s.restart("kube-apiserver", apiArgs); err != nil {
				logf("FAILED: restart kube-apiserver: %v", err)
				s.stop()
				_ = os.Remove(filepath.Join(dir, "ready"))
				return 1
			}
		}
	}
}

// restart kills a child without warning, as a crash would, and starts it again with the same arguments.
func (s *supervisor) restart(name string, args []string) error {
	s.mu.Lock()
	var old *child
	kept := s.children[:0]
	for _, c := range s.children {
		if c.name == name {
			old = c
			c.expected = true
		} else {
			kept = append(kept, c)
		}
	}
	s.children = kept
	s.mu.Unlock()
	if old != nil {
		pid := old.cmd.Process.Pid
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		_ = syscall.Kill(pid, syscall.SIGKILL)
		<-old.done
		logf("killed %s (pid %d)", name, pid)
	}
	c, err := s.start(name, nil, args...)
	if err != nil {
		return err
	}
	logf("restarted %s (pid %d)", name, c.cmd.Process.Pid)
	return nil
}

func httpOK(ctx context.Context, c *http.Client, url, want string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
		return fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return nil
}

// fakeNode follows kwok's docs (kwok-manage-nodes-and-pods.md), without the
// kwok.x-k8s.io/node=fake:NoSchedule taint so unmodified workloads schedule.
func fakeNode(name string) *corev1.Node {
	rl := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: name,
			Annotations: map[string]string{
				"node.alpha.kubernetes.io/ttl": "0",
				"kwok.x-k8s.io/node":           "fake",
			},
			Labels: map[string]string{
				"beta.kubernetes.io/arch":       "amd64",
				"beta.kubernetes.io/os":         "linux",
				"kubernetes.io/arch":            "amd64",
				"kubernetes.io/hostname":        name,
				"kubernetes.io/os":              "linux",
				"kubernetes.io/role":            "agent",
				"node-role.kubernetes.io/agent": "",
				"type":                          "kwok",
			},
		},
		Status: corev1.NodeStatus{
			Allocatable: rl,
			Capacity:    rl,
			NodeInfo: corev1.NodeSystemInfo{
				Architecture: "amd64", OperatingSystem: "linux",
				KubeletVersion: "fake", KubeProxyVersion: "fake",
			},
			Phase: corev1.NodeRunning,
		},
	}
}

// kwokStorageClass is kwok v0.8.0's kustomize/stage/volume/fast/storage-class.yaml:
// no real provisioner watches kwok.x-k8s.io/volume, the kwok stages do the binding.
func kwokStorageClass() *storagev1.StorageClass {
	reclaim := corev1.PersistentVolumeReclaimDelete
	mode := storagev1.VolumeBindingImmediate
	return &storagev1.StorageClass{
		ObjectMeta: metav1.ObjectMeta{
			Name:        "kwok-volume",
			Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"},
		},
		Provisioner:       "kwok.x-k8s.io/volume",
		ReclaimPolicy:     &reclaim,
		VolumeBindingMode: &mode,
	}
}
