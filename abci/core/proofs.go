package core

import (
	"errors"
	"fmt"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqproof"
)

// ErrNotProvable is returned for a proof the state cannot give: a height with no stored
// app-hash inputs (pruned, or not yet committed), or a stream head at a height whose
// counters the machine no longer keeps.
var ErrNotProvable = errors.New("not provable")

// writeProofRecords stores what the block's proofs need: its app-hash inputs and its
// event leaves (one record of concatenated 32-byte leaves).
func (x *execution) writeProofRecords(in *pb.AppHashInputs) {
	x.ov.set(KeyAppHashInputs(in.Height), mustMarshal(in))
	if len(x.leaves) == 0 {
		return
	}
	buf := make([]byte, 0, len(x.leaves)*crypto.HashSize)
	for _, l := range x.leaves {
		buf = append(buf, l...)
	}
	x.ov.set(KeyBlockLeaves(in.Height), buf)
}

// ReadAppHashInputs returns the stored app-hash inputs of the block at height.
func ReadAppHashInputs(r Reader, height int64) (*pb.AppHashInputs, error) {
	b, err := r.Get(KeyAppHashInputs(height))
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("app hash inputs of height %d: %w", height, ErrNotProvable)
	}
	if err != nil {
		return nil, err
	}
	var in pb.AppHashInputs
	if err := in.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("stored app hash inputs of height %d: %w", height, err)
	}
	return &in, nil
}

// BlockProof proves the events of one block: its app-hash inputs and the tree over its
// event leaves. It is immutable; the proofs it gives share its slices, which callers must
// not modify.
type BlockProof struct {
	Inputs *pb.AppHashInputs
	tree   *seqproof.Tree
	index  map[string]int // leaf → position
}

// LoadBlockProof reads the proof records of the block at height.
func LoadBlockProof(r Reader, height int64) (*BlockProof, error) {
	in, err := ReadAppHashInputs(r, height)
	if err != nil {
		return nil, err
	}
	b, err := r.Get(KeyBlockLeaves(height))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if len(b)%crypto.HashSize != 0 {
		return nil, fmt.Errorf("stored event leaves of height %d: %d bytes", height, len(b))
	}
	leaves := make([][]byte, len(b)/crypto.HashSize)
	index := make(map[string]int, len(leaves))
	for i := range leaves {
		leaves[i] = b[i*crypto.HashSize : (i+1)*crypto.HashSize : (i+1)*crypto.HashSize]
		index[string(leaves[i])] = i
	}
	bp := &BlockProof{Inputs: in, tree: seqproof.NewTree(leaves), index: index}
	if len(leaves) > 0 && string(bp.tree.Root) != string(in.EventsRoot) {
		return nil, fmt.Errorf("stored event leaves of height %d do not hash to its events root", height)
	}
	return bp, nil
}

// Prove returns the proof of ev, an event of member's stream that the block sequenced, as
// ReadEvents serves it.
func (bp *BlockProof) Prove(member string, ev *pb.SequencedEvent) (*pb.EventProof, error) {
	i, ok := bp.index[string(seqproof.EventLeaf(member, ev))]
	if !ok {
		return nil, fmt.Errorf("event %d of %s is not a leaf of height %d", ev.Counter, member, bp.Inputs.Height)
	}
	idx, total, aunts := bp.tree.Prove(i)
	return &pb.EventProof{Block: bp.Inputs, LeafIndex: idx, LeafTotal: total, Aunts: aunts}, nil
}

// ProveEvent returns the proof of event counter of member's stream against the app hash
// of the block that sequenced it.
func ProveEvent(r Reader, member string, counter int64) (*pb.EventProof, error) {
	evs, err := ReadEvents(r, member, counter, 1)
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 || evs[0].Counter != counter {
		return nil, fmt.Errorf("event %d of %s: %w", counter, member, ErrNotFound)
	}
	bp, err := LoadBlockProof(r, evs[0].Height)
	if err != nil {
		return nil, err
	}
	return bp.Prove(member, evs[0])
}

// ProveStreamHead proves member's next counter after the committed block of r.
func ProveStreamHead(r Reader, member string) (*pb.GetStreamHeadResponse, error) {
	meta, err := ReadMeta(r)
	if err != nil {
		return nil, err
	}
	cs, err := loadCounterSet(r, meta)
	if err != nil {
		return nil, err
	}
	return proveHead(r, cs, member)
}

// ProveStreamHeadAt proves member's next counter after block height, which is the
// committed block of r or one of the few before it whose counters the machine keeps
// (ErrNotProvable otherwise).
func (m *Machine) ProveStreamHeadAt(r Reader, member string, height int64) (*pb.GetStreamHeadResponse, error) {
	meta, err := ReadMeta(r)
	if err != nil {
		return nil, err
	}
	var cs *counterSet
	if height == meta.Height {
		cs, err = m.counterSetFor(r, meta)
	} else if cs = m.recentCounterSet(height, nil); cs == nil {
		err = fmt.Errorf("stream head at height %d (committed %d): counters no longer kept: %w", height, meta.Height, ErrNotProvable)
	}
	if err != nil {
		return nil, err
	}
	return proveHead(r, cs, member)
}

func proveHead(r Reader, cs *counterSet, member string) (*pb.GetStreamHeadResponse, error) {
	in, err := ReadAppHashInputs(r, cs.height)
	if err != nil {
		return nil, err
	}
	if string(in.CountersRoot) != string(cs.root) {
		return nil, fmt.Errorf("counters at height %d do not hash to the stored counters root", cs.height)
	}
	res := &pb.GetStreamHeadResponse{Height: cs.height, Block: in, LeafTotal: uint32(len(cs.leaves))}
	next, i, found := cs.head(member)
	if !found { // the neighbours prove the member is not in the tree
		res.Absent = true
		if i > 0 {
			res.AbsentLeft = cs.leafProof(i - 1)
		}
		if i < len(cs.leaves) {
			res.AbsentRight = cs.leafProof(i)
		}
		return res, nil
	}
	res.NextCounter = next
	res.LeafIndex, res.LeafTotal, res.Aunts = cs.proofTree().Prove(i)
	return res, nil
}
