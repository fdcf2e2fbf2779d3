package core

import (
	"crypto/sha256"
	"encoding/binary"
	"runtime"
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

// sigCacheKey binds the verifying key, the request (by its digest) and the signature.
// It hashes a fixed-size record on the stack: it runs several times per submission.
func sigCacheKey(key crypto.SigningPublicKey, s *Submission) [sha256.Size]byte {
	// purpose, then key, digest and signature each with a 4-byte length (Ed25519 sizes;
	// a longer signature from the network only makes append allocate).
	var buf [4 + (4 + 32) + (4 + sha256.Size) + (4 + 64)]byte
	rec := binary.BigEndian.AppendUint32(buf[:0], uint32(crypto.PurposeSubmissionRequest))
	for _, field := range [][]byte{key.Key, s.digest[:], s.Signed.Signature} {
		rec = binary.BigEndian.AppendUint32(rec, uint32(len(field)))
		rec = append(rec, field...)
	}
	return sha256.Sum256(rec)
}

// verify checks the signature of s with key over the submission-request purpose,
// consulting the cache. Submission signatures are checked under the ZIP-215 rules
// (crypto.VerifyZIP215), so that verifyBatch and verify always agree.
func (c *sigCache) verify(key crypto.SigningPublicKey, s *Submission) error {
	k := sigCacheKey(key, s)
	if c.has(k) {
		return nil
	}
	if err := key.VerifyZIP215(crypto.PurposeSubmissionRequest, s.Signed.Request, s.Signed.Signature); err != nil {
		return err
	}
	c.add(k)
	return nil
}

// signed is one signature for verifyBatch.
type signed struct {
	key crypto.SigningPublicKey
	sub *Submission
}

// verifyBatch verifies the signatures not in the cache in batches (one per core when
// there are enough of them) and remembers the ones that verify; a later verify of those
// is a cache hit. It reports nothing: callers go on with verify, which for a signature
// that failed here verifies it again alone and says why. Batch verification draws
// random coefficients; a batch with a bad signature passes with probability 2^-128 at
// most (the same bound CometBFT accepts when it verifies commits in batches), so the
// verdicts it caches are those of verifying each signature alone.
func (c *sigCache) verifyBatch(items []signed) {
	var todo []signed
	var keys [][sha256.Size]byte
	for _, it := range items {
		k := sigCacheKey(it.key, it.sub)
		if c.has(k) {
			continue
		}
		todo = append(todo, it)
		keys = append(keys, k)
	}
	if len(todo) < 2 {
		return // one signature alone: verify is as fast
	}
	parts := min(runtime.GOMAXPROCS(0), len(todo)/minBatchPerCore)
	if parts <= 1 {
		c.verifyPart(todo, keys)
		return
	}
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*len(todo)/parts, (p+1)*len(todo)/parts
		wg.Go(func() { c.verifyPart(todo[lo:hi], keys[lo:hi]) })
	}
	wg.Wait()
}

// minBatchPerCore is the smallest batch worth a core of its own: batches gain most of
// their speed-up by 8 signatures.
const minBatchPerCore = 8

func (c *sigCache) verifyPart(items []signed, keys [][sha256.Size]byte) {
	bv := crypto.NewBatchVerifier()
	for _, it := range items {
		bv.Add(it.key, crypto.PurposeSubmissionRequest, it.sub.Signed.Request, it.sub.Signed.Signature)
	}
	for i, ok := range bv.Verify() {
		if ok {
			c.add(keys[i])
		}
	}
}

func (c *sigCache) has(k [sha256.Size]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.set[k]
	return ok
}

func (c *sigCache) add(k [sha256.Size]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.set[k]; ok {
		return
	}
	if len(c.order) < sigCacheSize {
		c.order = append(c.order, k)
	} else {
		delete(c.set, c.order[c.next])
		c.order[c.next] = k
		c.next = (c.next + 1) % sigCacheSize
	}
	c.set[k] = struct{}{}
}
