package core

import (
	"crypto/sha256"
	"sync"

	"github.com/cometsync/cometsync/crypto"
)

// sigCache remembers signatures that verified, so that a submission is verified once
// although CometBFT checks it on admission, rechecks it after every block while it waits
// in the mempool, and executes it in FinalizeBlock. Verification is a pure function of
// (key, message, signature), so a hit returns exactly what verifying again would, and the
// cache cannot make two validators disagree. It is bounded and forgets in FIFO order.
type sigCache struct {
	mu    sync.Mutex
	set   map[[sha256.Size]byte]struct{}
	order [][sha256.Size]byte
	next  int
}

const sigCacheSize = 1 << 16

func newSigCache() *sigCache {
	return &sigCache{set: make(map[[sha256.Size]byte]struct{}, sigCacheSize), order: make([][sha256.Size]byte, 0, sigCacheSize)}
}

func sigCacheKey(key crypto.SigningPublicKey, msg, sig []byte) [sha256.Size]byte {
	h := crypto.NewHasher(crypto.PurposeSubmissionRequest).AddBytes(key.Key).AddBytes(msg).AddBytes(sig).Sum()
	return [sha256.Size]byte(h)
}

// verify checks sig with key over the submission-request purpose, consulting the cache.
func (c *sigCache) verify(key crypto.SigningPublicKey, msg, sig []byte) error {
	k := sigCacheKey(key, msg, sig)
	c.mu.Lock()
	_, ok := c.set[k]
	c.mu.Unlock()
	if ok {
		return nil
	}
	if err := key.Verify(crypto.PurposeSubmissionRequest, msg, sig); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.order) < sigCacheSize {
		c.order = append(c.order, k)
	} else {
		delete(c.set, c.order[c.next])
		c.order[c.next] = k
		c.next = (c.next + 1) % sigCacheSize
	}
	c.set[k] = struct{}{}
	return nil
}
