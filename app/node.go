package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/mempool"
	cmtnode "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	"github.com/dgraph-io/badger/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/cometsync/cometsync/abci"
	"github.com/cometsync/cometsync/abci/core"
	"github.com/cometsync/cometsync/app/api"
	"github.com/cometsync/cometsync/crypto"
	"github.com/cometsync/cometsync/internal/cmtbadger"
	"github.com/cometsync/cometsync/seqapi"
)

// Node is a running sequencer node. It implements api.Backend.
type Node struct {
	home   string
	cmtCfg *cmtcfg.Config
	cfg    Config
	logger *slog.Logger

	db       *badger.DB
	app      *abci.App
	cmt      *cmtnode.Node
	registry *prometheus.Registry
	api      *api.Server
	grpc     *grpc.Server
	apiLis   net.Listener
	metrics  *http.Server
	seqID    string

	stopOnce sync.Once
	// stopping is set when Stop begins: CometBFT's closed-listener errors are debug then.
	stopping atomic.Bool
	stopped  chan struct{}
	done     chan struct{} // closed when Stop has finished

	failure  failure     // why the node stopped itself, if it did
	starting atomic.Bool // Start runs: a failure meanwhile is Start's to return
	// background counts the goroutines that read the application database on their own
	// (checkIntegrity); Stop waits for them before closing it.
	background sync.WaitGroup
	light      lightStateStore // for the light blocks the proof service serves
}

// trackReadiness marks the API ready once CometBFT is no longer block- or state-syncing,
// re-checking at every commit.
func (n *Node) trackReadiness() {
	for {
		notify := n.app.CommitNotify()
		n.api.SetReady(!n.cmt.ConsensusReactor().WaitSync())
		select {
		case <-notify:
		case <-n.stopped:
			return
		}
	}
}

var _ api.Backend = (*Node)(nil)

// Open loads the home and prepares a node; Start runs it.
func Open(home string, logger *slog.Logger) (*Node, error) {
	cmtCfg, cfg, err := LoadConfig(home)
	if err != nil {
		return nil, err
	}
	n := &Node{home: home, cmtCfg: cmtCfg, cfg: cfg, logger: logger, registry: prometheus.NewRegistry(), done: make(chan struct{})}
	if kf, _, err := crypto.ReadKeyFile(filepath.Join(home, "config", SequencerKeyFile)); err == nil {
		n.seqID = kf.Member
	}
	return n, nil
}

// Start opens the databases and starts CometBFT, the gRPC API and the metrics server.
// On error everything started so far is stopped again. A damaged application database
// is refused with an error matching badgerx.ErrCorrupt that names it and says how to
// rebuild it (abci.RecoverHint); CometBFT's own databases likewise (cmtbadger). Once
// started, a node whose application fails, whose database turns out damaged while
// serving, or whose CometBFT consensus fails stops itself (Done, Err).
func (n *Node) Start() (err error) {
	n.starting.Store(true)
	defer func() {
		n.starting.Store(false)
		if ferr := n.Err(); ferr != nil {
			err = ferr // failed while starting (fail leaves the stop to Start): the cause, not its echo
		}
		if err != nil {
			n.Stop()
		}
	}()
	if n.db, err = abci.OpenDB(AppDBDir(n.home), n.logger); err != nil {
		return err
	}
	if n.app, err = abci.NewApp(n.db, n.logger.With("module", "abci")); err != nil {
		return err
	}
	n.app.SetObserver(NewMetrics(n.registry))
	n.app.SetFailureHandler(n.appFailed)
	n.app.SetRetainBlocks(n.cfg.MinRetainBlocks)
	n.app.SetPruneSchedule(abci.PruneSchedule{Interval: n.cfg.PruningInterval, Retention: n.cfg.PruningRetention})
	sc := abci.DefaultSnapshotConfig(filepath.Join(n.home, "data", "snapshots"))
	sc.Interval, sc.KeepRecent = n.cfg.SnapshotInterval, n.cfg.SnapshotKeepRecent
	if err = n.app.EnableSnapshots(sc); err != nil {
		return err
	}
	if err = n.startCometBFT(); err != nil {
		return err
	}
	if err = n.startAPI(); err != nil {
		return err
	}
	return n.startMetrics()
}

