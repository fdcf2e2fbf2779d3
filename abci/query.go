package abci

import (
	"context"
	"encoding/json"
	"fmt"

	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// Query paths. Queries go through CometBFT's unauthenticated RPC, so they only expose what
// is public anyway: the head, the synchronizer's identity, parameters and membership.
// Member streams are served by the authenticated sequencer API only.
const (
	QueryMeta    = "/meta"
	QueryGenesis = "/genesis"
)

// QueryCodeUnknownPath and QueryCodeNotInitialized are the error codes of Query.
const (
	QueryCodeUnknownPath    uint32 = 1
	QueryCodeNotInitialized uint32 = 2
)

// MetaView is the JSON answer of QueryMeta.
type MetaView struct {
	Height              int64  `json:"height"`
	AppHash             string `json:"app_hash"`
	LastTimestampMicros int64  `json:"last_timestamp_micros"`
	SynchronizerID      string `json:"synchronizer_id"`
}

// Query answers QueryMeta and QueryGenesis with JSON.
func (a *App) Query(_ context.Context, req *abcitypes.RequestQuery) (*abcitypes.ResponseQuery, error) {
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
