package bench

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/cometbft/cometbft/abci/example/kvstore"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/mempool"
	cmtnode "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	jsonrpcclient "github.com/cometbft/cometbft/rpc/jsonrpc/client"
	"github.com/cometbft/cometbft/types"

	"github.com/cometsync/cometsync/app"
	"github.com/cometsync/cometsync/internal/cmtbadger"
)

// kvSystem is CometBFT's kvstore example app on a one-validator chain created exactly
// like a cometsync node home (same CometBFT settings).
type kvSystem struct {
	node   *cmtnode.Node
	appDB  dbm.DB
	rpc    *rpchttp.HTTP // set: transactions go through CometBFT's RPC (broadcast_tx_sync)
	done   chan uint64
	cancel context.CancelFunc
	blocks blockClock

	// Admitted transactions not yet committed, for resubmission: CometBFT's mempool
	// may drop a transaction after CheckTx accepted it when it is nearly full (it then
	// forgets it, so the same bytes can be sent again), and nothing else would resend it.
	// The sequencer's driver does the same for its submissions.
	mu          sync.Mutex
	pending     map[uint64]pendingTx
	resubmitted int
}

type pendingTx struct {
	tx   []byte
	sent time.Time
}

// resubmitAfter is how long an admitted transaction may go without being committed
// before it is sent again: many block intervals, so that only lost ones are.
const resubmitAfter = 5 * time.Second

