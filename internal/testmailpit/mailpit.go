// Package testmailpit runs a real Mailpit SMTP server for tests: Start launches the
// binary built from the tools module on free loopback ports with a private database and
// chaos enabled, and stops it when the test ends. The methods read what Mailpit received
// through its HTTP API and drive its chaos triggers.
//
// The binary is taken from NOTIFYD_TEST_MAILPIT, else <module root>/tools/bin/mailpit,
// which is built with the go command when missing, so `go test ./...` works on a machine
// that has only Go.
package testmailpit

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvBinary names the environment variable that points at a Mailpit binary.
const EnvBinary = "NOTIFYD_TEST_MAILPIT"

const readyTimeout = 30 * time.Second

// Mailpit is one running Mailpit server owned by a test.
type Mailpit struct {
	bin      string
	args     []string
	smtpAddr string
	apiURL   string
	http     *http.Client

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	log  *syncBuffer   // Mailpit's output, shown only when the test fails
}

// Start runs Mailpit for t and stops it in t.Cleanup. extraArgs are added to Mailpit's
// command line (for example "--smtp-allowed-recipients", "^ok@"). Any SMTP credentials
// are accepted, also without TLS unless extraArgs require TLS.
func Start(t testing.TB, extraArgs ...string) *Mailpit {
	t.Helper()
	bin := binary(t)
	dir := t.TempDir()
	var lastErr error
	for range 3 { // a free port can be taken by someone else before Mailpit binds it
		smtpPort, apiPort := freePort(t), freePort(t)
		mp := &Mailpit{
			bin:      bin,
			smtpAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(smtpPort)),
			apiURL:   "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(apiPort)),
			http:     &http.Client{Timeout: 30 * time.Second},
		}
		mp.args = append([]string{
			"--smtp", mp.smtpAddr,
			"--listen", mp.apiURL[len("http://"):],
			"--database", filepath.Join(dir, "mailpit.db"),
			"--max", "0",
			"--enable-chaos",
			"--smtp-auth-accept-any",
			"--smtp-disable-rdns",
			"--disable-version-check",
			"--quiet",
		}, extraArgs...)
		if !slices.Contains(extraArgs, "--smtp-require-tls") && !slices.Contains(extraArgs, "--smtp-require-starttls") {
			mp.args = append(mp.args, "--smtp-auth-allow-insecure") // Mailpit refuses it with required TLS
		}
		if lastErr = mp.start(); lastErr == nil {
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("mailpit output:\n%s", mp.output())
				}
				mp.stop()
			})
			return mp
		}
		mp.stop()
		lastErr = fmt.Errorf("%w\n%s", lastErr, mp.output())
	}
	t.Fatalf("testmailpit: start %s: %v", bin, lastErr)
	return nil
}

// SMTPAddr is the host:port of Mailpit's SMTP server.
func (mp *Mailpit) SMTPAddr() string { return mp.smtpAddr }

// SMTPURL is an smtp:// URL for SMTPAddr without TLS (Mailpit accepts any credentials).
func (mp *Mailpit) SMTPURL() string { return "smtp://" + mp.smtpAddr + "?tls=none" }

// APIURL is the base URL of Mailpit's HTTP API and web UI, without a trailing slash.
func (mp *Mailpit) APIURL() string { return mp.apiURL }

// Restart stops Mailpit and starts it again on the same ports and database, so stored
// messages survive and clients see their connections dropped. Chaos triggers are reset.
func (mp *Mailpit) Restart(t testing.TB) {
	t.Helper()
	mp.stop()
	deadline := time.Now().Add(readyTimeout)
	for {
		err := mp.start()
		if err == nil {
			return
		}
		mp.stop()
		if time.Now().After(deadline) {
			t.Fatalf("testmailpit: restart: %v\n%s", err, mp.output())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (mp *Mailpit) start() error {
	out := &syncBuffer{}
	cmd := exec.Command(mp.bin, mp.args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	mp.mu.Lock()
	mp.cmd, mp.done, mp.log = cmd, done, out
	mp.mu.Unlock()
	return mp.waitReady(done)
}

// waitReady polls until the SMTP port greets and the API answers, or Mailpit exits.
func (mp *Mailpit) waitReady(done <-chan struct{}) error {
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return errors.New("mailpit exited before it was ready")
		default:
		}
		if mp.smtpReady() && mp.apiReady() {
			return nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	return fmt.Errorf("mailpit not ready after %s", readyTimeout)
}

func (mp *Mailpit) smtpReady() bool {
	var conn net.Conn
	var err error
	d := &net.Dialer{Timeout: time.Second}
	if slices.Contains(mp.args, "--smtp-require-tls") { // implicit TLS: the greeting is encrypted
		conn, err = tls.DialWithDialer(d, "tcp", mp.smtpAddr, &tls.Config{InsecureSkipVerify: true})
	} else {
		conn, err = d.Dial("tcp", mp.smtpAddr)
	}
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 3)
	n, _ := conn.Read(buf)
	return n == 3 && string(buf) == "220"
}

func (mp *Mailpit) apiReady() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, mp.apiURL+"/readyz", nil)
	resp, err := mp.http.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stop ends the process (SIGTERM, then SIGKILL after 5s) and waits for it.
func (mp *Mailpit) stop() {
	mp.mu.Lock()
	cmd, done := mp.cmd, mp.done
	mp.cmd = nil
	mp.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

func (mp *Mailpit) output() string {
	mp.mu.Lock()
	log := mp.log
	mp.mu.Unlock()
	if log == nil {
		return ""
	}
	return log.String()
}

// syncBuffer collects Mailpit's output; exec writes to it from its own goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testmailpit: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var buildMu sync.Mutex

// binary returns the Mailpit binary to run, building it from the tools module if needed.
func binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(EnvBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("testmailpit: %s=%s: %v", EnvBinary, p, err)
		}
		return p
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("testmailpit: %v", err)
	}
	bin := filepath.Join(root, "tools", "bin", "mailpit")
	buildMu.Lock()
	defer buildMu.Unlock()
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if err := build(filepath.Join(root, "tools"), bin); err != nil {
		t.Fatalf("testmailpit: %v", err)
	}
	return bin
}

// build compiles Mailpit into a temporary name and renames it into place, so that test
// binaries of several packages building at once never run a half-written file.
func build(toolsDir, bin string) error {
	tmp := fmt.Sprintf("%s.tmp%d", bin, os.Getpid())
	cmd := exec.Command("go", "build", "-o", tmp, "github.com/axllent/mailpit")
	cmd.Dir = toolsDir
	out, err := cmd.CombinedOutput()
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("build mailpit in %s: %w\n%s", toolsDir, err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		return fmt.Errorf("build mailpit: %w", err)
	}
	return nil
}

// moduleRoot walks up from the working directory (a package directory under go test)
// to the directory holding go.mod and tools/go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("module root: %w", err)
	}
	for {
		if fileExists(filepath.Join(dir, "go.mod")) && fileExists(filepath.Join(dir, "tools", "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("module root: no go.mod with a tools/go.mod above the working directory")
		}
		dir = parent
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
