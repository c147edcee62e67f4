package cursor

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"os"
)

// maxKeyFileSize bounds what LoadKey reads: a key file is a few dozen bytes.
const maxKeyFileSize = 4096

// LoadKey reads the master key from a file. The file's content, without
// leading and trailing ASCII white space, is the key; it must be at least
// MinKeySize bytes long. Any high-entropy content works (the binder derives
// its keys with HKDF), e.g. the output of `openssl rand -base64 48`. Every
// replica of the proxy must load the same key for tokens to work across
// replicas and restarts. Keep the file readable by the proxy only.
func LoadKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cursor: key file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cursor: read key file %s: %w", path, err)
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("cursor: key file %s is larger than %d bytes", path, maxKeyFileSize)
	}
	key := bytes.TrimSpace(data)
	if len(key) < MinKeySize {
		return nil, fmt.Errorf("cursor: key file %s holds %d bytes, need at least %d", path, len(key), MinKeySize)
	}
	return key, nil
}

// RandomKey returns a fresh random key. A proxy that uses one issues tokens
// that no other replica, and no later run, accepts: fine for a single
// instance, wrong behind a load balancer.
func RandomKey() ([]byte, error) {
	key := make([]byte, MinKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("cursor: random key: %w", err)
	}
	return key, nil
}
