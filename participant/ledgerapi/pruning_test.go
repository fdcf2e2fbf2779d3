package ledgerapi

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestPrunedErrorStatus(t *testing.T) {
	err := statusOf(PrunedError(3, 7))
	if status.Code(err) != codes.FailedPrecondition || ReasonOf(err) != ReasonPrunedDataAccessed {
		t.Fatalf("status %v, reason %q", status.Code(err), ReasonOf(err))
	}
	if md := ErrorInfoOf(err).Metadata; md[MetaPrunedOffset] != "7" || md[MetaOffset] != "3" {
		t.Fatalf("metadata %v", md)
	}
}
