package main

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"campus/internal/testenv"
)

// buildah runs buildah with the vfs storage driver (no overlay here).
func buildah(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("buildah", append([]string{"--storage-driver", "vfs"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("buildah %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestContainerImage builds deploy/Containerfile with deploy/build-image.sh
// (buildah, no daemon), inspects the image (user, entrypoint, port,
// volume, health check, labels, the files: no shell), and runs the binary
// taken out of it as uid 65532 against an empty data directory: it
// serves, and its files are 0600 in a 0700 directory. Containers cannot
// run here (the sandbox refuses setrlimit), so the binary runs under
// setpriv instead.
func TestContainerImage(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"buildah", "setpriv"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, "%s is not installed (Debian: apt-get install buildah util-linux)", tool)
		}
	}
	if os.Getuid() != 0 {
		testenv.Missing(t, "the image test builds with buildah as root")
	}
	tag := "localhost/campus-test:" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")) + "-" + time.Now().Format("150405.000000")
	cmd := exec.Command("sh", "../../deploy/build-image.sh", tag)
	cmd.Env = append(os.Environ(), "VERSION=v9.8.7-test", "COMMIT=0123456789abcdef")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build-image.sh: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("buildah", "--storage-driver", "vfs", "rmi", "-f", tag).Run() })

	var image struct {
		Docker struct {
			Config struct {
				User         string
				Entrypoint   []string
				Cmd          []string
				ExposedPorts map[string]any
				Volumes      map[string]any
				Env          []string
				Labels       map[string]string
				Healthcheck  struct{ Test []string }
			} `json:"config"`
		}
	}
	if err := json.Unmarshal([]byte(buildah(t, "inspect", "--type", "image", tag)), &image); err != nil {
		t.Fatal(err)
	}
	c := image.Docker.Config
	switch {
	case c.User != "65532:65532":
		t.Errorf("user %q, want 65532:65532", c.User)
	case !slices.Equal(c.Entrypoint, []string{"/campus"}) || !slices.Equal(c.Cmd, []string{"serve"}):
		t.Errorf("entrypoint %v cmd %v", c.Entrypoint, c.Cmd)
	case len(c.ExposedPorts) != 1 || c.ExposedPorts["8443/tcp"] == nil:
		t.Errorf("exposed ports %v, want 8443/tcp only", c.ExposedPorts)
	case c.Volumes["/data"] == nil || !slices.Contains(c.Env, "CAMPUS_DATA=/data"):
		t.Errorf("volumes %v env %v: want the data in the volume /data", c.Volumes, c.Env)
	case !slices.Equal(c.Healthcheck.Test, []string{"CMD", "/campus", "healthcheck", "--url", "https://127.0.0.1:8443/readyz"}):
		t.Errorf("health check %v", c.Healthcheck.Test)
	case c.Labels["org.opencontainers.image.version"] != "v9.8.7-test" || c.Labels["org.opencontainers.image.revision"] != "0123456789abcdef" ||
		c.Labels["org.opencontainers.image.created"] == "":
		t.Errorf("labels %v", c.Labels)
	}

	// The files: the binary, CA certificates, passwd/group, /data.
	ctr := buildah(t, "from", tag)
	t.Cleanup(func() { exec.Command("buildah", "--storage-driver", "vfs", "rm", ctr).Run() })
	root := buildah(t, "mount", ctr)
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, path)
			files = append(files, "/"+rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/campus", "/etc/group", "/etc/passwd", "/etc/ssl/certs/ca-certificates.crt"}
	if slices.Sort(files); !slices.Equal(files, want) {
		t.Errorf("files in the image %v, want exactly %v (no shell, nothing else)", files, want)
	}
	if fi, err := os.Stat(filepath.Join(root, "data")); err != nil || !fi.IsDir() {
		t.Errorf("/data: %v", err)
	}

	// The image's binary as uid 65532 on an empty directory of its own.
	work, err := os.MkdirTemp("", "campus-image-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	os.Chmod(work, 0o755)
	bin := filepath.Join(work, "campus")
	b, err := os.ReadFile(filepath.Join(root, "campus"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o555); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(work, "data")
	os.Mkdir(data, 0o755) // as a volume may come
	if err := os.Chown(data, 65532, 65532); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	srv := exec.Command("setpriv", "--reuid", "65532", "--regid", "65532", "--clear-groups", bin, "serve", "--data", data, "--addr", addr)
	srv.Env = []string{"CAMPUS_ADMIN_PASSWORD=" + adminPassword, "HOME=/nonexistent"}
	logs := &syncBuffer{}
	srv.Stdout, srv.Stderr = logs, logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { srv.Wait(); close(exited) }()
	t.Cleanup(func() { srv.Process.Kill(); <-exited })
	ready := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && !ready; time.Sleep(50 * time.Millisecond) {
		select {
		case <-exited:
			t.Fatalf("campus as uid 65532 exited:\n%s", logs)
		default:
		}
		out, err := exec.Command(bin, "healthcheck", "--url", "https://"+addr+"/readyz", "--timeout", "1s").CombinedOutput()
		ready = err == nil && strings.TrimSpace(string(out)) == "ready"
	}
	if !ready {
		t.Fatalf("campus as uid 65532 did not get ready:\n%s", logs)
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Get("https://" + addr + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz: %v", err)
	}
	resp.Body.Close()
	err = filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// As root, the image's binary refuses to start and leaves no file
	// behind; told to, it goes on (here to a port already taken).
	if os.Geteuid() == 0 {
		rootData := filepath.Join(work, "root-data")
		out, err := exec.Command(bin, "serve", "--data", rootData, "--addr", "127.0.0.1:0").CombinedOutput()
		if err == nil || !strings.Contains(string(out), "does not run as root") || !strings.Contains(string(out), "--allow-root") {
			t.Errorf("as root: %v\n%s", err, out)
		}
		if _, err := os.Stat(rootData); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("refusing root left %s behind: %v", rootData, err)
		}
		told := exec.Command(bin, "serve", "--data", rootData, "--addr", addr)
		told.Env = []string{"CAMPUS_ALLOW_ROOT=true", "CAMPUS_ADMIN_PASSWORD=" + adminPassword}
		out, err = told.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "already in use") {
			t.Errorf("as root with CAMPUS_ALLOW_ROOT=true: %v\n%s", err, out)
		}
	}
}
