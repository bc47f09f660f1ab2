package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// oldOutput fills dir with an output of a previous run, every file stale,
// and a README with its diagram markers; it returns path -> contents.
func oldOutput(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	old := map[string][]byte{
		filepath.Join(dir, "fsm", "states.go"):  []byte("package fsm // old states.go\n"),
		filepath.Join(dir, "fsm", "conn.go"):    []byte("package fsm // old conn.go\n"),
		filepath.Join(dir, "fsm", "states.mmd"): []byte("old states.mmd\n"),
		filepath.Join(dir, "fsm", "states.dot"): []byte("old states.dot\n"),
		filepath.Join(dir, "README.md"):         []byte("# old\n" + beginMarker + "\nold diagram\n" + endMarker + "\n"),
	}
	if err := os.MkdirAll(filepath.Join(dir, "fsm"), 0o755); err != nil {
		t.Fatal(err)
	}
	for path, b := range old {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return old
}

// checkUnchanged fails unless dir holds exactly want: same files, same
// contents, nothing left behind (no temporary file, no backup).
func checkUnchanged(t *testing.T, dir string, want map[string][]byte) {
	t.Helper()
	var got []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		got = append(got, path)
		if b, ok := want[path]; !ok {
			t.Errorf("%s was left behind", path)
		} else if have, _ := os.ReadFile(path); !bytes.Equal(have, b) {
			t.Errorf("%s changed:\n%s", path, have)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for path := range want {
		if !slices.Contains(got, path) {
			t.Errorf("%s is gone", path)
		}
	}
}

// With one output path blocked (a directory where states.mmd goes), the
// generator fails before it changes any file: all or nothing.
func TestBlockedOutputWritesNothing(t *testing.T) {
	for _, blocked := range []string{"states.go", "conn.go", "states.mmd", "states.dot"} {
		t.Run(blocked, func(t *testing.T) {
			dir := t.TempDir()
			old := oldOutput(t, dir)
			path := filepath.Join(dir, "fsm", blocked)
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			delete(old, path)
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			code := run([]string{"-spec", "../vocab/states.yaml", "-out", filepath.Join(dir, "fsm"), "-readme", filepath.Join(dir, "README.md")}, &stderr)
			if code != 1 || !strings.Contains(stderr.String(), blocked) {
				t.Errorf("exit %d, stderr %q; want 1 and an error naming %s", code, stderr.String(), blocked)
			}
			checkUnchanged(t, dir, old)
		})
	}
}

// genArgs runs the generator on states.yaml into dir/fsm and dir/README.md.
func genArgs(dir string) []string {
	return []string{"-spec", "../vocab/states.yaml", "-out", filepath.Join(dir, "fsm"), "-readme", filepath.Join(dir, "README.md")}
}

// If a rename fails after others succeeded, those are undone: replaced
// files get their old content back, new files and directories go away.
func TestFailedRenameRestoresEverything(t *testing.T) {
	defer func() { rename = os.Rename }()
	for _, fresh := range []bool{false, true} {
		for fail := 1; fail <= 5; fail++ { // four generated files, then the README
			dir := t.TempDir()
			old := oldOutput(t, dir)
			// states.dot is new; with fresh, the whole package is.
			gone := []string{filepath.Join(dir, "fsm", "states.dot")}
			if fresh {
				gone = []string{filepath.Join(dir, "fsm")}
			}
			for _, path := range gone {
				if err := os.RemoveAll(path); err != nil {
					t.Fatal(err)
				}
				for p := range old {
					if strings.HasPrefix(p, path) {
						delete(old, p)
					}
				}
			}
			calls := 0
			rename = func(from, to string) error {
				if calls++; calls == fail {
					return errors.New("injected failure")
				}
				return os.Rename(from, to)
			}
			var stderr bytes.Buffer
			if code := run(genArgs(dir), &stderr); code != 1 || !strings.Contains(stderr.String(), "injected failure") {
				t.Errorf("fresh %v, rename %d fails: exit %d, stderr %q", fresh, fail, code, stderr.String())
			}
			checkUnchanged(t, dir, old)
		}
	}
}

// A successful run leaves nothing behind, keeps the README's permissions
// and writes through a symbolic link to it; a second run changes nothing.
func TestWriteThroughLinkKeepsMode(t *testing.T) {
	dir := t.TempDir()
	oldOutput(t, dir)
	link, readme := filepath.Join(dir, "README.md"), filepath.Join(dir, "docs", "README.md")
	if err := os.Mkdir(filepath.Dir(readme), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{os.Rename(link, readme), os.Chmod(readme, 0o600), os.Symlink(filepath.Join("docs", "README.md"), link)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	var stderr bytes.Buffer
	if code := run(genArgs(dir), &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("README.md is no longer a link: %v, %v", fi, err)
	}
	if fi, err := os.Stat(readme); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("docs/README.md: %v, %v; want mode 0600", fi, err)
	}
	// What the run wrote, and when: a second run must change neither.
	files, mtimes := map[string][]byte{}, map[string]int64{}
	for _, name := range []string{"states.go", "conn.go", "states.mmd", "states.dot", "../README.md", "../docs/README.md"} {
		path := filepath.Join(dir, "fsm", name)
		b, err := os.ReadFile(path)
		fi, err2 := os.Stat(path)
		if err != nil || err2 != nil {
			t.Fatal(err, err2)
		}
		files[path], mtimes[path] = b, fi.ModTime().UnixNano()
	}
	if !bytes.Contains(files[readme], []byte("stateDiagram-v2")) {
		t.Errorf("docs/README.md was not rewritten:\n%s", files[readme])
	}
	if code := run(genArgs(dir), &stderr); code != 0 {
		t.Fatalf("second run: exit %d: %s", code, stderr.String())
	}
	checkUnchanged(t, dir, files)
	for path, mt := range mtimes {
		if fi, _ := os.Stat(path); fi.ModTime().UnixNano() != mt {
			t.Errorf("%s was rewritten by a run that had nothing to change", path)
		}
	}
}

// Two outputs that are one file (the README given as the diagram's path)
// are refused before anything is written.
func TestSameFileTwiceWritesNothing(t *testing.T) {
	dir := t.TempDir()
	old := oldOutput(t, dir)
	mmd := filepath.Join(dir, "fsm", "states.mmd")
	if err := os.WriteFile(mmd, old[filepath.Join(dir, "README.md")], 0o644); err != nil {
		t.Fatal(err)
	}
	old[mmd] = old[filepath.Join(dir, "README.md")]
	var stderr bytes.Buffer
	args := []string{"-spec", "../vocab/states.yaml", "-out", filepath.Join(dir, "fsm"), "-readme", filepath.Join(dir, "fsm", ".", "states.mmd")}
	if code := run(args, &stderr); code != 1 || !strings.Contains(stderr.String(), "it is also") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	checkUnchanged(t, dir, old)
}
