// v1alpha reflection is deprecated, and exercising it is the point of this file:
// Register serves v1alpha next to v1 (as reflection.Register does) for the clients that
// only speak v1alpha, and checkV1alpha checks that it answers with our descriptors.
//
//lint:file-ignore SA1019 deliberately calls the deprecated v1alpha reflection API that Register serves

package gogoreflect_test

import (
	"testing"

	"google.golang.org/grpc"
	v1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
)

func checkV1alpha(t *testing.T, conn *grpc.ClientConn, symbol string) {
	t.Helper()
	stream, err := v1alpha.NewServerReflectionClient(conn).ServerReflectionInfo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	err = stream.Send(&v1alpha.ServerReflectionRequest{
		MessageRequest: &v1alpha.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: symbol},
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(res.GetFileDescriptorResponse().GetFileDescriptorProto()); n < 3 {
		t.Fatalf("v1alpha: %d files for %s (%v), want it with gogo.proto and descriptor.proto", n, symbol, res.GetErrorResponse())
	}
}
