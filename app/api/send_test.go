package api_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"

	"github.com/cometsync/cometsync/app/api"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
)

func TestSendAsAnotherMember(t *testing.T) {
	e := newEnv(t, nil)
	bob := e.fx.Member("PAR::bob")
	ctx := e.login(t, "PAR::alice")
	tx := bob.Sign(bob.Request("m1", time.Now().Add(time.Minute), []byte("x"), bob.ID))
	_, err := e.seq.Send(ctx, &pb.SendRequest{Submission: tx})
	wantCode(t, err, codes.PermissionDenied, "may not send as "+bob.ID)
}

func TestSendMalformed(t *testing.T) {
	e := newEnv(t, nil)
	ctx := e.login(t, "PAR::alice")
	_, err := e.seq.Send(ctx, &pb.SendRequest{Submission: []byte{0xff, 0xff, 0xff}})
	wantCode(t, err, codes.InvalidArgument, "malformed")
	if c, ok := seqapi.SubmissionCode(err); !ok || c != seqapi.CodeMalformed {
		t.Fatalf("submission code %v %v", c, ok)
	}
}

func TestSendMapsSubmissionErrors(t *testing.T) {
	reg := prometheus.NewRegistry()
	metrics, err := api.NewPrometheusMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *api.Config) { c.Metrics = metrics })
	alice, bob := e.fx.Member("PAR::alice"), e.fx.Member("PAR::bob")
	ctx := e.login(t, "PAR::alice")
	later := time.Now().Add(time.Minute)
	send := func(tx []byte) error {
		_, err := e.seq.Send(ctx, &pb.SendRequest{Submission: tx})
		return err
	}

	// A first submission is accepted and sequenced, so that resending it is a duplicate.
	dup := alice.Sign(alice.Request("dup", later, []byte("x"), bob.ID))
	if err := send(dup); err != nil {
		t.Fatalf("first send: %v", err)
	}
	e.commit(t)

	badSig := alice.Request("badsig", later, []byte("x"), bob.ID)
	badSigTx := alice.Sign(badSig)
	badSigTx[len(badSigTx)-80] ^= 1 // inside the signature field, before the fingerprint
	unknownKey := &pb.SignedSubmission{Signature: []byte("sig"), SigningKey: bob.Key.Fingerprint().String()}
	unknownKey.Request, _ = alice.Request("unknownkey", later, []byte("x"), bob.ID).Marshal()
	unknownKeyTx, _ := unknownKey.Marshal()

	cases := []struct {
		name string
		tx   []byte
		code codes.Code
		core seqapi.Code
	}{
		{"expired", alice.Sign(alice.Request("exp", time.Now().Add(-time.Minute), []byte("x"), bob.ID)), codes.DeadlineExceeded, seqapi.CodeExpired},
		{"unknown recipient", alice.Sign(alice.Request("unk", later, []byte("x"), "PAR::carol::"+bob.Key.Fingerprint().String())), codes.NotFound, seqapi.CodeUnknownRecipient},
		{"duplicate", dup, codes.AlreadyExists, seqapi.CodeDuplicate},
		{"too large", alice.Sign(alice.Request("big", later, make([]byte, 1<<20), bob.ID)), codes.InvalidArgument, seqapi.CodeTooLarge},
		{"invalid batch", alice.Sign(alice.Request("norcpt", later, []byte("x"))), codes.InvalidArgument, seqapi.CodeInvalidBatch},
		{"bad signature", badSigTx, codes.PermissionDenied, seqapi.CodeBadSignature},
		{"unknown key", unknownKeyTx, codes.PermissionDenied, seqapi.CodeUnknownKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := send(tc.tx)
			wantCode(t, err, tc.code, tc.core.String())
			if c, ok := seqapi.SubmissionCode(err); !ok || c != tc.core {
				t.Fatalf("submission code %v %v, want %v", c, ok, tc.core)
			}
			if got := metricValue(metrics.Rejected.WithLabelValues(tc.core.String())); got != 1 {
				t.Fatalf("rejected{reason=%s} = %v", tc.core, got)
			}
		})
	}
	if got := metricValue(metrics.Accepted); got != 1 {
		t.Fatalf("accepted = %v", got)
	}
}

func TestSendBackendFailureIsUnavailable(t *testing.T) {
	e := newEnv(t, nil)
	alice, bob := e.fx.Member("PAR::alice"), e.fx.Member("PAR::bob")
	ctx := e.login(t, "PAR::alice")
	e.backend.Stop()
	_, err := e.seq.Send(ctx, &pb.SendRequest{Submission: alice.Sign(alice.Request("m", time.Now().Add(time.Minute), nil, bob.ID))})
	wantCode(t, err, codes.Unavailable, "stopped")
	if _, ok := seqapi.SubmissionCode(err); ok {
		t.Fatal("a node failure carries no submission code")
	}
}

func TestAcknowledge(t *testing.T) {
	e := newEnv(t, nil)
	alice, bob := e.fx.Member("PAR::alice"), e.fx.Member("PAR::bob")
	ctx := e.login(t, "PAR::alice")
	for _, ts := range []int64{5, 9, 7} {
		if _, err := e.seq.Acknowledge(ctx, &pb.AcknowledgeRequest{Member: alice.ID, TimestampMicros: ts}); err != nil {
			t.Fatal(err)
		}
	}
	if ts, ok := e.served.API.Acknowledged(alice.ID); !ok || ts != 9 {
		t.Fatalf("acknowledged %d %v, want 9", ts, ok)
	}
	_, err := e.seq.Acknowledge(ctx, &pb.AcknowledgeRequest{Member: bob.ID, TimestampMicros: 1})
	wantCode(t, err, codes.PermissionDenied, "may not acknowledge for "+bob.ID)
	if acks := e.served.API.Acknowledgements(); len(acks) != 1 {
		t.Fatalf("acknowledgements %v", acks)
	}
}
