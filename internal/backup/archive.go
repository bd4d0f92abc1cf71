package backup

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// WriteArchive writes the backup as one tar file at path (made 0600), its
// files under the backup's name, and returns the file's size.
func WriteArchive(info Info, path string) (int64, error) {
	f, err := os.OpenFile(path+".partial", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name()) // gone once renamed
	tw := tar.NewWriter(f)
	names := []string{manifest}
	for _, file := range info.Files {
		names = append(names, file.Name)
	}
	for _, name := range names {
		if err := addFile(tw, filepath.Join(info.Dir, name), info.Name+"/"+name); err != nil {
			f.Close()
			return 0, err
		}
	}
	if err := errors.Join(tw.Close(), f.Sync()); err != nil {
		f.Close()
		return 0, err
	}
	fi, err := f.Stat()
	if err := errors.Join(err, f.Close()); err != nil {
		return 0, err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return 0, err
	}
	syncDir(filepath.Dir(path))
	return fi.Size(), nil
}

func addFile(tw *tar.Writer, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: fi.Size(), ModTime: fi.ModTime(), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

// maxArchiveFile bounds one file read from an archive (a database of a
// university is far smaller).
const maxArchiveFile = 1 << 40

// ReadArchive unpacks a tar file that WriteArchive wrote into a new
// directory under dir and reads its manifest; the caller removes
// info.Dir's parent (returned as tmp) when done. Only plain files of one
// backup directory are taken: no links, no paths outside it.
func ReadArchive(path, dir string) (info Info, tmp string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return Info{}, "", err
	}
	defer f.Close()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Info{}, "", err
	}
	tmp, err = os.MkdirTemp(dir, ".unpack-")
	if err != nil {
		return Info{}, "", err
	}
	fail := func(err error) (Info, string, error) {
		os.RemoveAll(tmp)
		return Info{}, "", fmt.Errorf("%s is not a campus backup archive: %w", path, err)
	}
	tr := tar.NewReader(f)
	top := ""
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(err)
		}
		backupDir, name, ok := strings.Cut(h.Name, "/")
		if h.Typeflag != tar.TypeReg || !ok || !strings.HasPrefix(backupDir, prefix) || name == "" ||
			strings.ContainsAny(name, `/\`) || name == "." || name == ".." || (top != "" && backupDir != top) || h.Size > maxArchiveFile {
			return fail(fmt.Errorf("unexpected entry %q", h.Name))
		}
		if top == "" {
			top = backupDir
			if err := os.Mkdir(filepath.Join(tmp, top), 0o700); err != nil {
				return fail(err)
			}
		}
		out, err := os.OpenFile(filepath.Join(tmp, top, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fail(err)
		}
		_, err = io.Copy(out, io.LimitReader(tr, h.Size))
		if err := errors.Join(err, out.Close()); err != nil {
			return fail(err)
		}
	}
	if top == "" {
		return fail(errors.New("empty"))
	}
	info, err = Read(filepath.Join(tmp, top))
	if err != nil {
		return fail(err)
	}
	return info, tmp, nil
}
