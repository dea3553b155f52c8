package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The egress guard keeps kube-apiserver from ever connecting to anything but
// loopback. The fake cluster has made-up node, pod and Service IPs (10.x);
// a test that registers an admission webhook, an APIService or uses
// pods|services/proxy, logs, exec or port-forward would make the apiserver
// dial them. kube-apiserver's --egress-selector-config-file sends the
// "cluster" and "controlplane" egress (kubelet, proxy subresources, service-
// and URL-based webhooks, aggregated APIs, authn/authz webhooks) through an
// HTTP CONNECT proxy on a Unix socket; this proxy tunnels loopback
// destinations (127.0.0.0/8, ::1, localhost) and refuses the rest with 403,
// so such requests fail fast with "proxy error ... code 403" instead of
// sending packets off the machine. etcd egress stays Direct (loopback).

type egressGuard struct {
	socket string
	l      net.Listener
	wg     sync.WaitGroup
	once   sync.Once
	tmp    string
}

func egressSelectorConfig(socket string) string {
	conn := fmt.Sprintf(`  connection:
    proxyProtocol: HTTPConnect
    transport:
      uds:
        udsName: %s
`, socket)
	return "apiVersion: apiserver.k8s.io/v1beta1\nkind: EgressSelectorConfiguration\negressSelections:\n" +
		"- name: cluster\n" + conn +
		"- name: controlplane\n" + conn +
		"- name: etcd\n  connection:\n    proxyProtocol: Direct\n"
}

func startEgressGuard(dir string) (*egressGuard, error) {
	g := &egressGuard{socket: filepath.Join(dir, "egress.sock")}
	if len(g.socket) > 100 { // sun_path is 108 bytes
		tmp, err := os.MkdirTemp("", "plinth-cp-")
		if err != nil {
			return nil, err
		}
		g.tmp, g.socket = tmp, filepath.Join(tmp, "egress.sock")
	}
	_ = os.Remove(g.socket)
	l, err := net.Listen("unix", g.socket)
	if err != nil {
		return nil, err
	}
	g.l = l
	logLock := &sync.Mutex{}
	logPath := filepath.Join(dir, "egress.log")
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go serveConnect(c, func(format string, args ...any) {
				logLock.Lock()
				defer logLock.Unlock()
				if f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
					fmt.Fprintf(f, time.Now().Format(time.RFC3339)+" "+format+"\n", args...)
					f.Close()
				}
			})
		}
	}()
	return g, nil
}

func (g *egressGuard) Close() {
	g.once.Do(func() {
		g.l.Close()
		g.wg.Wait()
		_ = os.Remove(g.socket)
		if g.tmp != "" {
			_ = os.RemoveAll(g.tmp)
		}
	})
}

func loopbackTarget(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func serveConnect(c net.Conn, logf func(string, ...any)) {
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	target := req.Host
	if req.Method != http.MethodConnect {
		logf("refused %s %s: only CONNECT", req.Method, target)
		io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
		return
	}
	if !loopbackTarget(target) {
		logf("blocked CONNECT %s (not loopback)", target)
		io.WriteString(c, "HTTP/1.1 403 Forbidden: plinth-cp egress guard allows loopback only\r\nContent-Length: 0\r\n\r\n")
		return
	}
	up, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		logf("CONNECT %s failed: %v", target, err)
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	defer up.Close()
	logf("CONNECT %s", target)
	io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	done := make(chan struct{}, 2)
	go func() {
		if br.Buffered() > 0 {
			b, _ := br.Peek(br.Buffered())
			up.Write(b)
		}
		io.Copy(up, c)
		if tc, ok := up.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		done <- struct{}{}
	}()
	go func() {
		io.Copy(c, up)
		if uc, ok := c.(*net.UnixConn); ok {
			uc.CloseWrite()
		}
		done <- struct{}{}
	}()
	<-done
	<-done
}

// runEgressGuard: `plinth-cp egress-guard --socket PATH --log PATH`, for a
// harness that starts kube-apiserver itself (pass
// --egress-selector-config-file=DIR/egress-selector.yaml, written here too).
func runEgressGuard() {
	fs := flag.NewFlagSet("egress-guard", flag.ExitOnError)
	dir := fs.String("dir", "", "directory for egress.sock, egress.log and egress-selector.yaml (required)")
	_ = fs.Parse(os.Args[1:])
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "egress-guard: --dir is required")
		os.Exit(2)
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		fatalf("egress-guard: %v", err)
	}
	g, err := startEgressGuard(*dir)
	if err != nil {
		fatalf("egress-guard: %v", err)
	}
	if err := writeFile(filepath.Join(*dir, "egress-selector.yaml"), []byte(egressSelectorConfig(g.socket)), 0o644); err != nil {
		fatalf("egress-guard: %v", err)
	}
	fmt.Fprintf(os.Stderr, "egress-guard: listening on %s\n", g.socket)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	g.Close()
}
