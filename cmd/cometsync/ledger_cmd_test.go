package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cometsync/cometsync/participant/ledgerapi"
)

// The ledger CLI prints a failure's gRPC code, ErrorInfo reason and metadata.
func TestRPCErrorPrintsReason(t *testing.T) {
	err := ledgerapi.StatusOf(&ledgerapi.DuplicateCommandError{CommandID: "c-1", Offset: 7, RequestID: 99})
	want := `AlreadyExists DUPLICATE_COMMAND: duplicate command: command "c-1" committed at offset 7 (request 99) [command_id=c-1 offset=7 request_id_micros=99]`
	if got := rpcError(err).Error(); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if got := rpcError(ledgerapi.StatusOf(fmt.Errorf("%w: x", ledgerapi.ErrRejected))).Error(); got != "Aborted COMMAND_REJECTED: transaction rejected: x" {
		t.Fatalf("got %s", got)
	}
	plain := errors.New("dial: refused")
	if rpcError(plain) != plain {
		t.Fatal("a non-status error changed")
	}
}
