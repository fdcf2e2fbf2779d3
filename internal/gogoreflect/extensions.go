package gogoreflect

import (
	"fmt"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
)

// registerExtensions registers a dynamic type for every extension fd declares, at file
// level or nested in its messages.
func (r *Resolver) registerExtensions(fd protoreflect.FileDescriptor) error {
	if err := r.registerExtensionList(fd.Extensions()); err != nil {
		return err
	}
	return r.registerNestedExtensions(fd.Messages())
}

func (r *Resolver) registerNestedExtensions(msgs protoreflect.MessageDescriptors) error {
	for i := range msgs.Len() {
		md := msgs.Get(i)
		if err := r.registerExtensionList(md.Extensions()); err != nil {
			return err
		}
		if err := r.registerNestedExtensions(md.Messages()); err != nil {
			return err
		}
	}
	return nil
}

func (r *Resolver) registerExtensionList(xds protoreflect.ExtensionDescriptors) error {
	for i := range xds.Len() {
		if err := r.types.RegisterExtension(dynamicpb.NewExtensionType(xds.Get(i))); err != nil {
			return fmt.Errorf("gogoreflect: extension %s: %w", xds.Get(i).FullName(), err)
		}
	}
	return nil
}

// FindExtensionByName implements protoregistry.ExtensionTypeResolver.
func (r *Resolver) FindExtensionByName(name protoreflect.FullName) (protoreflect.ExtensionType, error) {
	if xt, err := r.types.FindExtensionByName(name); err == nil {
		return xt, nil
	}
	return protoregistry.GlobalTypes.FindExtensionByName(name)
}

// FindExtensionByNumber implements protoregistry.ExtensionTypeResolver.
func (r *Resolver) FindExtensionByNumber(message protoreflect.FullName, field protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	if xt, err := r.types.FindExtensionByNumber(message, field); err == nil {
		return xt, nil
	}
	return protoregistry.GlobalTypes.FindExtensionByNumber(message, field)
}

// RangeExtensionsByMessage calls f for each extension of message, those of the rebuilt
// files first, skipping a number already seen; it stops when f returns false.
func (r *Resolver) RangeExtensionsByMessage(message protoreflect.FullName, f func(protoreflect.ExtensionType) bool) {
	seen := map[protoreflect.FieldNumber]bool{}
	more := true
	visit := func(xt protoreflect.ExtensionType) bool {
		n := xt.TypeDescriptor().Number()
		if seen[n] {
			return true
		}
		seen[n] = true
		more = f(xt)
		return more
	}
	r.types.RangeExtensionsByMessage(message, visit)
	if more {
		protoregistry.GlobalTypes.RangeExtensionsByMessage(message, visit)
	}
}