func (n *Node) startCometBFT() error {
	nodeKey, err := p2p.LoadNodeKey(n.cmtCfg.NodeKeyFile())
	if err != nil {
		return fmt.Errorf("load node key: %w", err)
	}
	pv := privval.LoadFilePV(n.cmtCfg.PrivValidatorKeyFile(), n.cmtCfg.PrivValidatorStateFile())
	// cmtbadger serves db_backend = "badgerdb" without cometbft-db's build tag.
	dbs := closingDBProvider(cmtbadger.Provider(n.logger.With("module", "cometbft-db")))
	// The peer filter closes the connections a stopping node's switch still completes
	// (abci.App.RefusePeers); it accepts every peer otherwise.
	n.cmtCfg.FilterPeers = true
	n.cmt, err = cmtnode.NewNode(n.cmtCfg, pv, nodeKey, proxy.NewConnSyncLocalClientCreator(n.app),
		cmtnode.DefaultGenesisDocProviderFunc(n.cmtCfg), dbs,
		cmtnode.DefaultMetricsProvider(n.cmtCfg.Instrumentation), newCmtLogger(n.logger, &n.stopping).onConsensusFailure(n.consensusFailed))
	if err != nil {
		return fmt.Errorf("create CometBFT node: %w", err)
	}
	if err := n.cmt.Start(); err != nil {
		return fmt.Errorf("start CometBFT: %w", err)
	}
	return nil
}

func (n *Node) startAPI() error {
	m, err := api.NewPrometheusMetrics(n.registry)
	if err != nil {
		return err
	}
	ac := n.cfg.apiConfig()
	ac.Metrics = m
	n.api, err = api.NewServer(n, ac, n.logger.With("module", "api"))
	if err != nil {
		return err
	}
	tlsOpts, err := n.cfg.APITLS(n.home).ServerOptions()
	if err != nil {
		return fmt.Errorf("sequencer API (api_tls_* in config/cometsync.toml): %w", err)
	}
	n.apiLis, err = net.Listen("tcp", n.cfg.APIListenAddress)
	if err != nil {
		return fmt.Errorf("listen for the sequencer API on %s: %w", n.cfg.APIListenAddress, err)
	}
	n.grpc = grpc.NewServer(append(n.api.ServerOptions(), tlsOpts...)...)
	n.api.Register(n.grpc)
	n.api.SetReady(false)
	n.stopped = make(chan struct{})
	go n.trackReadiness()
	if n.cfg.IntegrityCheckInterval > 0 {
		n.background.Add(1)
		go n.checkIntegrity(n.cfg.IntegrityCheckInterval)
	}
	if n.cfg.PruningInterval > 0 {
		n.background.Add(1)
		go n.acknowledgeOwnStream(n.cfg.PruningInterval)
		n.background.Add(1)
		go n.trimWALEvery(n.cfg.PruningInterval)
	}
	go func() {
		if err := n.grpc.Serve(n.apiLis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			n.logger.Error("sequencer API stopped", "err", err)
		}
	}()
	n.logger.Info("sequencer API listening", "address", n.apiLis.Addr().String(), "tls", len(tlsOpts) > 0, "client_certificates", n.cfg.APITLSClientCAFile != "")
	return nil
}

func (n *Node) startMetrics() error {
	if n.cfg.MetricsListenAddress == "" {
		return nil
	}
	lis, err := net.Listen("tcp", n.cfg.MetricsListenAddress)
	if err != nil {
		return fmt.Errorf("listen for metrics on %s: %w", n.cfg.MetricsListenAddress, err)
	}
	gatherers := prometheus.Gatherers{n.registry, prometheus.DefaultGatherer}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(gatherers, promhttp.HandlerOpts{}))
	n.metrics = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = n.metrics.Serve(lis) }()
	return nil
}

