// Command copy_file drives Alibaba Cloud's OSS SDK for Go (Debian's
// golang-github-aliyun-aliyun-oss-go-sdk-dev, SDK 1.4) against ossup's local
// server for the copy interop tests in tests/interop_copy.test.ts.
//
//	copy_file copy -endpoint 127.0.0.1:PORT -ak ID -sk SECRET -bucket B -src-bucket SB -src-key SK -key K [-part-size N] [-routines N] [-cp PATH]
//	copy_file put  -endpoint ... -bucket B -key K -file F
//	copy_file get  -endpoint ... -bucket B -key K -out F
//
// copy runs bucket.CopyFile(srcBucket, srcKey, key, partSize, oss.Routines(n))
// and, with -cp, oss.Checkpoint(true, PATH). put is PutObjectFromFile; get is
// GetObjectToFile and prints the file's CRC64 (hash/crc64, ECMA).
//
// Results are one JSON line on stdout; errors go to stderr with exit code 1.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"hash/crc64"
	"io"
	"os"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

func fail(err error) {
	fmt.Fprintln(os.Stderr, "copy_file:", err)
	os.Exit(1)
}

func printJSON(v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		fail(err)
	}
	fmt.Println(string(b))
}

func fileCRC64(path string) uint64 {
	f, err := os.Open(path)
	if err != nil {
		fail(err)
	}
	defer f.Close()
	h := crc64.New(crc64.MakeTable(crc64.ECMA))
	if _, err := io.Copy(h, f); err != nil {
		fail(err)
	}
	return h.Sum64()
}

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: copy_file copy|put|get [flags]"))
	}
	mode := os.Args[1]
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	endpoint := fs.String("endpoint", "", "OSS endpoint, 127.0.0.1:PORT (an IP endpoint makes the SDK path-style)")
	ak := fs.String("ak", "", "access key id")
	sk := fs.String("sk", "", "access key secret")
	bucketName := fs.String("bucket", "", "bucket (the destination of a copy)")
	key := fs.String("key", "", "object key")
	srcBucket := fs.String("src-bucket", "", "source bucket of a copy")
	srcKey := fs.String("src-key", "", "source key of a copy")
	partSize := fs.Int64("part-size", 100*1024, "part size of a copy")
	routines := fs.Int("routines", 3, "parts copied at once")
	cp := fs.String("cp", "", "checkpoint file of a copy (none when empty)")
	file := fs.String("file", "", "local file to put")
	out := fs.String("out", "", "local file to get into")
	fs.Parse(os.Args[2:])

	client, err := oss.New(*endpoint, *ak, *sk)
	if err != nil {
		fail(err)
	}
	bucket, err := client.Bucket(*bucketName)
	if err != nil {
		fail(err)
	}
	switch mode {
	case "copy":
		options := []oss.Option{oss.Routines(*routines)}
		if *cp != "" {
			options = append(options, oss.Checkpoint(true, *cp))
		}
		if err := bucket.CopyFile(*srcBucket, *srcKey, *key, *partSize, options...); err != nil {
			fail(err)
		}
		printJSON(map[string]string{"key": *key})
	case "put":
		if err := bucket.PutObjectFromFile(*key, *file); err != nil {
			fail(err)
		}
		printJSON(map[string]string{"key": *key})
	case "get":
		if err := bucket.GetObjectToFile(*key, *out); err != nil {
			fail(err)
		}
		printJSON(map[string]string{"crc64": fmt.Sprint(fileCRC64(*out))})
	default:
		fail(fmt.Errorf("unknown mode %q", mode))
	}
}
