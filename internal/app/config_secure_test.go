package app

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"
)

// secureBase is a production-shaped configuration that Validate accepts.
func secureBase() map[string]string {
	return map[string]string{
		"POSTIDENT_CLIENT_ID":        "1234ABCD",
		"POSTIDENT_USERNAME":         "api-user",
		"POSTIDENT_PASSWORD":         "api-secret",
		"POSTIDENT_PRIVATE_KEY_FILE": "/run/secrets/postident.pem",
		"POSTIDENT_DATA_PASSWORD":    "data-secret",
		"KAFKA_BROKERS":              "kafka-1.example.net:9093",
		"WEBHOOK_USERNAME":           "postident",
		"WEBHOOK_PASSWORD":           "webhook-secret",
	}
}

// TestSecureDefaults: outside dev mode, the connector refuses settings that
// would put a credential or personal data on the wire in clear, unless the
// operator opts in by name; each refusal says what to change.
func TestSecureDefaults(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		dev  bool
		want string // substring of the error; "" = accepted
	}{
		{"production defaults", nil, false, ""},
		{"http POSTIDENT to a remote host", map[string]string{"POSTIDENT_BASE_URL": "http://postident-sim:8090/api/scr/v1"}, false, "POSTIDENT_ALLOW_INSECURE_HTTP=true"},
		{"http POSTIDENT to a remote host, opted in", map[string]string{"POSTIDENT_BASE_URL": "http://postident-sim:8090/api/scr/v1", "POSTIDENT_ALLOW_INSECURE_HTTP": "true"}, false, ""},
		{"http POSTIDENT on loopback", map[string]string{"POSTIDENT_BASE_URL": "http://127.0.0.1:8090/api/scr/v1"}, false, ""},
		{"http POSTIDENT on localhost", map[string]string{"POSTIDENT_BASE_URL": "http://localhost:8090/api/scr/v1"}, false, ""},
		{"http POSTIDENT on IPv6 loopback", map[string]string{"POSTIDENT_BASE_URL": "http://[::1]:8090/api/scr/v1"}, false, ""},
		{"http POSTIDENT, name that only looks local", map[string]string{"POSTIDENT_BASE_URL": "http://localhost.evil.example/api/scr/v1"}, false, "POSTIDENT_ALLOW_INSECURE_HTTP"},
		{"http POSTIDENT in dev mode", map[string]string{"POSTIDENT_BASE_URL": "http://postident-sim:8090/api/scr/v1"}, true, ""},
		{"SASL PLAIN without TLS", map[string]string{"KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p"}, false, "KAFKA_SASL_ALLOW_PLAINTEXT=true"},
		{"SASL plain (lower case) without TLS", map[string]string{"KAFKA_SASL_MECHANISM": "plain", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p"}, false, "KAFKA_TLS_ENABLED=true"},
		{"SASL PLAIN with TLS", map[string]string{"KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p", "KAFKA_TLS_ENABLED": "true"}, false, ""},
		{"SASL PLAIN without TLS, opted in", map[string]string{"KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p", "KAFKA_SASL_ALLOW_PLAINTEXT": "true"}, false, ""},
		{"SCRAM without TLS (no password on the wire)", map[string]string{"KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p"}, false, ""},
		{"registry over http with credentials", map[string]string{"SCHEMA_REGISTRY_URL": "http://registry.example.net:8081", "SCHEMA_REGISTRY_USERNAME": "u", "SCHEMA_REGISTRY_PASSWORD": "p"}, false, "SCHEMA_REGISTRY_ALLOW_INSECURE_HTTP=true"},
		{"registry over http with credentials, opted in", map[string]string{"SCHEMA_REGISTRY_URL": "http://registry.example.net:8081", "SCHEMA_REGISTRY_USERNAME": "u", "SCHEMA_REGISTRY_PASSWORD": "p", "SCHEMA_REGISTRY_ALLOW_INSECURE_HTTP": "true"}, false, ""},
		{"registry over http without credentials", map[string]string{"SCHEMA_REGISTRY_URL": "http://schema-registry:8081"}, false, ""},
		{"registry over https with credentials", map[string]string{"SCHEMA_REGISTRY_URL": "https://registry.example.net", "SCHEMA_REGISTRY_USERNAME": "u", "SCHEMA_REGISTRY_PASSWORD": "p"}, false, ""},
		{"registry on loopback with credentials", map[string]string{"SCHEMA_REGISTRY_URL": "http://127.0.0.1:8081", "SCHEMA_REGISTRY_USERNAME": "u", "SCHEMA_REGISTRY_PASSWORD": "p"}, false, ""},
		{"registry URL not a URL", map[string]string{"SCHEMA_REGISTRY_URL": "registry:8081"}, false, "SCHEMA_REGISTRY_URL must be an absolute http(s) URL"},
		{"webhook without authentication", map[string]string{"WEBHOOK_USERNAME": "", "WEBHOOK_PASSWORD": ""}, false, "WEBHOOK_ALLOW_UNAUTHENTICATED=true"},
		{"encryption off by default on the production host", map[string]string{"POSTIDENT_PRIVATE_KEY_FILE": "", "POSTIDENT_DATA_PASSWORD": ""}, false, "POSTIDENT_PRIVATE_KEY_FILE is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			env := secureBase()
			maps.Copy(env, tc.env)
			cfg, err := LoadConfigFrom(ctx, env)
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.Validate(tc.dev)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("accepted; want an error naming %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("error %q does not name %q", err, tc.want)
			}
			for _, secret := range []string{"api-secret", "data-secret", "webhook-secret"} {
				if err != nil && strings.Contains(err.Error(), secret) {
					t.Fatalf("the error repeats a secret: %v", err)
				}
			}
		})
	}
}
