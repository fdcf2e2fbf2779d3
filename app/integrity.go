package app

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/cometsync/cometsync/abci"
	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/app/api"
	"github.com/cometsync/cometsync/internal/badgerx"
)

// ErrNodeFailed is what Node.Err unwraps to when the node stopped itself: its
// application database turned out damaged while serving, or CometBFT's consensus
// failed. The node never goes on half-alive: it turns NOT_SERVING, ends its members'
// streams with FailedPrecondition (they move to another node) and stops, and Done is
// closed.
var ErrNodeFailed = errors.New("sequencer node failed")

// failure is the node's record of why it stopped itself.
type failure struct {
	once  sync.Once
	mu    sync.Mutex
	err   error
	judge sync.Mutex // one database verification at a time
	// healthyAt is when a verification on a read failure last found the database healthy
	// (under judge): read failures within readJudgeInterval after it are not verified
	// again. A read can come back short without damage, while a block too large for one
	// badger transaction is applied in parts, and one verification reads the whole
	// database.
	healthyAt time.Time
}

// readJudgeInterval is how long a verification that found the database healthy answers
// for later read failures.
const readJudgeInterval = time.Minute

// fail stops the node for cause, once: readiness and liveness NOT_SERVING, streams
// ended with FailedPrecondition (drainAndStop lets them end before the server stops),
// then Stop on a goroutine of its own (fail may run on CometBFT's consensus goroutine,
// which Stop waits for).
func (n *Node) fail(cause error) {
	if n.stopping.Load() {
		return // a failure on the way down (a stop interrupting a block) is the stop's
	}
	n.failure.once.Do(func() {
		err := fmt.Errorf("%w: %w", ErrNodeFailed, cause)
		n.failure.mu.Lock()
		n.failure.err = err
		n.failure.mu.Unlock()
		n.logger.Error("the node stops: it cannot go on serving", "err", cause)
		if n.starting.Load() {
			return // Start returns the failure and stops the node
		}
		n.api.Fail(cause)
		go n.drainAndStop()
	})
}

// failDrain bounds how long a failed node waits for its API calls to end (the streams
// with FailedPrecondition, so that members learn why) before it stops hard.
const failDrain = 5 * time.Second

func (n *Node) drainAndStop() {
	drained := make(chan struct{})
	go func() {
		n.grpc.GracefulStop()
		close(drained)
	}()
	timer := time.NewTimer(failDrain)
	defer timer.Stop()
	select {
	case <-drained:
	case <-timer.C:
	}
	n.Stop()
}

// Err returns why the node stopped itself (matching ErrNodeFailed, and
// badgerx.ErrCorrupt when its application database is damaged), or nil.
func (n *Node) Err() error {
	n.failure.mu.Lock()
	defer n.failure.mu.Unlock()
	return n.failure.err
}

// Done is closed when the node has stopped, by Stop or by itself (then Err says why).
func (n *Node) Done() <-chan struct{} { return n.done }

// judgeAppFailure is what an error of the application's own work (executing or
// committing a block, reading committed state) means: when the application database
// turns out damaged (badgerx.Verify, run since badger reports a block failing its
// checksum as a key not found), the damage, naming the database and how to rebuild it;
// else nil.
func (n *Node) judgeAppFailure(err error) error {
	n.failure.judge.Lock()
	defer n.failure.judge.Unlock()
	if cur := n.Err(); cur != nil {
		return cur
	}
	verr := badgerx.Verify(n.db)
	if verr == nil && badgerx.IsCorrupt(err) {
		verr = err
	}
	if verr == nil {
		return nil
	}
	return badgerx.Damaged("application database", abci.RecoverHint, fmt.Errorf("%w (found after: %v)", verr, err))
}

