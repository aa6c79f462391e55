package simulator

import (
	"encoding/hex"
	"math/rand/v2"
	"regexp"
)

// zeroGUID is the target account id of a clone that has not completed.
const zeroGUID = "00000000-0000-0000-0000-000000000000"

var guidPattern = regexp.MustCompile(
	`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// isGUID reports whether s has the 8-4-4-4-12 hexadecimal shape.
func isGUID(s string) bool { return guidPattern.MatchString(s) }

// formatGUID writes 16 bytes as a version 4 GUID.
func formatGUID(b []byte) string {
	var u [16]byte
	copy(u[:], b)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80

	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// randomGUID draws a GUID from rng; the caller holds the lock guarding rng.
func randomGUID(rng *rand.Rand) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return formatGUID(b[:])
}
