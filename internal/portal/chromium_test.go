package portal

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"

	"campus/internal/testenv"
)

// startChromium starts a headless Chromium for the length of the test and
// returns its context; false (the test skipped, or failed in CI) when
// Chromium is not installed.
func startChromium(t *testing.T) (context.Context, bool) {
	t.Helper()
	chromium := ""
	for _, path := range []string{os.Getenv("CAMPUS_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := exec.LookPath(path); path != "" && err == nil {
			chromium = path
			break
		}
	}
	if chromium == "" {
		testenv.Missing(t, "Chromium is not installed (apt-get install chromium, or set CAMPUS_CHROMIUM)")
		return nil, false
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser, for the test's whole length
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx, true
}
