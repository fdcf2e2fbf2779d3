package core

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"

	pb "github.com/cometsync/cometsync/proto/sequencerpb"
)

// Pruning is local to a node, not consensus: it deletes what no later block reads, so
// the app hash chain and every verdict stay those of an unpruned replica. Execute reads
// the counters ('C'), traffic ('F'), acknowledgements ('K'), topology, validators and
// dedupe entries, never a stream record or a batch; a missing dedupe entry and an
// expired one give the same verdict (checkDedupe ignores expired ones). A node prunes
//
//   - each member's stream records whose entries were all sequenced before the cut-off
//     and that the member acknowledged (its last counter at most the acknowledged one),
//     from the start of the stream on (the stream stays contiguous from its earliest
//     available counter);
//   - the batches sequenced before the cut-off that no remaining stream entry refers to
//     (all of whose recipients acknowledged them);
//   - the expired dedupe entries and expiry records;
//   - the per-height proof records below the pruning height (pruneHeightRecords);
//
// and records the pruning point ('Q': the earliest available counter per member, the
// cut-off and the height below which CometBFT may drop its blocks).

// PruneOptions says what to prune.
type PruneOptions struct {
	// BeforeMicros is the cut-off: only what was sequenced before it is pruned.
	BeforeMicros int64
	// Force prunes the stream records before the cut-off whether or not their members
	// acknowledged them (the members in PrunePlan.Lost lose events).
	Force bool
}

// HeldBack is a member whose missing acknowledgement keeps events before the cut-off.
type HeldBack struct {
	Member string
	// Acknowledged is the member's acknowledged counter (-1: it never acknowledged).
	Acknowledged int64
	// Kept is the number of its events before the cut-off that stay.
	Kept int64
}

// PruneStats counts what a plan removes.
type PruneStats struct {
	StreamRecords, Events, Batches, DedupeEntries, ExpiryRecords, HeightRecords int
	// Bytes is the size of the removed keys and values (the database frees it at its
	// next garbage collection).
	Bytes int64
}

// PrunePlan is what PlanPrune decided: the deletions and the new pruning point.
type PrunePlan struct {
	Writes []Write
	Point  *pb.PruningPoint
	Stats  PruneStats
	Held   []HeldBack // members that keep events before the cut-off (member order)
	Lost   []string   // with Force: members that lose unacknowledged events
}

// KeyPruningPoint is the key of the node's pruning point.
func KeyPruningPoint() []byte { return []byte{tagPruning} }

// ReadPruningPoint returns the node's pruning point (an empty one when it never pruned).
func ReadPruningPoint(r Reader) (*pb.PruningPoint, error) {
	b, err := r.Get(KeyPruningPoint())
	if errors.Is(err, ErrNotFound) {
		return &pb.PruningPoint{}, nil
	}
	if err != nil {
		return nil, err
	}
	var p pb.PruningPoint
	if err := p.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("stored pruning point: %w", err)
	}
	return &p, nil
}

// EarliestCounter returns the earliest counter of member's stream this node still has
// (0 when it pruned nothing of it).
func EarliestCounter(r Reader, member string) (int64, error) {
	p, err := ReadPruningPoint(r)
	if err != nil {
		return 0, err
	}
	i := sort.Search(len(p.Members), func(i int) bool { return p.Members[i].Member >= member })
	if i < len(p.Members) && p.Members[i].Member == member {
		return p.Members[i].EarliestCounter, nil
	}
	return 0, nil
}

// recentHeights are the per-height records PlanPrune never removes, whatever the
// pruning height (the machine reloads the last ones).
const recentHeights = 64

