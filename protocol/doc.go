// Package protocol is the deterministic core of the transaction protocol on the
// participant (DESIGN §8, seed documents 001 and 003): it turns an interpreted
// transaction into the views and salted Merkle tree of a confirmation request, plans who
// receives what, and performs the pure checks a validating participant runs on what it
// receives. It does no I/O, encryption, clock reading or randomness: the submission seed,
// the topology (Hosting) and the sequencing time are parameters.
//
// # Views
//
// Prepare decomposes a ledger.Transaction: each root action is a root view; inside a view,
// every action whose informees (ledger.Node.Informees) differ from the view's starts a
// sub-view, and so on recursively. An action whose informees equal its view's stays in
// that view. A View carries what its informees' participants need to validate it:
//
//   - CommonData: the informees, sorted, each flagged confirming (the signatories of the
//     action's contract and the actors) or not (observers); the mediator sees this part.
//   - ParticipantData: the action node with its whole subtree and seeds (so that
//     ledger.Reinterpret can re-run it), the authorizers (Transaction.WalkAuthorizers),
//     the input contracts (used, not created in the subtree; including contracts created
//     earlier in the transaction outside the view), the created contracts and the ledger
//     time, and the creating seeds of the disclosed inputs (explicit disclosure: the
//     submitter prepared with a ledger.SeedLookup, ledger.WithDisclosures).
//   - the hashes of its sub-views.
//
// The Daml ledger model lets an informee of an action see its whole subtree, so a view's
// action includes its sub-views' actions; what a view blinds about a sub-view is its own
// data (common data, salts, inputs) and its position among the sub-views' contents.
//
// # The salted Merkle tree
//
// Every node hash is a crypto.Hasher hash with its own purpose (purpose.go, 150–155) and
// length-prefixed fields:
//
//	common data hash      = H(150, salt, informees)
//	participant data hash = H(151, salt, EncodeNode(action), authorizers, inputs, created, ledger time[, input seeds])
//	view hash             = H(152, common data hash, participant data hash, sub-view hashes)
//	root hash             = H(155, H(153, common metadata), H(154, submitter metadata), root view hashes)
//
// The common metadata (salt, synchronizer id, mediator group) is visible in every tree;
// the submitter metadata (salt, submitting participant, submitters, ledger time) is visible
// to the mediator and to root views' recipients. Salts come from one random submission
// Seed through HKDF-SHA256 with the node's position; a view's participant data salt is the
// view's seed, from which its common data salt and its sub-views' seeds derive. A salt is
// 32 secret bytes, so a blinded node cannot be guessed from its hash, while a recipient of
// a view can recompute its sub-views' hashes from the view alone (CheckSubViews).
//
// A Tree is the Merkle tree partially blinded: a blinded node is replaced by its hash, so
// every tree of one request has the same RootHash. Prepared.ViewTree shows one view (its
// ancestors as hashes and sub-view lists, everything else blinded); Prepared.InformeeTree
// shows every view's common data and blinds all participant data, which lets the mediator
// recompute the root hash and learn each view's informees (DecodeInformeeTree).
// EncodeTree writes a Tree as a protocolpb.TransactionTree with the views flattened in
// pre-order; DecodeTree accepts only that canonical encoding and bounds the nesting.
//
// # Submission
//
// Recipients(prepared, hosting) returns a SubmissionPlan: per view, the sorted participants
// hosting any of its informees and the plaintext view tree; per such participant, a root
// hash message (recipients: the participant and the mediator group); and the informee tree
// for the mediator group. The I/O layer encrypts each view under a fresh view key, the
// key's seed to each recipient, and the informee tree to the mediator, and sends one batch.
//
// # Validation
//
// A participant runs, for each view it received (Validator.ValidateView runs them all):
//
//   - CheckViewAgainstRoot: the view tree decodes, shows one view in full and hashes to the
//     root hash of the request's root hash message (equivocation, tampering);
//   - CheckMetadata: a root view's authorizers are the submitters; the ledger times agree;
//   - CheckSubViews: the declared sub-view hashes are those of the view's own subtree;
//   - CheckInformees: the declared informees are the action's (a wrong common data);
//   - CheckRecipients: every participant hosting an informee received the view (a view
//     withheld from a hosting participant);
//   - CheckLedgerTime: the ledger time is within tolerance of the sequencing time;
//   - CheckConformance: the declared inputs and creations are the action's, each disclosed
//     input's id derives from its seed and content, known inputs match the participant's
//     copies, and ledger.Reinterpret reproduces the subtree, authorization included.
//
// Each failure is a typed error wrapping a sentinel (errors.go) that maps to a reject
// reason. Consistency (inputs active, not locked by an earlier request) needs the
// participant's state and is not part of this package.
package protocol
