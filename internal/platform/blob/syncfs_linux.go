package blob

import (
	"os"

	"golang.org/x/sys/unix"
)

const syncFSSupported = true

// oDirect opens a file for writes that go around the page cache.
const oDirect = unix.O_DIRECT

// syncAll makes everything written to the store's file system durable,
// with one syncfs(2).
func (l *Local) syncAll() error {
	f, err := l.root.Open(".")
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}

// renameAt renames the file oldName in the directory from to newName in
// the directory to: plain names relative to directories opened inside the
// store's root, so nothing outside it can be reached.
func renameAt(from *os.File, oldName string, to *os.File, newName string) error {
	return unix.Renameat(int(from.Fd()), oldName, int(to.Fd()), newName)
}
