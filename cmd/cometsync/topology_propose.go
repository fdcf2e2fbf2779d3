package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
	"github.com/cometsync/cometsync/topology"
)

// mappingFlags are the fields of the mappings `topology propose` builds; each mapping
// uses a subset.
type mappingFlags struct {
	namespace    string
	root         bool
	targetKey    string
	restriction  []string
	keyOwner     string
	signingKeys  []string
	party        string
	participants []string
	threshold    uint32
	permission   string
	owners       []string
	params       paramFlags
}

func (f *mappingFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.namespace, "namespace", "", "namespace (namespace-delegation: default the signing key's; decentralized-namespace: default derived from the owners)")
	fl.BoolVar(&f.root, "root", false, "namespace-delegation: the root certificate of the signing key's namespace")
	fl.StringVar(&f.targetKey, "target-key", "", "namespace-delegation: base64 Ed25519 public key to delegate to")
	fl.StringSliceVar(&f.restriction, "restriction", []string{"all"}, "namespace-delegation: all, all-but-namespace-delegations, or mapping names")
	fl.StringVar(&f.keyOwner, "key-owner", "", "owner-to-key-mapping: member whose keys these are (default --member)")
	fl.StringSliceVar(&f.signingKeys, "signing-key", nil, "owner-to-key-mapping: further base64 signing public keys (the key store's active keys are always listed)")
	fl.StringVar(&f.party, "party", "", "party-to-participant: party name::namespace, or a name in the signing key's namespace")
	fl.StringArrayVar(&f.participants, "participant", nil, "participant PAR::name::ns[=permission] (repeatable)")
	fl.Uint32Var(&f.threshold, "threshold", 1, "party-to-participant: confirmation threshold; decentralized-namespace: owner threshold")
	fl.StringVar(&f.permission, "permission", "submission", "submission, confirmation or observation (default for --participant without =permission)")
	fl.StringArrayVar(&f.owners, "owner", nil, "decentralized-namespace: owner namespace fingerprint (repeatable)")
	f.params.add(cmd)
}

// proposeEnv is what building a mapping may draw on: the signing key and encryption key
// of --keystore, the synchronizer id and the current topology state (when a sequencer
// was given).
type proposeEnv struct {
	signer *crypto.SigningPrivateKey
	enc    *crypto.EncryptionPublicKey
	syncID string
	state  *topology.State
}

// loadEnv opens the key store (if given) and downloads the state (if a sequencer is).
func loadEnv(ctx context.Context, sf *signerFlags, cf *connFlags) (*proposeEnv, error) {
	env := &proposeEnv{syncID: cf.syncID}
	if sf.dir != "" {
		k, err := sf.signingKey(sf.dir)
		if err != nil {
			return nil, err
		}
		env.signer = &k
		if st, err := sf.open(sf.dir); err == nil {
			if e, err := st.EncryptionKey(); err == nil {
				pub := e.Public()
				env.enc = &pub
			}
		}
	}
	if cf.given() {
		st, err := downloadState(ctx, cf, sf)
		if err != nil {
			return nil, err
		}
		env.state, env.syncID = st, st.Synchronizer().String()
	}
	return env, nil
}

func (e *proposeEnv) key() (crypto.SigningPrivateKey, error) {
	if e.signer == nil {
		return crypto.SigningPrivateKey{}, errors.New("this needs the signing key: give --keystore")
	}
	return *e.signer, nil
}

func (e *proposeEnv) synchronizer() (crypto.UID, error) {
	if e.syncID == "" {
		return crypto.UID{}, errors.New("synchronizer mappings need --synchronizer-id or --sequencer")
	}
	return crypto.ParseUID(e.syncID)
}

