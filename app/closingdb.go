package app

import (
	"sync"

	dbm "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"
)

// closingDB wraps a CometBFT database so that reads after Close find nothing instead
// of failing. Some CometBFT goroutines outlive Node.Stop (the consensus reactor's
// per-peer queryMaj23Routine, cometbft/cometbft#1878 and alike) and panic on the error a
// closed database returns; a read that finds nothing makes them skip their work and
// notice the node has stopped. Reads and Close are serialized, so a read never races the
// close itself.
type closingDB struct {
	dbm.DB
	mu     sync.RWMutex
	closed bool
}

func (d *closingDB) Get(key []byte) ([]byte, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return nil, nil
	}
	return d.DB.Get(key)
}

func (d *closingDB) Has(key []byte) (bool, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return false, nil
	}
	return d.DB.Has(key)
}

func (d *closingDB) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	return d.DB.Close()
}

// closingDBProvider wraps each database that provider opens in closingDB.
func closingDBProvider(provider cmtcfg.DBProvider) cmtcfg.DBProvider {
	return func(ctx *cmtcfg.DBContext) (dbm.DB, error) {
		db, err := provider(ctx)
		if err != nil {
			return nil, err
		}
		return &closingDB{DB: db}, nil
	}
}
