package abci

import (
	"errors"
	"testing"
)

func TestSnapshotConfigValidateNamesField(t *testing.T) {
	for _, tc := range []struct {
		field  string
		mutate func(*SnapshotConfig)
	}{
		{"Interval", func(c *SnapshotConfig) { c.Interval = -1 }},
		{"KeepRecent", func(c *SnapshotConfig) { c.KeepRecent = 0 }},
		{"ChunkSize", func(c *SnapshotConfig) { c.ChunkSize = 1023 }},
		{"Dir", func(c *SnapshotConfig) { c.Dir = "" }},
	} {
		c := DefaultSnapshotConfig(t.TempDir())
		tc.mutate(&c)
		err := c.Validate()
		var ce *ConfigError
		if !errors.Is(err, ErrInvalidConfig) || !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%s: got %v", tc.field, err)
		}
	}
	if err := DefaultSnapshotConfig(t.TempDir()).Validate(); err != nil {
		t.Fatal(err)
	}
}
