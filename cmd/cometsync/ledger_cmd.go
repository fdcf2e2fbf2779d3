package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/cometsync/cometsync/internal/tlsconf"
	"github.com/cometsync/cometsync/ledger"
	"github.com/cometsync/cometsync/participant/ledgerapi"
	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

func init() { subcommands = append(subcommands, newLedgerCmd) }

// defaultLedgerAddr is the Ledger API address the CLI dials by default (the Daml port).
const defaultLedgerAddr = "127.0.0.1:5011"

// ledgerOpts are the persistent flags of `cometsync ledger`: where the API is and how to
// authenticate (a token, a token file, or a secret file and a user to mint one).
type ledgerOpts struct {
	addr, token, tokenFile, secretFile, user, audience string
	timeout                                            time.Duration
	tls                                                tlsconf.Client // --ca-file, --server-name, --cert, --key
}

// newLedgerCmd returns `cometsync ledger`, a client of a participant's Ledger API.
func newLedgerCmd() *cobra.Command {
	o := &ledgerOpts{}
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "Use a participant's Ledger API: submit commands, read contracts and updates, manage parties and users",
		Long: `Use a participant's Ledger API over gRPC: plaintext by default (loopback), TLS with
--ca-file (the CA the participant's certificate chains to; --server-name to verify another
name than --addr's host), and a client certificate with --cert and --key for a
participant that requires one (ledger_api_tls_client_ca_file).

Calls carry a JWT: --token, --token-file, or --secret-file with --user to mint a
short-lived one from the participant's HS256 secret. The participant bootstraps the user
participant_admin with the ParticipantAdmin right.`,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&o.addr, "addr", defaultLedgerAddr, "host:port of the Ledger API")
	pf.StringVar(&o.token, "token", "", "JWT to send")
	pf.StringVar(&o.tokenFile, "token-file", "", "file holding the JWT to send")
	pf.StringVar(&o.secretFile, "secret-file", "", "file holding the HS256 secret, to mint a token for --user")
	pf.StringVar(&o.user, "user", "", "user id to mint a token for (with --secret-file)")
	pf.StringVar(&o.audience, "audience", "", "audience of minted tokens (when the participant expects one)")
	pf.DurationVar(&o.timeout, "timeout", 30*time.Second, "deadline of each call (not of followed streams)")
	addLedgerTLSFlags(cmd, &o.tls)
	cmd.AddCommand(newLedgerTokenCmd(o), newLedgerEndCmd(o), newLedgerACSCmd(o), newLedgerUpdatesCmd(o),
		newLedgerSubmitCmd(o), newLedgerPartiesCmd(o), newLedgerUsersCmd(o), newLedgerPackagesCmd(o), newLedgerVersionCmd(o), newLedgerCommitmentsCmd(o))
	return cmd
}

// mint makes a token for --user from --secret-file.
func (o *ledgerOpts) mint(ttl time.Duration) (string, error) {
	if o.secretFile == "" || o.user == "" {
		return "", errors.New("minting a token needs --secret-file and --user")
	}
	secret, err := ledgerapi.ReadSecretFile(o.secretFile)
	if err != nil {
		return "", err
	}
	return ledgerapi.MintToken(secret, o.user, o.audience, ttl)
}

// bearer returns the token to send, from exactly one of the token sources.
func (o *ledgerOpts) bearer() (string, error) {
	set := 0
	for _, s := range []string{o.token, o.tokenFile, o.secretFile} {
		if s != "" {
			set++
		}
	}
	switch {
	case set == 0:
		return "", errors.New("no credentials: pass --token, --token-file, or --secret-file and --user")
	case set > 1:
		return "", errors.New("pass only one of --token, --token-file and --secret-file")
	case o.token != "":
		return o.token, nil
	case o.tokenFile != "":
		b, err := os.ReadFile(o.tokenFile)
		return strings.TrimSpace(string(b)), err
	}
	return o.mint(5 * time.Minute)
}

