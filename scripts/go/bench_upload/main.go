// Command bench_upload is the Go SDK client of scripts/bench_upload.ts: one
// upload with Alibaba Cloud's OSS SDK for Go (Debian's
// golang-github-aliyun-aliyun-oss-go-sdk-dev, SDK 1.4), the seed's pattern
//
//	bucket.UploadFile(key, file, partSize, oss.Routines(n), oss.Checkpoint(true, ""))
//
// at the part size and parallelism given:
//
//	bench_upload -endpoint 127.0.0.1:PORT -ak ID -sk SECRET -bucket B -key K -file F -part-size N -routines N
//
// With -copy-from SRC it runs the copy bench's side instead (npm run bench -- --copy):
//
//	bucket.CopyFile(bucket, SRC, key, partSize, oss.Routines(n), oss.Checkpoint(true, F+".cp"))
//
// With -download it runs the download counterpart instead, into F (the object K exists):
//
//	bucket.DownloadFile(key, file, partSize, oss.Routines(n), oss.Checkpoint(true, ""))
//
// It prints one JSON line: the seconds UploadFile took, the CPU seconds this
// process spent in it, its peak resident set (VmHWM of /proc/self/status, in
// KiB, read at exit), and the bytes it wrote to the checkpoint file F.cp.
//
// Checkpoint bytes: SDK 1.4 writes F.cp only in uploadFileWithCp's collecting
// loop, one whole-file ioutil.WriteFile after each finished part, and then
// publishes a TransferDataEvent from that same goroutine. So when the listener
// sees the event, F.cp holds exactly what was just written: its size, summed
// over the events, is the bytes the SDK wrote to its checkpoint. DownloadFile does the same
// (downloadFileWithCp: dcp.dump, then the event).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

type cpCounter struct {
	path   string
	bytes  int64
	writes int
	err    error
}

func (c *cpCounter) ProgressChanged(e *oss.ProgressEvent) {
	if e.EventType != oss.TransferDataEvent {
		return
	}
	st, err := os.Stat(c.path)
	if err != nil {
		c.err = err
		return
	}
	c.bytes += st.Size()
	c.writes++
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench_upload:", err)
	os.Exit(1)
}

// peakRSSKiB reads VmHWM (the peak resident set) from /proc/self/status.
func peakRSSKiB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if strings.HasPrefix(line, "VmHWM:") {
			fields := strings.Fields(line)
			n, _ := strconv.ParseInt(fields[1], 10, 64)
			return n
		}
	}
	return -1
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

func main() {
	endpoint := flag.String("endpoint", "", "OSS endpoint, 127.0.0.1:PORT (an IP endpoint makes the SDK path-style)")
	ak := flag.String("ak", "", "access key id")
	sk := flag.String("sk", "", "access key secret")
	bucketName := flag.String("bucket", "", "bucket")
	key := flag.String("key", "", "object key")
	file := flag.String("file", "", "local file to upload")
	partSize := flag.Int64("part-size", 100*1024, "part size in bytes")
	routines := flag.Int("routines", 1, "parts uploaded at once")
	copyFrom := flag.String("copy-from", "", "copy this key of the bucket to -key with CopyFile instead of uploading (checkpoint -file.cp)")
	download := flag.Bool("download", false, "download key into file with DownloadFile instead")
	flag.Parse()

	client, err := oss.New(*endpoint, *ak, *sk)
	if err != nil {
		fail(err)
	}
	bucket, err := client.Bucket(*bucketName)
	if err != nil {
		fail(err)
	}
	counter := &cpCounter{path: *file + oss.CheckpointFileSuffix}
	startRSS := peakRSSKiB()
	cpu0 := cpuSeconds()
	start := time.Now()
	if *copyFrom != "" {
		// The copy's checkpoint goes where the upload's would (-file.cp), not into the working directory.
		err = bucket.CopyFile(*bucketName, *copyFrom, *key, *partSize, oss.Routines(*routines), oss.Checkpoint(true, counter.path), oss.Progress(counter))
	} else if *download {
		err = bucket.DownloadFile(*key, *file, *partSize, oss.Routines(*routines), oss.Checkpoint(true, ""), oss.Progress(counter))
	} else {
		err = bucket.UploadFile(*key, *file, *partSize, oss.Routines(*routines), oss.Checkpoint(true, ""), oss.Progress(counter))
	}
	seconds := time.Since(start).Seconds()
	cpu := cpuSeconds() - cpu0
	if err != nil {
		fail(err)
	}
	if counter.err != nil {
		fail(counter.err)
	}
	out, _ := json.Marshal(map[string]interface{}{
		"seconds":          seconds,
		"cpuSeconds":       cpu,
		"peakRssKiB":       peakRSSKiB(),
		"startRssKiB":      startRSS,
		"checkpointBytes":  counter.bytes,
		"checkpointWrites": counter.writes,
	})
	fmt.Println(string(out))
}
