package ledgerapi

import (
	"fmt"
	"strconv"

	"google.golang.org/grpc/codes"
)

// ErrPrunedDataAccessed: a read of updates before the participant's pruned offset
// (participant prune, or a database rebuilt from a snapshot). codes.FailedPrecondition
// with reason PARTICIPANT_PRUNED_DATA_ACCESSED and the pruned offset in the metadata
// (MetaPrunedOffset): read from there on.
var ErrPrunedDataAccessed = fmt.Errorf("participant pruned data accessed")

// ReasonPrunedDataAccessed is ErrPrunedDataAccessed's ErrorInfo reason.
const ReasonPrunedDataAccessed = "PARTICIPANT_PRUNED_DATA_ACCESSED"

// MetaPrunedOffset is the ErrorInfo metadata key of the first offset still readable.
const MetaPrunedOffset = "pruned_offset"

func init() {
	reasonTable = append([]reasonRow{{ErrPrunedDataAccessed, codes.FailedPrecondition, ReasonPrunedDataAccessed}}, reasonTable...)
}

// PrunedError is the error a Backend returns for a read at offset before pruned, the
// first offset still stored.
func PrunedError(offset, pruned int64) error {
	return withMeta(fmt.Errorf("%w: offset %d is before the pruned offset %d (updates before it were pruned; read from %d on)",
		ErrPrunedDataAccessed, offset, pruned, pruned), MetaPrunedOffset, strconv.FormatInt(pruned, 10), MetaOffset, strconv.FormatInt(offset, 10))
}

// PrunedOffsetter is what a Backend implements when it prunes: the first offset whose
// update is still readable (0 when nothing was pruned). GetLedgerEnd reports it.
type PrunedOffsetter interface {
	PrunedOffset() int64
}

func prunedOffsetOf(b Backend) int64 {
	if p, ok := b.(PrunedOffsetter); ok {
		return p.PrunedOffset()
	}
	return 0
}