// ledgerClient is a connection to the Ledger API with the caller's token.
type ledgerClient struct {
	opts  *ledgerOpts
	conn  *grpc.ClientConn
	token string
	cmd   pb.CommandServiceClient
	state pb.StateServiceClient
	upd   pb.UpdateServiceClient
	party pb.PartyManagementServiceClient
	users pb.UserManagementServiceClient
	pkgs  pb.PackageServiceClient
	vers  pb.VersionServiceClient
	acs   pb.CommitmentServiceClient
}

func (o *ledgerOpts) connect() (*ledgerClient, error) {
	token, err := o.bearer()
	if err != nil {
		return nil, err
	}
	if err := tlsconf.CheckClient(ledgerTLSFlags, o.tls); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	creds, err := o.tls.DialOption()
	if err != nil {
		return nil, fmt.Errorf("ledger api %s: %w", o.addr, err)
	}
	conn, err := grpc.NewClient(o.addr, creds)
	if err != nil {
		return nil, fmt.Errorf("ledger api %s: %w", o.addr, err)
	}
	return &ledgerClient{opts: o, conn: conn, token: token,
		cmd: pb.NewCommandServiceClient(conn), state: pb.NewStateServiceClient(conn), upd: pb.NewUpdateServiceClient(conn),
		party: pb.NewPartyManagementServiceClient(conn), users: pb.NewUserManagementServiceClient(conn),
		pkgs: pb.NewPackageServiceClient(conn), vers: pb.NewVersionServiceClient(conn), acs: pb.NewCommitmentServiceClient(conn)}, nil
}

// ledgerTLSFlags name the TLS flags in the errors of tlsconf.CheckClient.
var ledgerTLSFlags = tlsconf.Keys{CA: "--ca-file", ServerName: "--server-name", Cert: "--cert", Key: "--key"}

// addLedgerTLSFlags adds the connection's TLS flags to cmd's persistent flags.
func addLedgerTLSFlags(cmd *cobra.Command, c *tlsconf.Client) {
	fs := cmd.PersistentFlags()
	fs.StringVar(&c.CAFile, "ca-file", "", "PEM CA to verify the Ledger API's certificate with (dials TLS; default: plaintext)")
	fs.StringVar(&c.ServerName, "server-name", "", "name the Ledger API's certificate must hold (default: --addr's host)")
	fs.StringVar(&c.CertFile, "cert", "", "PEM client certificate, for a participant that requires one (with --key)")
	fs.StringVar(&c.KeyFile, "key", "", "PEM key of --cert")
}

// call returns a context with the token, bounded by --timeout when bounded is set, and
// canceled by an interrupt.
func (c *ledgerClient) call(parent context.Context, bounded bool) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(parent, os.Interrupt)
	cancel := stop
	if bounded {
		var cancelT context.CancelFunc
		ctx, cancelT = context.WithTimeout(ctx, c.opts.timeout)
		cancel = func() { cancelT(); stop() }
	}
	return metadata.AppendToOutgoingContext(ctx, ledgerapi.MetadataAuthorization, "Bearer "+c.token), cancel
}

// ledgerRun connects, runs fn with a bounded call context, and turns gRPC statuses into
// plain "Code REASON: message" errors (see rpcError).
func ledgerRun(cmd *cobra.Command, o *ledgerOpts, fn func(ctx context.Context, c *ledgerClient, out io.Writer) error) error {
	c, err := o.connect()
	if err != nil {
		return err
	}
	defer c.conn.Close()
	ctx, cancel := c.call(cmd.Context(), true)
	defer cancel()
	return rpcError(fn(ctx, c, cmd.OutOrStdout()))
}

