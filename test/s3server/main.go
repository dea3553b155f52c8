// An S3-compatible server on loopback for the backup/restore integration test: gofakes3 (in memory) behind a
// check of AWS Signature Version 4, so a request signed with any other access key or secret is refused with
// 403 as a real object store refuses it (gofakes3 itself accepts every request).
//
//	s3server -access-key KEY -secret-key SECRET -bucket NAME
//
// Prints "listening http://127.0.0.1:PORT" on stdout once it accepts connections; exits when stdin closes,
// so it never outlives the test that started it.
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	accessKey := flag.String("access-key", "", "the only access key ID accepted")
	secretKey := flag.String("secret-key", "", "its secret access key")
	bucket := flag.String("bucket", "", "bucket created at start")
	flag.Parse()
	if *accessKey == "" || *secretKey == "" || *bucket == "" {
		log.Fatal("s3server: -access-key, -secret-key and -bucket are required")
	}

	backend := s3mem.New()
	if err := backend.CreateBucket(*bucket); err != nil {
		log.Fatalf("s3server: create bucket: %v", err)
	}
	fake := gofakes3.New(backend, gofakes3.WithoutVersioning())
	handler := requireSignature(*accessKey, *secretKey, fake.Server())

	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("s3server: %v", err)
	}
	fmt.Printf("listening http://%s\n", listener.Addr())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	log.Fatal(http.Serve(listener, handler))
}

// requireSignature verifies the Authorization header as AWS documents Signature Version 4 (header form):
// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html. The payload hash is the
// x-amz-content-sha256 header the client signed (boto3 always sends it to S3).
func requireSignature(accessKey, secretKey string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reason := checkSignature(r, accessKey, secretKey); reason != "" {
			log.Printf("s3server: refused %s %s: %s", r.Method, r.URL.Path, reason)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			code := "SignatureDoesNotMatch"
			if strings.HasPrefix(reason, "access key") || strings.HasPrefix(reason, "no ") {
				code = "InvalidAccessKeyId"
			}
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, reason)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func checkSignature(r *http.Request, accessKey, secretKey string) string {
	auth := r.Header.Get("Authorization")
	const scheme = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(auth, scheme) {
		return "no AWS4-HMAC-SHA256 Authorization header"
	}
	fields := map[string]string{}
	for _, part := range strings.Split(strings.TrimPrefix(auth, scheme), ",") {
		if key, value, ok := strings.Cut(strings.TrimSpace(part), "="); ok {
			fields[key] = value
		}
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 {
		return "malformed Credential"
	}
	if scope[0] != accessKey {
		return fmt.Sprintf("access key %q is not the configured one", scope[0])
	}
	date, region, service := scope[1], scope[2], scope[3]
	signedHeaders := strings.Split(fields["SignedHeaders"], ";")

	var canonicalHeaders strings.Builder
	for _, name := range signedHeaders {
		value := r.Header.Get(name)
		if name == "host" {
			value = r.Host
		}
		canonicalHeaders.WriteString(name + ":" + strings.Join(strings.Fields(value), " ") + "\n")
	}
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	if payloadHash == "" {
		payloadHash = "UNSIGNED-PAYLOAD"
	}
	canonicalRequest := strings.Join([]string{
		r.Method,
		encodePath(r.URL.EscapedPath()),
		canonicalQuery(r.URL.RawQuery),
		canonicalHeaders.String(),
		fields["SignedHeaders"],
		payloadHash,
	}, "\n")
	stringToSign := strings.Join([]string{
		"AWS4-HMAC-SHA256",
		r.Header.Get("X-Amz-Date"),
		strings.Join(scope[1:], "/"),
		hexSHA256(canonicalRequest),
	}, "\n")
	key := hmacSHA256([]byte("AWS4"+secretKey), date)
	key = hmacSHA256(key, region)
	key = hmacSHA256(key, service)
	key = hmacSHA256(key, "aws4_request")
	expected := hex.EncodeToString(hmacSHA256(key, stringToSign))
	if !hmac.Equal([]byte(expected), []byte(fields["Signature"])) {
		return "signature does not match the configured secret key"
	}
	return ""
}

// encodePath re-encodes an escaped path the way SigV4 wants for S3: every byte except unreserved ones
// percent-encoded, "/" kept, encoded once.
func encodePath(escaped string) string {
	raw, err := url.PathUnescape(escaped)
	if err != nil {
		raw = escaped
	}
	segments := strings.Split(raw, "/")
	for i, segment := range segments {
		segments[i] = uriEncode(segment)
	}
	return strings.Join(segments, "/")
}

func canonicalQuery(rawQuery string) string {
	values, _ := url.ParseQuery(rawQuery)
	var pairs []string
	for name, list := range values {
		for _, value := range list {
			pairs = append(pairs, uriEncode(name)+"="+uriEncode(value))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

func uriEncode(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func hexSHA256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, data string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(data))
	return mac.Sum(nil)
}
