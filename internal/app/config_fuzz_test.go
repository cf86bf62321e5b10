package app

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/postident-connector/postident-connector/internal/scr"
)

// The configuration is outside input too: an operator's environment, a
// Helm chart, a secret mount. These fuzz targets hold LoadConfigFrom and
// Validate to never panicking, to never echoing a secret into an error (errors
// end up in logs and crash reports), and to the secure defaults: outside dev
// mode a configuration that validates has an authenticated webhook or says
// explicitly that it wants none, and it has a key wherever POSTIDENT must
// encrypt.

// secretVars are the variables whose values must never appear in an error.
var secretVars = []string{"POSTIDENT_PASSWORD", "POSTIDENT_DATA_PASSWORD", "WEBHOOK_PASSWORD", "KAFKA_SASL_PASSWORD", "SCHEMA_REGISTRY_PASSWORD"}

// parseEnvText reads NAME=VALUE lines; a line without '=' is a name with an
// empty value.
func parseEnvText(s string) map[string]string {
	env := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		if line == "" {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	return env
}

const fuzzProdEnv = `POSTIDENT_BASE_URL=https://postident.deutschepost.de/api/scr/v1
POSTIDENT_CLIENT_ID=1234ABCD
POSTIDENT_USERNAME=api
POSTIDENT_PASSWORD=api-password
POSTIDENT_PRIVATE_KEY_FILE=/run/secrets/postident-key.pem
POSTIDENT_DATA_PASSWORD=data-password
KAFKA_BROKERS=kafka-0:9093,kafka-1:9093
KAFKA_TLS_ENABLED=true
KAFKA_SASL_MECHANISM=SCRAM-SHA-512
KAFKA_SASL_USERNAME=connector
KAFKA_SASL_PASSWORD=sasl-password
SCHEMA_REGISTRY_URL=https://registry:8081
SCHEMA_REGISTRY_USERNAME=connector
SCHEMA_REGISTRY_PASSWORD=registry-password
WEBHOOK_USERNAME=postident
WEBHOOK_PASSWORD=hook-password
WEBHOOK_ALLOWED_CIDRS=165.72.200.13/32,199.40.127.49/32,156.137.9.65/32
WEBHOOK_TRUSTED_PROXIES=10.0.0.0/8
WEBHOOK_RATE_LIMIT=200
WEBHOOK_MAX_IN_FLIGHT=256
RECONCILE_INTERVAL=5m
ROLES=webhook,processor,reconciler,archiver`

func FuzzConfig(f *testing.F) {
	f.Add(fuzzProdEnv, "s3cr3t-Value-0815")
	f.Add("", "")
	f.Add("POSTIDENT_BASE_URL=http://127.0.0.1:8090/api/scr/v1\nPOSTIDENT_REQUIRE_ENCRYPTION=auto\nPOSTIDENT_CLIENT_ID=X\nPOSTIDENT_USERNAME=u\nWEBHOOK_ALLOW_UNAUTHENTICATED=true", "hunter2hunter2")
	f.Add("POSTIDENT_BASE_URL=http://[::1]:80/x\nPOSTIDENT_REQUIRE_ENCRYPTION=FALSE\nROLES= Webhook ,nope,,", "pa$$word%q")
	f.Add("RECONCILE_INTERVAL=-5s\nPOSTIDENT_TIMEOUT=1e9h\nWEBHOOK_RATE_LIMIT=NaN\nWEBHOOK_MAX_IN_FLIGHT=-1\nKAFKA_TOPIC_PARTITIONS=99999999999999999999", "x")
	f.Add("WEBHOOK_ALLOWED_CIDRS=::ffff:1.2.3.4/200,1.2.3.4%eth0,,\nWEBHOOK_TRUSTED_PROXIES=fe80::1%lo/64\nKAFKA_SASL_MECHANISM=GSSAPI", "secret\"with\\quotes")
	f.Add("POSTIDENT_BASE_URL=https://user:pw@postident-itu.deutschepost.de/api/scr/v1\nPOSTIDENT_PARTNER_MODE=true\nPOSTIDENT_INCLUDE_BINARY_DATA=1\nARCHIVE_ENABLED=yes", "ünïcödé-secret")
	f.Add("KAFKA_BROKERS=\nROLES=\nLOG_LEVEL=trace\nLOG_FORMAT=xml\nWEBHOOK_TLS_CERT_FILE=/c.pem", "\x00\xff secret")
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, envText, secret string) {
		env := parseEnvText(envText)
		check := func(err error) {
			if err == nil || len(secret) < 6 {
				return
			}
			msg := err.Error()
			if !strings.Contains(msg, secret) {
				return
			}
			// The secret may be part of the fixed text or of a non-secret
			// value; then it is there with a different secret, too.
			alt := map[string]string{}
			for k, v := range env {
				alt[k] = v
			}
			for _, k := range secretVars {
				if _, ok := alt[k]; ok {
					alt[k] = "\x01placeholder\x01"
				}
			}
			altMsg := ""
			if cfg, err := LoadConfigFrom(ctx, alt); err != nil {
				altMsg = err.Error()
			} else {
				for _, dev := range []bool{false, true} {
					if err := cfg.Validate(dev); err != nil {
						altMsg += err.Error()
					}
				}
			}
			if !strings.Contains(altMsg, secret) {
				t.Fatalf("an error echoes a secret value %q: %s", secret, msg)
			}
		}
		if len(secret) >= 6 {
			for _, k := range secretVars {
				if _, ok := env[k]; ok {
					env[k] = secret
				}
			}
		}
		cfg, err := LoadConfigFrom(ctx, env)
		check(err)
		if err != nil {
			return
		}
		for _, dev := range []bool{false, true} {
			err := cfg.Validate(dev)
			check(err)
			if err != nil {
				continue
			}
			// Secure defaults hold for every configuration that validates.
			if !dev && cfg.HasRole("webhook") && cfg.Webhook.Username == "" && !cfg.Webhook.AllowUnauthenticated {
				t.Fatal("an unauthenticated webhook validated outside dev mode without WEBHOOK_ALLOW_UNAUTHENTICATED")
			}
			if cfg.RequireEncryption() && cfg.Postident.PrivateKeyFile == "" {
				t.Fatal("encryption required but no POSTIDENT_PRIVATE_KEY_FILE, and Validate accepted it")
			}
			if cfg.ReconcileInterval < time.Second {
				t.Fatalf("RECONCILE_INTERVAL %s accepted", cfg.ReconcileInterval)
			}
			if _, err := parsePrefixes(cfg.Webhook.AllowedCIDRs); err != nil {
				t.Fatalf("WEBHOOK_ALLOWED_CIDRS accepted by Validate but not parsed: %v", err)
			}
			// Building the Kafka client configuration is pure unless TLS
			// files must be read.
			if !cfg.Kafka.TLSEnabled {
				if _, err := cfg.KafkaClientConfig(); err != nil {
					check(err)
				}
			}
		}
	})
}

// FuzzLoadPrivateKey feeds arbitrary PEM to the loader of
// POSTIDENT_PRIVATE_KEY_FILE: no panic, and a key it accepts is RSA of at
// least scr.MinKeyBits bits. Errors never include the key material.
func FuzzLoadPrivateKey(f *testing.F) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		f.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}))
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte{1, 2, 3}}))
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x03, 0x02, 0x01, 0x01}}))
	f.Add([]byte("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := scr.LoadPrivateKey(b)
		if err != nil {
			if blk, _ := pem.Decode(b); blk != nil && len(blk.Bytes) >= 16 && strings.Contains(err.Error(), string(blk.Bytes)) {
				t.Fatal("error contains the key material")
			}
			return
		}
		if k.N.BitLen() < scr.MinKeyBits {
			t.Fatalf("accepted a %d-bit key", k.N.BitLen())
		}
	})
}
