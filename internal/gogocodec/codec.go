// Package gogocodec is a gRPC codec for the gogoproto-generated messages of the
// sequencer API. gRPC's default codec reaches gogoproto messages only through
// google.golang.org/protobuf's legacy wrapper, which sizes and marshals each message
// more than once; this codec calls the generated Size, MarshalToSizedBuffer and
// Unmarshal methods directly, marshalling into gRPC's pooled buffers. Messages without
// those methods (the gRPC health and reflection services) go to the default codec.
//
// The codec is installed per server (ServerOption) and per client (DialOption), never
// globally. Its name is "proto": the wire format is the same, so peers using the
// default codec interoperate.
package gogocodec

import (
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // registers the default "proto" codec used as fallback
	"google.golang.org/grpc/mem"
)

// Message is what gogoproto generates for every message with marshalers enabled.
type Message interface {
	Reset()
	Size() int
	MarshalToSizedBuffer([]byte) (int, error)
	Unmarshal([]byte) error
}

// Codec implements encoding.CodecV2.
type Codec struct {
	fallback encoding.CodecV2
}

// New returns the codec, falling back to gRPC's registered "proto" codec.
func New() Codec {
	return Codec{fallback: encoding.GetCodecV2("proto")}
}

// ServerOption installs the codec on a grpc.Server.
func ServerOption() grpc.ServerOption { return grpc.ForceServerCodecV2(New()) }

// DialOption installs the codec on a client connection.
func DialOption() grpc.DialOption {
	return grpc.WithDefaultCallOptions(grpc.ForceCodecV2(New()))
}

// Name implements encoding.CodecV2.
func (Codec) Name() string { return "proto" }

// Marshal implements encoding.CodecV2.
func (c Codec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(Message)
	if !ok {
		return c.fallback.Marshal(v)
	}
	size := m.Size()
	if mem.IsBelowBufferPoolingThreshold(size) {
		buf := make([]byte, size)
		if err := marshalTo(m, buf); err != nil {
			return nil, err
		}
		return mem.BufferSlice{mem.SliceBuffer(buf)}, nil
	}
	pool := mem.DefaultBufferPool()
	buf := pool.Get(size)
	if err := marshalTo(m, (*buf)[:size]); err != nil {
		pool.Put(buf)
		return nil, err
	}
	return mem.BufferSlice{mem.NewBuffer(buf, pool)}, nil
}

func marshalTo(m Message, buf []byte) error {
	n, err := m.MarshalToSizedBuffer(buf)
	if err != nil {
		return fmt.Errorf("marshal %T: %w", m, err)
	}
	if n != len(buf) {
		return fmt.Errorf("marshal %T: wrote %d bytes of the %d it sized", m, n, len(buf))
	}
	return nil
}

// Unmarshal implements encoding.CodecV2. gogoproto's Unmarshal copies what it keeps
// (bytes and strings), so the received buffers are released when it returns.
func (c Codec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(Message)
	if !ok {
		return c.fallback.Unmarshal(data, v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	m.Reset() // as proto.Unmarshal does: the generated Unmarshal merges
	return m.Unmarshal(buf.ReadOnlyData())
}
