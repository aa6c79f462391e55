package main

import (
	"github.com/spf13/pflag"

	"github.com/dsclone/dsclone/runner"
)

// laneFlags say what one lane is and how many clones it keeps in flight;
// run and plan share them.
type laneFlags struct {
	key   string
	width int
}

func (f *laneFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.key, "lane-key", runner.LaneByAssetGroup, "what one lane is: asset-group or source-account")
	fs.IntVar(&f.width, "lane-width", 1, "clones a lane keeps in flight at once")
}

// check refuses values the runner cannot use.
func (f *laneFlags) check() error {
	if f.key != runner.LaneByAssetGroup && f.key != runner.LaneBySourceAccount {
		return usageErrorf("--lane-key %q: use %s or %s", f.key, runner.LaneByAssetGroup, runner.LaneBySourceAccount)
	}
	if f.width < 1 {
		return usageErrorf("--lane-width %d: must be at least 1", f.width)
	}
	return nil
}
