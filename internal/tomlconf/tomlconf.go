// Package tomlconf reads and writes the small TOML configuration files of participant
// and mediator homes.
package tomlconf

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/viper"

	"github.com/cometsync/cometsync/crypto"
)

// Load reads the TOML file path into into (a struct with mapstructure tags, holding the
// defaults for keys the file does not set).
func Load(path string, into any) error {
	v := viper.New()
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		return fmt.Errorf("read %s: %w", filepath.Base(path), err)
	}
	if err := v.Unmarshal(into); err != nil {
		return fmt.Errorf("parse %s: %w", filepath.Base(path), err)
	}
	return nil
}

// List renders ss as a TOML array of strings.
func List(ss []string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(out, ", ") + "]"
}

// FieldError is what the Check functions return: the key of the bad setting and why. A
// component turns it into its own ConfigError (errors.As, then Field and Reason).
type FieldError struct {
	Field, Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// CheckMember checks that id is a member id of kind (KIND::name::namespace).
func CheckMember(field, id string, kind crypto.MemberKind) error {
	m, err := crypto.ParseMember(id)
	if err != nil {
		return &FieldError{field, err.Error()}
	}
	if m.Kind != kind {
		return &FieldError{field, fmt.Sprintf("%s is not a %s member id (%s::name::namespace)", id, kind, kind)}
	}
	return nil
}

// CheckEndpoints checks a non-empty list of host:port addresses.
func CheckEndpoints(field string, addrs []string) error {
	if len(addrs) == 0 {
		return &FieldError{field, "at least one endpoint is needed"}
	}
	for _, a := range addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return &FieldError{field, fmt.Sprintf("%q: %v", a, err)}
		}
	}
	return nil
}

// CheckOptionalAddress checks that addr is empty (off) or a host:port address.
func CheckOptionalAddress(field, addr string) error {
	if addr == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return &FieldError{field, fmt.Sprintf("%q: %v (empty turns it off)", addr, err)}
	}
	return nil
}

// DefaultPruneInterval is how often a member with prune_retention set prunes when
// prune_interval is empty.
const DefaultPruneInterval = time.Hour

// PruneSchedule parses a member's automatic pruning settings, the prune_retention and
// prune_interval keys: retention 0 (an empty retention) is off, an empty interval is
// DefaultPruneInterval. A bad value is a *FieldError naming its key.
func PruneSchedule(retentionValue, intervalValue string) (retention, interval time.Duration, err error) {
	interval = DefaultPruneInterval
	if intervalValue != "" {
		if interval, err = time.ParseDuration(intervalValue); err != nil || interval <= 0 {
			return 0, 0, &FieldError{"prune_interval", fmt.Sprintf("%q: want a positive duration such as \"1h\"", intervalValue)}
		}
	}
	if retentionValue == "" {
		return 0, interval, nil
	}
	if retention, err = time.ParseDuration(retentionValue); err != nil || retention <= 0 {
		return 0, 0, &FieldError{"prune_retention", fmt.Sprintf("%q: want a positive duration such as \"720h\", or empty for no automatic pruning", retentionValue)}
	}
	return retention, interval, nil
}