// build makes the mapping of code from the flags.
func (f *mappingFlags) build(cmd *cobra.Command, code pb.MappingCode, env *proposeEnv, member string) (*pb.TopologyMapping, error) {
	switch code {
	case pb.MappingCode_MAPPING_CODE_NAMESPACE_DELEGATION:
		return f.namespaceDelegation(env)
	case pb.MappingCode_MAPPING_CODE_DECENTRALIZED_NAMESPACE_DEFINITION:
		return f.decentralizedNamespace()
	case pb.MappingCode_MAPPING_CODE_OWNER_TO_KEY_MAPPING:
		return f.ownerToKeyMapping(env, member)
	case pb.MappingCode_MAPPING_CODE_PARTY_TO_PARTICIPANT:
		return f.partyToParticipant(env)
	case pb.MappingCode_MAPPING_CODE_SYNCHRONIZER_PARAMETERS_STATE:
		sync, err := env.synchronizer()
		if err != nil {
			return nil, err
		}
		p, err := f.params.apply(cmd, env.state)
		return topology.NewSynchronizerParameters(sync, p), err
	case pb.MappingCode_MAPPING_CODE_PARTICIPANT_SYNCHRONIZER_PERMISSION:
		return f.participantPermission(env)
	}
	return nil, fmt.Errorf("proposing %s is not supported by this CLI", mappingName(code))
}

func (f *mappingFlags) namespaceDelegation(env *proposeEnv) (*pb.TopologyMapping, error) {
	k, err := env.key()
	if err != nil {
		return nil, err
	}
	if f.root {
		return topology.NewRootCertificate(k.Public()), nil
	}
	target, err := decodePublicKey(f.targetKey)
	if err != nil {
		return nil, fmt.Errorf("--target-key: %w", err)
	}
	ns := k.Fingerprint()
	if f.namespace != "" {
		if ns, err = crypto.ParseFingerprint(f.namespace); err != nil {
			return nil, err
		}
	}
	r, err := parseRestriction(f.restriction)
	return topology.NewNamespaceDelegation(ns, target, r), err
}

func (f *mappingFlags) decentralizedNamespace() (*pb.TopologyMapping, error) {
	var owners []crypto.Fingerprint
	for _, o := range f.owners {
		fp, err := crypto.ParseFingerprint(o)
		if err != nil {
			return nil, fmt.Errorf("--owner: %w", err)
		}
		owners = append(owners, fp)
	}
	ns := topology.DecentralizedNamespace(owners)
	if f.namespace != "" {
		ns = crypto.Fingerprint(f.namespace)
	}
	return topology.NewDecentralizedNamespace(ns, f.threshold, owners...), nil
}

func (f *mappingFlags) ownerToKeyMapping(env *proposeEnv, member string) (*pb.TopologyMapping, error) {
	if f.keyOwner != "" {
		member = f.keyOwner
	}
	m, err := crypto.ParseMember(member)
	if err != nil {
		return nil, fmt.Errorf("--key-owner (or --member): %w", err)
	}
	k, err := env.key()
	if err != nil {
		return nil, err
	}
	keys := []crypto.SigningPublicKey{k.Public()}
	for _, s := range f.signingKeys {
		pk, err := decodePublicKey(s)
		if err != nil {
			return nil, fmt.Errorf("--signing-key: %w", err)
		}
		keys = append(keys, pk)
	}
	var enc []*pb.EncryptionKey
	if env.enc != nil {
		enc = append(enc, &pb.EncryptionKey{Scheme: string(env.enc.Scheme), Key: env.enc.Key})
	}
	return topology.NewOwnerToKeyMapping(m, keys, enc...), nil
}

func (f *mappingFlags) partyToParticipant(env *proposeEnv) (*pb.TopologyMapping, error) {
	party, err := f.partyUID(env)
	if err != nil {
		return nil, err
	}
	var hosts []*pb.HostingParticipant
	for _, p := range f.participants {
		id, perm, err := f.hosting(p)
		if err != nil {
			return nil, err
		}
		hosts = append(hosts, topology.Host(id, perm))
	}
	return topology.NewPartyToParticipant(party, f.threshold, hosts...), nil
}

