package app

import (
	"errors"

	"github.com/cometbft/cometbft/mempool"

	"github.com/cometsync/cometsync/app/api"
)

// SubmitFailure implements api.Backend: it tells CometBFT's permanent mempool refusals
// (a transaction over max_tx_bytes, or over the block's byte limit: the pre-check) and
// its full mempool from node failures.
func (n *Node) SubmitFailure(err error) api.SubmitFailure {
	var full mempool.ErrMempoolIsFull
	switch {
	case errors.As(err, &mempool.ErrTxTooLarge{}), mempool.IsPreCheckError(err):
		return api.FailureTooLarge
	case errors.As(err, &full), errors.Is(err, mempool.ErrRecheckFull):
		return api.FailureMempoolFull
	}
	return api.FailureNode
}
