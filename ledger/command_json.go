package ledger

import (
	"encoding/json"
	"fmt"
	"slices"
)

// DecodeCommand decodes the JSON form of a command, typing its arguments by the
// template's fields or the choice's parameters:
//
//	{"actAs": ["Alice::1220..."],
//	 "create": {"template": "iou:IouProposal", "arguments": {"amount": "10.5", ...}}}
//	{"actAs": ["Alice::1220..."],
//	 "exercise": {"template": "iou:Iou", "contractId": "00...", "choice": "Split",
//	              "arguments": {"splitAmount": "2.5"}}}
//
// A template is package:Template with a package id or the name of a package of pkgs.
// Errors wrap ErrInvalidCommand, or are a *TypeError or *LookupError.
func DecodeCommand(pkgs *PackageSet, data []byte) (Command, error) {
	n, err := parseJSON(data)
	if err != nil {
		return Command{}, fmt.Errorf("%w: %v", ErrInvalidCommand, err)
	}
	if err := onlyKeys(n, "command", "actAs", "create", "exercise"); err != nil {
		return Command{}, err
	}
	var cmd Command
	if cmd.ActAs, err = actAsFromJSON(n.obj["actAs"]); err != nil {
		return Command{}, err
	}
	create, exercise := n.obj["create"], n.obj["exercise"]
	switch {
	case create != nil && exercise == nil:
		err = decodeCreate(pkgs, create, &cmd)
	case exercise != nil && create == nil:
		err = decodeExercise(pkgs, exercise, &cmd)
	default:
		err = fmt.Errorf("%w: want exactly one of create and exercise", ErrInvalidCommand)
	}
	if err != nil {
		return Command{}, err
	}
	return cmd, cmd.Validate()
}

func onlyKeys(n *jnode, what string, keys ...string) error {
	if n == nil || n.kind != '{' {
		return fmt.Errorf("%w: %s must be an object", ErrInvalidCommand, what)
	}
	for _, k := range sortedKeys(n.obj) {
		if !slices.Contains(keys, k) {
			return fmt.Errorf("%w: %s: unknown key %q", ErrInvalidCommand, what, k)
		}
	}
	return nil
}

func actAsFromJSON(n *jnode) (PartySet, error) {
	v, err := valueFromJSONOrMissing("actAs", TList(TParty), n)
	if err != nil {
		return nil, err
	}
	var ps []Party
	for _, p := range v.(ListValue) {
		ps = append(ps, Party(p.(PartyValue)))
	}
	return NewPartySet(ps...), nil
}

func valueFromJSONOrMissing(where string, t Type, n *jnode) (Value, error) {
	if n == nil {
		return nil, fmt.Errorf("%w: missing %s", ErrInvalidCommand, where)
	}
	return valueFromJSON(where, t, n)
}

func stringMember(n *jnode, key string) (string, error) {
	v, err := valueFromJSONOrMissing(key, TText, n.obj[key])
	if err != nil {
		return "", err
	}
	return string(v.(TextValue)), nil
}

func decodeCreate(pkgs *PackageSet, n *jnode, cmd *Command) error {
	if err := onlyKeys(n, "create", "template", "arguments"); err != nil {
		return err
	}
	cmd.Kind = CommandCreate
	return decodeTarget(pkgs, n, cmd, "")
}

func decodeExercise(pkgs *PackageSet, n *jnode, cmd *Command) error {
	if err := onlyKeys(n, "exercise", "template", "contractId", "choice", "arguments"); err != nil {
		return err
	}
	cmd.Kind = CommandExercise
	cid, err := valueFromJSONOrMissing("contractId", TContractID, n.obj["contractId"])
	if err != nil {
		return err
	}
	cmd.ContractID = ContractID(cid.(ContractIDValue))
	if cmd.Choice, err = stringMember(n, "choice"); err != nil {
		return err
	}
	return decodeTarget(pkgs, n, cmd, cmd.Choice)
}

// decodeTarget resolves the template and types the arguments.
func decodeTarget(pkgs *PackageSet, n *jnode, cmd *Command, choice string) error {
	ref, err := stringMember(n, "template")
	if err != nil {
		return err
	}
	if cmd.Template, err = pkgs.ResolveTemplate(ref); err != nil {
		return err
	}
	fields, err := pkgs.Fields(cmd.Template, choice)
	if err != nil {
		return err
	}
	args := n.obj["arguments"]
	if args == nil {
		args = &jnode{kind: '{', obj: map[string]*jnode{}}
	}
	cmd.Arguments, err = recordFromJSON("arguments", fields, args)
	return err
}

// EncodeCommand returns the JSON form of cmd that DecodeCommand reads, with the template
// named by package id. Keys are sorted, so the output is deterministic.
func EncodeCommand(pkgs *PackageSet, cmd Command) ([]byte, error) {
	choice := ""
	if cmd.Kind == CommandExercise {
		choice = cmd.Choice
	}
	fields, err := pkgs.Fields(cmd.Template, choice)
	if err != nil {
		return nil, err
	}
	body := map[string]any{"template": cmd.Template.String(), "arguments": recordJSONForm(fields, cmd.Arguments)}
	out := map[string]any{"actAs": cmd.ActAs}
	if cmd.Kind == CommandExercise {
		body["contractId"], body["choice"] = cmd.ContractID, cmd.Choice
		out["exercise"] = body
	} else {
		out["create"] = body
	}
	return json.Marshal(out)
}
