package ledger

import (
	"bytes"
	"fmt"
)

// MismatchError reports the first difference between a received subtree and its
// reinterpretation.
type MismatchError struct {
	Path     NodePath // relative to the view's root; empty for the root itself
	Field    string   // e.g. "arguments.amount", "children", "result"
	Expected string   // what reinterpretation produced
	Got      string   // what the view contains
}

func (e *MismatchError) Error() string {
	where := "view root"
	if len(e.Path) > 0 {
		where = "view node " + e.Path.String()
	}
	return fmt.Sprintf("%s: %s: %s: expected %s, got %s", ErrMismatch, where, e.Field, e.Expected, e.Got)
}

// Unwrap returns ErrMismatch.
func (e *MismatchError) Unwrap() error { return ErrMismatch }

// compareNode compares want (reinterpreted) with got (received), children in order.
func compareNode(p NodePath, want, got *Node) error {
	if err := compareHeader(p, want, got); err != nil {
		return err
	}
	if len(want.Children) != len(got.Children) {
		return &MismatchError{Path: p, Field: "children", Expected: fmt.Sprintf("%d nodes", len(want.Children)), Got: fmt.Sprintf("%d nodes", len(got.Children))}
	}
	for i := range want.Children {
		if err := compareNode(p.Child(i), want.Children[i], got.Children[i]); err != nil {
			return err
		}
	}
	return nil
}

func compareHeader(p NodePath, want, got *Node) error {
	fields := []struct {
		name      string
		want, got string
	}{
		{"kind", want.Kind.String(), got.Kind.String()},
		{"seed", want.Seed.String(), got.Seed.String()},
		{"contractId", string(want.ContractID), string(got.ContractID)},
		{"template", want.Template.String(), got.Template.String()},
		{"signatories", fmt.Sprint(want.Signatories), fmt.Sprint(got.Signatories)},
		{"observers", fmt.Sprint(want.Observers), fmt.Sprint(got.Observers)},
		{"choice", want.Choice, got.Choice},
		{"actors", fmt.Sprint(want.Actors), fmt.Sprint(got.Actors)},
		{"consuming", fmt.Sprint(want.Consuming), fmt.Sprint(got.Consuming)},
	}
	for _, f := range fields {
		if f.want != f.got {
			return &MismatchError{Path: p, Field: f.name, Expected: f.want, Got: f.got}
		}
	}
	if !bytes.Equal(encodeOptional(want.Result), encodeOptional(got.Result)) {
		return &MismatchError{Path: p, Field: "result", Expected: ValueString(want.Result), Got: ValueString(got.Result)}
	}
	if err := compareRecord(p, "arguments", want.Arguments, got.Arguments); err != nil {
		return err
	}
	return compareRecord(p, "choiceArgs", want.ChoiceArgs, got.ChoiceArgs)
}

func encodeOptional(v Value) []byte {
	if v == nil {
		return nil
	}
	return EncodeValue(v)
}

// compareRecord reports the first field, in name order, whose values differ.
func compareRecord(p NodePath, name string, want, got Record) error {
	keys := map[string]Value{}
	for k, v := range want {
		keys[k] = v
	}
	for k, v := range got {
		keys[k] = v
	}
	for _, k := range sortedKeys(keys) {
		w, g := want[k], got[k]
		if w == nil || g == nil || !bytes.Equal(EncodeValue(w), EncodeValue(g)) {
			return &MismatchError{Path: p, Field: name + "." + k, Expected: ValueString(w), Got: ValueString(g)}
		}
	}
	return nil
}