// PlanPrune computes the deletions of a prune of committed state r.
func PlanPrune(r Reader, opt PruneOptions) (*PrunePlan, error) {
	meta, err := ReadMeta(r)
	if err != nil {
		return nil, err
	}
	old, err := ReadPruningPoint(r)
	if err != nil {
		return nil, err
	}
	acked := make(map[string]int64)
	acks, err := ReadAcks(r)
	if err != nil {
		return nil, err
	}
	for _, a := range acks {
		acked[a.Member] = a.Ack.Counter
	}
	plan := &PrunePlan{}
	del := func(key []byte, size int) {
		plan.Writes = append(plan.Writes, Write{Key: bytes.Clone(key), Delete: true})
		plan.Stats.Bytes += int64(len(key) + size)
	}
	earliest := make(map[string]int64)
	stopped := make(map[string]bool) // members whose deletion ended at a record kept
	held := make(map[string]*HeldBack)
	lost := make(map[string]bool)
	keptBatch := make(map[int64]bool) // batches a remaining entry before the cut-off refers to
	minKeptHeight := meta.Height + 1
	err = r.Iterate([]byte{tagEvent}, nil, func(key, value []byte) (bool, error) {
		sep := bytes.IndexByte(key, 0)
		if sep < 1 {
			return false, fmt.Errorf("corrupt stream record key %x", key)
		}
		member := string(key[1:sep])
		first, refs, err := decodeEventRecord(key[:sep+1], key, value)
		if err != nil {
			return false, err
		}
		last := first + int64(len(refs)) - 1
		isOld := refs[len(refs)-1].TimestampMicros < opt.BeforeMicros
		ack, hasAck := acked[member]
		isAcked := hasAck && last <= ack
		if !stopped[member] && isOld && (isAcked || opt.Force) {
			del(key, len(value))
			plan.Stats.StreamRecords++
			plan.Stats.Events += len(refs)
			earliest[member] = last + 1
			if !isAcked {
				lost[member] = true
			}
			return true, nil
		}
		if !stopped[member] {
			stopped[member] = true
			earliest[member] = first
		}
		for _, ref := range refs {
			minKeptHeight = min(minKeptHeight, ref.Height)
			if ref.TimestampMicros >= opt.BeforeMicros {
				continue
			}
			if ref.Kind == pb.EventKind_EVENT_KIND_DELIVER {
				keptBatch[ref.TimestampMicros] = true
			}
			h := held[member]
			if h == nil {
				h = &HeldBack{Member: member, Acknowledged: -1}
				if hasAck {
					h.Acknowledged = ack
				}
				held[member] = h
			}
			h.Kept++
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	err = r.Iterate([]byte{tagBatch}, nil, func(key, value []byte) (bool, error) {
		if len(key) != 9 {
			return false, fmt.Errorf("corrupt batch key %x", key)
		}
		ts := int64(binary.BigEndian.Uint64(key[1:]))
		if ts >= opt.BeforeMicros {
			return false, nil
		}
		if !keptBatch[ts] {
			del(key, len(value))
			plan.Stats.Batches++
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	now := meta.LastTimestampMicros
	err = r.Iterate([]byte{tagDedupe}, nil, func(key, value []byte) (bool, error) {
		if len(value) == 8 && int64(binary.BigEndian.Uint64(value)) < now {
			del(key, len(value))
			plan.Stats.DedupeEntries++
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	err = r.Iterate([]byte{tagExpiry}, nil, func(key, value []byte) (bool, error) {
		if len(key) != 17 || int64(binary.BigEndian.Uint64(key[1:9])) >= now {
			return false, nil
		}
		del(key, len(value))
		plan.Stats.ExpiryRecords++
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	height := min(minKeptHeight, meta.Height+1)
	height = max(height, old.Height) // never moves back
	n, err := pruneHeightRecords(r, min(height, meta.Height-recentHeights), del)
	if err != nil {
		return nil, err
	}
	plan.Stats.HeightRecords = n
	point := &pb.PruningPoint{BeforeMicros: max(opt.BeforeMicros, old.BeforeMicros), Height: height}
	for _, m := range old.Members {
		if e, ok := earliest[m.Member]; !ok || e < m.EarliestCounter {
			earliest[m.Member] = m.EarliestCounter
		}
	}
	members := make([]string, 0, len(earliest))
	for m, e := range earliest {
		if e > 0 {
			members = append(members, m)
		}
	}
	sort.Strings(members)
	for _, m := range members {
		point.Members = append(point.Members, &pb.MemberPruningPoint{Member: m, EarliestCounter: earliest[m]})
	}
	plan.Point = point
	plan.Writes = append(plan.Writes, Write{Key: KeyPruningPoint(), Value: mustMarshal(point)})
	for _, m := range slices.Sorted(maps.Keys(held)) {
		plan.Held = append(plan.Held, *held[m])
	}
	plan.Lost = append(plan.Lost, slices.Sorted(maps.Keys(lost))...)
	return plan, nil
}

// heightRecordTags are the tables keyed by tag height(8) that hold per-height proof
// records ('H' app-hash inputs, 'L' event leaves: the verified-reads records of the
// v15-server branch). Listed here so that pruning drops them below the pruning height
// whether or not this build writes them.
var heightRecordTags = []byte{tagInputs, tagLeaves}

// pruneHeightRecords deletes the per-height records below height and returns how many.
func pruneHeightRecords(r Reader, height int64, del func(key []byte, size int)) (int, error) {
	n := 0
	for _, tag := range heightRecordTags {
		err := r.Iterate([]byte{tag}, nil, func(key, value []byte) (bool, error) {
			if len(key) != 9 || int64(binary.BigEndian.Uint64(key[1:])) >= height {
				return false, nil
			}
			del(key, len(value))
			n++
			return true, nil
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
