package topology

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/topologypb"
)

// Snapshot is the topology in force at one time: the mappings of every transaction with
// valid_from < t <= valid_until. It is immutable and safe for concurrent use; mappings
// it returns are copies.
type Snapshot struct {
	at      int64
	sync    crypto.UID
	byKey   map[UniqueKey]*entry
	ordered []*entry // by unique key
	members membership
	hosted  map[string][]HostedParty
	root    []byte
}

// HostedParty is a party a participant hosts, with its permission.
type HostedParty struct {
	Party      string
	Permission pb.ParticipantPermission
}

// SnapshotAt returns the topology in force at time t: a transaction effective at e
// counts from t > e on, so an event sequenced at t sees the changes effective before t.
//
// A snapshot depends only on the set of entries in force, so the last one built is
// reused (with its time changed) while the same entries are in force: the replay of a
// stream asks for the snapshot at nearly every event, and the set rarely changes.
func (s *State) SnapshotAt(t int64) *Snapshot {
	// Fast path: the same time again with no transaction added since (entries change
	// only when one is added), as a participant asks several questions about one
	// request's time.
	s.snapMu.Lock()
	if s.lastSnap != nil && s.lastAt == t && s.lastLen == len(s.history) {
		snap := s.lastSnap
		s.snapMu.Unlock()
		return snap
	}
	s.snapMu.Unlock()
	snap := s.snapshotAt(t)
	s.snapMu.Lock()
	s.lastSnap, s.lastAt, s.lastLen = snap, t, len(s.history)
	s.snapMu.Unlock()
	return snap
}

func (s *State) snapshotAt(t int64) *Snapshot {
	active := make([]*entry, 0, len(s.history))
	for _, e := range s.history {
		if e.activeAt(t) {
			active = append(active, e)
		}
	}
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	if c := s.snap; c != nil && slices.Equal(c.active, active) {
		snap := *c.snap
		snap.at = t
		return &snap
	}
	snap := &Snapshot{at: t, sync: s.synchronizer, byKey: make(map[UniqueKey]*entry, len(active))}
	for _, e := range active {
		snap.byKey[e.key()] = e
	}
	snap.ordered = slices.Clone(active)
	keys := make(map[*entry]string, len(active))
	for _, e := range active {
		keys[e] = e.key().String()
	}
	slices.SortFunc(snap.ordered, func(a, b *entry) int { return strings.Compare(keys[a], keys[b]) })
	snap.hosted = hostedParties(snap.ordered)
	snap.members = buildMembership(snap)
	snap.root = snapshotRoot(s.synchronizer, snap.ordered)
	s.snap = &cachedSnapshot{active: active, snap: snap}
	return snap
}

// cachedSnapshot is a built snapshot with the entries in force it was built from, in
// history order.
type cachedSnapshot struct {
	active []*entry
	snap   *Snapshot
}

// Head returns the snapshot of every accepted transaction, effective or not yet.
func (s *State) Head() *Snapshot { return s.SnapshotAt(Forever) }

func snapshotRoot(sync crypto.UID, ordered []*entry) []byte {
	h := crypto.NewHasher(crypto.PurposeTopologySnapshotRoot).AddString(sync.String()).AddUint32(uint32(len(ordered)))
	for _, e := range ordered {
		h.AddString(e.key().String()).AddFixed(e.tx().hash)
	}
	return h.Sum()
}

func hostedParties(ordered []*entry) map[string][]HostedParty {
	out := make(map[string][]HostedParty)
	for _, e := range ordered { // ordered by party, so each list is sorted by party
		ptp := e.mapping().GetPartyToParticipant()
		for _, p := range ptp.GetParticipants() {
			out[p.Participant] = append(out[p.Participant], HostedParty{Party: ptp.Party, Permission: p.Permission})
		}
	}
	return out
}

// At returns the snapshot's time.
func (s *Snapshot) At() int64 { return s.at }

// Synchronizer returns the synchronizer id.
func (s *Snapshot) Synchronizer() crypto.UID { return s.sync }

// Transactions returns the transactions in force, ordered by unique key.
func (s *Snapshot) Transactions() []*SignedTransaction {
	out := make([]*SignedTransaction, len(s.ordered))
	for i, e := range s.ordered {
		out[i] = e.stx
	}
	return out
}

// Mapping returns a copy of the mapping in force for k.
func (s *Snapshot) Mapping(k UniqueKey) (*pb.TopologyMapping, bool) {
	e := s.byKey[k]
	if e == nil {
		return nil, false
	}
	return e.tx().Mapping(), true
}

func (s *Snapshot) get(code pb.MappingCode, id string) *pb.TopologyMapping {
	if e := s.byKey[UniqueKey{Code: code, ID: id}]; e != nil {
		return e.mapping()
	}
	return nil
}

// each calls f with the mappings in force of code, ordered by unique key.
func (s *Snapshot) each(code pb.MappingCode, f func(*pb.TopologyMapping)) {
	for _, e := range s.ordered {
		if e.key().Code == code {
			f(e.mapping())
		}
	}
}

// message is what clone needs of a generated message.
type message interface {
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
}

// clone deep-copies a generated message.
func clone[T any, P interface {
	*T
	message
}](m P) P {
	if m == nil {
		return nil
	}
	b, err := m.Marshal()
	if err != nil {
		panic(fmt.Sprintf("topology: encoding a stored message: %v", err))
	}
	out := P(new(T))
	if err := out.Unmarshal(b); err != nil {
		panic(fmt.Sprintf("topology: decoding a stored message: %v", err))
	}
	return out
}
