package ledger

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Callers branch on them with errors.Is; the typed errors below carry the
// context and unwrap to them.
var (
	// ErrInvalidPackage: a package file does not parse or does not validate.
	ErrInvalidPackage = errors.New("invalid package")
	// ErrUnknownPackage: a template refers to a package not in the package set.
	ErrUnknownPackage = errors.New("unknown package")
	// ErrUnknownTemplate: no template of that name in the package.
	ErrUnknownTemplate = errors.New("unknown template")
	// ErrUnknownChoice: no choice of that name on the template.
	ErrUnknownChoice = errors.New("unknown choice")
	// ErrWrongTemplate: a contract is not an instance of the template the action names.
	ErrWrongTemplate = errors.New("contract has a different template")
	// ErrContractNotFound: the contract id is neither an input contract nor created earlier.
	ErrContractNotFound = errors.New("contract not found")
	// ErrContractNotActive: the contract was archived earlier in the same transaction.
	ErrContractNotActive = errors.New("contract not active")
	// ErrAuthorization: an action lacks the authorization of a required party.
	ErrAuthorization = errors.New("authorization failure")
	// ErrEnsureFailed: a template's ensure clause is false for a new contract.
	ErrEnsureFailed = errors.New("ensure failed")
	// ErrAssertionFailed: an assert action of a choice body is false.
	ErrAssertionFailed = errors.New("assertion failed")
	// ErrTypeMismatch: a value does not have the declared type.
	ErrTypeMismatch = errors.New("type mismatch")
	// ErrEvaluation: an expression failed at run time (no such key, overflow, ...).
	ErrEvaluation = errors.New("evaluation error")
	// ErrCostLimitExceeded: an expression or the whole transaction exceeded its cost budget.
	ErrCostLimitExceeded = errors.New("cost limit exceeded")
	// ErrInvalidCommand: a command is malformed.
	ErrInvalidCommand = errors.New("invalid command")
	// ErrMalformedEncoding: bytes are not a canonical encoding.
	ErrMalformedEncoding = errors.New("malformed encoding")
	// ErrMismatch: reinterpretation of a view produced a different subtree.
	ErrMismatch = errors.New("reinterpretation mismatch")
)

// NodePath is the position of a node in a transaction: the index of the root followed by
// the child index at each level.
type NodePath []int

// String returns the path as dot-separated indexes, e.g. "0.2.1"; the empty path is "-".
func (p NodePath) String() string {
	if len(p) == 0 {
		return "-"
	}
	parts := make([]string, len(p))
	for i, x := range p {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, ".")
}

// Child returns the path of child i of p.
func (p NodePath) Child(i int) NodePath {
	out := make(NodePath, len(p)+1)
	copy(out, p)
	out[len(p)] = i
	return out
}

// TypeError reports a value of the wrong type.
type TypeError struct {
	Where    string // the field or expression, e.g. "Iou.amount"
	Expected string // the declared type
	Got      string // what was found
}

func (e *TypeError) Error() string {
	return fmt.Sprintf("%s: %s: expected %s, got %s", ErrTypeMismatch, e.Where, e.Expected, e.Got)
}

// Unwrap returns ErrTypeMismatch.
func (e *TypeError) Unwrap() error { return ErrTypeMismatch }

// AuthorizationError reports an action whose required parties are not all authorizers.
type AuthorizationError struct {
	Path        NodePath // the failing node
	Action      string   // e.g. "create 1220..:Iou", "exercise Transfer on 00ab.."
	Required    PartySet // who must authorize (for a fetch: any one of them)
	Authorizers PartySet // who authorized
	Missing     PartySet // Required minus Authorizers
}

func (e *AuthorizationError) Error() string {
	return fmt.Sprintf("%s: node %s: %s requires %v, authorizers %v, missing %v",
		ErrAuthorization, e.Path, e.Action, e.Required, e.Authorizers, e.Missing)
}

// Unwrap returns ErrAuthorization.
func (e *AuthorizationError) Unwrap() error { return ErrAuthorization }

// ContractError reports a contract that cannot be used.
type ContractError struct {
	Path       NodePath   // the node that uses the contract
	ContractID ContractID // the contract
	ArchivedAt NodePath   // for ErrContractNotActive: the node that archived it
	Err        error      // ErrContractNotFound, ErrContractNotActive or ErrWrongTemplate
	Detail     string
}

func (e *ContractError) Error() string {
	msg := fmt.Sprintf("%s: node %s: contract %s", e.Err, e.Path, e.ContractID)
	if e.Err == ErrContractNotActive {
		msg += fmt.Sprintf(" was archived at node %s", e.ArchivedAt)
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Unwrap returns the sentinel.
func (e *ContractError) Unwrap() error { return e.Err }

// LookupError reports an unknown package, template or choice.
type LookupError struct {
	Path NodePath // the node, or nil outside interpretation
	Name string   // what was looked up
	Err  error    // ErrUnknownPackage, ErrUnknownTemplate or ErrUnknownChoice
}

func (e *LookupError) Error() string {
	if e.Path == nil {
		return fmt.Sprintf("%s: %s", e.Err, e.Name)
	}
	return fmt.Sprintf("%s: node %s: %s", e.Err, e.Path, e.Name)
}

// Unwrap returns the sentinel.
func (e *LookupError) Unwrap() error { return e.Err }

// EvalError reports a failing or false expression of a package.
type EvalError struct {
	Path NodePath // the node being built
	Expr string   // where the expression sits, e.g. "Iou.ensure", "Iou.Split.body[1]"
	Msg  string
	Err  error // ErrEnsureFailed, ErrAssertionFailed, ErrEvaluation or ErrCostLimitExceeded
}

func (e *EvalError) Error() string {
	return fmt.Sprintf("%s: node %s: %s: %s", e.Err, e.Path, e.Expr, e.Msg)
}

// Unwrap returns the sentinel.
func (e *EvalError) Unwrap() error { return e.Err }
