// Command fsyncprobe measures what one durable write of an audit-sized
// record costs on a file system, in wall time and in CPU time of the
// writing process, for the ways Linux offers to make a write durable:
//
//	append+fdatasync        what the audit file does by default (O_APPEND, then fdatasync)
//	prealloc+fdatasync      audit.preallocate_bytes: overwrite zeros already on disk, then fdatasync
//	prealloc O_DSYNC        the same, with the sync in the write itself
//	prealloc O_DIRECT|O_DSYNC  page-aligned rewrite of the tail block, past the page cache
//
// Each write is followed by its sync before the next one starts (one
// writer, no group commit), so the numbers are per fsync. The CPU column
// is the process's user+system time (getrusage): on a virtual machine it
// includes the guest kernel's work of submitting the I/O and taking its
// interrupt, which is what a group commit shares between the records of a
// group. Linux only.
//
//	go run ./bench/fsyncprobe -dir /path/on/the/audit/disk -n 2000
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"syscall"
	"time"
	"unsafe"
)

func main() {
	dir := flag.String("dir", os.TempDir(), "directory on the file system to measure (files are created and removed)")
	n := flag.Int("n", 2000, "durable writes per method")
	size := flag.Int("size", 700, "bytes per record (an access_granted line is 600–800)")
	rounds := flag.Int("rounds", 2, "rounds over all methods (interleaved)")
	flag.Parse()
	work, err := os.MkdirTemp(*dir, "fsyncprobe-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)

	rec := make([]byte, *size)
	for i := range rec {
		rec[i] = 'x'
	}
	rec[len(rec)-1] = '\n'
	fmt.Printf("%d durable writes of %d bytes per method, in %s\n", *n, *size, *dir)
	fmt.Printf("%-28s %12s %12s\n", "method", "wall µs/op", "cpu µs/op")
	for r := 0; r < *rounds; r++ {
		for _, m := range methods {
			path := filepath.Join(work, fmt.Sprintf("%d.log", r))
			wall, cpu, err := measure(path, m, rec, *n)
			if err != nil {
				log.Fatalf("%s: %v", m.name, err)
			}
			fmt.Printf("%-28s %12.1f %12.1f\n", m.name, wall, cpu)
			_ = os.Remove(path)
		}
	}
}

// method prepares a file and returns the function that makes record i durable.
type method struct {
	name string
	open func(path string, rec []byte, n int) (write func(i int) error, done func(), err error)
}

var methods = []method{
	{"append+fdatasync", openAppend},
	{"prealloc+fdatasync", openPrealloc(0, true)},
	{"prealloc O_DSYNC", openPrealloc(syscall.O_DSYNC, false)},
	{"prealloc O_DIRECT|O_DSYNC", openDirect},
}

// measure runs n durable writes and returns wall and CPU µs per write.
func measure(path string, m method, rec []byte, n int) (wall, cpu float64, err error) {
	write, done, err := m.open(path, rec, n)
	if err != nil {
		return 0, 0, err
	}
	defer done()
	c0, t0 := cpuTime(), time.Now()
	for i := 0; i < n; i++ {
		if err := write(i); err != nil {
			return 0, 0, err
		}
	}
	return us(time.Since(t0), n), us(cpuTime()-c0, n), nil
}

func us(d time.Duration, n int) float64 { return float64(d.Nanoseconds()) / 1e3 / float64(n) }

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func openAppend(path string, rec []byte, _ int) (func(int) error, func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, nil, err
	}
	return func(int) error {
		if _, err := f.Write(rec); err != nil {
			return err
		}
		return syscall.Fdatasync(int(f.Fd()))
	}, func() { f.Close() }, nil
}

// zeroFile writes size zero bytes and syncs them: the blocks are allocated
// and written, so overwriting them changes no metadata.
func zeroFile(path string, size int) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write(make([]byte, size)); err != nil {
		return err
	}
	return f.Sync()
}

func openPrealloc(flags int, fdatasync bool) func(string, []byte, int) (func(int) error, func(), error) {
	return func(path string, rec []byte, n int) (func(int) error, func(), error) {
		if err := zeroFile(path, n*len(rec)+8192); err != nil {
			return nil, nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|flags, 0)
		if err != nil {
			return nil, nil, err
		}
		return func(i int) error {
			if _, err := f.WriteAt(rec, int64(i*len(rec))); err != nil {
				return err
			}
			if fdatasync {
				return syscall.Fdatasync(int(f.Fd()))
			}
			return nil
		}, func() { f.Close() }, nil
	}
}

// openDirect rewrites, for each record, the page-aligned blocks from the
// one holding the record's start to its end (the tail block again and
// again, as an O_DIRECT log must).
func openDirect(path string, rec []byte, n int) (func(int) error, func(), error) {
	const page = 4096
	if err := zeroFile(path, n*len(rec)+2*page); err != nil {
		return nil, nil, err
	}
	fd, err := syscall.Open(path, syscall.O_WRONLY|syscall.O_DIRECT|syscall.O_DSYNC, 0)
	if err != nil {
		return nil, nil, err
	}
	span := (len(rec)/page + 2) * page
	raw := make([]byte, span+page)
	off := (page - int(uintptr(unsafe.Pointer(&raw[0]))%page)) % page
	buf := raw[off : off+span]
	return func(i int) error {
		start, end := i*len(rec), (i+1)*len(rec)
		blockStart := start &^ (page - 1)
		copy(buf[start-blockStart:], rec)
		length := (end - blockStart + page - 1) &^ (page - 1)
		clear(buf[end-blockStart : length]) // the unwritten rest of the tail block stays zero
		_, err := syscall.Pwrite(fd, buf[:length], int64(blockStart))
		// The next record's first block is this record's last: keep it.
		if next := end &^ (page - 1); next > blockStart {
			copy(buf, buf[next-blockStart:length])
		}
		return err
	}, func() { syscall.Close(fd) }, nil
}
