package gogoreflect

import (
	"google.golang.org/grpc/reflection"
	v1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	v1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
)

// Register registers the v1 and v1alpha server reflection services on s, listing the
// services of s and resolving descriptors with Default. Call it after registering the
// other services, as with reflection.Register.
func Register(s reflection.GRPCServer) {
	r := Default()
	opts := reflection.ServerOptions{Services: s, DescriptorResolver: r, ExtensionResolver: r}
	v1alpha.RegisterServerReflectionServer(s, reflection.NewServer(opts))
	v1.RegisterServerReflectionServer(s, reflection.NewServerV1(opts))
}
