package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/cometsync/cometsync/ledger"
)

func init() { subcommands = append(subcommands, newPackageCmd) }

// newPackageCmd returns `cometsync package`: tools for ledger packages (templates in YAML
// or JSON with CEL expressions).
func newPackageCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "package",
		Short: "Work with ledger packages (templates declared in YAML or JSON)",
	}
	cmd.AddCommand(newPackageValidateCmd())
	return cmd
}

func newPackageValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE",
		Short: "Parse and compile a package; print its id, or the error with line and column",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return validatePackageFile(cmd.OutOrStdout(), args[0])
		},
	}
}

// validatePackageFile validates the package in path and prints a summary to out. Errors
// name the file, line and column as path:line:column.
func validatePackageFile(out io.Writer, path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	pkg, err := ledger.ValidatePackage(src)
	if err != nil {
		var pe *ledger.PackageError
		if errors.As(err, &pe) {
			where := pe.Path
			if where != "" {
				where += ": "
			}
			return fmt.Errorf("%s:%d:%d: %s%s", path, pe.Pos.Line, pe.Pos.Column, where, pe.Msg)
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(out, "package %s %s\nid %s\n", pkg.Name, pkg.Version, pkg.ID)
	for _, t := range pkg.Templates {
		fmt.Fprintf(out, "template %s: %d fields, %d choices\n", t.Name, len(t.Fields), len(t.Choices))
	}
	return nil
}
