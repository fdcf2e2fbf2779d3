// Package reflecttest is a gRPC reflection client for tests. It learns a server's
// services and messages through server reflection alone (v1, no .proto file, no
// generated stubs) and calls unary methods with dynamic messages, as grpcurl does:
//
//	names, err := reflecttest.ListServices(ctx, conn)
//	files, err := reflecttest.Load(ctx, conn, names...)
//	resp, err := reflecttest.Invoke(ctx, conn, files, "pkg.Service/Method", `{"field":"x"}`)
//
// Load fetches the file of each symbol with its dependencies and links them with
// protodesc, so it fails if the server leaves out any import; Invoke marshals the
// dynamicpb messages with gRPC's standard proto codec.
package reflecttest
