package gogoreflect_test

import (
	"net"
	"slices"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/cometsync/cometsync/internal/gogoreflect"
	"github.com/cometsync/cometsync/internal/gogoreflect/reflecttest"
	"github.com/cometsync/cometsync/proto/ledgerapipb"
	_ "github.com/cometsync/cometsync/proto/mediatorpb"
	_ "github.com/cometsync/cometsync/proto/protocolpb"
	"github.com/cometsync/cometsync/proto/sequencersvc"
	_ "github.com/cometsync/cometsync/proto/topologypb"
)

var ourFiles = []string{
	"cometsync/ledger/v1/ledger_api.proto",
	"cometsync/mediator/v1/mediator.proto",
	"cometsync/protocol/v1/protocol.proto",
	"cometsync/sequencer/v1/sequencer.proto",
	"cometsync/sequencer/v1/store.proto",
	"cometsync/topology/v1/store.proto",
	"cometsync/topology/v1/topology.proto",
}

// TestResolverLinksEveryFile checks that every gogoproto file of the test binary is
// linked, with no placeholder among our files' imports and field types, and that
// gogo.proto's options resolve as extensions.
func TestResolverLinksEveryFile(t *testing.T) {
	r := gogoreflect.NewResolver()
	for _, err := range r.Errs() {
		t.Errorf("left out: %v", err)
	}
	for _, path := range ourFiles {
		fd, err := r.FindFileByPath(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for i := range fd.Imports().Len() {
			if imp := fd.Imports().Get(i); imp.IsPlaceholder() {
				t.Errorf("%s: import %s is a placeholder", path, imp.Path())
			}
		}
		checkFields(t, fd.Messages())
	}
	d, err := r.FindDescriptorByName("cometsync.sequencer.v1.SequencerConnectService.Handshake")
	if err != nil {
		t.Fatal(err)
	}
	if in := d.(protoreflect.MethodDescriptor).Input(); in.IsPlaceholder() || in.Fields().Len() != 1 {
		t.Fatalf("Handshake input %s: placeholder %v, %d fields", in.FullName(), in.IsPlaceholder(), in.Fields().Len())
	}
	xt, err := r.FindExtensionByName("gogoproto.nullable")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.FindExtensionByNumber("google.protobuf.FieldOptions", xt.TypeDescriptor().Number()); err != nil {
		t.Fatal(err)
	}
	n := 0
	r.RangeExtensionsByMessage("google.protobuf.FieldOptions", func(protoreflect.ExtensionType) bool { n++; return true })
	if n < 10 {
		t.Fatalf("%d extensions of FieldOptions, want gogo.proto's", n)
	}
}

func checkFields(t *testing.T, msgs protoreflect.MessageDescriptors) {
	t.Helper()
	for i := range msgs.Len() {
		md := msgs.Get(i)
		for j := range md.Fields().Len() {
			f := md.Fields().Get(j)
			if (f.Message() != nil && f.Message().IsPlaceholder()) || (f.Enum() != nil && f.Enum().IsPlaceholder()) {
				t.Errorf("%s: type of field is a placeholder", f.FullName())
			}
		}
		checkFields(t, md.Messages())
	}
}

// TestReflectionServesEveryService registers the sequencer and Ledger API services
// (unimplemented), health and Register on a loopback server, then loads every listed
// service through v1 reflection and one through v1alpha.
func TestReflectionServesEveryService(t *testing.T) {
	gs := grpc.NewServer()
	sequencersvc.RegisterSequencerConnectServiceServer(gs, &sequencersvc.UnimplementedSequencerConnectServiceServer{})
	sequencersvc.RegisterSequencerServiceServer(gs, &sequencersvc.UnimplementedSequencerServiceServer{})
	ledgerapipb.RegisterStateServiceServer(gs, &ledgerapipb.UnimplementedStateServiceServer{})
	healthpb.RegisterHealthServer(gs, health.NewServer())
	gogoreflect.Register(gs)
	conn := serve(t, gs)

	names, err := reflecttest.ListServices(t.Context(), conn)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"cometsync.ledger.v1.StateService",
		"cometsync.sequencer.v1.SequencerConnectService",
		"cometsync.sequencer.v1.SequencerService",
		"grpc.health.v1.Health",
		"grpc.reflection.v1.ServerReflection",
		"grpc.reflection.v1alpha.ServerReflection",
	}
	if !slices.Equal(names, want) {
		t.Fatalf("services %v, want %v", names, want)
	}
	files, err := reflecttest.Load(t.Context(), conn, names...)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if _, err := files.FindDescriptorByName(protoreflect.FullName(name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	resp, err := reflecttest.Invoke(t.Context(), conn, files, "grpc.health.v1.Health/Check", `{}`)
	if err != nil || reflecttest.Field(resp, "status") != "SERVING" {
		t.Fatalf("health check through reflection: %v %v", resp, err)
	}
	checkV1alpha(t, conn, "cometsync.ledger.v1.StateService")
}

func serve(t *testing.T, gs *grpc.Server) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
