package daemon

import (
	"errors"
	"fmt"
)

// ErrInvalidConfig is what a ConfigError wraps.
var ErrInvalidConfig = errors.New("invalid mediator node config")

// ConfigError names the NodeConfig field that is invalid.
type ConfigError struct {
	Field, Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%v: %s: %s", ErrInvalidConfig, e.Field, e.Reason)
}

// Unwrap returns ErrInvalidConfig.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }
