package core

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/cometbft/cometbft/crypto/merkle"

	"github.com/cometsync/cometsync/crypto"
	pb "github.com/cometsync/cometsync/proto/sequencerpb"
	"github.com/cometsync/cometsync/seqapi"
	"github.com/cometsync/cometsync/seqproof"
	"github.com/cometsync/cometsync/topology"
)

// Block is the input of Execute: a decided CometBFT block.
type Block struct {
	Height     int64
	TimeMicros int64
	Txs        [][]byte
}

// TxResult is the outcome of one transaction.
type TxResult struct {
	Code   seqapi.Code
	Log    string
	Sender string
}

// Delivery names one new entry of a member's stream.
type Delivery struct {
	Member  string
	Counter int64
}

// Outcome is everything Execute decided for a block: the writes to commit, the new head,
// and what happened to each transaction.
type Outcome struct {
	Meta       *pb.AppMeta
	Writes     []Write
	TxResults  []TxResult
	Deliveries []Delivery
	EventsRoot []byte
	// Inputs are what the block's app hash (Meta.AppHash) hashes.
	Inputs *pb.AppHashInputs
	// counters is the counter set after the block, which Adopt keeps.
	counters *counterSet
	// Topology is the new topology state when the block changed it (nil otherwise); the
	// adapter hands it to Machine.Adopt at Commit.
	Topology *topology.State
	// Batches are the batches the block stored, decoded, in order; the adapter puts them
	// in the subscriptions' BatchCache at Commit. They must not be modified.
	Batches []SequencedBatch
	// ValidatorUpdates change CometBFT's validator set (from height + 2), when the
	// owners' ValidatorSetState in force differs from the set last asked for.
	ValidatorUpdates []ValidatorUpdate
}

// execution is the mutable scratch state of one Execute call.
type execution struct {
	m      *Machine
	ov     *overlay
	meta   *pb.AppMeta
	mem    Membership      // in force at the block's first sequencing time
	topo   *topology.State // the topology state as this block leaves it so far
	leaves [][]byte
	out    *Outcome
	// next is the next counter of each member that got an event in this block, events
	// its new entries (marshalled EventRefs); both are written once, at finish.
	next   map[string]int64
	events map[string][][]byte
	// expiring are the dedupe keys the block set, maxExpiry the latest of their max
	// sequencing times; they are recorded once, at finish.
	expiring  [][]byte
	maxExpiry int64
	hasher    *crypto.Hasher // reused for the envelope and leaf hashes
	counters  *counterSet    // of the committed state
	scratch   []byte         // reused for marshalling envelopes to hash them
	// snap is the committed topology in force at the block's first sequencing time (as
	// mem); traffic the traffic accounts the block changed, terms each sender's
	// traffic terms under snap.
	snap    *topology.Snapshot
	traffic map[string]*pb.MemberTrafficState
	terms   map[string]memberTraffic
	// acks are the acknowledgements the block accepted (see acks.go).
	acks map[string]*pb.StoredAcknowledgement
}

// Execute runs a block over committed state r. It fails only when the state cannot be
// read or the block does not follow the committed head; both mean the replica cannot
// continue deterministically.
func (m *Machine) Execute(r Reader, b Block) (*Outcome, error) {
	meta, err := ReadMeta(r)
	if err != nil {
		return nil, err
	}
	if b.Height != meta.Height+1 {
		return nil, fmt.Errorf("block height %d does not follow committed height %d", b.Height, meta.Height)
	}
	counters, err := m.counterSetFor(r, meta)
	if err != nil {
		return nil, err
	}
	x := &execution{m: m, ov: newOverlay(r), meta: meta, out: &Outcome{}, topo: m.topology(), next: make(map[string]int64), events: make(map[string][][]byte), hasher: crypto.NewHasher(crypto.PurposeStreamProof), counters: counters}
	first := x.nextTimestamp(b.TimeMicros)
	x.mem = m.MembershipAt(first)
	x.snap, x.traffic, x.terms = m.TopologyAt(first), make(map[string]*pb.MemberTrafficState), make(map[string]memberTraffic)
	if err := x.expireDedupe(r, b.TimeMicros); err != nil {
		return nil, err
	}
	for _, tx := range b.Txs {
		res, err := x.apply(tx, b)
		if err != nil {
			return nil, err
		}
		x.out.TxResults = append(x.out.TxResults, res)
	}
	if err := x.updateValidators(x.nextTimestamp(b.TimeMicros)); err != nil {
		return nil, err
	}
	x.finish(b)
	return x.out, nil
}

func (x *execution) nextTimestamp(blockTime int64) int64 {
	ts := x.meta.LastTimestampMicros + 1
	if blockTime > ts {
		ts = blockTime
	}
	return ts
}

func (x *execution) apply(tx []byte, b Block) (TxResult, error) {
	if IsAckTx(tx) {
		return x.applyAck(tx, b.Height)
	}
	s, rej := DecodeSubmission(tx)
	if rej != nil {
		return TxResult{Code: rej.Code, Log: rej.Reason}, nil
	}
	res := TxResult{Sender: s.Request.Sender}
	if rej := authenticateAny(s, x.mem, x.m.sigs); rej != nil {
		res.Code, res.Log = rej.Code, rej.Reason
		return res, nil
	}
	ts := x.nextTimestamp(b.TimeMicros)
	routes, rej := validateRequest(s, x.mem, x.m.genesis.Parameters, ts)
	if rej == nil {
		var err error
		if rej, err = checkDedupe(x.ov.get, s.Request.Sender, s.Request.MessageId, ts); err != nil {
			return res, err
		}
	}
	var paid *pb.MemberTrafficState
	if rej == nil {
		var err error
		if paid, rej, err = x.chargeTraffic(s, routes, ts); err != nil {
			return res, err
		}
	}
	if rej == nil && len(routes.topology) > 0 {
		var next *topology.State
		if next, rej = applyTopology(x.topo, s.Request.Batch, routes.topology, ts, x.topo.ChangeDelayAt(ts)); rej == nil {
			x.topo, x.out.Topology = next, next
		}
	}
	x.meta.LastTimestampMicros = ts
	if rej != nil {
		res.Code, res.Log = rej.Code, rej.Reason
		return res, x.deliverError(s.Request, rej, ts, b.Height)
	}
	if paid != nil {
		x.traffic[s.Request.Sender] = paid
	}
	return res, x.deliver(s.Request, routes, ts, b.Height)
}

func (x *execution) deliver(req *pb.SubmissionRequest, r *routing, ts, height int64) error {
	routes := r.members
	stored := &pb.StoredBatch{TimestampMicros: ts, Height: height, Sender: req.Sender, MessageId: req.MessageId, Batch: req.Batch}
	batchBytes := mustMarshal(stored)
	x.ov.set(KeyBatch(ts), batchBytes)
	x.out.Batches = append(x.out.Batches, SequencedBatch{Stored: stored, Size: len(batchBytes)})
	envs := req.Batch.GetEnvelopes()
	envHashes := make([][]byte, len(envs))
	for i, e := range envs {
		envHashes[i] = seqproof.EnvelopeHashTo(x.hasher, x.marshalEnvelope(e))
	}
	if _, ok := routes[req.Sender]; !ok {
		routes[req.Sender] = nil
	}
	members := make([]string, 0, len(routes))
	for mem := range routes {
		members = append(members, mem)
	}
	sort.Strings(members)
	for _, mem := range members {
		ref := &pb.EventRef{TimestampMicros: ts, Height: height, Kind: pb.EventKind_EVENT_KIND_DELIVER, EnvelopeIndexes: routes[mem]}
		if mem == req.Sender {
			ref.MessageId = req.MessageId
		}
		hashes := make([][]byte, len(routes[mem]))
		for i, e := range routes[mem] {
			hashes[i] = envHashes[e]
		}
		if err := x.appendEvent(mem, ref, req.Sender, hashes); err != nil {
			return err
		}
	}
	exp := make([]byte, 8)
	binary.BigEndian.PutUint64(exp, uint64(req.MaxSequencingTimeMicros))
	dk := keyDedupe(req.Sender, req.MessageId)
	x.ov.set(dk, exp)
	x.expiring = append(x.expiring, dk)
	x.maxExpiry = max(x.maxExpiry, req.MaxSequencingTimeMicros)
	return nil
}

// marshalEnvelope returns e marshalled into the execution's scratch buffer, valid until
// the next call.
func (x *execution) marshalEnvelope(e *pb.Envelope) []byte {
	n := e.Size()
	if cap(x.scratch) < n {
		x.scratch = make([]byte, n)
	}
	b := x.scratch[:n]
	if _, err := e.MarshalToSizedBuffer(b); err != nil {
		panic(fmt.Sprintf("marshal of an envelope failed: %v", err))
	}
	return b
}

func (x *execution) deliverError(req *pb.SubmissionRequest, rej *SubmissionError, ts, height int64) error {
	ref := &pb.EventRef{
		TimestampMicros: ts, Height: height, Kind: pb.EventKind_EVENT_KIND_DELIVER_ERROR,
		MessageId: req.MessageId, ErrorCode: rej.Code.ErrorCode(), ErrorReason: rej.Reason,
	}
	return x.appendEvent(req.Sender, ref, "", nil)
}

// appendEvent appends ref to member's stream; sender and envelopeHashes are the event's
// as served (ReadEvents), for its leaf.
func (x *execution) appendEvent(member string, ref *pb.EventRef, sender string, envelopeHashes [][]byte) error {
	counter, err := x.nextCounter(member)
	if err != nil {
		return err
	}
	refBytes := mustMarshal(ref)
	x.events[member] = append(x.events[member], refBytes)
	x.next[member] = counter + 1
	hdr := seqproof.EventHeader{
		Counter: counter, TimestampMicros: ref.TimestampMicros, Height: ref.Height, Kind: ref.Kind,
		MessageID: ref.MessageId, Sender: sender, ErrorCode: ref.ErrorCode, ErrorReason: ref.ErrorReason,
	}
	x.leaves = append(x.leaves, seqproof.EventLeafFromHashes(x.hasher, member, hdr, envelopeHashes))
	x.out.Deliveries = append(x.out.Deliveries, Delivery{Member: member, Counter: counter})
	return nil
}

// eventsPerRecord bounds the entries of one stream record, so that a reader starting in
// the middle of a record decodes few entries it skips.
const eventsPerRecord = 64

// writeEvents stores the block's new entries of member, whose next counter is now next,
// in records of at most eventsPerRecord entries.
func (x *execution) writeEvents(member string, next int64) {
	refs := x.events[member]
	first := next - int64(len(refs))
	for len(refs) > 0 {
		n := min(len(refs), eventsPerRecord)
		first += int64(n)
		x.ov.set(KeyEvent(member, first-1), encodeEventRecord(refs[:n]))
		refs = refs[n:]
	}
}

// encodeEventRecord encodes marshalled EventRef messages as an EventRefs message (field
// 1, length-delimited, repeated): the bytes EventRefs.Marshal gives, without marshalling
// each entry again.
func encodeEventRecord(refs [][]byte) []byte {
	size := 0
	for _, r := range refs {
		size += 1 + binary.MaxVarintLen32 + len(r) // an upper bound: entries are small
	}
	buf := make([]byte, 0, size)
	for _, r := range refs {
		buf = append(buf, 0x0a)
		buf = binary.AppendUvarint(buf, uint64(len(r)))
		buf = append(buf, r...)
	}
	return buf
}

func (x *execution) nextCounter(member string) (int64, error) {
	if next, ok := x.next[member]; ok {
		return next, nil
	}
	b, err := x.ov.get(KeyCounter(member))
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var c pb.MemberCounter
	if err := c.Unmarshal(b); err != nil {
		return 0, fmt.Errorf("stored counter of %s: %w", member, err)
	}
	return c.Next, nil
}

