package ledgerapi_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/cometsync/cometsync/ledger"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// A disclosed contract that does not decode, or whose id does not match its content, is
// InvalidArgument naming it, on SubmitAndWait and Submit alike; nothing is submitted.
func TestDisclosedContractsAreVerified(t *testing.T) {
	e := newEnv(t, nil)
	c := &ledger.Contract{Template: ledger.TemplateID{Package: "p", Name: "T"}, Arguments: ledger.Record{}}
	var seed ledger.Seed
	c.ID = ledger.DeriveContractID(seed, c)
	good := ledger.EncodeCreatedEventBlob(c, seed)
	tamperedContract := *c
	tamperedContract.Arguments = ledger.Record{"x": ledger.IntValue(1)}
	tampered := ledger.EncodeCreatedEventBlob(&tamperedContract, seed)
	cmd := proposeJSON(bank, alice, "1")
	for _, tc := range []struct {
		blobs [][]byte
		want  string
	}{
		{[][]byte{{1, 2, 3}}, "disclosed_contracts[0]: malformed encoding"},
		{[][]byte{good, tampered}, "disclosed_contracts[1]: contract id does not match its content: contract " + string(c.ID)},
	} {
		var ds []*pb.DisclosedContract
		for _, b := range tc.blobs {
			ds = append(ds, &pb.DisclosedContract{CreatedEventBlob: b})
		}
		_, err := e.cmd.SubmitAndWait(as(t, "bank"), &pb.SubmitAndWaitRequest{CommandJson: cmd, DisclosedContracts: ds})
		wantCode(t, err, codes.InvalidArgument, tc.want)
		_, err = pb.NewCommandSubmissionServiceClient(e.conn).Submit(as(t, "bank"), &pb.SubmitRequest{CommandJson: cmd, CommandId: "c1", DisclosedContracts: ds})
		wantCode(t, err, codes.InvalidArgument, tc.want)
	}
	if end := e.backend.LedgerEnd(); end != 0 {
		t.Fatalf("ledger end %d: a command with a bad disclosure was submitted", end)
	}
}
