package bench

import (
	"math"
	"slices"
	"time"
)

// Figure is one reported figure: the median over rounds with the smallest
// and largest round.
type Figure struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Rounds int     `json:"rounds"`
}

// summarize turns one value per round into a Figure. NaN values (a round
// that could not measure) are left out.
func summarize(xs []float64) Figure {
	s := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			s = append(s, x)
		}
	}
	if len(s) == 0 {
		return Figure{Median: math.NaN(), Min: math.NaN(), Max: math.NaN()}
	}
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Figure{Median: med, Min: s[0], Max: s[len(s)-1], Rounds: len(s)}
}

// percentile returns the q-quantile (0..1) of durations by nearest rank.
// It sorts d in place.
func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	i := int(math.Ceil(q*float64(len(d)))) - 1
	return d[min(max(i, 0), len(d)-1)]
}

// us is d in microseconds.
func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// peakOverMean is the largest bucket divided by the mean bucket over
// buckets[from..to] inclusive; NaN when the window is empty.
func peakOverMean(buckets []int, from, to int) float64 {
	if from < 0 {
		from = 0
	}
	if to >= len(buckets) {
		to = len(buckets) - 1
	}
	if to < from {
		return math.NaN()
	}
	peak, sum := 0, 0
	for _, b := range buckets[from : to+1] {
		peak = max(peak, b)
		sum += b
	}
	if sum == 0 {
		return math.NaN()
	}
	return float64(peak) / (float64(sum) / float64(to-from+1))
}
