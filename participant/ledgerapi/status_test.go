package ledgerapi_test

import (
	"fmt"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/participant/ledgerapi"
)

// A duplicate command is AlreadyExists with the original outcome as an ErrorInfo.
func TestDuplicateCommandStatus(t *testing.T) {
	err := fmt.Errorf("submit: %w", &ledgerapi.DuplicateCommandError{CommandID: "c-1", Offset: 7, RequestID: 1234})
	st, ok := status.FromError(ledgerapi.StatusOf(err))
	if !ok || st.Code() != codes.AlreadyExists {
		t.Fatalf("status %v, want AlreadyExists", st)
	}
	var info *errdetails.ErrorInfo
	for _, d := range st.Details() {
		if i, ok := d.(*errdetails.ErrorInfo); ok {
			info = i
		}
	}
	if info == nil || info.Reason != "DUPLICATE_COMMAND" || info.Metadata["offset"] != "7" || info.Metadata["request_id_micros"] != "1234" || info.Metadata["command_id"] != "c-1" {
		t.Fatalf("details %v", st.Details())
	}
}
