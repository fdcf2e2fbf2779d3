package ledger

import (
	"fmt"
	"slices"
	"strings"
)

// Limits bound the work of one interpretation. Every participant validating the same
// transaction must use the same limits (they are synchronizer parameters in effect).
type Limits struct {
	// TransactionCost bounds the summed cost of all expressions evaluated.
	TransactionCost uint64
	// MaxNodes bounds the number of nodes of the transaction.
	MaxNodes int
	// MaxDepth bounds the nesting of exercises.
	MaxDepth int
}

// DefaultLimits returns the limits used unless a PackageSet is given others.
func DefaultLimits() Limits {
	return Limits{TransactionCost: 20 * ExprCostLimit, MaxNodes: 10_000, MaxDepth: 64}
}

// PackageSet is a set of compiled packages the interpreter can use. It is immutable and
// safe for concurrent use.
type PackageSet struct {
	pkgs   map[PackageID]*compiledPackage
	limits Limits
}

// ValidatePackage parses and compiles a package file and returns the package. Errors are
// *PackageError with line and column.
func ValidatePackage(src []byte) (*Package, error) {
	pkg, err := ParsePackage(src)
	if err != nil {
		return nil, err
	}
	if _, err := compilePackage(pkg); err != nil {
		return nil, err
	}
	return pkg, nil
}

// NewPackageSet compiles pkgs (as returned by ParsePackage) into a set with DefaultLimits.
func NewPackageSet(pkgs ...*Package) (*PackageSet, error) {
	s := &PackageSet{pkgs: map[PackageID]*compiledPackage{}, limits: DefaultLimits()}
	for _, p := range pkgs {
		if p.ID == "" || p.ID != p.ComputeID() {
			return nil, fmt.Errorf("%w: package %s: id %q does not match its content", ErrInvalidPackage, p.Name, p.ID)
		}
		cp, err := compilePackage(p)
		if err != nil {
			return nil, fmt.Errorf("package %s: %w", p.Name, err)
		}
		s.pkgs[p.ID] = cp
	}
	return s, nil
}

// WithLimits returns a copy of s that interprets with limits l.
func (s *PackageSet) WithLimits(l Limits) *PackageSet {
	return &PackageSet{pkgs: s.pkgs, limits: l}
}

// Limits returns the set's limits.
func (s *PackageSet) Limits() Limits { return s.limits }

// IDs returns the ids of the packages, sorted.
func (s *PackageSet) IDs() []PackageID {
	ids := make([]PackageID, 0, len(s.pkgs))
	for id := range s.pkgs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Package returns the package with id, or nil.
func (s *PackageSet) Package(id PackageID) *Package {
	if cp := s.pkgs[id]; cp != nil {
		return cp.src
	}
	return nil
}

// ResolveTemplate parses "package:Template" where package is a package id or the name of
// exactly one package of the set.
func (s *PackageSet) ResolveTemplate(ref string) (TemplateID, error) {
	pkg, name, ok := strings.Cut(ref, ":")
	if !ok || pkg == "" || name == "" {
		return TemplateID{}, fmt.Errorf("%w: template %q: want package:Template", ErrInvalidCommand, ref)
	}
	id := PackageID(pkg)
	if s.pkgs[id] == nil {
		var matches []PackageID
		for _, pid := range s.IDs() {
			if s.pkgs[pid].src.Name == pkg {
				matches = append(matches, pid)
			}
		}
		if len(matches) != 1 {
			return TemplateID{}, &LookupError{Name: fmt.Sprintf("package %q (%d packages have that id or name)", pkg, len(matches)), Err: ErrUnknownPackage}
		}
		id = matches[0]
	}
	tid := TemplateID{Package: id, Name: name}
	if _, err := s.template(nil, tid); err != nil {
		return TemplateID{}, err
	}
	return tid, nil
}

// template looks a template up; path is the node for errors.
func (s *PackageSet) template(path NodePath, id TemplateID) (*compiledTemplate, error) {
	cp := s.pkgs[id.Package]
	if cp == nil {
		return nil, &LookupError{Path: path, Name: "package " + string(id.Package), Err: ErrUnknownPackage}
	}
	ct := cp.templates[id.Name]
	if ct == nil {
		return nil, &LookupError{Path: path, Name: "template " + id.String(), Err: ErrUnknownTemplate}
	}
	return ct, nil
}

// Fields returns the fields of template id, and the parameters of one of its choices when
// choice is not empty. It lets command decoders type their arguments.
func (s *PackageSet) Fields(id TemplateID, choice string) ([]Field, error) {
	ct, err := s.template(nil, id)
	if err != nil {
		return nil, err
	}
	if choice == "" {
		return ct.src.Fields, nil
	}
	cc := ct.choices[choice]
	if cc == nil {
		return nil, &LookupError{Name: "choice " + choice + " of " + id.String(), Err: ErrUnknownChoice}
	}
	return cc.params, nil
}
