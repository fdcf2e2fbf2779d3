package protocol

import (
	"bytes"
	"fmt"

	"github.com/cometsync/cometsync/proto/protocolpb"
)

// MaxViewDepth bounds the nesting of views in a decoded tree (as ledger bounds nodes).
const MaxViewDepth = 64

// DecodeTree decodes a transaction tree and recomputes its hashes. It accepts only the
// canonical encoding EncodeTree produces and well-formed contents (32-byte salts and hashes,
// sorted valid parties, canonical ledger encodings); anything else is a *MalformedError.
func DecodeTree(b []byte) (*Tree, error) {
	var m protocolpb.TransactionTree
	if err := unmarshalCanonical(b, &m, "tree"); err != nil {
		return nil, err
	}
	t := &Tree{}
	if err := decodeTreeMetadata(&m, t); err != nil {
		return nil, err
	}
	d := &treeDecoder{views: m.Views}
	for i := 0; i < int(m.RootViewCount); i++ {
		tv, err := d.view(ViewPath{i})
		if err != nil {
			return nil, err
		}
		t.Views = append(t.Views, tv)
	}
	if len(t.Views) == 0 || d.pos != len(d.views) {
		return nil, malformed("tree", "%d root views with %d of %d entries used", len(t.Views), d.pos, len(d.views))
	}
	return t, nil
}

func decodeTreeMetadata(m *protocolpb.TransactionTree, t *Tree) error {
	cm, err := decodeCommonMetadata(m.CommonMetadata)
	if err != nil {
		return err
	}
	t.CommonMetadata = *cm
	if (m.SubmitterMetadata == nil) == (m.SubmitterMetadataHash == nil) {
		return malformed("submitter metadata", "want exactly one of the metadata and its hash")
	}
	if m.SubmitterMetadata == nil {
		t.SubmitterHash, err = decodeHash("submitter metadata hash", m.SubmitterMetadataHash)
		return err
	}
	if t.Submitter, err = decodeSubmitterMetadata(m.SubmitterMetadata); err != nil {
		return err
	}
	t.SubmitterHash = t.Submitter.Hash()
	return nil
}

// treeDecoder rebuilds the view tree from its pre-order list.
type treeDecoder struct {
	views []*protocolpb.TreeView
	pos   int
}

func (d *treeDecoder) view(path ViewPath) (*TreeView, error) {
	where := "view " + path.String()
	if len(path) > MaxViewDepth {
		return nil, malformed(where, "nested deeper than %d", MaxViewDepth)
	}
	if d.pos >= len(d.views) {
		return nil, malformed(where, "missing")
	}
	m := d.views[d.pos]
	d.pos++
	if m.BlindedHash != nil {
		return d.blinded(path, m)
	}
	tv := &TreeView{Path: path}
	if err := decodeViewParts(where, m, tv); err != nil {
		return nil, err
	}
	if int64(m.SubviewCount) > int64(len(d.views)-d.pos) {
		return nil, malformed(where, "%d sub-views but %d entries left", m.SubviewCount, len(d.views)-d.pos)
	}
	for i := 0; i < int(m.SubviewCount); i++ {
		s, err := d.view(path.Child(i))
		if err != nil {
			return nil, err
		}
		tv.SubViews = append(tv.SubViews, s)
	}
	tv.rehash()
	return tv, nil
}

func (d *treeDecoder) blinded(path ViewPath, m *protocolpb.TreeView) (*TreeView, error) {
	where := "view " + path.String()
	if m.Common != nil || m.CommonHash != nil || m.Participant != nil || m.ParticipantHash != nil || m.SubviewCount != 0 {
		return nil, malformed(where, "a blinded view has only its hash")
	}
	h, err := decodeHash(where, m.BlindedHash)
	return &TreeView{Path: path, Hash: h, Blinded: true}, err
}

// decodeViewParts decodes each data part of m or its hash into tv.
func decodeViewParts(where string, m *protocolpb.TreeView, tv *TreeView) error {
	if (m.Common == nil) == (m.CommonHash == nil) || (m.Participant == nil) == (m.ParticipantHash == nil) {
		return malformed(where, "want exactly one of each data part and its hash")
	}
	var err error
	if m.Common != nil {
		tv.Common, err = decodeCommonData(where, m.Common)
	} else {
		tv.CommonHash, err = decodeHash(where+" common hash", m.CommonHash)
	}
	if err != nil {
		return err
	}
	if m.Participant != nil {
		tv.Participant, err = decodeParticipantData(where, m.Participant)
	} else {
		tv.ParticipantHash, err = decodeHash(where+" participant hash", m.ParticipantHash)
	}
	return err
}

// message is a generated gogoproto message.
type message interface {
	marshaler
	Unmarshal([]byte) error
}

// unmarshalCanonical decodes b into m and checks that re-encoding gives b back, so that
// every accepted message has exactly one encoding.
func unmarshalCanonical(b []byte, m message, where string) error {
	if err := m.Unmarshal(b); err != nil {
		return malformed(where, "%v", err)
	}
	again, err := m.Marshal()
	if err != nil || !bytes.Equal(again, b) {
		return malformed(where, "not in canonical form")
	}
	return nil
}

func decodeHash(where string, b []byte) (Hash, error) {
	var h Hash
	if len(b) != len(h) {
		return h, malformed(where, "hash of %d bytes, want %d", len(b), len(h))
	}
	copy(h[:], b)
	return h, nil
}

func decodeSalt(where string, b []byte) (Seed, error) {
	var s Seed
	if len(b) != len(s) {
		return s, malformed(where, "salt of %d bytes, want %d", len(b), len(s))
	}
	copy(s[:], b)
	return s, nil
}

func malformed(where, format string, args ...any) *MalformedError {
	return &MalformedError{Where: where, Reason: fmt.Sprintf(format, args...)}
}
