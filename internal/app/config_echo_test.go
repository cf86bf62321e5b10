package app

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/postident-connector/postident-connector/internal/scr"
)

// TestNoConfigErrorEchoesAValue: whatever value a variable gets, no error
// of loading, validating or building the clients from it repeats the value
// (issue 16: a secret pasted into the wrong variable must not reach a
// log); the errors name the variable. Every variable of Config, from its
// env tag, so a new one is covered the day it is added. Failed before for
// ROLES, KAFKA_BROKERS, POSTIDENT_CLIENT_ID, WEBHOOK_ALLOWED_CIDRS and
// WEBHOOK_TRUSTED_PROXIES.
func TestNoConfigErrorEchoesAValue(t *testing.T) {
	const secret = "S3cr3t P4ss,w0rd/9:x%q"
	base := map[string]string{
		"POSTIDENT_CLIENT_ID": "ABCD1234", "POSTIDENT_USERNAME": "u", "POSTIDENT_PASSWORD": "p",
		"POSTIDENT_BASE_URL": "https://postident.example/api/scr/v1", "POSTIDENT_REQUIRE_ENCRYPTION": "false",
		"KAFKA_BROKERS": "127.0.0.1:9092", "WEBHOOK_ALLOW_UNAUTHENTICATED": "true",
	}
	if errs := configErrors(base); len(errs) > 0 {
		t.Fatalf("the base configuration fails: %v", errs)
	}
	n := 0
	walkEnv(func(name, _ string, _ reflect.StructField) {
		n++
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		env[name] = secret
		for _, err := range configErrors(env) {
			for _, part := range []string{"S3cr3t", "P4ss", "w0rd"} {
				if strings.Contains(err.Error(), part) {
					t.Errorf("%s: the error repeats the value: %v", name, err)
				}
			}
		}
	})
	if n < 50 {
		t.Fatalf("only %d variables walked", n)
	}
}

// configErrors is what `check` and `run` report for env before contacting
// anything: loading, validation, and building the clients' configurations.
func configErrors(env map[string]string) []error {
	cfg, err := LoadConfigFrom(context.Background(), env)
	if err != nil {
		return []error{err}
	}
	var errs []error
	if err := cfg.Validate(false); err != nil {
		errs = append(errs, err)
	}
	if kc, err := cfg.KafkaClientConfig(); err != nil {
		errs = append(errs, err)
	} else if err := kc.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c, err := scr.New(cfg.scrConfig("test")); err != nil {
		errs = append(errs, err)
	} else {
		c.Close()
	}
	if _, err := cfg.NewCodec(); err != nil {
		errs = append(errs, err)
	}
	return errs
}
