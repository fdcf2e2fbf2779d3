// Package topology is the deterministic topology state of a synchronizer: identities,
// keys, party hosting and the synchronizer's own configuration, built from signed
// topology transactions. The ABCI application (the synchronizer's topology manager),
// participants and mediators all feed the same transactions, in sequencing order, through
// this package and reach byte-identical states. It uses no clock, randomness, I/O or
// map-order-dependent output.
//
// # Model
//
// A mapping (proto cometsync.topology.v1) states one fact: a NamespaceDelegation or
// IdentifierDelegation grants a key authority, a DecentralizedNamespaceDefinition puts a
// namespace under a threshold of owner namespaces, an OwnerToKeyMapping gives a member its
// keys, a PartyToParticipant hosts a party, and SynchronizerParametersState,
// MediatorSynchronizerState, SequencerSynchronizerState and
// ParticipantSynchronizerPermission configure the synchronizer (the parameters may
// enable traffic control, and a MemberTrafficLimit, authorized like them by the
// synchronizer's namespace, grants a member extra traffic or its own base rate);
// VettedPackages lists a participant's packages. Each mapping has a UniqueKey (its code plus its identity: the
// member of an OwnerToKeyMapping, the party of a PartyToParticipant, synchronizer and
// group of a MediatorSynchronizerState, ...). A Transaction REPLACEs or REMOVEs the
// mapping of its unique key; serials count per unique key from 1, and a REMOVE needs a
// mapping in force.
//
// The canonical form of a transaction is its protobuf encoding after normalization
// (set-like lists sorted, duplicates rejected); Transaction.Hash is SHA-256 with purpose
// 120 over it, and signers sign that hash with purpose 11 (crypto.PurposeTopologySignature).
//
// # Authorization
//
// State.Apply checks a transaction against the head (every transaction accepted so far).
// A signing key must be named by the transaction itself or by a delegation or
// OwnerToKeyMapping in force, and its signature must verify (else ErrInvalidSignature).
// The transaction is authorized when every required namespace is:
//
//   - a plain namespace ns is authorized by its root key (the key whose fingerprint is ns)
//     while its root certificate (the NamespaceDelegation of ns to that key) is in force,
//     or by the target key of a NamespaceDelegation of ns whose restriction admits the
//     mapping's code and which was signed by a key that is itself (still) authorized to
//     sign namespace delegations in ns: removing a delegation revokes every delegation
//     that hangs only on it. For mappings about one identifier (not delegations or
//     decentralized definitions), an IdentifierDelegation of that identifier also
//     authorizes its target key.
//   - a decentralized namespace is authorized when threshold of its owners are (each
//     through its own keys and delegations).
//
// Required namespaces: the namespace of a NamespaceDelegation (a root certificate, whose
// target is the namespace key, is self-signed instead) or IdentifierDelegation; for a
// DecentralizedNamespaceDefinition every owner when it is first defined (its namespace
// must be DecentralizedNamespace(owners)), else the current threshold plus every newly
// added owner; for an OwnerToKeyMapping the member's namespace and, for REPLACE, a
// signature by every listed signing key (proof of possession); for a PartyToParticipant
// the party's namespace and every newly added participant's namespace (consent); for the
// synchronizer-level mappings the synchronizer's namespace (typically decentralized); for
// VettedPackages the participant's namespace.
//
// A transaction that is not authorized fails with an *UnauthorizedError listing what is
// missing, unless it carries the proposal flag (or matches a stored proposal) and at least
// one required party signed: then it is stored as a proposal keyed by its hash. Later
// submissions of the same transaction merge their signatures; once the merged set
// authorizes it, it is applied. Applying a transaction drops the proposals of its unique
// key that can no longer apply. Proposals are not re-evaluated when other transactions
// change the head; a further submission does that.
//
// # Time
//
// Apply takes the sequencing time and the effective time (sequencing time + the
// topology change delay), in microseconds. A transaction effective at e is in force for
// snapshots at t with e < t, until the effective time of the transaction that supersedes
// it (inclusive). State.SnapshotAt(t) returns an immutable Snapshot answering the
// queries of participants, mediators and the sequencer; *Snapshot also has the method
// set of the sequencer's abci/core.Membership.
//
// # Calling it
//
//	st := topology.NewState(synchronizerID)
//	tx, err := topology.NewTransaction(pb.Operation_OPERATION_REPLACE, 1, topology.NewRootCertificate(pub))
//	out, err := st.Apply(topology.Sign(tx, false, priv), sequencedAt, sequencedAt+delay)
//	snap := st.SnapshotAt(t)
//
// The persisted form is State.Marshal (canonical; restore with Unmarshal) and State.Hash
// commits to it.
//
// # Queries for operator tools
//
// Tools that build and track transactions (the cometsync topology CLI) ask the state
// directly instead of decoding its dump: State.Serial gives the current serial of a
// unique key (KeyOf computes the key of a mapping; DecentralizedNamespaceKey,
// OwnerToKeyMappingKey, PartyToParticipantKey, SynchronizerParametersKey and
// ParticipantPermissionKey, MemberTrafficLimitKey name one from its owner alone, for a REMOVE of what is in
// force), State.Status says whether a signed transaction is applied or a pending
// proposal and what it still lacks, State.Preview what submitting it would do, and
// State.History lists the accepted transactions with their validity. The file format
// operators pass transactions around in is package topology/txfile.
package topology
