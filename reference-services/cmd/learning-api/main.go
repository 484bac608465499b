// Command learning-api is the reference learning-api: see docs/reference-services.md.
package main

import (
	"platform/reference-services/internal/learning"
	"platform/reference-services/internal/platform"
)

func main() { platform.Main("learning-api", learning.ConfigFromEnv, learning.New) }