// partyUID reads --party: name::namespace, or a bare name in the signing key's namespace.
func (f *mappingFlags) partyUID(env *proposeEnv) (crypto.UID, error) {
	if f.party == "" {
		return crypto.UID{}, errors.New("--party is required")
	}
	if strings.Contains(f.party, crypto.Delimiter) {
		return crypto.ParseUID(f.party)
	}
	k, err := env.key()
	if err != nil {
		return crypto.UID{}, fmt.Errorf("party %q without a namespace: %w", f.party, err)
	}
	return crypto.NewUID(f.party, k.Fingerprint())
}

// hosting parses PAR::name::ns[=permission].
func (f *mappingFlags) hosting(s string) (crypto.Member, pb.ParticipantPermission, error) {
	id, perm, ok := strings.Cut(s, "=")
	if !ok {
		perm = f.permission
	}
	m, err := crypto.ParseMember(id)
	if err != nil {
		return m, 0, fmt.Errorf("--participant: %w", err)
	}
	p, err := parsePermission(perm)
	return m, p, err
}

func (f *mappingFlags) participantPermission(env *proposeEnv) (*pb.TopologyMapping, error) {
	sync, err := env.synchronizer()
	if err != nil {
		return nil, err
	}
	if len(f.participants) != 1 {
		return nil, errors.New("participant-permission needs exactly one --participant")
	}
	m, p, err := f.hosting(f.participants[0])
	return topology.NewParticipantPermission(sync, m, p), err
}

// keyFor is the unique key the flags name, for a REMOVE of the mapping in force.
func (f *mappingFlags) keyFor(code pb.MappingCode, env *proposeEnv, member string) (topology.UniqueKey, error) {
	var k topology.UniqueKey
	switch code {
	case pb.MappingCode_MAPPING_CODE_PARTY_TO_PARTICIPANT:
		party, err := f.partyUID(env)
		return topology.PartyToParticipantKey(party.String()), err
	case pb.MappingCode_MAPPING_CODE_OWNER_TO_KEY_MAPPING:
		if f.keyOwner != "" {
			member = f.keyOwner
		}
		k = topology.OwnerToKeyMappingKey(member)
	case pb.MappingCode_MAPPING_CODE_DECENTRALIZED_NAMESPACE_DEFINITION:
		k = topology.DecentralizedNamespaceKey(crypto.Fingerprint(f.namespace))
	case pb.MappingCode_MAPPING_CODE_SYNCHRONIZER_PARAMETERS_STATE:
		k = topology.SynchronizerParametersKey(env.syncID)
	case pb.MappingCode_MAPPING_CODE_PARTICIPANT_SYNCHRONIZER_PERMISSION:
		if len(f.participants) != 1 {
			return topology.UniqueKey{Code: code}, errors.New("participant-permission needs exactly one --participant")
		}
		id, _, _ := strings.Cut(f.participants[0], "=")
		k = topology.ParticipantPermissionKey(env.syncID, id)
	default:
		m, err := f.build(nil, code, env, member)
		if err != nil {
			return topology.UniqueKey{Code: code}, err
		}
		return topology.KeyOf(m)
	}
	if k.ID == "" {
		return k, fmt.Errorf("removing a %s needs the flags that identify it", mappingName(code))
	}
	return k, nil
}

func decodePublicKey(s string) (crypto.SigningPublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return crypto.SigningPublicKey{}, err
	}
	return crypto.SigningPublicKeyFromBytes(b)
}

func parseRestriction(rs []string) (*pb.DelegationRestriction, error) {
	if len(rs) == 1 && rs[0] == "all" {
		return topology.RestrictAll(), nil
	}
	if len(rs) == 1 && rs[0] == "all-but-namespace-delegations" {
		return topology.RestrictAllButNamespaceDelegations(), nil
	}
	var codes []pb.MappingCode
	for _, r := range rs {
		c, err := parseMappingName(r)
		if err != nil {
			return nil, fmt.Errorf("--restriction: %w", err)
		}
		codes = append(codes, c)
	}
	return topology.RestrictTo(codes...), nil
}
