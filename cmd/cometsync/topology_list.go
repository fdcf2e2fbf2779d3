package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/topology"
)

// listFilter selects transactions by mapping kind, namespace and unique identifier.
type listFilter struct {
	kind      string
	namespace string
	uid       string
	proposals bool
}

func (f *listFilter) add(cmd *cobra.Command, proposals bool) {
	cmd.Flags().StringVar(&f.kind, "type", "", "only this mapping (party-to-participant, owner-to-key-mapping, ...)")
	cmd.Flags().StringVar(&f.namespace, "namespace", "", "only mappings whose identity is in (or is) this namespace")
	cmd.Flags().StringVar(&f.uid, "uid", "", "only mappings about this unique identifier (party, member or synchronizer)")
	cmd.Flags().BoolVar(&f.proposals, "proposals", proposals, "include pending proposals")
}

func (f *listFilter) match(tx *topology.Transaction) (bool, error) {
	if f.kind != "" {
		code, err := parseMappingName(f.kind)
		if err != nil {
			return false, err
		}
		if tx.Code() != code {
			return false, nil
		}
	}
	id := tx.Key().ID
	if f.namespace != "" && !strings.Contains(id, f.namespace) {
		return false, nil
	}
	if f.uid != "" && !strings.Contains(id, f.uid) {
		return false, nil
	}
	return true, nil
}

// listEntry is one transaction of `topology list --json`.
type listEntry struct {
	Status          string   `json:"status"` // "current" or "proposal"
	Type            string   `json:"type"`
	Key             string   `json:"key"`
	Serial          uint64   `json:"serial"`
	Operation       string   `json:"operation"`
	Summary         string   `json:"summary"`
	Hash            string   `json:"hash"`
	Signers         []string `json:"signers"`
	ValidFromMicros int64    `json:"valid_from_micros,omitempty"`
	// MissingNamespaces are the namespaces a proposal still needs signatures of.
	MissingNamespaces []string `json:"missing_namespaces,omitempty"`
	MissingKeys       []string `json:"missing_keys,omitempty"`
	// Mapping is the mapping as its protobuf JSON field, e.g. {"party_to_participant": {...}}.
	Mapping any `json:"mapping"`
}

// listEntries returns the current transactions (every accepted one not superseded, in
// acceptance order) and, with f.proposals, the pending proposals.
func listEntries(st *topology.State, f listFilter) ([]listEntry, []*topology.SignedTransaction, error) {
	current := map[string]bool{}
	for _, x := range st.Head().Transactions() {
		current[x.Tx.HashHex()] = true
	}
	var out []listEntry
	var stxs []*topology.SignedTransaction
	for _, t := range st.History() {
		x := t.Transaction
		ok, err := f.match(x.Tx)
		if err != nil {
			return nil, nil, err
		}
		if ok && current[x.Tx.HashHex()] {
			e := newListEntry("current", x)
			e.ValidFromMicros = t.ValidFrom
			out, stxs = append(out, e), append(stxs, x)
		}
	}
	if !f.proposals {
		return out, stxs, nil
	}
	for _, x := range st.Proposals() {
		if ok, _ := f.match(x.Tx); !ok {
			continue
		}
		e := newListEntry("proposal", x)
		if s := st.Status(x); s.Missing != nil {
			e.MissingNamespaces, e.MissingKeys = fingerprintStrings(s.Missing.Namespaces), fingerprintStrings(s.Missing.Keys)
		}
		out, stxs = append(out, e), append(stxs, x)
	}
	return out, stxs, nil
}

func newListEntry(status string, x *topology.SignedTransaction) listEntry {
	m := x.Tx.Mapping()
	return listEntry{
		Status: status, Type: mappingName(x.Tx.Code()), Key: x.Tx.Key().ID, Serial: x.Tx.Serial(),
		Operation: operationName(x.Tx.Operation()), Summary: summarize(m), Hash: x.Tx.HashHex(),
		Signers: fingerprintStrings(x.SignedBy()), Mapping: m.GetMapping(),
	}
}

func printEntriesTable(w io.Writer, es []listEntry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tTYPE\tSERIAL\tOP\tSIGNERS\tSUMMARY")
	for _, e := range es {
		signers := make([]string, len(e.Signers))
		for i, s := range e.Signers {
			signers[i] = s[:min(12, len(s))]
		}
		summary := e.Summary
		if len(e.MissingNamespaces)+len(e.MissingKeys) > 0 {
			summary += fmt.Sprintf(" [missing: %s]", strings.Join(append(e.MissingNamespaces, e.MissingKeys...), ","))
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", e.Status, e.Type, e.Serial, e.Operation, strings.Join(signers, ","), summary)
	}
	return tw.Flush()
}

func newTopologyListCmd() *cobra.Command {
	var sf signerFlags
	var cf connFlags
	var f listFilter
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Download the topology state and list the current transactions and pending proposals",
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := downloadState(cmd.Context(), &cf, &sf)
			if err != nil {
				return err
			}
			es, _, err := listEntries(st, f)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), es)
			}
			return printEntriesTable(cmd.OutOrStdout(), es)
		},
	}
	sf.add(cmd)
	cf.add(cmd)
	f.add(cmd, true)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("sequencer")
	return cmd
}

func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func newTopologyExportCmd() *cobra.Command {
	var sf signerFlags
	var cf connFlags
	var f listFilter
	var out string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the current transactions (filtered, in acceptance order) to a transaction file for topology import",
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := downloadState(cmd.Context(), &cf, &sf)
			if err != nil {
				return err
			}
			_, stxs, err := listEntries(st, f)
			if err != nil {
				return err
			}
			if len(stxs) == 0 {
				return errors.New("no transactions match the filters")
			}
			if err := writeTxFile(out, stxs); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "exported %d transaction(s) to %s\n", len(stxs), out)
			return nil
		},
	}
	sf.add(cmd)
	cf.add(cmd)
	f.add(cmd, false)
	cmd.Flags().StringVar(&out, "out", "", "file to write")
	_ = cmd.MarkFlagRequired("out")
	_ = cmd.MarkFlagRequired("sequencer")
	return cmd
}
