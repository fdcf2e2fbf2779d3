package ledgerapi

import (
	"context"

	pb "github.com/cometsync/cometsync/proto/ledgerapipb"
)

type packageService struct{ s *Server }

// ListPackages lists the packages (sorted by id) with their template names; any user.
func (p packageService) ListPackages(ctx context.Context, _ *pb.ListPackagesRequest) (*pb.ListPackagesResponse, error) {
	if _, err := callerOf(ctx); err != nil {
		return nil, statusOf(err)
	}
	pkgs := p.s.backend.Packages()
	resp := &pb.ListPackagesResponse{}
	for _, id := range pkgs.IDs() {
		d := &pb.PackageDetails{PackageId: string(id)}
		for _, t := range pkgs.Package(id).Templates {
			d.Templates = append(d.Templates, t.Name)
		}
		resp.Packages = append(resp.Packages, d)
	}
	return resp, nil
}
