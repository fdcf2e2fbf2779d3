package badgerx

import "github.com/dgraph-io/badger/v4"

// Each calls fn with the key (without prefix) and value of every entry under prefix, in
// key order; it stops at fn's first error and returns it.
func Each(txn *badger.Txn, prefix []byte, fn func(k, v []byte) error) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		v, err := it.Item().ValueCopy(nil)
		if err != nil {
			return err
		}
		if err := fn(it.Item().KeyCopy(nil)[len(prefix):], v); err != nil {
			return err
		}
	}
	return nil
}
