package ledger

import (
	"encoding/hex"

	"github.com/cometsync/cometsync/crypto"
)

// ComputeID returns the package id: "1220" + hex(SHA-256(110 || canonical form)). The
// canonical form lists name, version and every template, field, choice and action with
// sorted names and length-prefixed strings; it ignores comments, key order, YAML versus
// JSON syntax and positions, but not the text of expressions.
func (p *Package) ComputeID() PackageID {
	h := crypto.NewHasher(PurposePackageID)
	h.AddString(p.Name).AddString(p.Version)
	h.AddUint32(uint32(len(p.Templates)))
	for _, t := range p.Templates {
		hashTemplate(h, t)
	}
	return PackageID("1220" + hex.EncodeToString(h.Sum()))
}

func hashTemplate(h *crypto.Hasher, t *Template) {
	h.AddString(t.Name)
	hashFields(h, t.Fields)
	h.AddString(t.Signatories.Source).AddString(t.Observers.Source).AddString(t.Ensure.Source)
	h.AddUint32(uint32(len(t.Choices)))
	for _, c := range t.Choices {
		hashChoice(h, c)
	}
}

func hashFields(h *crypto.Hasher, fs []Field) {
	h.AddUint32(uint32(len(fs)))
	for _, f := range fs {
		h.AddString(f.Name).AddString(f.Type.String())
	}
}

func hashChoice(h *crypto.Hasher, c *Choice) {
	h.AddString(c.Name).AddString(c.Controllers.Source)
	if c.Consuming {
		h.AddUint32(1)
	} else {
		h.AddUint32(0)
	}
	hashFields(h, c.Parameters)
	returns := ""
	if c.Returns != nil {
		returns = c.Returns.String()
	}
	h.AddString(returns).AddString(c.Result.Source)
	h.AddUint32(uint32(len(c.Body)))
	for _, a := range c.Body {
		hashAction(h, a)
	}
}

func hashAction(h *crypto.Hasher, a *Action) {
	h.AddUint32(uint32(a.Kind)).AddString(a.Bind).AddString(a.Template).AddString(a.Choice)
	h.AddString(a.Contract.Source).AddString(a.Cond.Source).AddString(a.Message)
	h.AddUint32(uint32(len(a.Args)))
	for _, arg := range a.Args {
		h.AddString(arg.Name).AddString(arg.Value.Source)
	}
}
