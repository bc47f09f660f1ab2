package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
)

// rename is os.Rename; a test makes it fail.
var rename = os.Rename

// replacement is one file writeFiles replaces: its new content waits in
// tmp, beside dst; backup holds dst's old content if dst existed.
type replacement struct {
	dst, tmp, backup string
	done             bool // tmp was renamed over dst
}

// output is a file to write: its path and its content.
type output struct {
	path string
	data []byte
}

// writeFiles writes every output or none of them.
//
// First, each destination is checked (absent, or a regular file; a
// symbolic link is followed), a missing directory is created, and each new
// content is written to a temporary file beside its destination, with a
// backup of the old content beside it too: a blocked path, a read-only
// directory or a full disk fails here, before anything is replaced. Then
// each temporary file is renamed over its destination, which readers see
// change at once. If a rename fails, the destinations already replaced get
// their backup back (new files are removed), and directories created are
// removed. Files that already hold their content are not touched, so
// go generate stays cheap.
func writeFiles(outs []output) (err error) {
	var reps []*replacement
	var created []string // directories made, outermost first
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(reps, created))
		}
	}()
	seen := map[string]string{}
	for _, out := range outs {
		path := out.path
		dst, old, err := destination(path)
		if err != nil {
			return err
		}
		abs, err := filepath.Abs(dst)
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		if first, dup := seen[abs]; dup {
			return fmt.Errorf("write %s: it is also %s", path, first)
		}
		seen[abs] = path
		if old != nil && bytes.Equal(old.data, out.data) {
			continue
		}
		dirs, err := makeDir(filepath.Dir(dst))
		created = append(created, dirs...)
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		r := &replacement{dst: dst}
		reps = append(reps, r)
		mode := fs.FileMode(0o644)
		if old != nil {
			mode = old.mode
			if r.backup, err = writeTemp(dst, ".bak", old.data, mode); err != nil {
				return fmt.Errorf("write %s: back up the old file: %w", path, err)
			}
		}
		if r.tmp, err = writeTemp(dst, ".tmp", out.data, mode); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	for _, r := range reps {
		if err := rename(r.tmp, r.dst); err != nil {
			return fmt.Errorf("write %s: %w", r.dst, err)
		}
		r.done = true
	}
	for _, r := range reps {
		if r.backup != "" {
			os.Remove(r.backup) // the new file is in place; a stray backup is harmless
		}
	}
	return nil
}

// oldFile is what a destination holds before it is replaced.
type oldFile struct {
	data []byte
	mode fs.FileMode
}

// destination resolves path to the file to replace, following symbolic
// links, and reads what it holds: nil if it does not exist yet. Anything
// but a regular file is refused.
func destination(path string) (dst string, old *oldFile, err error) {
	dst = path
	fi, err := os.Lstat(path)
	if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if dst, err = filepath.EvalSymlinks(path); err == nil {
			fi, err = os.Stat(dst)
		}
	}
	switch {
	case errors.Is(err, fs.ErrNotExist) && dst == path:
		return dst, nil, nil
	case err != nil:
		return "", nil, fmt.Errorf("write %s: %w", path, err)
	case !fi.Mode().IsRegular() && dst == path:
		return "", nil, fmt.Errorf("write %s: not a regular file", path)
	case !fi.Mode().IsRegular():
		return "", nil, fmt.Errorf("write %s: it links to %s, not a regular file", path, dst)
	}
	data, err := os.ReadFile(dst)
	if err != nil {
		return "", nil, fmt.Errorf("write %s: %w", path, err)
	}
	return dst, &oldFile{data, fi.Mode().Perm()}, nil
}

// makeDir creates dir and its missing parents, and returns those it
// created, outermost first.
func makeDir(dir string) (created []string, err error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || !errors.Is(err, fs.ErrNotExist) || d == filepath.Dir(d) {
			break
		}
		missing = append(missing, d)
	}
	slices.Reverse(missing)
	for _, d := range missing {
		if err := os.Mkdir(d, 0o755); err != nil {
			return created, err
		}
		created = append(created, d)
	}
	return created, nil
}

// writeTemp writes data to a new file beside dst (".states.go.tmp123")
// and returns its name.
func writeTemp(dst, suffix string, data []byte, mode fs.FileMode) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+suffix+"*")
	if err != nil {
		return "", err
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr, os.Chmod(f.Name(), mode)); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// rollback undoes what writeFiles did: it puts each replaced destination's
// backup back (or removes a new file), removes temporary files and backups,
// and then the directories it created. What it cannot undo, it reports.
func rollback(reps []*replacement, created []string) error {
	var errs []error
	for _, r := range slices.Backward(reps) {
		switch {
		case r.done && r.backup != "":
			if err := rename(r.backup, r.dst); err != nil {
				errs = append(errs, fmt.Errorf("%s holds the new content and could not be restored: its old content is in %s: %w", r.dst, r.backup, err))
				continue
			}
		case r.done:
			if err := os.Remove(r.dst); err != nil {
				errs = append(errs, fmt.Errorf("%s was written and could not be removed: %w", r.dst, err))
			}
		}
		for _, name := range []string{r.tmp, r.backup} {
			if name != "" {
				os.Remove(name) // gone already if it was renamed
			}
		}
	}
	for _, d := range slices.Backward(created) {
		os.Remove(d) // only if empty: someone else may have written there since
	}
	return errors.Join(errs...)
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
