package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/cometsync/cometsync/mediator"
	pb "github.com/cometsync/cometsync/proto/mediatorpb"
)

// storedVerdict is a Verdict as stored: the result as its proto bytes.
type storedVerdict struct {
	Seq        uint64
	EventTS    int64
	Recipients []string
	Result     []byte // a marshalled mediatorpb.TransactionResult
	Signed     []byte
}

func encodeVerdict(v Verdict) ([]byte, error) {
	if v.Result.Result == nil {
		return nil, errors.New("verdict without a result")
	}
	res, err := v.Result.Result.Marshal()
	if err != nil {
		return nil, err
	}
	return json.Marshal(storedVerdict{Seq: v.Result.Seq, EventTS: v.Result.EventTS, Recipients: v.Result.Recipients, Result: res, Signed: v.Signed})
}

func decodeVerdict(b []byte) (Verdict, error) {
	var sv storedVerdict
	if err := unmarshalJSON(b, &sv); err != nil {
		return Verdict{}, err
	}
	res := &pb.TransactionResult{}
	if err := res.Unmarshal(sv.Result); err != nil {
		return Verdict{}, fmt.Errorf("result: %w", err)
	}
	return Verdict{Result: mediator.Result{Seq: sv.Seq, EventTS: sv.EventTS, Recipients: sv.Recipients, Result: res}, Signed: sv.Signed}, nil
}

// unmarshalJSON decodes b into v, refusing unknown fields: a value written by another
// program or version is reported, not half read.
func unmarshalJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

func getJSON(txn *badger.Txn, k []byte, v any) (bool, error) {
	item, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := item.Value(func(b []byte) error { return unmarshalJSON(b, v) }); err != nil {
		return false, corrupt(k, nil, err)
	}
	return true, nil
}

func setJSON(txn *badger.Txn, k []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return txn.Set(k, b)
}

// corrupt reports the value under prefix+k that does not decode.
func corrupt(prefix, k []byte, err error) error {
	return fmt.Errorf("%w: value at %q: %v", ErrCorrupt, append(append([]byte(nil), prefix...), k...), err)
}

func key(prefix []byte, id string) []byte { return append(append([]byte(nil), prefix...), id...) }

// requestKey orders request ids as signed numbers.
func requestKey(id int64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), prefRequest...), uint64(id)^1<<63)
}

func requestID(k []byte) int64 { return int64(binary.BigEndian.Uint64(k) ^ 1<<63) }