// expireDedupe drops the dedupe entries of every expiry record whose time is before the
// block time: each listed entry that has expired (a later submission may have reused the
// message id since) and the record. It scans committed state only, so it is independent
// of the block's own writes. An entry may thus stay up to its block's latest max
// sequencing time; checkDedupe ignores expired entries, so that changes no verdict.
func (x *execution) expireDedupe(r Reader, blockTime int64) error {
	return r.Iterate([]byte{tagExpiry}, nil, func(key, value []byte) (bool, error) {
		if len(key) != 17 {
			return false, fmt.Errorf("corrupt expiry record key %x", key)
		}
		if int64(binary.BigEndian.Uint64(key[1:9])) >= blockTime {
			return false, nil
		}
		x.ov.delete(key)
		return true, forEachExpiring(value, func(dk []byte) error {
			v, err := r.Get(dk)
			if errors.Is(err, ErrNotFound) {
				return nil // pruned already by a record of the same message id's later use
			}
			if err != nil {
				return err
			}
			if len(v) == 8 && int64(binary.BigEndian.Uint64(v)) < blockTime {
				x.ov.delete(dk)
			}
			return nil
		})
	})
}

// writeExpiring records the dedupe entries the block added, under the latest of their
// max sequencing times: one key per block instead of one per submission.
func (x *execution) writeExpiring(height int64) {
	if len(x.expiring) == 0 {
		return
	}
	size := 0
	for _, k := range x.expiring {
		size += binary.MaxVarintLen32 + len(k)
	}
	buf := make([]byte, 0, size)
	for _, k := range x.expiring {
		buf = binary.AppendUvarint(buf, uint64(len(k)))
		buf = append(buf, k...)
	}
	x.ov.set(keyExpiryRecord(x.maxExpiry, height), buf)
}

// forEachExpiring calls fn with each dedupe key of an expiry record.
func forEachExpiring(record []byte, fn func(dedupeKey []byte) error) error {
	for len(record) > 0 {
		n, w := binary.Uvarint(record)
		if w <= 0 || n == 0 || n > uint64(len(record)-w) || record[w] != tagDedupe {
			return fmt.Errorf("corrupt expiry record at %x", record[:min(len(record), 16)])
		}
		if err := fn(record[w : w+int(n)]); err != nil {
			return err
		}
		record = record[w+int(n):]
	}
	return nil
}

// stateRoot is the membership root after the block: recomputed only when the block
// changed the topology.
func (x *execution) stateRoot() []byte {
	if x.out.Topology != nil {
		return x.m.membershipRoot(x.out.Topology)
	}
	return x.m.StateRoot()
}

func (x *execution) finish(b Block) {
	members := make([]string, 0, len(x.next))
	for m := range x.next {
		members = append(members, m)
	}
	sort.Strings(members)
	for _, m := range members {
		x.writeEvents(m, x.next[m])
		x.ov.set(KeyCounter(m), mustMarshal(&pb.MemberCounter{Next: x.next[m]}))
	}
	x.writeExpiring(b.Height)
	counters := x.counters.with(x.hasher, members, x.next)
	in := &pb.AppHashInputs{
		Height: b.Height, PrevAppHash: x.meta.AppHash, EventsRoot: merkle.HashFromByteSlices(x.leaves),
		MembershipRoot: x.stateRoot(), CountersRoot: counters.root, TrafficRoot: x.writeTraffic(),
		AcksRoot: x.writeAcks(),
	}
	x.meta.Height, x.meta.AppHash = b.Height, seqproof.AppHash(in)
	counters.height, counters.appHash = b.Height, x.meta.AppHash
	x.writeProofRecords(in)
	x.out.Inputs, x.out.counters = in, counters
	root := in.EventsRoot
	if x.out.Topology != nil {
		x.ov.set(KeyTopology(), x.out.Topology.Marshal())
	}
	x.ov.set(KeyMeta(), mustMarshal(x.meta))
	x.out.Meta = x.meta
	x.out.EventsRoot = root
	x.out.Writes = x.ov.writes()
}
