package cmtbadger

import (
	"log/slog"

	dbm "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"
)

// Provider returns a CometBFT database provider that opens db_backend = "badgerdb"
// databases with this package (logging to logger, nil discards) and any other backend
// with CometBFT's DefaultDBProvider. Pass it to node.NewNode instead of
// DefaultDBProvider.
func Provider(logger *slog.Logger) cmtcfg.DBProvider {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return func(ctx *cmtcfg.DBContext) (dbm.DB, error) {
		if ctx.Config.DBBackend != Backend {
			return cmtcfg.DefaultDBProvider(ctx)
		}
		return Open(ctx.ID, ctx.Config.DBDir(), logger.With("db", ctx.ID))
	}
}
