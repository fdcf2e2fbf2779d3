// Package examples holds the example template packages (IOU, delivery versus payment),
// embedded so that the binary's demo does not depend on the working directory.
package examples

import "embed"

// FS holds the example packages by file name (iou.yaml, dvp.yaml, quote.yaml).
//
//go:embed *.yaml
var FS embed.FS
