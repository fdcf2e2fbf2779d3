// Package cmtbadger is a CometBFT database backend (cometbft-db's dbm.DB) over badger v4,
// built into every cometsync binary.
//
// cometbft-db ships its own badger backend only behind the badgerdb build tag, so a plain
// `go build` or `go install` gave a node that failed at start with "unknown db_backend
// badgerdb". cometsync instead hands CometBFT a database provider (Provider) that opens
// this package's DB whenever the configuration says db_backend = "badgerdb" (Backend), and
// defers to CometBFT's default provider for any other backend. cometbft-db offers no
// exported way to register a backend, so nothing is registered: a binary built with
// -tags badgerdb still uses this package for CometBFT's databases, and cometbft-db's own
// badger creator is simply never called. Both use badger v4 and the same directory
// (<db_dir>/<name>, e.g. data/blockstore), so a home created by either opens with the
// other.
//
// Semantics follow dbm.DB: keys must be non-empty and values non-nil (ErrKeyEmpty,
// ErrValueNil); Get of a missing key returns nil and no error; iterators cover [start,
// end) with nil meaning unbounded on that side and read a consistent snapshot; a Batch
// is written in one badger transaction (atomically) unless it exceeds badger's
// transaction limits, in which case it is split like badger's WriteBatch; after Write or
// Close a batch returns ErrBatchClosed. The Sync variants call badger's Sync after the
// write.
package cmtbadger
