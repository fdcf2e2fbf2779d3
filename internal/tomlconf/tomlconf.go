// Package tomlconf reads and writes the small TOML configuration files of participant
// and mediator homes.
package tomlconf

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/viper"
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
