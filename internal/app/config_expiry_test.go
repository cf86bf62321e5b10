package app

import (
	"maps"
	"strings"
	"testing"
	"time"
)

// TestStateExpiryAndRetentionConfig: the defaults (30 days of margin, no
// result retention) and the refusals of nonsense values.
func TestStateExpiryAndRetentionConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // "" accepted
	}{
		{"defaults", nil, ""},
		{"margin of a week, retention of 90 days", map[string]string{"STATE_EXPIRY_MARGIN": "168h", "KAFKA_RESULT_RETENTION": "2160h"}, ""},
		{"margin below an hour", map[string]string{"STATE_EXPIRY_MARGIN": "10m"}, "STATE_EXPIRY_MARGIN must be at least 1h"},
		{"negative result retention", map[string]string{"KAFKA_RESULT_RETENTION": "-1h"}, "KAFKA_RESULT_RETENTION must be 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := secureBase()
			maps.Copy(env, tc.env)
			cfg, err := LoadConfigFrom(t.Context(), env)
			if err != nil {
				t.Fatal(err)
			}
			if tc.env == nil && (cfg.StateExpiryMargin != 720*time.Hour || cfg.Kafka.ResultRetention != 0) {
				t.Errorf("defaults: margin %s, result retention %s", cfg.StateExpiryMargin, cfg.Kafka.ResultRetention)
			}
			err = cfg.Validate(false)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
}
