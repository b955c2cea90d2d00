//go:build !linux

package blob

import (
	"errors"
	"io/fs"
	"os"
	"path"
)

const syncFSSupported = false

// oDirect is 0 where large blobs are written through the page cache.
const oDirect = 0

// syncAll fsyncs every temp file, where there is no syncfs(2).
func (l *Local) syncAll() error {
	return fs.WalkDir(l.root.FS(), tmpDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := l.root.Open(path.Clean(p))
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Sync()
	})
}

// renameAt is not available here: the caller falls back to renaming
// through the store's root.
func renameAt(from *os.File, oldName string, to *os.File, newName string) error {
	return errors.ErrUnsupported
}
