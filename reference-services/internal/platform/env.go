package platform

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Env reads the environment the Pulumi program gives a service and collects every bad value, so
// one start reports all of them. Messages name the variable, the value and what is allowed; a
// secret's value is never repeated.
type Env struct {
	lookup func(string) (string, bool)
	errs   []error
}

// NewEnv reads variables through lookup (os.LookupEnv in main, a map in tests).
func NewEnv(lookup func(string) (string, bool)) *Env { return &Env{lookup: lookup} }

// MapEnv is a lookup over a map, for tests and tools.
func MapEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func (e *Env) fail(key, value, allowed string) {
	e.errs = append(e.errs, fmt.Errorf("%s=%q: expected %s", key, value, allowed))
}

func (e *Env) raw(key, def string) (string, bool) {
	v, ok := e.lookup(key)
	if !ok || strings.TrimSpace(v) == "" {
		return def, false
	}
	return strings.TrimSpace(v), true
}

// Required is a non-empty plain setting such as an address.
func (e *Env) Required(key, allowed string) string {
	v, ok := e.raw(key, "")
	if !ok {
		e.fail(key, "", allowed)
	}
	return v
}

// Secret is a required credential; errors name the variable only.
func (e *Env) Secret(key string) string {
	v, ok := e.lookup(key)
	if !ok || v == "" {
		e.errs = append(e.errs, fmt.Errorf("%s is not set: expected a credential from the platform's Secret", key))
	}
	return v
}

// Invalid records a problem with a secret found by the caller; the value is never repeated.
func (e *Env) Invalid(key, allowed string) {
	e.errs = append(e.errs, fmt.Errorf("%s: expected %s", key, allowed))
}

// Int is a whole number in [min, max], def when unset.
func (e *Env) Int(key string, def, min, max int) int {
	v, ok := e.raw(key, "")
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		e.fail(key, v, fmt.Sprintf("a whole number between %d and %d", min, max))
		return def
	}
	return n
}

// Port is a TCP port, def when unset.
func (e *Env) Port(key string, def int) int { return e.Int(key, def, 1, 65535) }

// RequiredPort is a TCP port that must be set.
func (e *Env) RequiredPort(key string) int {
	if _, ok := e.raw(key, ""); !ok {
		e.fail(key, "", "a TCP port between 1 and 65535")
		return 0
	}
	return e.Port(key, 0)
}

// Float is a number in [min, max], def when unset.
func (e *Env) Float(key string, def, min, max float64) float64 {
	v, ok := e.raw(key, "")
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < min || f > max {
		e.fail(key, v, fmt.Sprintf("a number between %g and %g", min, max))
		return def
	}
	return f
}

// Duration is a Go duration (12h, 90m) in [min, max], def when unset.
func (e *Env) Duration(key string, def, min, max time.Duration) time.Duration {
	v, ok := e.raw(key, "")
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < min || d > max {
		e.fail(key, v, fmt.Sprintf("a duration such as 12h between %s and %s", min, max))
		return def
	}
	return d
}

// Bool is true or false, def when unset.
func (e *Env) Bool(key string, def bool) bool {
	v, ok := e.raw(key, "")
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.fail(key, v, "true or false")
		return def
	}
	return b
}

// List is a comma-separated, non-empty list such as broker addresses.
func (e *Env) List(key, allowed string) []string {
	var out []string
	for _, s := range strings.Split(e.Required(key, allowed), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

var logLevels = map[string]slog.Level{"DEBUG": slog.LevelDebug, "INFO": slog.LevelInfo, "WARN": slog.LevelWarn, "ERROR": slog.LevelError}

// LogLevel is one of the program's levels (DEBUG, INFO, WARN, ERROR), INFO when unset.
func (e *Env) LogLevel(key string) slog.Level {
	v, ok := e.raw(key, "INFO")
	level, known := logLevels[strings.ToUpper(v)]
	if ok && !known {
		e.fail(key, v, "one of DEBUG, INFO, WARN, ERROR")
	}
	return level
}

// Err joins every problem found so far, nil when there is none.
func (e *Env) Err() error { return errors.Join(e.errs...) }

// OneOf is one of allowed, def when unset.
func (e *Env) OneOf(key, def string, allowed ...string) string {
	v, _ := e.raw(key, def)
	if slices.Contains(allowed, v) {
		return v
	}
	e.fail(key, v, "one of "+strings.Join(allowed, ", "))
	return def
}

// Matching is a required setting that re accepts, e.g. an SQL identifier.
func (e *Env) Matching(key string, re *regexp.Regexp, allowed string) string {
	v := e.Required(key, allowed)
	if v != "" && !re.MatchString(v) {
		e.fail(key, v, allowed)
	}
	return v
}

// Lookup tells whether key is set to a non-blank value, for settings that switch others on.
func (e *Env) Lookup(key string) (string, bool) { return e.raw(key, "") }
