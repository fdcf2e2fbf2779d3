package ledgerapi_test

import (
	"slices"
	"testing"

	gogoproto "github.com/cosmos/gogoproto/proto"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/cometsync/cometsync/internal/gogoreflect/reflecttest"
	"github.com/cometsync/cometsync/participant/ledgerapi"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

// TestReflectionDescribesLedgerAPI talks to a Ledger API server through server
// reflection alone, as grpcurl does: it lists the services, loads the file of each (with
// its imports), calls ListPackages with a dynamic request and a token (and without one:
// refused) and the health Check, which needs none.
func TestReflectionDescribesLedgerAPI(t *testing.T) {
	e := newEnv(t, nil)
	names, err := reflecttest.ListServices(t.Context(), e.conn)
	if err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(ledgerapi.ServiceNames),
		"grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection")
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("services %v, want %v", names, want)
	}
	files, err := reflecttest.Load(t.Context(), e.conn, names...)
	if err != nil {
		t.Fatal(err)
	}

	const method = "cometsync.ledger.v1.PackageService/ListPackages"
	_, err = reflecttest.Invoke(t.Context(), e.conn, files, method, `{}`)
	wantCode(t, err, codes.Unauthenticated, "")
	resp, err := reflecttest.Invoke(as(t, "alice"), e.conn, files, method, `{}`)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := proto.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	var got pb.ListPackagesResponse
	if err := got.Unmarshal(raw); err != nil {
		t.Fatal(err)
	}
	typed, err := e.pkg.ListPackages(as(t, "alice"), &pb.ListPackagesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Packages) != 1 || !gogoproto.Equal(&got, typed) {
		t.Fatalf("ListPackages through reflection %+v, typed %+v", got.Packages, typed.Packages)
	}

	h, err := reflecttest.Invoke(t.Context(), e.conn, files, "grpc.health.v1.Health/Check", `{"service":"cometsync.ledger.v1.StateService"}`)
	if err != nil || reflecttest.Field(h, "status") != "SERVING" {
		t.Fatalf("health Check: %v %v", h, err)
	}
}
