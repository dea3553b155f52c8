package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// PKI layout written by writePKI (all under DIR/pki unless noted):
//
//	ca.crt, ca.key                        cluster CA (also the client CA and the CSR signer)
//	apiserver.crt, apiserver.key          serving cert, SANs: localhost, kubernetes[.default[.svc[.cluster.local]]],
//	                                      127.0.0.1, ::1, 10.96.0.1 (first IP of serviceCIDR)
//	admin.crt, admin.key                  client cert CN=admin O=system:masters
//	kube-controller-manager.crt/.key      client cert CN=system:kube-controller-manager
//	kube-scheduler.crt/.key               client cert CN=system:kube-scheduler
//	front-proxy-ca.crt/.key               request-header CA (aggregation layer)
//	front-proxy-client.crt/.key           CN=front-proxy-client
//	sa.key, sa.pub                        service-account token signing key pair
//	kube-controller-manager.kubeconfig, kube-scheduler.kubeconfig
//	DIR/kubeconfig                        admin kubeconfig, certs embedded (no file references)
//
// Keys are ECDSA P-256.
type pkiPaths struct {
	Dir, PKI                            string
	CACert, CAKey                       string
	APIServerCert, APIServerKey         string
	AdminCert, AdminKey                 string
	FrontProxyCA                        string
	FrontProxyClientCert, FrontProxyKey string
	SAKey, SAPub                        string
	AdminKubeconfig                     string
	KCMKubeconfig, SchedulerKubeconfig  string
}

func newPKIPaths(dir string) pkiPaths {
	p := filepath.Join(dir, "pki")
	j := func(n string) string { return filepath.Join(p, n) }
	return pkiPaths{
		Dir: dir, PKI: p,
		CACert: j("ca.crt"), CAKey: j("ca.key"),
		APIServerCert: j("apiserver.crt"), APIServerKey: j("apiserver.key"),
		AdminCert: j("admin.crt"), AdminKey: j("admin.key"),
		FrontProxyCA:         j("front-proxy-ca.crt"),
		FrontProxyClientCert: j("front-proxy-client.crt"), FrontProxyKey: j("front-proxy-client.key"),
		SAKey: j("sa.key"), SAPub: j("sa.pub"),
		AdminKubeconfig:     filepath.Join(dir, "kubeconfig"),
		KCMKubeconfig:       j("kube-controller-manager.kubeconfig"),
		SchedulerKubeconfig: j("kube-scheduler.kubeconfig"),
	}
}

type keyPair struct {
	cert    *x509.Certificate
	certPEM []byte
	key     crypto.Signer
	keyPEM  []byte
}

func newKey() (*ecdsa.PrivateKey, []byte, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return nil, nil, err
	}
	return k, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err)
	}
	return n
}

// newCert creates a cert signed by ca, or self-signed (a CA) if ca is nil.
func newCert(ca *keyPair, tmpl *x509.Certificate) (*keyPair, error) {
	key, keyPEM, err := newKey()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl.SerialNumber = serial()
	tmpl.NotBefore = now.Add(-time.Hour)
	tmpl.NotAfter = now.Add(10 * 365 * 24 * time.Hour)
	parent, signer := tmpl, crypto.Signer(key)
	if ca == nil {
		tmpl.IsCA = true
		tmpl.BasicConstraintsValid = true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign
	} else {
		parent, signer = ca.cert, ca.key
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &keyPair{cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key, keyPEM}, nil
}

func clientCert(ca *keyPair, cn string, orgs ...string) (*keyPair, error) {
	return newCert(ca, &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn, Organization: orgs},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
}

func writeFile(path string, data []byte, mode os.FileMode) error {
	if err := os.WriteFile(path, data, mode); err != nil {
		return err
	}
	return os.Chmod(path, mode)
}

func writePair(certPath, keyPath string, kp *keyPair) error {
	if err := writeFile(certPath, kp.certPEM, 0o644); err != nil {
		return err
	}
	return writeFile(keyPath, kp.keyPEM, 0o600)
}

func kubeconfig(server string, caPEM []byte, user string, kp *keyPair) *clientcmdapi.Config {
	c := clientcmdapi.NewConfig()
	c.Clusters["plinth"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caPEM}
	c.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: kp.certPEM, ClientKeyData: kp.keyPEM}
	c.Contexts["plinth"] = &clientcmdapi.Context{Cluster: "plinth", AuthInfo: user}
	c.CurrentContext = "plinth"
	return c
}

