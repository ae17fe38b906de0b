// Package proctest runs wharf as a real process (`wharf serve`) for tests that
// need one: resource use measured from outside, and SIGKILL crash tests.
package proctest

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The admin key every process started here gets.
const (
	AccessKeyID     = "AKIAPROCTEST00000001"
	SecretAccessKey = "proctest/secret/key/0000000000000000000"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds cmd/wharf once per test binary and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "wharf-proctest-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "wharf")
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/wharf")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building wharf: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Proc is one running `wharf serve`.
type Proc struct {
	URL    string
	cmd    *exec.Cmd
	logs   *syncBuffer
	exited chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listeningRe = regexp.MustCompile(`is listening on (http://\S+)`)

// Start runs `wharf serve --listen 127.0.0.1:0 --data-dir dataDir args...` with
// env added to the environment, and waits until it is healthy. The process is
// killed when the test ends if it still runs.
func Start(t testing.TB, dataDir string, env []string, args ...string) *Proc {
	t.Helper()
	bin := Binary(t)
	cmd := exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--log-level", "warn"}, args...)...)
	cmd.Env = append(append(os.Environ(), "WHARF_ROOT_ACCESS_KEY_ID="+AccessKeyID, "WHARF_ROOT_SECRET_ACCESS_KEY="+SecretAccessKey), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Proc{cmd: cmd, logs: logs, exited: make(chan struct{})}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			logs.Write(append(sc.Bytes(), '\n'))
			if m := listeningRe.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urlc <- m[1]:
				default:
				}
			}
		}
	}()
	go func() { _ = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("wharf (pid %d) output:\n%s", cmd.Process.Pid, logs.String())
		}
	})
	select {
	case p.URL = <-urlc:
	case <-p.exited:
		t.Fatalf("wharf exited before listening:\n%s", logs.String())
	case <-time.After(2 * time.Minute): // a safety net only
		t.Fatalf("wharf did not start:\n%s", logs.String())
	}
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(p.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("wharf at %s never became healthy:\n%s", p.URL, logs.String())
		}
	}
}

// Pid is the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Logs is what the process wrote so far.
func (p *Proc) Logs() string { return p.logs.String() }

// Kill sends SIGKILL and waits for the process to be gone (no-op if it is).
func (p *Proc) Kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// PeakRSSKiB is the process's peak resident set size so far (VmHWM), in KiB.
func (p *Proc) PeakRSSKiB() (int64, error) {
	return statusField(p.Pid(), "VmHWM:")
}

// RSSKiB is the current resident set size (VmRSS), in KiB.
func (p *Proc) RSSKiB() (int64, error) {
	return statusField(p.Pid(), "VmRSS:")
}

func statusField(pid int, name string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name); ok {
			return strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("%s not in /proc/%d/status", name, pid)
}

// DirBytes is the total size of the regular files under dir.
func DirBytes(dir string) (int64, error) {
	var n int64
	err := filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			n += info.Size()
		}
		return nil
	})
	return n, err
}

// OpenDeletedFiles lists the files the process holds open that were deleted
// (a spooled body unlinked while open still takes disk space).
func (p *Proc) OpenDeletedFiles() ([]string, error) {
	dir := fmt.Sprintf("/proc/%d/fd", p.Pid())
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err == nil && strings.HasSuffix(target, " (deleted)") {
			out = append(out, target)
		}
	}
	return out, nil
}
