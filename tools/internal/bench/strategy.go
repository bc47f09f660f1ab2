package bench

import (
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/wsfsm/wsfsm/retry"
)

// Strategy is a reconnect delay strategy the fleet figures compare: a
// factory of backoff.BackOff values, one per client, each drawing from the
// random source it is given and, if it tells the time, reading the clock
// it is given (the simulation's is virtual).
type Strategy struct {
	// Key names the strategy in JSON keys: nojitter, full, equal,
	// decorrelated, wsfsm.
	Key string
	// Name is the strategy in tables and plots.
	Name string
	// New returns the BackOff of one client, drawing from r and reading
	// clk.
	New func(r retry.Rand, clk backoff.Clock) backoff.BackOff
}

// Keys of Strategies, in their order.
const (
	KeyNoJitter     = "nojitter"
	KeyFull         = "full"
	KeyEqual        = "equal"
	KeyDecorrelated = "decorrelated"
	KeyWsfsm        = "wsfsm"
)

// Strategies returns the strategies compared, all with the same base (first
// envelope) and ceiling (cap): the AWS study's no jitter (for reference),
// full, equal and decorrelated jitter from package retry, and wsfsm's
// default, retry.NewJitter with the package's DefaultFloor and
// DefaultMultiplier.
func Strategies(base, ceiling time.Duration) []Strategy {
	return []Strategy{
		{KeyNoJitter, "no jitter (reference)", func(retry.Rand, backoff.Clock) backoff.BackOff { return retry.Exponential(base, ceiling) }},
		{KeyFull, "full jitter", func(r retry.Rand, _ backoff.Clock) backoff.BackOff { return retry.FullJitter(base, ceiling, r) }},
		{KeyEqual, "equal jitter", func(r retry.Rand, _ backoff.Clock) backoff.BackOff { return retry.EqualJitter(base, ceiling, r) }},
		{KeyDecorrelated, "decorrelated jitter", func(r retry.Rand, _ backoff.Clock) backoff.BackOff { return retry.DecorrelatedJitter(base, ceiling, r) }},
		DefaultStrategy(base, ceiling),
	}
}

// DefaultStrategy is wsfsm's default strategy with the given base and
// ceiling: retry.NewJitter with every other field at its default.
func DefaultStrategy(base, ceiling time.Duration) Strategy {
	return JitterStrategy(KeyWsfsm, "wsfsm default", retry.JitterConfig{Initial: base, Max: ceiling})
}

// JitterStrategy is retry.NewJitter(cfg) under a key and a name; cfg.Rand
// is replaced by the client's source.
func JitterStrategy(key, name string, cfg retry.JitterConfig) Strategy {
	return Strategy{key, name, func(r retry.Rand, _ backoff.Clock) backoff.BackOff {
		c := cfg
		c.Rand = r
		return retry.NewJitter(c)
	}}
}

// ElapsedStrategy is NewElapsed(cfg) under a key and a name;
// cfg.Rand and cfg.Clock are replaced by the client's.
func ElapsedStrategy(key, name string, cfg ElapsedConfig) Strategy {
	return Strategy{key, name, func(r retry.Rand, clk backoff.Clock) backoff.BackOff {
		c := cfg
		c.Rand, c.Clock = r, clk
		return NewElapsed(c)
	}}
}

// AccruedStrategy is NewAccrued(cfg) under a key and a name; cfg.Rand is
// replaced by the client's.
func AccruedStrategy(key, name string, cfg AccruedConfig) Strategy {
	return Strategy{key, name, func(r retry.Rand, _ backoff.Clock) backoff.BackOff {
		c := cfg
		c.Rand = r
		return NewAccrued(c)
	}}
}

// FromDialStart is st with its delays counted from the start of each
// failed dial: NewDialStart over st's BackOff, on the client's clock.
func FromDialStart(key, name string, st Strategy) Strategy {
	return Strategy{key, name, func(r retry.Rand, clk backoff.Clock) backoff.BackOff {
		return NewDialStart(st.New(r, clk), clk)
	}}
}

// FloorCreditStrategy is NewFloorCredit(cfg, the client's clock) under a
// key and a name; cfg.Rand is replaced by the client's source.
func FloorCreditStrategy(key, name string, cfg retry.JitterConfig) Strategy {
	return Strategy{key, name, func(r retry.Rand, clk backoff.Clock) backoff.BackOff {
		c := cfg
		c.Rand = r
		return NewFloorCredit(c, clk)
	}}
}
