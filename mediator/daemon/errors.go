package daemon

import (
	"errors"
	"fmt"
)

// ErrInvalidConfig is what a ConfigError wraps.
var ErrInvalidConfig = errors.New("invalid mediator config")

// ConfigError names the field of a Config (its TOML key) or NodeConfig that is invalid.
type ConfigError struct {
	Field, Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%v: %s: %s", ErrInvalidConfig, e.Field, e.Reason)
}

// Unwrap returns ErrInvalidConfig.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }
