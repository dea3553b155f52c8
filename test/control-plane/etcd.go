package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// runEtcd starts a single-member etcd with go.etcd.io/etcd/server/v3/embed,
// at the version k8s.io/apiserver itself requires (the combination upstream
// compiles for its own integration tests). Flags follow etcd's names.
func runEtcd() {
	fs := flag.NewFlagSet("etcd", flag.ExitOnError)
	name := fs.String("name", "default", "member name")
	dataDir := fs.String("data-dir", "", "data directory (required)")
	clientURL := fs.String("listen-client-urls", "http://127.0.0.1:2379", "client URL (one; also advertised)")
	peerURL := fs.String("listen-peer-urls", "http://127.0.0.1:2380", "peer URL (one; also advertised)")
	noFsync := fs.Bool("unsafe-no-fsync", true, "disable fsync (test clusters only)")
	logLevel := fs.String("log-level", "warn", "debug, info, warn, error")
	quota := fs.Int64("quota-backend-bytes", 2<<30, "backend quota in bytes")
	startTimeout := fs.Duration("start-timeout", 60*time.Second, "give up when not ready within this time")
	_ = fs.Parse(os.Args[1:])
	if *dataDir == "" {
		fmt.Fprintln(os.Stderr, "etcd: --data-dir is required")
		os.Exit(2)
	}
	cu, err := url.Parse(*clientURL)
	if err != nil {
		fatalf("etcd: --listen-client-urls: %v", err)
	}
	pu, err := url.Parse(*peerURL)
	if err != nil {
		fatalf("etcd: --listen-peer-urls: %v", err)
	}

	cfg := embed.NewConfig()
	cfg.Name = *name
	cfg.Dir = *dataDir
	cfg.ListenClientUrls = []url.URL{*cu}
	cfg.AdvertiseClientUrls = []url.URL{*cu}
	cfg.ListenPeerUrls = []url.URL{*pu}
	cfg.AdvertisePeerUrls = []url.URL{*pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.UnsafeNoFsync = *noFsync
	cfg.LogLevel = *logLevel
	cfg.LogOutputs = []string{"stderr"}
	cfg.QuotaBackendBytes = *quota
	// embed.NewConfig leaves this 0 (etcdmain's flag default is 300ms), which
	// logs every request at warn level as "expensive".
	cfg.WarningUnaryRequestDuration = embed.DefaultWarningUnaryRequestDuration
	// kube-apiserver relies on progress notifications for consistent reads
	// from its watch cache; upstream clusters set 5s (kcp, GKE, OpenShift).
	cfg.WatchProgressNotifyInterval = 5 * time.Second
	// Keep history small: compact like a kubeadm etcd (kube-apiserver also
	// compacts every 5m on its own).
	cfg.AutoCompactionMode = "periodic"
	cfg.AutoCompactionRetention = "5m"

	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		fatalf("etcd: %v", err)
	}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		fatalf("etcd: start: %v", err)
	}
	select {
	case <-e.Server.ReadyNotify():
		fmt.Fprintf(os.Stderr, "etcd: ready, serving clients on %s\n", cu)
	case err := <-e.Err():
		fatalf("etcd: %v", err)
	case <-time.After(*startTimeout):
		e.Server.Stop()
		fatalf("etcd: not ready after %s", *startTimeout)
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case s := <-sig:
		fmt.Fprintf(os.Stderr, "etcd: %s, stopping\n", s)
		e.Close()
	case err := <-e.Err():
		e.Close()
		fatalf("etcd: %v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}
