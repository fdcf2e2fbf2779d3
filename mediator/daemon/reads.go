package daemon

import (
	"log/slog"

	"github.com/cometsync/cometsync/driver"
)

// applyReads sets dcfg's verified reads (or agreement) from the configuration and, with
// verification on, opens the light store, which the returned function closes.
func applyReads(home string, c Config, dcfg *driver.Config, log *slog.Logger) (func(), error) {
	closeStore, err := c.Reads.Open(home, dcfg, log)
	if err != nil {
		return nil, readsError(err)
	}
	return closeStore, nil
}