// writePKI generates everything listed on pkiPaths. server is the
// apiserver URL put into the kubeconfigs.
func writePKI(p pkiPaths, server string) error {
	if err := os.MkdirAll(p.PKI, 0o700); err != nil {
		return err
	}
	ca, err := newCert(nil, &x509.Certificate{Subject: pkix.Name{CommonName: "plinth-test-ca"}})
	if err != nil {
		return err
	}
	serving, err := newCert(ca, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1"), net.ParseIP("10.96.0.1")},
	})
	if err != nil {
		return err
	}
	admin, err := clientCert(ca, "admin", "system:masters")
	if err != nil {
		return err
	}
	kcm, err := clientCert(ca, "system:kube-controller-manager")
	if err != nil {
		return err
	}
	sched, err := clientCert(ca, "system:kube-scheduler")
	if err != nil {
		return err
	}
	fpCA, err := newCert(nil, &x509.Certificate{Subject: pkix.Name{CommonName: "plinth-front-proxy-ca"}})
	if err != nil {
		return err
	}
	fpClient, err := clientCert(fpCA, "front-proxy-client")
	if err != nil {
		return err
	}
	saKey, saKeyPEM, err := newKey()
	if err != nil {
		return err
	}
	saPubDER, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return err
	}

	for _, w := range []struct {
		c, k string
		kp   *keyPair
	}{
		{p.CACert, p.CAKey, ca},
		{p.APIServerCert, p.APIServerKey, serving},
		{p.AdminCert, p.AdminKey, admin},
		{filepath.Join(p.PKI, "kube-controller-manager.crt"), filepath.Join(p.PKI, "kube-controller-manager.key"), kcm},
		{filepath.Join(p.PKI, "kube-scheduler.crt"), filepath.Join(p.PKI, "kube-scheduler.key"), sched},
		{p.FrontProxyCA, filepath.Join(p.PKI, "front-proxy-ca.key"), fpCA},
		{p.FrontProxyClientCert, p.FrontProxyKey, fpClient},
	} {
		if err := writePair(w.c, w.k, w.kp); err != nil {
			return err
		}
	}
	if err := writeFile(p.SAKey, saKeyPEM, 0o600); err != nil {
		return err
	}
	if err := writeFile(p.SAPub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPubDER}), 0o644); err != nil {
		return err
	}
	for _, k := range []struct {
		path, user string
		kp         *keyPair
	}{
		{p.AdminKubeconfig, "admin", admin},
		{p.KCMKubeconfig, "system:kube-controller-manager", kcm},
		{p.SchedulerKubeconfig, "system:kube-scheduler", sched},
	} {
		if err := clientcmd.WriteToFile(*kubeconfig(server, ca.certPEM, k.user, k.kp), k.path); err != nil {
			return err
		}
		if err := os.Chmod(k.path, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// runPKI: `plinth-cp pki --dir DIR --server https://127.0.0.1:PORT`, for a
// harness that starts the components itself.
func runPKI() {
	fs := flag.NewFlagSet("pki", flag.ExitOnError)
	dir := fs.String("dir", "", "output directory (required); files go to DIR/pki and DIR/kubeconfig")
	server := fs.String("server", "", "apiserver URL for the kubeconfigs, e.g. https://127.0.0.1:6443 (required)")
	_ = fs.Parse(os.Args[1:])
	if *dir == "" || *server == "" {
		fmt.Fprintln(os.Stderr, "pki: --dir and --server are required")
		os.Exit(2)
	}
	if err := writePKI(newPKIPaths(*dir), *server); err != nil {
		fatalf("pki: %v", err)
	}
}