// rpcError renders a status as "Code REASON: message [key=value ...]" with the reason
// and metadata of its ErrorInfo (when the server sent one); other errors pass unchanged.
func rpcError(err error) error {
	st, ok := status.FromError(err)
	if !ok || err == nil {
		return err
	}
	info := ledgerapi.ErrorInfoOf(err)
	if info == nil {
		return fmt.Errorf("%s: %s", st.Code(), st.Message())
	}
	var md strings.Builder
	for _, k := range slices.Sorted(maps.Keys(info.Metadata)) {
		fmt.Fprintf(&md, " %s=%s", k, info.Metadata[k])
	}
	if md.Len() > 0 {
		return fmt.Errorf("%s %s: %s [%s]", st.Code(), info.Reason, st.Message(), md.String()[1:])
	}
	return fmt.Errorf("%s %s: %s", st.Code(), info.Reason, st.Message())
}

func newLedgerTokenCmd(o *ledgerOpts) *cobra.Command {
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print a JWT for --user signed with the secret in --secret-file",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tok, err := o.mint(ttl)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), tok)
			return nil
		},
	}
	cmd.Flags().DurationVar(&ttl, "ttl", time.Hour, "lifetime of the token")
	return cmd
}

func newLedgerEndCmd(o *ledgerOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "end",
		Short: "Print the ledger end: the offset of the last committed update",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return ledgerRun(cmd, o, func(ctx context.Context, c *ledgerClient, out io.Writer) error {
				resp, err := c.state.GetLedgerEnd(ctx, &pb.GetLedgerEndRequest{})
				if err == nil {
					fmt.Fprintln(out, resp.Offset)
				}
				return err
			})
		},
	}
}

// contractJSON is the --json form of a contract.
type contractJSON struct {
	ContractID  string          `json:"contractId"`
	Template    string          `json:"template"`
	Signatories []string        `json:"signatories"`
	Observers   []string        `json:"observers"`
	Arguments   json.RawMessage `json:"arguments"`
	// CreatedEventBlob (base64) is what `ledger submit --disclose` attaches.
	CreatedEventBlob []byte `json:"createdEventBlob,omitempty"`
}

func toContractJSON(c *pb.ActiveContract) contractJSON {
	args := json.RawMessage(c.ArgumentsJson)
	if !json.Valid(args) {
		args = json.RawMessage("null")
	}
	return contractJSON{ContractID: c.ContractId, Template: c.Template, Signatories: nonNil(c.Signatories),
		Observers: nonNil(c.Observers), Arguments: args, CreatedEventBlob: c.CreatedEventBlob}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func newLedgerACSCmd(o *ledgerOpts) *cobra.Command {
	var parties []string
	var template string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "acs",
		Short: "List the active contracts the user may read (of --party, of --template)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return ledgerRun(cmd, o, func(ctx context.Context, c *ledgerClient, out io.Writer) error {
				resp, err := c.state.GetActiveContracts(ctx, &pb.GetActiveContractsRequest{Parties: parties, Template: template})
				if err != nil {
					return err
				}
				if asJSON {
					return printACSJSON(out, resp)
				}
				return printACSTable(out, resp)
			})
		},
	}
	cmd.Flags().StringArrayVar(&parties, "party", nil, "only contracts with this stakeholder (repeatable; default: all the user reads)")
	cmd.Flags().StringVar(&template, "template", "", "only this template: Name or package:Name")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	return cmd
}

func printACSJSON(out io.Writer, resp *pb.GetActiveContractsResponse) error {
	cs := make([]contractJSON, 0, len(resp.Contracts))
	for _, c := range resp.Contracts {
		cs = append(cs, toContractJSON(c))
	}
	b, err := json.MarshalIndent(map[string]any{"offset": resp.Offset, "contracts": cs}, "", "  ")
	if err == nil {
		fmt.Fprintln(out, string(b))
	}
	return err
}

func printACSTable(out io.Writer, resp *pb.GetActiveContractsResponse) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CONTRACT\tTEMPLATE\tSIGNATORIES\tOBSERVERS\tARGUMENTS")
	for _, c := range resp.Contracts {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", c.ContractId, templateName(c.Template),
			strings.Join(c.Signatories, ","), strings.Join(c.Observers, ","), c.ArgumentsJson)
	}
	fmt.Fprintf(w, "(%d contracts as of offset %d)\n", len(resp.Contracts), resp.Offset)
	return w.Flush()
}