// Stop shuts the node down: API first (so no new work arrives), then CometBFT, then the
// database. It is safe to call more than once.
func (n *Node) Stop() {
	n.stopOnce.Do(func() {
		n.stopping.Store(true)
		if n.stopped != nil {
			close(n.stopped)
		}
		if n.api != nil {
			n.api.Close()
		}
		if n.grpc != nil {
			n.grpc.Stop()
		}
		if n.metrics != nil {
			_ = n.metrics.Close()
		}
		if n.app != nil {
			n.app.RefusePeers()
		}
		if n.cmt != nil && n.cmt.IsRunning() {
			if err := n.cmt.Stop(); err != nil {
				n.logger.Error("stop CometBFT", "err", err)
			}
			n.cmt.Wait()
		}
		n.background.Wait()
		if n.db != nil {
			if err := n.db.Close(); err != nil {
				n.logger.Error("close application database", "err", err)
			}
		}
		close(n.done)
	})
}

// APIAddress is the address the gRPC sequencer API listens on.
func (n *Node) APIAddress() string { return n.apiLis.Addr().String() }

// Home is the node's home directory.
func (n *Node) Home() string { return n.home }

// CometBFT exposes the underlying CometBFT node (for tests and status).
func (n *Node) CometBFT() *cmtnode.Node { return n.cmt }

// App exposes the ABCI application.
func (n *Node) App() *abci.App { return n.app }

// Registry is the node's Prometheus registry.
func (n *Node) Registry() *prometheus.Registry { return n.registry }

// SynchronizerID implements api.Backend.
func (n *Node) SynchronizerID() string {
	if m := n.app.Machine(); m != nil {
		return m.Genesis().SynchronizerID
	}
	return ""
}

// SequencerID implements api.Backend.
func (n *Node) SequencerID() string { return n.seqID }

// Machine implements api.Backend.
func (n *Node) Machine() *core.Machine { return n.app.Machine() }

// Batches implements api.Backend: the application fills the cache at each commit.
func (n *Node) Batches() *core.BatchCache { return n.app.Batches() }

// Snapshot implements api.Backend. A panic inside a read (badger decoding a damaged
// block) comes back as an error matching badgerx.ErrCorrupt.
func (n *Node) Snapshot() (core.Reader, func()) {
	r, release := n.app.Snapshot()
	return guardedReader{r: r, dir: n.db.Opts().Dir}, release
}

// CommitNotify implements api.Backend.
func (n *Node) CommitNotify() <-chan struct{} { return n.app.CommitNotify() }

// LastCommittedTimeMicros implements api.Backend.
func (n *Node) LastCommittedTimeMicros() int64 { return n.app.Meta().LastTimestampMicros }

// Submit implements api.Backend: it runs the submission through CometBFT's mempool and
// returns the application's CheckTx verdict.
func (n *Node) Submit(ctx context.Context, tx []byte, sub *core.Submission) error {
	m := n.app.Machine()
	if m == nil {
		return errors.New("chain not initialized yet")
	}
	// Verified here, on the API's goroutine, rather than in CheckTx, which CometBFT runs
	// one at a time (a batch from SendBatch is already in the signature cache).
	if sub != nil { // nil: an acknowledgement, which CheckTx verifies
		if err := m.AuthenticateDecoded(sub); err != nil {
			return err
		}
		defer n.app.Decoded(tx, sub)()
	}
	resCh := make(chan *abcitypes.ResponseCheckTx, 1)
	err := n.cmt.Mempool().CheckTx(tx, func(res *abcitypes.ResponseCheckTx) {
		select {
		case resCh <- res:
		default:
		}
	}, mempool.TxInfo{})
	if errors.Is(err, mempool.ErrTxInCache) {
		return nil // already in the mempool or recently committed: the sender's receipt will tell
	}
	if err != nil {
		return fmt.Errorf("mempool: %w", err)
	}
	select {
	case res := <-resCh:
		if res.Code != 0 {
			return &core.SubmissionError{Code: seqapi.Code(res.Code), Reason: res.Log}
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