// startKVStore starts the chain; with rpcConns > 0, submissions are sent as a client
// would, through the node's RPC server (broadcast_tx_sync, which returns after CheckTx
// like the sequencer's Send) on up to rpcConns kept-alive connections, otherwise straight
// into the mempool in-process.
func startKVStore(dir string, rpcConns int) (*kvSystem, error) {
	home := filepath.Join(dir, "kvstore")
	rpcAddr := ""
	if rpcConns > 0 {
		addr, err := app.FreeAddress()
		if err != nil {
			return nil, err
		}
		rpcAddr = "tcp://" + addr
	}
	if _, err := initBenchHomeRPC(home, rpcAddr); err != nil {
		return nil, err
	}
	cfg, _, err := app.LoadConfig(home)
	if err != nil {
		return nil, err
	}
	nodeKey, err := p2p.LoadNodeKey(cfg.NodeKeyFile())
	if err != nil {
		return nil, err
	}
	pv := privval.LoadFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	// The kvstore keeps its state in badger under the node's data directory, like the
	// sequencer's application: both pay for persisting what they commit.
	appDB, err := cmtbadger.Open("kvstore-app", cfg.DBDir(), nil)
	if err != nil {
		return nil, err
	}
	n, err := cmtnode.NewNode(cfg, pv, nodeKey, proxy.NewLocalClientCreator(kvstore.NewApplication(appDB)),
		cmtnode.DefaultGenesisDocProviderFunc(cfg), cmtbadger.Provider(nil),
		cmtnode.DefaultMetricsProvider(cfg.Instrumentation), cmtLogger())
	if err != nil {
		appDB.Close()
		return nil, err
	}
	if err := n.Start(); err != nil {
		appDB.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &kvSystem{node: n, appDB: appDB, done: make(chan uint64, 1<<16), cancel: cancel, pending: make(map[uint64]pendingTx)}
	sub, err := n.EventBus().Subscribe(ctx, "bench", types.EventQueryNewBlock, 1024)
	if err != nil {
		s.close()
		return nil, err
	}
	go s.follow(ctx, sub)
	go s.resubmitLost(ctx)
	if rpcConns > 0 {
		if s.rpc, err = newRPCClient(rpcAddr, rpcConns); err != nil {
			s.close()
			return nil, err
		}
	}
	return s, nil
}

// newRPCClient is CometBFT's HTTP client with an idle pool of conns connections: the
// client's idle pool must not be what binds, each submitting goroutine keeps its own
// connection (the default of 2 idle connections per host would open and close one per
// call for the others).
func newRPCClient(addr string, conns int) (*rpchttp.HTTP, error) {
	hc, err := jsonrpcclient.DefaultHTTPClient(addr)
	if err != nil {
		return nil, err
	}
	if t, ok := hc.Transport.(*http.Transport); ok {
		t.MaxIdleConnsPerHost = conns
	}
	return rpchttp.NewWithClient(addr, "/websocket", hc)
}

func (s *kvSystem) follow(ctx context.Context, sub types.Subscription) {
	for {
		select {
		case msg := <-sub.Out():
			b := msg.Data().(types.EventDataNewBlock).Block
			s.blocks.observe(b.Height, b.Time)
			for _, tx := range b.Txs {
				if seq, ok := kvSeq(tx); ok {
					s.mu.Lock()
					delete(s.pending, seq)
					s.mu.Unlock()
					s.done <- seq
				}
			}
		case <-ctx.Done():
			return
		}
	}
}

// kvTx is "b<seq>=<padding>" of total size payload (kvstore wants key=value).
func kvTx(seq uint64, payload []byte) []byte {
	key := "b" + strconv.FormatUint(seq, 10) + "="
	tx := make([]byte, 0, max(len(payload), len(key)+1))
	tx = append(tx, key...)
	for len(tx) < cap(tx) {
		tx = append(tx, 'v')
	}
	return tx
}

func kvSeq(tx []byte) (uint64, bool) {
	if len(tx) < 2 || tx[0] != 'b' {
		return 0, false
	}
	end := 1
	for end < len(tx) && tx[end] != '=' {
		end++
	}
	seq, err := strconv.ParseUint(string(tx[1:end]), 10, 64)
	return seq, err == nil
}

func (s *kvSystem) submit(ctx context.Context, seq uint64, payload []byte) error {
	tx := kvTx(seq, payload)
	if err := s.send(ctx, tx); err != nil {
		return err
	}
	s.mu.Lock()
	s.pending[seq] = pendingTx{tx: tx, sent: time.Now()}
	s.mu.Unlock()
	return nil
}

// send offers tx and returns once CheckTx has answered.
func (s *kvSystem) send(ctx context.Context, tx []byte) error {
	if s.rpc != nil {
		r, err := s.rpc.BroadcastTxSync(ctx, tx)
		if err != nil {
			return err
		}
		if r.Code != 0 {
			return fmt.Errorf("kvstore CheckTx code %d: %s", r.Code, r.Log)
		}
		return nil
	}
	res := make(chan *abcitypes.ResponseCheckTx, 1)
	err := s.node.Mempool().CheckTx(tx, func(r *abcitypes.ResponseCheckTx) { res <- r }, mempool.TxInfo{})
	if err != nil {
		return err
	}
	select {
	case r := <-res:
		if r.Code != 0 {
			return fmt.Errorf("kvstore CheckTx code %d: %s", r.Code, r.Log)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// resubmitLost sends again every admitted transaction not committed for resubmitAfter.
// A transaction still in the mempool is refused as already known, which is harmless.
func (s *kvSystem) resubmitLost(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		var due [][]byte
		s.mu.Lock()
		for seq, p := range s.pending {
			if time.Since(p.sent) >= resubmitAfter {
				due = append(due, p.tx)
				s.pending[seq] = pendingTx{tx: p.tx, sent: time.Now()}
			}
		}
		s.mu.Unlock()
		for _, tx := range due {
			if err := s.send(ctx, tx); err == nil {
				s.mu.Lock()
				s.resubmitted++
				s.mu.Unlock()
			}
		}
	}
}

// resubmissions is how many lost transactions were sent again and admitted.
func (s *kvSystem) resubmissions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resubmitted
}

func (s *kvSystem) prepare(uint64, int, []byte) {}
func (s *kvSystem) preparesNothing()            {}

func (s *kvSystem) completions() <-chan uint64   { return s.done }
func (s *kvSystem) blockInterval() time.Duration { return s.blocks.mean() }
func (s *kvSystem) close() {
	s.cancel()
	if s.node.IsRunning() {
		_ = s.node.Stop()
		s.node.Wait()
	}
	s.appDB.Close()
}

// blockClock keeps the mean interval between recent block times.
type blockClock struct {
	mu     sync.Mutex
	height int64
	times  []time.Time
}

// observe records the time of the first event seen at each new height.
func (c *blockClock) observe(height int64, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if height <= c.height {
		return
	}
	c.height = height
	c.times = append(c.times, t)
	if len(c.times) > 200 {
		c.times = c.times[len(c.times)-200:]
	}
}

func (c *blockClock) mean() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.times) < 2 {
		return 0
	}
	return c.times[len(c.times)-1].Sub(c.times[0]) / time.Duration(len(c.times)-1)
}
