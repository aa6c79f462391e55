package simulator

import (
	"crypto/rsa"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Lane keys: what one lane of active clones is counted by.
const (
	LaneAssetGroup    = "asset-group"
	LaneSourceAccount = "source-account"
)

// Fault names accepted in Options.Faults.
const (
	Fault429              = "429"
	Fault500              = "500"
	Fault502HTML          = "502-html"
	FaultReset            = "reset"
	FaultSlow             = "slow"
	FaultLostAnswer       = "lost-answer"
	FaultProcessingError  = "processing-error"
	FaultPermanentFailure = "permanent-failure"
)

// FaultNames lists every fault name Options.Faults accepts, in the order the
// faults of one request are drawn.
var FaultNames = []string{
	FaultReset, Fault502HTML, Fault500, Fault429, FaultSlow, FaultLostAnswer,
	FaultProcessingError, FaultPermanentFailure,
}

// Options configures a Server. The zero value of every field means its
// default, as given beside the field.
type Options struct {
	CloneTime   time.Duration // mean clone duration (default 2m30s)
	CloneSpread time.Duration // +/- spread of the duration, uniform (default 0: exact)
	LaneKey     string        // LaneAssetGroup (default) or LaneSourceAccount
	LaneWidth   int           // active clones allowed per lane key (default 1)
	BusyStatus  int           // HTTP status of the "max active clones" rejection (default 400)

	// Faults maps a fault name (see FaultNames) to its probability, 0 to 1.
	// Request faults are drawn per Admin API request; processing-error and
	// permanent-failure per accepted clone.
	Faults    map[string]float64
	SlowDelay time.Duration // delay of the "slow" fault (default 3s)

	ListingLag time.Duration // a new clone stays out of the list call this long

	HourlyLimit  int           // calls per hourly window (default 3000)
	HourlyWindow time.Duration // default 1h
	BurstLimit   int           // calls per burst window (default 500)
	BurstWindow  time.Duration // default 30s
	LimitStatus  int           // status of limit errors (default 400; 429 allowed)

	TokenLifetime time.Duration // lifetime of tokens from the JWT grant (default 1h)

	// Seed makes every random choice repeatable: durations, faults and ids.
	Seed int64

	// Org is the organization; DefaultOrg when it has no accounts.
	Org Org

	// PrivateKey is the RSA key registered for the JWT grant; generated when nil.
	// Tests that start many servers share one to save the key generation.
	PrivateKey *rsa.PrivateKey

	// clock replaces time.Now in tests.
	clock func() time.Time
}

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	setDur := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	setInt := func(n *int, def int) {
		if *n == 0 {
			*n = def
		}
	}

	setDur(&o.CloneTime, 150*time.Second)
	setDur(&o.SlowDelay, 3*time.Second)
	setDur(&o.HourlyWindow, time.Hour)
	setDur(&o.BurstWindow, 30*time.Second)
	setDur(&o.TokenLifetime, time.Hour)
	setInt(&o.LaneWidth, 1)
	setInt(&o.BusyStatus, 400)
	setInt(&o.HourlyLimit, 3000)
	setInt(&o.BurstLimit, 500)
	setInt(&o.LimitStatus, 400)
	if o.LaneKey == "" {
		o.LaneKey = LaneAssetGroup
	}
	if o.clock == nil {
		o.clock = time.Now
	}
	return o
}

// validate reports the first option that makes no sense.
func (o Options) validate() error {
	switch {
	case o.CloneTime < 0 || o.CloneSpread < 0 || o.CloneSpread > o.CloneTime:
		return fmt.Errorf("clone time %s and spread %s: need 0 <= spread <= time",
			o.CloneTime, o.CloneSpread)
	case o.LaneKey != LaneAssetGroup && o.LaneKey != LaneSourceAccount:
		return fmt.Errorf("lane key %q: use %s or %s", o.LaneKey, LaneAssetGroup, LaneSourceAccount)
	case o.LaneWidth < 0:
		return fmt.Errorf("lane width %d: must be at least 1", o.LaneWidth)
	case o.BusyStatus < 400 || o.BusyStatus > 599:
		return fmt.Errorf("busy status %d: must be a 4xx or 5xx status", o.BusyStatus)
	case o.LimitStatus < 400 || o.LimitStatus > 599:
		return fmt.Errorf("limit status %d: must be a 4xx or 5xx status", o.LimitStatus)
	case o.HourlyLimit < 0 || o.BurstLimit < 0:
		return fmt.Errorf("rate limits %d and %d: must be positive", o.HourlyLimit, o.BurstLimit)
	case o.HourlyWindow < 0 || o.BurstWindow < 0 || o.SlowDelay < 0 || o.ListingLag < 0 ||
		o.TokenLifetime < 0:
		return fmt.Errorf("durations must not be negative")
	}
	return ValidateFaults(o.Faults)
}

// ValidateFaults checks that every fault name is known and every rate is
// between 0 and 1.
func ValidateFaults(faults map[string]float64) error {
	names := make([]string, 0, len(faults))
	for name := range faults {
		names = append(names, name)
	}
	sort.Strings(names)

	for _, name := range names {
		if !isFaultName(name) {
			return fmt.Errorf("fault %q: unknown; use one of %s", name, strings.Join(FaultNames, ", "))
		}
		if rate := faults[name]; rate < 0 || rate > 1 {
			return fmt.Errorf("fault %s rate %g: must be between 0 and 1", name, rate)
		}
	}
	return nil
}

func isFaultName(name string) bool {
	for _, known := range FaultNames {
		if name == known {
			return true
		}
	}
	return false
}
