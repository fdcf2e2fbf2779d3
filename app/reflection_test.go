package app_test

import (
	"fmt"
	"slices"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cometsync/cometsync/internal/chaintest"
	"github.com/cometsync/cometsync/internal/gogoreflect"
	"github.com/cometsync/cometsync/internal/gogoreflect/reflecttest"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/proto/sequencersvc"
	"github.com/cometsync/cometsync/seqapi"
	"github.com/cometsync/cometsync/testnet"
)

// TestReflectionDescribesSequencerAPI talks to a real one-validator node through server
// reflection alone, as grpcurl does: it lists the services, loads the file of each (with
// its imports) and calls Handshake, GetSynchronizerId and the health Check with dynamic
// messages.
func TestReflectionDescribesSequencerAPI(t *testing.T) {
	net := chaintest.Start(t, testnet.Options{Validators: 1})
	conn, err := grpc.NewClient(net.APIAddress(0), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, err := range gogoreflect.Default().Errs() {
		t.Errorf("file left out of reflection: %v", err)
	}

	names, err := reflecttest.ListServices(t.Context(), conn)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"cometsync.sequencer.v1.SequencerAuthenticationService",
		"cometsync.sequencer.v1.SequencerConnectService",
		"cometsync.sequencer.v1.SequencerService",
		"grpc.health.v1.Health",
		"grpc.reflection.v1.ServerReflection",
		"grpc.reflection.v1alpha.ServerReflection",
	} {
		if !slices.Contains(names, want) {
			t.Errorf("service %s not listed in %v", want, names)
		}
	}
	files, err := reflecttest.Load(t.Context(), conn, names...)
	if err != nil {
		t.Fatal(err)
	}

	const connect = "cometsync.sequencer.v1.SequencerConnectService/"
	hs, err := reflecttest.Invoke(t.Context(), conn, files, connect+"Handshake",
		fmt.Sprintf(`{"clientProtocolVersions":[%q]}`, seqapi.ProtocolVersion))
	if err != nil || reflecttest.Field(hs, "server_protocol_version") != seqapi.ProtocolVersion {
		t.Fatalf("Handshake: %v %v", hs, err)
	}
	id, err := reflecttest.Invoke(t.Context(), conn, files, connect+"GetSynchronizerId", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	typed, err := sequencersvc.NewSequencerConnectServiceClient(conn).GetSynchronizerId(t.Context(), &pb.GetSynchronizerIdRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got := reflecttest.Field(id, "synchronizer_id"); got == "" || got != typed.SynchronizerId ||
		reflecttest.Field(id, "sequencer_id") != typed.SequencerId {
		t.Fatalf("GetSynchronizerId through reflection %v, typed %v", id, typed)
	}
	h, err := reflecttest.Invoke(t.Context(), conn, files, "grpc.health.v1.Health/Check", `{}`)
	if err != nil || reflecttest.Field(h, "status") != "SERVING" {
		t.Fatalf("health Check: %v %v", h, err)
	}
}
