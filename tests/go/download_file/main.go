// Command download_file drives the OSS SDK for Go's resumable download (Debian's
// golang-github-aliyun-aliyun-oss-go-sdk-dev, SDK 1.4) against ossup's local server, for
// tests/interop_go_download.test.ts and the download bench (scripts/bench_upload.ts --download).
//
//	download_file -endpoint 127.0.0.1:PORT -ak ID -sk SECRET -bucket B -key K -out F
//	              [-part-size N] [-routines N] [-checkpoint]
//
// It runs bucket.DownloadFile(key, out, partSize, oss.Routines(n)[, oss.Checkpoint(true, "")])
// and prints one JSON line: the CRC-64 (Go's own hash/crc64, ECMA) and size of the file
// written, and the seconds DownloadFile took. Errors go to stderr with exit code 1.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"hash/crc64"
	"io"
	"os"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

func fail(err error) {
	fmt.Fprintln(os.Stderr, "download_file:", err)
	os.Exit(1)
}

func main() {
	endpoint := flag.String("endpoint", "", "OSS endpoint, e.g. 127.0.0.1:9000 (an IP endpoint makes the SDK path-style)")
	ak := flag.String("ak", "", "access key id")
	sk := flag.String("sk", "", "access key secret")
	bucketName := flag.String("bucket", "", "bucket")
	key := flag.String("key", "", "object key")
	out := flag.String("out", "", "local file to download into")
	partSize := flag.Int64("part-size", 100*1024, "bytes per ranged GET")
	routines := flag.Int("routines", 3, "ranged GETs at once")
	checkpoint := flag.Bool("checkpoint", false, "resumable, with <out>.cp")
	flag.Parse()

	client, err := oss.New(*endpoint, *ak, *sk)
	if err != nil {
		fail(err)
	}
	bucket, err := client.Bucket(*bucketName)
	if err != nil {
		fail(err)
	}
	options := []oss.Option{oss.Routines(*routines)}
	if *checkpoint {
		options = append(options, oss.Checkpoint(true, ""))
	}
	started := time.Now()
	if err := bucket.DownloadFile(*key, *out, *partSize, options...); err != nil {
		fail(err)
	}
	seconds := time.Since(started).Seconds()

	f, err := os.Open(*out)
	if err != nil {
		fail(err)
	}
	defer f.Close()
	h := crc64.New(crc64.MakeTable(crc64.ECMA))
	size, err := io.Copy(h, f)
	if err != nil {
		fail(err)
	}
	b, _ := json.Marshal(map[string]interface{}{
		"crc64":   fmt.Sprint(h.Sum64()),
		"size":    size,
		"seconds": seconds,
	})
	fmt.Println(string(b))
}
