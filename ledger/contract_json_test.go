package ledger

import (
	"errors"
	"reflect"
	"testing"
)

func TestContractArgumentsJSON(t *testing.T) {
	f := newBoxFixture(t)
	c := f.acs[f.box]
	got, err := ContractArgumentsJSON(f.pkgs, c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"n":"1","note":"hi","owner":"Alice::1220cc","watchers":["Bob::1220dd"],"when":"2026-03-01T12:00:00Z"}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// The output is what a create command's arguments read back.
	cmd, err := DecodeCommand(f.pkgs, []byte(`{"actAs":["Alice::1220cc"],"create":{"template":"box:Box","arguments":`+string(got)+`}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cmd.Arguments, c.Arguments) {
		t.Fatalf("round trip: got %#v, want %#v", cmd.Arguments, c.Arguments)
	}
}

func TestContractArgumentsJSONUnknownTemplate(t *testing.T) {
	f := newBoxFixture(t)
	c := *f.acs[f.box]
	c.Template.Name = "Nope"
	_, err := ContractArgumentsJSON(f.pkgs, &c)
	if !errors.Is(err, ErrUnknownTemplate) {
		t.Fatalf("got %v, want ErrUnknownTemplate", err)
	}
}
