package ledger

import "encoding/json"

// ContractArgumentsJSON returns the JSON form of c's arguments, typed by the fields of its
// template in pkgs: the form of a create command's "arguments" (see DecodeCommand). Keys
// are sorted, so the output is deterministic. It fails with a *LookupError when pkgs does
// not know c's template.
func ContractArgumentsJSON(pkgs *PackageSet, c *Contract) ([]byte, error) {
	fields, err := pkgs.Fields(c.Template, "")
	if err != nil {
		return nil, err
	}
	return json.Marshal(recordJSONForm(fields, c.Arguments))
}
