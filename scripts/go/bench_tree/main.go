// Command bench_tree is the Go SDK side of scripts/bench_tree.ts: a folder's
// files put under a prefix, one PutObjectFromFile each, -jobs at once, with
// Alibaba Cloud's OSS SDK for Go (Debian's golang-github-aliyun-aliyun-oss-go-sdk-dev,
// SDK 1.4), as ossup cp -r does with files below its threshold:
//
//	bench_tree -endpoint 127.0.0.1:PORT -ak ID -sk SECRET -bucket B -prefix P/ -dir D -jobs N
//
// The folder is walked first (as ossup lists it first); the time is the puts'
// alone. It prints one JSON line: files, bytes, seconds.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench_tree:", err)
	os.Exit(1)
}

func main() {
	endpoint := flag.String("endpoint", "", "host:port of the server")
	ak := flag.String("ak", "", "access key id")
	sk := flag.String("sk", "", "access key secret")
	bucketName := flag.String("bucket", "", "bucket")
	prefix := flag.String("prefix", "", "key prefix, ending in /")
	dir := flag.String("dir", "", "the folder to put")
	jobs := flag.Int("jobs", 8, "files at once")
	flag.Parse()

	client, err := oss.New(*endpoint, *ak, *sk)
	if err != nil {
		fail(err)
	}
	bucket, err := client.Bucket(*bucketName)
	if err != nil {
		fail(err)
	}
	type file struct {
		key, path string
		size      int64
	}
	var files []file
	err = filepath.WalkDir(*dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(*dir, path)
		if err != nil {
			return err
		}
		files = append(files, file{*prefix + filepath.ToSlash(rel), path, info.Size()})
		return nil
	})
	if err != nil {
		fail(err)
	}

	var next int64 = -1
	var bytes int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for j := 0; j < *jobs; j++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := atomic.AddInt64(&next, 1)
				if i >= int64(len(files)) {
					return
				}
				f := files[i]
				if err := bucket.PutObjectFromFile(f.key, f.path); err != nil {
					firstErr.Store(err)
					return
				}
				atomic.AddInt64(&bytes, f.size)
			}
		}()
	}
	wg.Wait()
	seconds := time.Since(start).Seconds()
	if err, ok := firstErr.Load().(error); ok {
		fail(err)
	}
	out, _ := json.Marshal(map[string]interface{}{"files": len(files), "bytes": bytes, "seconds": seconds})
	fmt.Println(string(out))
}
