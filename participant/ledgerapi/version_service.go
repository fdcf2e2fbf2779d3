package ledgerapi

import (
	"context"
	"runtime/debug"

	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
	"github.com/cometsync/cometsync/seqapi"
)

// APIVersion is the version of the Ledger API this server speaks.
const APIVersion = "cometsync.ledger.v1"

// Version is what VersionService.GetLedgerApiVersion answers: the API version and the
// versions `cometsync version` prints for the running binary.
type Version struct {
	API      string
	Module   string // the main module's version, "(devel)" for a build from a checkout
	Commit   string // vcs.revision, "unknown" when the build did not stamp it
	Protocol string // seqapi.ProtocolVersion
}

// BinaryVersion reads the versions of the running binary from its build information.
func BinaryVersion() Version {
	bi, _ := debug.ReadBuildInfo()
	return versionOf(bi)
}

func versionOf(bi *debug.BuildInfo) Version {
	v := Version{API: APIVersion, Module: "(devel)", Commit: "unknown", Protocol: seqapi.ProtocolVersion}
	if bi == nil {
		return v
	}
	if bi.Main.Version != "" {
		v.Module = bi.Main.Version
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			v.Commit = s.Value
		}
	}
	return v
}

type versionService struct{ s *Server }

// GetLedgerApiVersion answers the server's Version; any authenticated user.
func (v versionService) GetLedgerApiVersion(ctx context.Context, _ *pb.GetLedgerApiVersionRequest) (*pb.GetLedgerApiVersionResponse, error) {
	if _, err := callerOf(ctx); err != nil {
		return nil, statusOf(err)
	}
	ver := v.s.version
	return &pb.GetLedgerApiVersionResponse{Version: ver.API, ModuleVersion: ver.Module, Commit: ver.Commit, ProtocolVersion: ver.Protocol}, nil
}
