// Command storage-service is the reference storage-service: see docs/reference-services.md.
package main

import (
	"platform/reference-services/internal/platform"
	"platform/reference-services/internal/storage"
)

func main() { platform.Main("storage-service", storage.ConfigFromEnv, storage.New) }
