package daemon

import (
	"log/slog"
	"path/filepath"

	"github.com/cometsync/cometsync/driver"
	"github.com/cometsync/cometsync/internal/cmtbadger"
)

// applyReads sets dcfg's verified reads (or agreement) from the configuration and, with
// verification on, opens the light store, which the returned function closes.
func applyReads(home string, c Config, dcfg *driver.Config, log *slog.Logger) (func(), error) {
	if err := c.Reads.Apply(home, dcfg); err != nil {
		return nil, readsError(err)
	}
	if !dcfg.Verify.Enabled {
		return func() {}, nil
	}
	p := c.Reads.LightStorePath(home)
	db, err := cmtbadger.Open(filepath.Base(p), filepath.Dir(p), log)
	if err != nil {
		return nil, err
	}
	dcfg.Verify.Store = db
	return func() { _ = db.Close() }, nil
}
