package daemon_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cometsync/cometsync/mediator/daemon"
)

// TestPruneSchedule: automatic pruning is off by default, reads its retention and
// interval, and refuses malformed durations naming the key.
func TestPruneSchedule(t *testing.T) {
	c := daemon.DefaultConfig()
	if r, i, err := c.PruneSchedule(); err != nil || r != 0 || i != daemon.DefaultPruneInterval {
		t.Fatalf("default: retention %v, interval %v, %v; want off", r, i, err)
	}
	c.PruneRetention, c.PruneInterval = "720h", "10m"
	if r, i, err := c.PruneSchedule(); err != nil || r != 720*time.Hour || i != 10*time.Minute {
		t.Fatalf("set: retention %v, interval %v, %v", r, i, err)
	}
	for key, bad := range map[string]daemon.Config{
		"prune_retention": {PruneRetention: "a month"},
		"prune_interval":  {PruneRetention: "1h", PruneInterval: "-1s"},
	} {
		_, _, err := bad.PruneSchedule()
		var ce *daemon.ConfigError
		if !errors.As(err, &ce) || ce.Field != key || !strings.Contains(err.Error(), "duration") {
			t.Fatalf("%s: %v", key, err)
		}
	}
}
