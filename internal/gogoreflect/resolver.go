package gogoreflect

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	gogoproto "github.com/cosmos/gogoproto/proto"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// ErrNotRegistered reports an import that neither gogoproto's registry nor GlobalFiles
// holds.
var ErrNotRegistered = errors.New("file not registered")

// Resolver resolves files, descriptors and extensions over gogoproto's registry and
// protobuf-go's global registries. It implements protodesc.Resolver and the
// reflection.ExtensionResolver interface. Create it with NewResolver.
type Resolver struct {
	files *protoregistry.Files // gogoproto's files, fully linked, and their imports
	types *protoregistry.Types // extensions declared in files rebuilt from gogoproto's bytes
	errs  []error
}

// Default returns the process's shared Resolver, built on first use. Call it after every
// generated package has been initialized (any time after main starts).
var Default = sync.OnceValue(NewResolver)

// NewResolver links every file registered with gogoproto, in path order. A file that
// cannot be linked (an import missing from both registries, a conflicting symbol) is
// left out and reported by Errs; the others are served.
func NewResolver() *Resolver {
	r := &Resolver{files: new(protoregistry.Files), types: new(protoregistry.Types)}
	paths := make([]string, 0)
	gogoproto.GogoResolver.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		paths = append(paths, fd.Path())
		return true
	})
	sort.Strings(paths)
	for _, p := range paths {
		if _, err := r.link(p, map[string]bool{}); err != nil {
			r.errs = append(r.errs, err)
		}
	}
	return r
}

// Errs returns the errors of the files NewResolver left out, nil if it linked them all.
func (r *Resolver) Errs() []error { return r.errs }

// link returns the linked file at path, linking it and its imports first if needed.
// visiting holds the paths on the current import chain, to refuse cycles.
func (r *Resolver) link(path string, visiting map[string]bool) (protoreflect.FileDescriptor, error) {
	if fd, err := r.files.FindFileByPath(path); err == nil {
		return fd, nil
	}
	if visiting[path] {
		return nil, fmt.Errorf("gogoreflect: import cycle through %s", path)
	}
	visiting[path] = true
	defer delete(visiting, path)
	if fd, err := protoregistry.GlobalFiles.FindFileByPath(path); err == nil {
		return fd, r.adopt(fd, visiting)
	}
	fdp, err := gogoFile(path)
	if err != nil {
		return nil, err
	}
	for _, dep := range fdp.GetDependency() {
		if _, err := r.link(dep, visiting); err != nil {
			return nil, fmt.Errorf("gogoreflect: %s imports %s: %w", path, dep, err)
		}
	}
	fd, err := protodesc.NewFile(fdp, r.files)
	if err != nil {
		return nil, fmt.Errorf("gogoreflect: link %s: %w", path, err)
	}
	if err := r.files.RegisterFile(fd); err != nil {
		return nil, fmt.Errorf("gogoreflect: register %s: %w", path, err)
	}
	return fd, r.registerExtensions(fd)
}

// adopt registers fd, a file of GlobalFiles (already linked), and its imports, so that
// files rebuilt later resolve against the same descriptors.
func (r *Resolver) adopt(fd protoreflect.FileDescriptor, visiting map[string]bool) error {
	imports := fd.Imports()
	for i := range imports.Len() {
		if _, err := r.link(imports.Get(i).Path(), visiting); err != nil {
			return fmt.Errorf("gogoreflect: %s imports %s: %w", fd.Path(), imports.Get(i).Path(), err)
		}
	}
	if err := r.files.RegisterFile(fd); err != nil {
		return fmt.Errorf("gogoreflect: register %s: %w", fd.Path(), err)
	}
	return nil
}

// gogoFile decodes the gzipped FileDescriptorProto gogoproto holds for path.
func gogoFile(path string) (*descriptorpb.FileDescriptorProto, error) {
	gz := gogoproto.FileDescriptor(path)
	if gz == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotRegistered, path)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("gogoreflect: %s: %w", path, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("gogoreflect: %s: %w", path, err)
	}
	fdp := new(descriptorpb.FileDescriptorProto)
	if err := proto.Unmarshal(raw, fdp); err != nil {
		return nil, fmt.Errorf("gogoreflect: %s: %w", path, err)
	}
	return fdp, nil
}
