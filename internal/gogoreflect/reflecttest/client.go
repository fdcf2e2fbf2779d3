package reflecttest

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // registers the standard "proto" codec
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// ListServices returns the service names the server lists, in its order.
func ListServices(ctx context.Context, conn grpc.ClientConnInterface) ([]string, error) {
	res, err := ask(ctx, conn, &rpb.ServerReflectionRequest{
		MessageRequest: &rpb.ServerReflectionRequest_ListServices{ListServices: ""},
	})
	if err != nil {
		return nil, err
	}
	list := res[0].GetListServicesResponse()
	if list == nil {
		return nil, fmt.Errorf("reflecttest: list services: unexpected response %v", res[0])
	}
	names := make([]string, 0, len(list.Service))
	for _, s := range list.Service {
		names = append(names, s.Name)
	}
	return names, nil
}

// Load asks, on one reflection stream, for the file containing each symbol (with the
// dependencies not sent before on the stream) and links all the files received.
func Load(ctx context.Context, conn grpc.ClientConnInterface, symbols ...string) (*protoregistry.Files, error) {
	reqs := make([]*rpb.ServerReflectionRequest, len(symbols))
	for i, sym := range symbols {
		reqs[i] = &rpb.ServerReflectionRequest{
			MessageRequest: &rpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: sym},
		}
	}
	res, err := ask(ctx, conn, reqs...)
	if err != nil {
		return nil, err
	}
	set := &descriptorpb.FileDescriptorSet{}
	seen := map[string]bool{}
	for i, r := range res {
		fds := r.GetFileDescriptorResponse()
		if fds == nil {
			return nil, fmt.Errorf("reflecttest: symbol %s: %v", symbols[i], r.GetErrorResponse())
		}
		for _, raw := range fds.FileDescriptorProto {
			fdp := new(descriptorpb.FileDescriptorProto)
			if err := proto.Unmarshal(raw, fdp); err != nil {
				return nil, fmt.Errorf("reflecttest: symbol %s: %w", symbols[i], err)
			}
			if !seen[fdp.GetName()] {
				seen[fdp.GetName()] = true
				set.File = append(set.File, fdp)
			}
		}
	}
	files, err := protodesc.NewFiles(set)
	if err != nil {
		return nil, fmt.Errorf("reflecttest: link files: %w", err)
	}
	return files, nil
}

// ask sends reqs on one ServerReflectionInfo stream and returns the responses in order.
func ask(ctx context.Context, conn grpc.ClientConnInterface, reqs ...*rpb.ServerReflectionRequest) ([]*rpb.ServerReflectionResponse, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := rpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		return nil, fmt.Errorf("reflecttest: open stream: %w", err)
	}
	out := make([]*rpb.ServerReflectionResponse, 0, len(reqs))
	for _, req := range reqs {
		if err := stream.Send(req); err != nil {
			return nil, fmt.Errorf("reflecttest: send: %w", err)
		}
		res, err := stream.Recv()
		if err != nil {
			return nil, fmt.Errorf("reflecttest: receive: %w", err)
		}
		out = append(out, res)
	}
	return out, stream.CloseSend()
}

// Invoke calls the unary method ("pkg.Service/Method") with a request decoded from
// reqJSON (protojson) and returns the response as a dynamic message.
func Invoke(ctx context.Context, conn grpc.ClientConnInterface, files *protoregistry.Files, method, reqJSON string, opts ...grpc.CallOption) (*dynamicpb.Message, error) {
	md, err := findMethod(files, method)
	if err != nil {
		return nil, err
	}
	req := dynamicpb.NewMessage(md.Input())
	if err := (protojson.UnmarshalOptions{Resolver: dynamicpb.NewTypes(files)}).Unmarshal([]byte(reqJSON), req); err != nil {
		return nil, fmt.Errorf("reflecttest: request of %s: %w", method, err)
	}
	resp := dynamicpb.NewMessage(md.Output())
	opts = append(opts, grpc.ForceCodecV2(encoding.GetCodecV2("proto")))
	if err := conn.Invoke(ctx, "/"+method, req, resp, opts...); err != nil {
		return nil, err
	}
	return resp, nil
}

func findMethod(files *protoregistry.Files, method string) (protoreflect.MethodDescriptor, error) {
	svc, name, ok := strings.Cut(method, "/")
	if !ok {
		return nil, fmt.Errorf("reflecttest: method %q is not pkg.Service/Method", method)
	}
	d, err := files.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		return nil, fmt.Errorf("reflecttest: service %s: %w", svc, err)
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, fmt.Errorf("reflecttest: %s is not a service", svc)
	}
	md := sd.Methods().ByName(protoreflect.Name(name))
	if md == nil {
		return nil, fmt.Errorf("reflecttest: service %s has no method %s", svc, name)
	}
	return md, nil
}

// Field returns the value of the named field of m as a string (a scalar's text, an
// enum value's name, a message's protojson), for assertions.
func Field(m protoreflect.Message, name string) string {
	fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
	if fd == nil {
		return ""
	}
	v := m.Get(fd)
	if fd.Enum() != nil && !fd.IsList() {
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
	}
	if fd.Message() != nil && !fd.IsList() && !fd.IsMap() {
		b, _ := protojson.Marshal(v.Message().Interface())
		return string(b)
	}
	return v.String()
}
