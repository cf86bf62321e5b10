package app

import (
	"errors"
	"fmt"
	"os"

	"github.com/postident-connector/postident-connector/internal/kafka"
)

// ExplainTopics adds to a topic creation error what to set: a broker that
// refuses the replication factor ("[38] Invalid Replication Factor") is the
// first thing a new user with one local broker used to meet.
func ExplainTopics(err error) error {
	var rfe *kafka.ReplicationFactorError
	if !errors.As(err, &rfe) {
		return err
	}
	most := max(rfe.Brokers, 1)
	if rfe.Requested < 0 {
		return fmt.Errorf("%w\n  the broker's default.replication.factor exceeds its %d broker(s): set KAFKA_REPLICATION_FACTOR=%d (at most the number of brokers), or lower default.replication.factor on the brokers", err, rfe.Brokers, most)
	}
	return fmt.Errorf("%w\n  set KAFKA_REPLICATION_FACTOR=-1 (the broker's default.replication.factor) or at most %d (the brokers the cluster has)", err, most)
}

// KeyFileWarning says, when the private key file can be read by group or
// others, what to do about it; "" when it cannot, or when the file cannot be
// examined (reading it reports that). A warning, not a refusal: Kubernetes
// secret volumes read by a non-root container need mode 0440 with an
// fsGroup (deploy/k8s does that), and Compose file secrets keep the host
// file's mode. Only the variable and the mode are named, never the content.
func KeyFileWarning(path string) string {
	if path == "" {
		return ""
	}
	fi, err := os.Stat(path) // follows the symlinks of secret volumes
	if err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	perm := fi.Mode().Perm()
	var who string
	switch {
	case perm&0o044 == 0o044:
		who = "group and others"
	case perm&0o004 != 0:
		who = "others"
	case perm&0o040 != 0:
		who = "its group"
	default:
		return ""
	}
	return fmt.Sprintf("POSTIDENT_PRIVATE_KEY_FILE is readable by %s (mode %04o): anyone who can read it can decrypt every result; chmod 0400 (or 0440 with a group only the connector is in, like a Kubernetes fsGroup)", who, perm)
}
