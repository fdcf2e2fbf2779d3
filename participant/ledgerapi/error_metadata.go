package ledgerapi

import (
	"strconv"
	"strings"

	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/protocol"
)

// The ErrorInfo metadata keys of the Ledger API's errors.
const (
	MetaCommandID   = "command_id"
	MetaOffset      = "offset"
	MetaRequestID   = "request_id_micros"
	MetaContractID  = "contract_id"
	MetaParty       = "party"
	MetaParties     = "parties" // comma-separated, for authorization failures: the missing ones
	MetaUserID      = "user_id"
	MetaUpdateID    = "update_id"
	MetaField       = "field"
	MetaTemplate    = "template"
	MetaUpdateMask  = "update_mask_path"
	MetaPageToken   = "page_token"
	MetaPartyIDHint = "party_id_hint"
)

// metaError attaches ErrorInfo metadata to an error; it reads and unwraps as the error.
type metaError struct {
	err error
	md  map[string]string
}

func (e *metaError) Error() string { return e.err.Error() }
func (e *metaError) Unwrap() error { return e.err }

// withMeta returns err with the metadata of the key-value pairs kv (pairs with an empty
// value are left out); nil when err is nil.
func withMeta(err error, kv ...string) error {
	if err == nil {
		return nil
	}
	md := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			md[kv[i]] = kv[i+1]
		}
	}
	if len(md) == 0 {
		return err
	}
	return &metaError{err: err, md: md}
}

// errorMetadata collects the metadata of err's chain, outermost first: a key set by an
// outer error is kept. It reads metaError and the typed errors of this package, ledger
// (contract ids, missing authorizers) and protocol (unhosted informees).
func errorMetadata(err error) map[string]string {
	md := map[string]string{}
	set := func(k, v string) {
		if _, ok := md[k]; !ok && v != "" {
			md[k] = v
		}
	}
	walkErrors(err, func(e error) {
		switch e := e.(type) {
		case *metaError:
			for k, v := range e.md {
				set(k, v)
			}
		case *DuplicateCommandError:
			set(MetaCommandID, e.CommandID)
			set(MetaOffset, strconv.FormatInt(e.Offset, 10))
			set(MetaRequestID, strconv.FormatInt(e.RequestID, 10))
		case *ledger.ContractError:
			set(MetaContractID, string(e.ContractID))
		case *ledger.AuthorizationError:
			set(MetaParties, joinParties(e.Missing))
		case *protocol.UnhostedPartyError:
			set(MetaParty, string(e.Party))
		}
	})
	if len(md) == 0 {
		return nil
	}
	return md
}

// walkErrors calls fn on err and every error it wraps, depth first.
func walkErrors(err error, fn func(error)) {
	if err == nil {
		return
	}
	fn(err)
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		walkErrors(u.Unwrap(), fn)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			walkErrors(e, fn)
		}
	}
}

func joinParties(ps ledger.PartySet) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return strings.Join(out, ",")
}
