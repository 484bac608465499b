// Command gateway is the reference gateway: see docs/reference-services.md.
package main

import (
	"platform/reference-services/internal/gateway"
	"platform/reference-services/internal/platform"
)

func main() { platform.Main("gateway", gateway.ConfigFromEnv, gateway.New) }