// templateName drops the package id of package:Name for tables.
func templateName(t string) string {
	if _, name, ok := strings.Cut(t, ":"); ok {
		return name
	}
	return t
}

func newLedgerUpdatesCmd(o *ledgerOpts) *cobra.Command {
	var from int64
	var follow, asJSON bool
	var parties []string
	cmd := &cobra.Command{
		Use:   "updates",
		Short: "Print the committed updates the user may read from --from, up to the ledger end or --follow",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.connect()
			if err != nil {
				return err
			}
			defer c.conn.Close()
			return rpcError(c.streamUpdates(cmd.Context(), cmd.OutOrStdout(), &pb.GetUpdatesRequest{BeginOffset: from, Parties: parties}, follow, asJSON))
		},
	}
	cmd.Flags().Int64Var(&from, "from", 1, "first offset")
	cmd.Flags().BoolVar(&follow, "follow", false, "keep streaming new updates until interrupted")
	cmd.Flags().StringArrayVar(&parties, "party", nil, "only updates touching this party's contracts (repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per update")
	return cmd
}

// streamUpdates prints the updates of req; without follow it stops at the ledger end
// read when it starts.
func (c *ledgerClient) streamUpdates(parent context.Context, out io.Writer, req *pb.GetUpdatesRequest, follow, asJSON bool) error {
	if !follow {
		ctx, cancel := c.call(parent, true)
		end, err := c.state.GetLedgerEnd(ctx, &pb.GetLedgerEndRequest{})
		cancel()
		if err != nil {
			return err
		}
		if end.Offset < max(req.BeginOffset, 1) {
			return nil
		}
		req.EndOffset = end.Offset
	}
	ctx, cancel := c.call(parent, false)
	defer cancel()
	stream, err := c.upd.GetUpdates(ctx, req)
	if err != nil {
		return err
	}
	for {
		u, err := stream.Recv()
		if errors.Is(err, io.EOF) || (err != nil && ctx.Err() != nil && parent.Err() == nil) {
			return nil // the end, or interrupted
		}
		if err != nil {
			return err
		}
		if err := printUpdate(out, u, asJSON); err != nil {
			return err
		}
	}
}

func printUpdate(out io.Writer, u *pb.Update, asJSON bool) error {
	if asJSON {
		created := make([]contractJSON, 0, len(u.Created))
		for _, c := range u.Created {
			created = append(created, toContractJSON(c))
		}
		b, err := json.Marshal(map[string]any{"offset": u.Offset, "requestIdMicros": u.RequestIdMicros,
			"rootHash": u.RootHash, "created": created, "archived": nonNil(u.Archived)})
		if err == nil {
			fmt.Fprintln(out, string(b))
		}
		return err
	}
	fmt.Fprintf(out, "offset %d  request %d  root %s\n", u.Offset, u.RequestIdMicros, u.RootHash)
	for _, c := range u.Created {
		fmt.Fprintf(out, "  + %s %s %s\n", c.ContractId, templateName(c.Template), c.ArgumentsJson)
	}
	for _, id := range u.Archived {
		fmt.Fprintf(out, "  - %s\n", id)
	}
	return nil
}

