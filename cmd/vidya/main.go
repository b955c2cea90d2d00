// Command vidya runs Vidya: see `vidya --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/vidya-edu/vidya/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
