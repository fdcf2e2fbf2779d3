// Package tomlconf reads and writes the small TOML configuration files of participant
// and mediator homes.
package tomlconf

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"

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

// CheckMember checks that id is a member id of kind (KIND::name::namespace).
func CheckMember(field, id string, kind crypto.MemberKind) error {
	m, err := crypto.ParseMember(id)
	if err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	if m.Kind != kind {
		return fmt.Errorf("%s: %s is not a %s member id (%s::name::namespace)", field, id, kind, kind)
	}
	return nil
}

// CheckEndpoints checks a non-empty list of host:port addresses.
func CheckEndpoints(field string, addrs []string) error {
	if len(addrs) == 0 {
		return fmt.Errorf("%s: at least one endpoint is needed", field)
	}
	for _, a := range addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("%s: %q: %w", field, a, err)
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
		return fmt.Errorf("%s %q: %w (empty turns it off)", field, addr, err)
	}
	return nil
}