// JudgeReadFailure implements api.FailureJudge: a subscription's failed read stops the
// node when the application database is damaged.
func (n *Node) JudgeReadFailure(err error) error {
	n.failure.judge.Lock()
	recent := !n.failure.healthyAt.IsZero() && time.Since(n.failure.healthyAt) < readJudgeInterval
	n.failure.judge.Unlock()
	if recent {
		return nil
	}
	cause := n.judgeAppFailure(err)
	if cause == nil {
		n.failure.judge.Lock()
		n.failure.healthyAt = time.Now()
		n.failure.judge.Unlock()
	}
	if cause != nil {
		n.fail(cause)
	}
	return cause
}

var _ api.FailureJudge = (*Node)(nil)

// appFailed is the ABCI application's failure handler: executing or committing a block
// failed, so CometBFT's consensus stops; so does the node.
func (n *Node) appFailed(err error) {
	if cause := n.judgeAppFailure(err); cause != nil {
		err = cause
	}
	n.fail(fmt.Errorf("the application failed: %w", err))
}

// consensusFailed is told of CometBFT's "CONSENSUS FAILURE!!!" (its consensus routine
// recovered a panic and stopped for good, leaving the rest of the node up).
func (n *Node) consensusFailed(reason any) {
	err := fmt.Errorf("CometBFT consensus failure: %v", reason)
	if cause := n.judgeAppFailure(err); cause != nil {
		err = cause
	}
	n.fail(err)
}

// guardedReader turns a panic inside a read of committed state (badger decoding a
// damaged block) into an error matching badgerx.ErrCorrupt.
type guardedReader struct {
	r   core.Reader
	dir string
}

// recovered is deferred by Get.
func (g guardedReader) recovered(err *error) {
	if p := recover(); p != nil {
		*err = &badgerx.CorruptError{Dir: g.dir, Reason: fmt.Sprintf("a read panicked: %v", p)}
	}
}

func (g guardedReader) Get(key []byte) (v []byte, err error) {
	defer g.recovered(&err)
	return g.r.Get(key)
}

func (g guardedReader) Iterate(prefix, start []byte, fn func(key, value []byte) (bool, error)) (err error) {
	fnPanicked := false // a panic of fn is fn's, not the database's: it goes on up
	defer func() {
		if p := recover(); p != nil {
			if fnPanicked {
				panic(p)
			}
			err = &badgerx.CorruptError{Dir: g.dir, Reason: fmt.Sprintf("a read panicked: %v", p)}
		}
	}()
	return g.r.Iterate(prefix, start, func(key, value []byte) (bool, error) {
		fnPanicked = true
		more, err := fn(key, value)
		fnPanicked = false
		return more, err
	})
}

// AppDBDir is the directory of the application database in a node home.
func AppDBDir(home string) string { return filepath.Join(home, "data", "app") }

// CheckAppDB checks the application database of the node in home as Start does before
// opening it (badgerx.Check), without opening it: nil when healthy (or absent), else an
// error matching badgerx.ErrCorrupt that says how to rebuild it.
func CheckAppDB(home string) error {
	if err := badgerx.Check(AppDBDir(home)); err != nil {
		return badgerx.Damaged("application database", abci.RecoverHint, err)
	}
	return nil
}

// WipeAppDB removes the application database of the node in home, damaged or not, and
// refuses while a node holds it. The next start rebuilds it: CometBFT replays every
// block of the node's block store into the empty application (a node whose block store
// was pruned, min_retain_blocks, must state-sync instead).
func WipeAppDB(home string) error {
	return badgerx.Wipe(AppDBDir(home), home, "node", "cometsync node start")
}

// checkIntegrity verifies the application database every interval until the node
// stops, and stops the node when it finds damage: badger's reads do not report a block
// that fails its checksum, so damage to data the node reads rarely would otherwise show
// only as data missing. (The local clock paces the checks only; nothing replayed
// depends on it.)
func (n *Node) checkIntegrity(interval time.Duration) {
	defer n.background.Done()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
		case <-n.stopped:
			return
		}
		if err := badgerx.Verify(n.db); err != nil {
			n.fail(badgerx.Damaged("application database", abci.RecoverHint, fmt.Errorf("%w (found by the periodic check, integrity_check_interval)", err)))
			return
		}
	}
}
