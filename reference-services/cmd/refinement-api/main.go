// Command refinement-api is the reference refinement-api: see docs/reference-services.md.
package main

import (
	"platform/reference-services/internal/platform"
	"platform/reference-services/internal/refinement"
)

func main() { platform.Main("refinement-api", refinement.ConfigFromEnv, refinement.New) }