func newLedgerSubmitCmd(o *ledgerOpts) *cobra.Command {
	var file, commandID string
	var disclose []string
	cmd := &cobra.Command{
		Use:   "submit",
		Short: "Submit a command (JSON, from --command FILE or - for stdin) and wait; print its offset",
		Long: `Submit a command and wait until it commits at this participant. The command is JSON:

  {"actAs": ["Alice::1220..."],
   "create": {"template": "iou:IouProposal", "arguments": {"issuer": "...", ...}}}
  {"actAs": ["Alice::1220..."],
   "exercise": {"template": "iou:Iou", "contractId": "00...", "choice": "Split",
                "arguments": {"splitAmount": "2.5"}}}

The user needs CanActAs for every actAs party.

--disclose FILE attaches contracts the command may use although no actAs party is a
stakeholder (explicit disclosure): FILE is what a stakeholder's 'ledger acs --json'
printed (every contract of it is attached), one of its contracts, or a list of them; each
needs its createdEventBlob.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			data, err := readCommandFile(cmd.InOrStdin(), file)
			if err != nil {
				return err
			}
			disclosed, err := readDisclosed(disclose)
			if err != nil {
				return err
			}
			return ledgerRun(cmd, o, func(ctx context.Context, c *ledgerClient, out io.Writer) error {
				resp, err := c.cmd.SubmitAndWait(ctx, &pb.SubmitAndWaitRequest{CommandJson: string(data), CommandId: commandID,
					DisclosedContracts: disclosed})
				if err == nil {
					fmt.Fprintf(out, "committed at offset %d (request %d)\n", resp.Offset, resp.RequestIdMicros)
				}
				return err
			})
		},
	}
	cmd.Flags().StringVar(&file, "command", "", "file holding the command JSON, or - for stdin")
	cmd.Flags().StringVar(&commandID, "command-id", "", "deduplicate by this id (with the user and actAs parties): "+
		"a command that already committed is answered AlreadyExists with its offset; retry with the same id after an ambiguous error")
	cmd.Flags().StringArrayVar(&disclose, "disclose", nil, "attach the contracts of this file (ledger acs --json output, "+
		"one contract of it, or a list) as disclosed contracts (repeatable)")
	_ = cmd.MarkFlagRequired("command")
	return cmd
}

// readDisclosed reads the --disclose files: each holds 'ledger acs --json' output, one
// contract of it or a list of contracts; every contract needs its createdEventBlob.
func readDisclosed(files []string) ([]*pb.DisclosedContract, error) {
	var out []*pb.DisclosedContract
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("--disclose: %w", err)
		}
		var cs []contractJSON
		var acs struct {
			Contracts *[]contractJSON `json:"contracts"`
		}
		var one contractJSON
		switch {
		case json.Unmarshal(data, &cs) == nil:
		case json.Unmarshal(data, &acs) == nil && acs.Contracts != nil:
			cs = *acs.Contracts
		case json.Unmarshal(data, &one) == nil:
			cs = []contractJSON{one}
		default:
			return nil, fmt.Errorf("--disclose %s: not ledger acs --json output, a contract or a list of contracts", f)
		}
		for i, c := range cs {
			if len(c.CreatedEventBlob) == 0 {
				return nil, fmt.Errorf("--disclose %s: contract %d (%s) has no createdEventBlob", f, i, c.ContractID)
			}
			out = append(out, &pb.DisclosedContract{CreatedEventBlob: c.CreatedEventBlob})
		}
	}
	return out, nil
}

func readCommandFile(stdin io.Reader, file string) ([]byte, error) {
	if file == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(file)
}

func newLedgerPartiesCmd(o *ledgerOpts) *cobra.Command {
	cmd := &cobra.Command{Use: "parties", Short: "Allocate, list and describe the parties hosted here (ParticipantAdmin)"}
	cmd.AddCommand(&cobra.Command{
		Use:   "allocate HINT",
		Short: "Host a new party HINT::<participant namespace> here; print its id",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return ledgerRun(cmd, o, func(ctx context.Context, c *ledgerClient, out io.Writer) error {
				resp, err := c.party.AllocateParty(ctx, &pb.AllocatePartyRequest{PartyIdHint: args[0]})
				if err == nil {
					fmt.Fprintln(out, resp.Party)
				}
				return err
			})
		},
	}, &cobra.Command{
		Use:   "list",
		Short: "List the parties hosted here (with their display names, tab-separated, when set)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return ledgerRun(cmd, o, func(ctx context.Context, c *ledgerClient, out io.Writer) error {
				req := &pb.ListKnownPartiesRequest{}
				for {
					resp, err := c.party.ListKnownParties(ctx, req)
					if err != nil {
						return err
					}
					for i, p := range resp.Parties {
						if i < len(resp.PartyDetails) && resp.PartyDetails[i].DisplayName != "" {
							fmt.Fprintf(out, "%s\t%s\n", p, resp.PartyDetails[i].DisplayName)
							continue
						}
						fmt.Fprintln(out, p)
					}
					if resp.NextPageToken == "" {
						return nil
					}
					req.PageToken = resp.NextPageToken
				}
			})
		},
	}, newLedgerPartiesUpdateCmd(o), newLedgerPartiesGetCmd(o))
	return cmd
}

func newLedgerPackagesCmd(o *ledgerOpts) *cobra.Command {
	cmd := &cobra.Command{Use: "packages", Short: "List the packages the participant runs"}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List package ids and their templates",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return ledgerRun(cmd, o, func(ctx context.Context, c *ledgerClient, out io.Writer) error {
				resp, err := c.pkgs.ListPackages(ctx, &pb.ListPackagesRequest{})
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "PACKAGE\tTEMPLATES")
				for _, p := range resp.Packages {
					fmt.Fprintf(w, "%s\t%s\n", p.PackageId, strings.Join(p.Templates, ","))
				}
				return w.Flush()
			})
		},
	})
	return cmd
}

// rightFlags are the --act-as, --read-as and --admin flags of users create|grant|revoke.
type rightFlags struct {
	actAs, readAs []string
	admin         bool
}

func (f *rightFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.actAs, "act-as", nil, "CanActAs right for this party (repeatable)")
	cmd.Flags().StringArrayVar(&f.readAs, "read-as", nil, "CanReadAs right for this party (repeatable)")
	cmd.Flags().BoolVar(&f.admin, "admin", false, "the ParticipantAdmin right")
}

func (f *rightFlags) rights() []*pb.Right {
	var rs []ledgerapi.Right
	for _, p := range f.actAs {
		rs = append(rs, ledgerapi.CanActAs(ledger.Party(p)))
	}
	for _, p := range f.readAs {
		rs = append(rs, ledgerapi.CanReadAs(ledger.Party(p)))
	}
	if f.admin {
		rs = append(rs, ledgerapi.ParticipantAdmin)
	}
	return ledgerapi.RightsToPB(rs)
}

func printRights(out io.Writer, rs []*pb.Right, none string) {
	if len(rs) == 0 {
		fmt.Fprintln(out, none)
	}
	for _, r := range rs {
		switch r.Kind {
		case pb.Right_KIND_CAN_ACT_AS:
			fmt.Fprintf(out, "CanActAs %s\n", r.Party)
		case pb.Right_KIND_CAN_READ_AS:
			fmt.Fprintf(out, "CanReadAs %s\n", r.Party)
		case pb.Right_KIND_PARTICIPANT_ADMIN:
			fmt.Fprintln(out, "ParticipantAdmin")
		default:
			fmt.Fprintf(out, "%s %s\n", r.Kind, r.Party)
		}
	}
}

func printUser(out io.Writer, u *pb.User) {
	fmt.Fprintf(out, "id %s\nprimary party %s\ndeactivated %t\n", u.Id, u.PrimaryParty, u.IsDeactivated)
	for _, k := range slices.Sorted(maps.Keys(u.Annotations)) {
		fmt.Fprintf(out, "annotation %s=%s\n", k, u.Annotations[k])
	}
}

func newLedgerUsersCmd(o *ledgerOpts) *cobra.Command {
	cmd := &cobra.Command{Use: "users", Short: "Manage Ledger API users and their rights (ParticipantAdmin)"}
	cmd.AddCommand(newLedgerUsersCreateCmd(o), newLedgerUsersListCmd(o), newLedgerUsersGetCmd(o),
		newLedgerUsersDeleteCmd(o), newLedgerUsersGrantCmd(o, true), newLedgerUsersGrantCmd(o, false),
		newLedgerUsersRightsCmd(o), newLedgerUsersUpdateCmd(o))
	return cmd
}

func newLedgerUsersCreateCmd(o *ledgerOpts) *cobra.Command {
	var primary string
	var rf rightFlags
	cmd := &cobra.Command{
		Use:   "create ID",
		Short: "Create a user with rights",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return ledgerRun(cmd, o, func(ctx context.Context, c *ledgerClient, out io.Writer) error {
				resp, err := c.users.CreateUser(ctx, &pb.CreateUserRequest{
					User: &pb.User{Id: args[0], PrimaryParty: primary}, Rights: rf.rights()})
				if err == nil {
					fmt.Fprintf(out, "created user %s\n", resp.User.Id)
				}
				return err
			})
		},
	}
	cmd.Flags().StringVar(&primary, "primary-party", "", "the user's primary party")
	rf.register(cmd)
	return cmd
}

func newLedgerUsersListCmd(o *ledgerOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return ledgerRun(cmd, o, func(ctx context.Context, c *ledgerClient, out io.Writer) error {
				w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "USER\tPRIMARY PARTY\tDEACTIVATED")
				req := &pb.ListUsersRequest{}
				for {
					resp, err := c.users.ListUsers(ctx, req)
					if err != nil {
						return err
					}
					for _, u := range resp.Users {
						fmt.Fprintf(w, "%s\t%s\t%t\n", u.Id, u.PrimaryParty, u.IsDeactivated)
					}
					if resp.NextPageToken == "" {
						return w.Flush()
					}
					req.PageToken = resp.NextPageToken
				}
			})
		},
	}
}

func newLedgerUsersGetCmd(o *ledgerOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "Show a user (any user may show itself)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return ledgerRun(cmd, o, func(ctx context.Context, c *ledgerClient, out io.Writer) error {
				resp, err := c.users.GetUser(ctx, &pb.GetUserRequest{UserId: args[0]})
				if err == nil {
					printUser(out, resp.User)
				}
				return err
			})
		},
	}
}

func newLedgerUsersDeleteCmd(o *ledgerOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a user; its tokens stop working",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return ledgerRun(cmd, o, func(ctx context.Context, c *ledgerClient, out io.Writer) error {
				_, err := c.users.DeleteUser(ctx, &pb.DeleteUserRequest{UserId: args[0]})
				if err == nil {
					fmt.Fprintf(out, "deleted user %s\n", args[0])
				}
				return err
			})
		},
	}
}

// newLedgerUsersGrantCmd returns `users grant` (grant) or `users revoke`.
func newLedgerUsersGrantCmd(o *ledgerOpts, grant bool) *cobra.Command {
	var rf rightFlags
	use, short := "grant ID", "Grant rights to a user; print those it did not have"
	if !grant {
		use, short = "revoke ID", "Revoke rights from a user; print those it had"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rights := rf.rights()
			if len(rights) == 0 {
				return errors.New("no rights given: use --act-as, --read-as or --admin")
			}
			return ledgerRun(cmd, o, func(ctx context.Context, c *ledgerClient, out io.Writer) error {
				if grant {
					resp, err := c.users.GrantUserRights(ctx, &pb.GrantUserRightsRequest{UserId: args[0], Rights: rights})
					if err == nil {
						printRights(out, resp.Rights, "no new rights")
					}
					return err
				}
				resp, err := c.users.RevokeUserRights(ctx, &pb.RevokeUserRightsRequest{UserId: args[0], Rights: rights})
				if err == nil {
					printRights(out, resp.Rights, "no rights revoked")
				}
				return err
			})
		},
	}
	rf.register(cmd)
	return cmd
}

func newLedgerUsersRightsCmd(o *ledgerOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "rights ID",
		Short: "List a user's rights (any user may list its own)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return ledgerRun(cmd, o, func(ctx context.Context, c *ledgerClient, out io.Writer) error {
				resp, err := c.users.ListUserRights(ctx, &pb.ListUserRightsRequest{UserId: args[0]})
				if err == nil {
					printRights(out, resp.Rights, "no rights")
				}
				return err
			})
		},
	}
}
