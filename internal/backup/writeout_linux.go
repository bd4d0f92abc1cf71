package backup

import (
	"os"

	"golang.org/x/sys/unix"
)

// writeOutStep is how much of a copy is written to the disk at a time.
const writeOutStep = 16 << 20

// writeOut writes the file's data to the disk in steps of writeOutStep,
// waiting for each (sync_file_range(2)): the fsync after it has little
// left to do, and the journal commit it forces is short, so the writers
// of the live databases, whose appends wait for that commit on ext4, are
// not held for the whole file.
func writeOut(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	fd := int(f.Fd())
	for off := int64(0); off < fi.Size(); off += writeOutStep {
		err := unix.SyncFileRange(fd, off, writeOutStep,
			unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
		if err != nil {
			return nil // not supported here: fsync alone does it
		}
	}
	return nil
}
