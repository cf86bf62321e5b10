package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/postident-connector/postident-connector/connector"
	"github.com/postident-connector/postident-connector/internal/kafka"
	"github.com/postident-connector/postident-connector/internal/kafkatest"
)

// testPKI is a throw-away CA with a server certificate for 127.0.0.1 and a
// client certificate, written as PEM files the way an operator mounts them.
type testPKI struct {
	dir                       string
	caPool                    *x509.CertPool
	server                    tls.Certificate
	caFile, certFile, keyFile string
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{dir: t.TempDir()}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test kafka CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	p.caPool = x509.NewCertPool()
	p.caPool.AddCert(ca)
	issue := func(serial int64, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "127.0.0.1"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	srvDER, srvKey := issue(2, x509.ExtKeyUsageServerAuth)
	p.server = tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}
	cliDER, cliKey := issue(3, x509.ExtKeyUsageClientAuth)
	keyDER, err := x509.MarshalPKCS8PrivateKey(cliKey)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, der []byte) string {
		path := filepath.Join(p.dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	p.caFile = write("ca.pem", "CERTIFICATE", caDER)
	p.certFile = write("client.pem", "CERTIFICATE", cliDER)
	p.keyFile = write("client-key.pem", "PRIVATE KEY", keyDER)
	return p
}

// TestKafkaTLSAndSCRAM configures the connector the way an operator would
// (KAFKA_TLS_* files, SASL SCRAM) against a broker that requires TLS with
// client certificates and SCRAM, then writes and reads records through it.
// The wrong CA, a missing client certificate and plaintext are refused with
// errors that say what failed and leak no password.
func TestKafkaTLSAndSCRAM(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pki := newTestPKI(t)
	cluster := kafkatest.Fake(t,
		kfake.TLS(&tls.Config{Certificates: []tls.Certificate{pki.server}, ClientCAs: pki.caPool,
			ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}),
		kfake.EnableSASL(),
		kfake.Superuser("SCRAM-SHA-512", "connector", "scram-secret"),
	)
	brokers := strings.Join(cluster.ListenAddrs(), ",")
	env := func(extra map[string]string) *Config {
		t.Helper()
		m := secureBase()
		m["KAFKA_BROKERS"] = brokers
		m["KAFKA_TLS_ENABLED"] = "true"
		m["KAFKA_TLS_CA_FILE"] = pki.caFile
		m["KAFKA_TLS_CERT_FILE"] = pki.certFile
		m["KAFKA_TLS_KEY_FILE"] = pki.keyFile
		m["KAFKA_SASL_MECHANISM"] = "SCRAM-SHA-512"
		m["KAFKA_SASL_USERNAME"] = "connector"
		m["KAFKA_SASL_PASSWORD"] = "scram-secret"
		for k, v := range extra {
			m[k] = v
		}
		cfg, err := LoadConfigFrom(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(false); err != nil {
			t.Fatal(err)
		}
		return cfg
	}

	kcfg, err := env(nil).KafkaClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	if err := kafka.Ping(ctx, kcfg); err != nil {
		t.Fatalf("Ping over TLS with SCRAM: %v", err)
	}
	topic := "tls-" + strings.ToLower(kafkatest.GroupID(t, "t"))
	if err := kafka.EnsureTopics(ctx, kcfg, kafka.TopicSpec{Name: topic, Partitions: 1, ReplicationFactor: 1}); err != nil {
		t.Fatalf("EnsureTopics: %v", err)
	}
	w, err := kafka.NewWriter(kcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Publish(ctx, connector.Message{Topic: topic, Key: []byte("YR9W91GEZK24"), Value: []byte("v")}); err != nil {
		t.Fatalf("Publish over TLS: %v", err)
	}
	n := 0
	if err := kafka.ReadAll(ctx, kcfg, topic, func(connector.Message) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("ReadAll over TLS: %d records, %v", n, err)
	}

	for _, tc := range []struct {
		name  string
		extra map[string]string
		want  string
	}{
		{"CA that did not sign the broker", map[string]string{"KAFKA_TLS_CA_FILE": newTestPKI(t).caFile}, "certificate"},
		{"no client certificate", map[string]string{"KAFKA_TLS_CERT_FILE": "", "KAFKA_TLS_KEY_FILE": ""}, ""},
		{"plaintext to a TLS listener", map[string]string{"KAFKA_TLS_ENABLED": "false"}, ""},
		{"wrong SCRAM password", map[string]string{"KAFKA_SASL_PASSWORD": "wrong-secret"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kcfg, err := env(tc.extra).KafkaClientConfig()
			if err != nil {
				t.Fatal(err)
			}
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			err = kafka.Ping(pctx, kcfg)
			if err == nil {
				t.Fatal("Ping succeeded")
			}
			if tc.want != "" && !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error leaks a password: %v", err)
			}
		})
	}
}
