// Command plinth-cp is a busybox-style binary that holds a whole Kubernetes
// control plane for Plinth's integration tests: embedded etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler, kwok (fake nodes)
// and kubectl, all built from Go modules (k8s.io/kubernetes as a library).
//
// Each component runs as its own OS process: `plinth-cp <component> [flags]`.
// `plinth-cp up --dir DIR` supervises one process per component (it re-executes
// itself) and writes an admin kubeconfig; see README.md.
//
// The subcommand may also be given as the binary's base name (symlink
// `kubectl -> plinth-cp`), like busybox.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// version is stamped by build.sh (-X main.version=...); the Kubernetes
// version packages are stamped too, see build.sh.
var version = "dev"

type subcommand struct {
	help string
	run  func() // reads os.Args; os.Args[0] is the subcommand name
}

var subcommands = map[string]subcommand{
	"etcd":                    {"embedded etcd server (go.etcd.io/etcd/server/v3/embed)", runEtcd},
	"kube-apiserver":          {"k8s.io/kubernetes/cmd/kube-apiserver", runAPIServer},
	"kube-controller-manager": {"k8s.io/kubernetes/cmd/kube-controller-manager", runControllerManager},
	"kube-scheduler":          {"k8s.io/kubernetes/cmd/kube-scheduler", runScheduler},
	"kubectl":                 {"k8s.io/kubectl (same as k8s.io/kubernetes/cmd/kubectl)", runKubectl},
	"kwok":                    {"sigs.k8s.io/kwok/cmd/kwok (fake kubelets)", runKwok},
	"pki":                     {"write CA, serving/client certs, SA keys and kubeconfigs into a dir", runPKI},
	"egress-guard":            {"HTTP CONNECT proxy on a Unix socket that lets kube-apiserver reach loopback only", runEgressGuard},
	"up":                      {"start etcd+apiserver+controller-manager+scheduler+kwok, one process each", runUp},
	"version":                 {"print the build version", runVersion},
}

func usage() {
	names := make([]string, 0, len(subcommands))
	for n := range subcommands {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "usage: %s <subcommand> [flags]\n\nsubcommands:\n", filepath.Base(os.Args[0]))
	for _, n := range names {
		fmt.Fprintf(&b, "  %-24s %s\n", n, subcommands[n].help)
	}
	os.Stderr.WriteString(b.String())
}

func main() {
	// busybox style: invoked through a symlink named after a subcommand.
	if sc, ok := subcommands[filepath.Base(os.Args[0])]; ok {
		os.Args[0] = filepath.Base(os.Args[0])
		sc.run()
		return
	}
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	name := os.Args[1]
	switch name {
	case "-h", "--help", "help":
		usage()
		return
	case "--version":
		name = "version"
	}
	sc, ok := subcommands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown subcommand %q\n", name)
		usage()
		os.Exit(2)
	}
	// The component mains (cobra, pflag, kwok's config loader, kubectl's
	// plugin handler) all read os.Args[1:], so drop the subcommand.
	os.Args = append([]string{name}, os.Args[2:]...)
	sc.run()
}

func runVersion() {
	fmt.Println(version)
}
