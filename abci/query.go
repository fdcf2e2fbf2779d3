package abci

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// Query paths. Queries go through CometBFT's unauthenticated RPC, so they only expose what
// is public anyway: the head, the synchronizer's identity, parameters and membership.
// Member streams are served by the authenticated sequencer API only.
const (
	QueryMeta    = "/meta"
	QueryGenesis = "/genesis"
)

// QueryPeerFilter prefixes the queries of CometBFT's peer filter (filter_peers, which the
// node turns on): "/p2p/filter/addr/<host:port>" for each connection and
// "/p2p/filter/id/<node id>" for each peer, accepted unless the node is stopping.
const QueryPeerFilter = "/p2p/filter/"

// QueryCodeUnknownPath, QueryCodeNotInitialized and QueryCodeStopping are the error codes
// of Query.
const (
	QueryCodeUnknownPath    uint32 = 1
	QueryCodeNotInitialized uint32 = 2
	QueryCodeStopping       uint32 = 3
)

// RefusePeers makes the peer filter turn every new connection and peer away: the node
// calls it before it stops CometBFT. A stopping switch can still complete a dial that was
// under way; CometBFT then neither starts that peer nor closes its connection, and the
// remote node keeps it as a live peer, refusing the restarted node's connections as
// duplicates until the ping timeout (minutes). A refusal from the filter closes the
// connection, so the remote node sees the node go at once.
func (a *App) RefusePeers() { a.refusePeers.Store(true) }

// MetaView is the JSON answer of QueryMeta.
type MetaView struct {
	Height              int64  `json:"height"`
	AppHash             string `json:"app_hash"`
	LastTimestampMicros int64  `json:"last_timestamp_micros"`
	SynchronizerID      string `json:"synchronizer_id"`
}

// Query answers QueryMeta and QueryGenesis with JSON, and the peer filter's queries
// (QueryPeerFilter) with an empty answer.
func (a *App) Query(_ context.Context, req *abcitypes.RequestQuery) (*abcitypes.ResponseQuery, error) {
	if strings.HasPrefix(req.Path, QueryPeerFilter) {
		// Before the machine check: a node that state-syncs has no machine yet and
		// needs peers to get one.
		if a.refusePeers.Load() {
			return &abcitypes.ResponseQuery{Code: QueryCodeStopping, Log: "node is stopping", Codespace: "cometsync"}, nil
		}
		return &abcitypes.ResponseQuery{}, nil
	}
	meta := a.Meta()
	m := a.Machine()
	if m == nil {
		return &abcitypes.ResponseQuery{Code: QueryCodeNotInitialized, Log: "chain not initialized", Codespace: "cometsync"}, nil
	}
	var v any
	switch req.Path {
	case QueryMeta:
		v = MetaView{Height: meta.Height, AppHash: fmt.Sprintf("%X", meta.AppHash), LastTimestampMicros: meta.LastTimestampMicros, SynchronizerID: m.Genesis().SynchronizerID}
	case QueryGenesis:
		v = m.Genesis()
	default:
		return &abcitypes.ResponseQuery{Code: QueryCodeUnknownPath, Codespace: "cometsync",
			Log: fmt.Sprintf("unknown query path %q (known: %s, %s)", req.Path, QueryMeta, QueryGenesis)}, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &abcitypes.ResponseQuery{Value: b, Height: meta.Height}, nil
}
