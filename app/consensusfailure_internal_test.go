package app

import (
	"bytes"
	"testing"
)

// TestConsensusFailureIsReported checks that CometBFT's "CONSENSUS FAILURE!!!" log line,
// and only it, reaches the node's failure hook with the panic CometBFT recovered: that
// is how a node whose consensus routine died stops instead of staying up half-alive.
func TestConsensusFailureIsReported(t *testing.T) {
	var got []any
	var buf bytes.Buffer
	l := newCmtLogger(NewLogger(&buf, "info", LogFormatText), nil).onConsensusFailure(func(r any) { got = append(got, r) }).With("module", "consensus")
	l.Error("some other error", "err", "x")
	l.Error(consensusFailureMsg, "err", "execute block 7: boom", "stack", "...")
	if len(got) != 1 || got[0] != "execute block 7: boom" {
		t.Fatalf("failure hook got %v", got)
	}
	if !bytes.Contains(buf.Bytes(), []byte(consensusFailureMsg)) {
		t.Fatalf("the failure is not logged: %s", buf.String())
	}
}
