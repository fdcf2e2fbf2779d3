// Package ledger is cometsync's contract model, standing in for Daml: packages of
// templates, an interpreter that turns a command into a transaction tree, the
// authorization rules of the Daml ledger model, canonical encodings, and the
// reinterpretation that validating participants use to check conformance. It is a
// deterministic core: no clock (ledger time is a parameter), no randomness (the
// submission seed is a parameter), no map-order dependence, no floating point.
//
// # Packages
//
// A package is a YAML (or JSON) file:
//
//	package: iou
//	version: 1.0.0
//	templates:
//	  Iou:
//	    fields: {issuer: party, owner: party, amount: decimal, currency: text}
//	    signatories: "[issuer, owner]"          # CEL, list<party>
//	    observers: "[]"                         # optional, list<party>
//	    ensure: "amount > decimal('0')"         # optional, bool
//	    choices:
//	      Transfer:
//	        controllers: "[owner, newOwner]"    # CEL, list<party>
//	        consuming: true                     # the default
//	        parameters: {newOwner: party}
//	        returns: contractId                 # optional, with result
//	        body:                               # actions, in order
//	          - create: Iou                     # create a contract
//	            args: {issuer: issuer, owner: newOwner, amount: amount, currency: currency}
//	            bind: moved                     # its contract id, for later actions
//	        result: moved
//
// Other actions: exercise (a choice on a contract: exercise: Choice, template, contract,
// args, bind binds the choice result), fetch (fetch: Template, contract, bind binds the
// contract's arguments as a map) and assert (a bool expression and a message). Every
// template also has the consuming choice Archive, controlled by its signatories.
//
// Field types are party, text, int, decimal (exact, 10 fractional digits, 38 digits in
// all), time (microseconds, UTC), contractId, bool, list<T> and optional<T>.
// Expressions are CEL; in them parties, text and contract ids are strings, times are
// timestamps, decimals are built with decimal("1.5") or decimal(3) and support + - * / and
// comparisons, optionals use optional.of/none, hasValue and value. Choice expressions also
// see the choice parameters, self (the contract id) and now (the ledger time). Floating
// point and time zones are rejected at compile time; every evaluation has a cost limit
// (ExprCostLimit) and each transaction a budget (Limits).
//
// ParsePackage reads a file and computes its PackageID, the SHA-256 of a canonical form
// (hash purpose PurposePackageID) printed as 1220+hex: comments, key order and YAML versus
// JSON do not change it. ValidatePackage also compiles the expressions; errors are
// *PackageError with the line and column. NewPackageSet compiles packages for the
// interpreter.
//
// # Interpretation
//
//	pkgs, err := ledger.NewPackageSet(iouPkg, dvpPkg)
//	cmd := ledger.ExerciseCommand(actAs, tid, cid, "Transfer", ledger.Record{"newOwner": ledger.PartyValue(bob)})
//	tx, err := ledger.Interpret(pkgs, cmd, acs, ledgerTime, submissionSeed)
//
// The Transaction is a tree of Nodes (create, exercise with its consequences as children,
// fetch); Node.Informees gives each node's informees (create: stakeholders; consuming
// exercise: stakeholders and actors; non-consuming exercise and fetch: signatories and
// actors). Authorization: the root is authorized by actAs; the consequences of an
// exercise by the exercised contract's signatories and the controllers; a create needs all
// its signatories among the authorizers, an exercise all its controllers, a fetch at least
// one stakeholder. Each node has a Seed derived from its parent's (DeriveSeed), and a
// created contract's id hashes its node's seed with the contract instance
// (DeriveContractID). Transaction.Effects lists created, archived and input contracts.
//
// # Explicit disclosure
//
// Since a contract's id derives from its creating seed and its content, the pair proves
// the id. EncodeCreatedEventBlob encodes it (version byte, seed, EncodeContract) for a
// stakeholder's participant to hand out; DecodeCreatedEventBlob decodes and verifies it
// (ErrContractIDMismatch for a tampered one). A submitter that is not a stakeholder
// interprets against WithDisclosures(acs, disclosures): its own contracts first, then the
// disclosed ones, whose seeds (SeedLookup) the confirmation request's views carry.
//
// Errors wrap sentinels (ErrContractNotFound, ErrContractNotActive, ErrAuthorization,
// ErrEnsureFailed, ErrAssertionFailed, ErrTypeMismatch, ErrUnknownTemplate,
// ErrUnknownChoice, ErrCostLimitExceeded, ...) and carry context in typed errors
// (*AuthorizationError, *ContractError, *EvalError, *TypeError, *LookupError) naming the
// node path ("0.2.1": root 0, its third child, that node's second child).
//
// # Encodings
//
// EncodeTransaction, EncodeNode, EncodeContract and EncodeValue give canonical binary
// encodings (sorted records and party sets, length-prefixed strings, no floats): equal
// trees have equal bytes, and the decoders accept only canonical input, so decode then
// encode returns the same bytes. DecodeCommand reads the JSON form of a command, typing
// its arguments by the package; EncodeCommand writes it.
//
// # Conformance
//
// A validating participant receives views: an action node with its subtree. Reinterpret
// re-runs the node's action from the node's own seed, with the view's authorizers
// (Transaction.WalkAuthorizers computes them on the submitting side) and the view's input
// contracts, and compares the result with the received subtree, reporting the first
// difference as a *MismatchError (node path and field).
package ledger
